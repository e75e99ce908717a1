"""The adapter plumbing: configuration, errors, the HTTP client, retries, breakers, registry."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
import pybreaker
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)


@dataclass(frozen=True)
class PartnerConfig:
    """Everything an adapter needs to talk to one partner (built from the Partner row)."""

    slug: str
    kind: str
    base_url: str
    token: str = ""
    protocol: str = "keel-rest"
    timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 2.0
    max_attempts: int = 3
    backoff_seconds: float = 0.2
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 30.0
    options: dict = field(default_factory=dict, hash=False, compare=False)


# --- Errors --------------------------------------------------------------------------------


class AdapterError(Exception):
    """Base of everything an adapter raises; ``reason`` is what users see on a failed source."""

    transient = False

    def __init__(self, reason: str, *, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TransientError(AdapterError):
    """Might work next time (timeout, connection refused, 5xx, 429): retried with backoff."""

    transient = True


class PermanentError(AdapterError):
    """Will not work by retrying (401/403/404, bad request): never retried."""


class MalformedPayload(PermanentError):
    """The partner answered, but not with what its contract promises."""


class CircuitOpen(TransientError):
    """The partner failed repeatedly; calls fail fast until the breaker's reset timeout."""


# --- Circuit breakers, one per partner -----------------------------------------------------

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_last_failure: dict[str, str] = {}  # partner slug -> reason of its last transient failure
_breakers_lock = threading.Lock()


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _not_transient(exc: BaseException) -> bool:
    # Only transient failures say "the partner is down"; a 404 or a bad payload does not.
    return not isinstance(exc, TransientError)


def breaker_for(config: PartnerConfig) -> pybreaker.CircuitBreaker:
    with _breakers_lock:
        breaker = _breakers.get(config.slug)
        if breaker is None:
            breaker = pybreaker.CircuitBreaker(
                fail_max=config.breaker_fail_max,
                reset_timeout=config.breaker_reset_seconds,
                exclude=[_not_transient],
                name=config.slug,
                throw_new_error_on_trip=False,
            )
            # pybreaker holds one RLock for the whole duration of ``call()``, which would make
            # the concurrent pulls of a dossier from one partner run one after another. State
            # changes stay correct without it (counters and state live in the memory storage;
            # a lost increment under a race only delays the trip by one failure).
            breaker._lock = _NoLock()
            _breakers[config.slug] = breaker
        return breaker


def reset_breakers() -> None:
    """Forget every breaker (tests; and when an HR admin edits a partner)."""
    with _breakers_lock:
        _breakers.clear()
        _last_failure.clear()
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


# --- HTTP client ---------------------------------------------------------------------------

_ssl_context = None
_ssl_lock = threading.Lock()
_clients: dict[tuple, httpx.Client] = {}
_clients_lock = threading.Lock()


def _verify():
    """One TLS context for every call: building one loads the CA bundle (tens of ms of CPU),
    which would otherwise serialise concurrent pulls."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            import ssl

            import certifi

            _ssl_context = ssl.create_default_context(cafile=certifi.where())
        return _ssl_context


class HttpClient:
    """JSON over HTTP to one partner: timeouts always, bearer auth, errors classified."""

    def __init__(self, config: PartnerConfig):
        self.config = config

    def _client(self) -> httpx.Client:
        """One pooled keep-alive client per partner configuration and process (httpx clients are
        thread-safe), so concurrent pulls skip connection set-up."""
        key = (self.config.slug, self.config.base_url, self.config.timeout_seconds)
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = httpx.Client(
                    timeout=self._timeout(),
                    follow_redirects=False,
                    verify=_verify(),
                    limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
                )
                _clients[key] = client
            return client

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            self.config.timeout_seconds,
            connect=min(self.config.connect_timeout_seconds, self.config.timeout_seconds),
        )

    def _once(self, method: str, path: str, params: dict | None, json: Any) -> Any:
        url = self.config.base_url.rstrip("/") + "/" + path.lstrip("/")
        headers = {"Accept": "application/json", "User-Agent": "Keel-integrations/1"}
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        try:
            response = self._client().request(
                method, url, params=params, json=json, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"timed out after {self.config.timeout_seconds:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"connection failed: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientError(f"partner answered HTTP {status}", status=status)
        if status in (401, 403):
            raise PermanentError(f"partner refused our credentials (HTTP {status})", status=status)
        if status == 404:
            raise PermanentError("not found at the partner (HTTP 404)", status=status)
        if status >= 400:
            raise PermanentError(f"partner rejected the request (HTTP {status})", status=status)
        try:
            return response.json()
        except ValueError as exc:
            raise MalformedPayload("partner answered with something that is not JSON") from exc

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None):
        """One logical call: retried on transient errors with exponential backoff, each attempt
        through the partner's circuit breaker; an open breaker fails fast and is not retried."""
        breaker = breaker_for(self.config)

        def attempt():
            try:
                return breaker.call(self._once, method, path, params, json)
            except pybreaker.CircuitBreakerError as exc:
                last = _last_failure.get(self.config.slug)
                raise CircuitOpen(
                    "circuit open after repeated failures"
                    + (f" (last: {last})" if last else "")
                    + f"; retrying after {self.config.breaker_reset_seconds:g} s"
                ) from exc
            except TransientError as exc:
                _last_failure[self.config.slug] = exc.reason
                raise

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.config.max_attempts)),
            wait=wait_exponential(multiplier=self.config.backoff_seconds, max=5),
            retry=retry_if_exception(
                lambda e: isinstance(e, TransientError) and not isinstance(e, CircuitOpen)
            ),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except RetryError as exc:  # pragma: no cover - reraise=True re-raises the last error
            raise exc.last_attempt.exception() from exc

    def get(self, path: str, **params):
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})


# --- Registry ------------------------------------------------------------------------------

_REGISTRY: dict[tuple[str, str], type] = {}


def register(kind: str, protocol: str):
    """Class decorator: this class speaks ``protocol`` for sources of ``kind``."""

    def decorate(cls):
        _REGISTRY[(kind, protocol)] = cls
        cls.kind = kind
        cls.protocol = protocol
        return cls

    return decorate


def registered() -> list[tuple[str, str]]:
    return sorted(_REGISTRY)


def adapter_for(config: PartnerConfig):
    """An adapter instance for a partner configuration."""
    cls = _REGISTRY.get((config.kind, config.protocol))
    if cls is None:
        raise PermanentError(
            f"no adapter for kind {config.kind!r} and protocol {config.protocol!r}"
        )
    return cls(config)
