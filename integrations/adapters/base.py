"""The adapter plumbing: configuration, errors, the HTTP client, retries, breakers, registry."""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
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
    # Reads only (a drill's pulls, issue 16): any other request is refused before it leaves.
    read_only: bool = False


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


class PartnerWriteRefused(PermanentError):
    """A write to a partner's system while writes are refused (a drill): never sent."""


# --- The drill guard (issue 16): no partner write on behalf of a drill ----------------------
#
# One guard, in the one place every partner request passes (``HttpClient.request``): a
# configuration marked ``read_only`` — or any request made inside ``partner_writes_refused()``
# — may read (GET, HEAD) and nothing else. The scope also stamps ``read_only`` on the
# configurations ``adapter_for`` hands out inside it, so an adapter used later in a worker
# thread (which does not inherit the scope) stays read-only. Messaging (kind "channel": IM,
# SMS, mail, group chats; kind "im": group robots) is no partner's system of record: a drill's
# notices reach people through it, marked 演练 / DRILL.

READ_METHODS = frozenset({"GET", "HEAD"})
MESSAGING_KINDS = frozenset({"channel", "im"})
_writes_refused: contextvars.ContextVar[str] = contextvars.ContextVar(
    "partner_writes_refused", default=""
)


@contextmanager
def partner_writes_refused(reason: str) -> Iterator[None]:
    """Inside: every partner write is refused with ``reason`` (nested scopes keep the outer)."""
    token = _writes_refused.set(_writes_refused.get() or reason)
    try:
        yield
    finally:
        _writes_refused.reset(token)


def writes_refused_reason(config: PartnerConfig) -> str:
    """Why a write to this partner is refused now ("" when it is not)."""
    if config.kind in MESSAGING_KINDS:
        return ""
    return _writes_refused.get() or ("read-only configuration" if config.read_only else "")


# --- Circuit breakers, one per partner -----------------------------------------------------
#
# pybreaker's own ``CircuitBreaker.call`` holds its RLock for the whole guarded call, so the
# concurrent pulls of one dossier from one partner (threads, see services) would run one after
# another. The previous fix swapped that lock for a no-op, which kept the pulls parallel but
# broke the breaker under concurrency: every thread that found an expired open breaker moved it
# to half-open and went through, so a partner that was still down got a burst of "trial" calls
# instead of one; counter updates and state changes could interleave (a late success closing a
# breaker another thread had just re-opened).
#
# ``PartnerBreaker`` keeps pybreaker's storage, states and API but holds the (real) lock only to
# decide and to record, never while the partner is being called:
# * closed: every call goes through concurrently; each transient failure is counted under the
#   lock and the breaker opens at exactly ``fail_max``;
# * open: calls fail fast until ``reset_timeout`` has passed; then exactly one caller is let
#   through as the half-open trial; concurrent callers wait for its outcome (bounded by the
#   partner's timeouts) instead of hitting a partner that may still be down;
# * the trial's success closes the breaker and releases the waiting callers; its transient
#   failure re-opens it for another ``reset_timeout`` and the waiting callers fail fast.
#
# Processes: the breakers live in process memory. Each Celery prefork child (and each gunicorn
# worker) has its own breakers, so with N processes a dead partner sees up to N × fail_max
# failed calls before every process fails fast; that is the accepted price of not putting a
# network round trip to Redis in front of every partner call. Nothing is shared across a fork:
# ``_after_fork_in_child`` gives the child fresh locks, breakers and HTTP clients (a lock held by
# another thread of the parent at fork time would otherwise never be released in the child, and
# a pooled keep-alive connection would be shared by two processes).


def _not_transient(exc: BaseException) -> bool:
    # Only transient failures say "the partner is down"; a 404 or a bad payload does not.
    return not isinstance(exc, TransientError)


class PartnerBreaker:
    """A pybreaker circuit breaker used through its public API, whose lock guards state
    decisions, not the guarded call.

    pybreaker keeps the states, counters and the time the breaker opened (its storage, created
    here and read through its public properties); this class adds its own lock and the
    half-open trial rule. ``now`` is the clock the reset timeout is measured with (tests move
    it; pybreaker stamps ``opened_at`` with ``datetime.now(UTC)``)."""

    def __init__(
        self,
        *,
        fail_max: int,
        reset_timeout: float,
        name: str,
        exclude=(),
        trial_wait_seconds: float = 10.0,
        now=None,
    ):
        self.storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=list(exclude),
            name=name,
            state_storage=self.storage,
            throw_new_error_on_trip=False,
        )
        self.lock = threading.Lock()
        self.trial_done = threading.Condition(self.lock)
        self.trial_in_flight = False
        self.waiting = 0  # callers waiting for the half-open trial's outcome
        self.trial_wait_seconds = trial_wait_seconds
        self.now = now or (lambda: datetime.now(UTC))

    @property
    def current_state(self) -> str:
        return self.breaker.current_state

    @property
    def fail_counter(self) -> int:
        return self.breaker.fail_counter

    @property
    def fail_max(self) -> int:
        return self.breaker.fail_max

    @property
    def reset_timeout(self) -> float:
        return self.breaker.reset_timeout

    def _admit(self) -> bool:
        """Under the lock: let the call through (True if it is the half-open trial) or raise
        ``CircuitBreakerError``. Callers arriving during the trial wait for its outcome (at most
        ``trial_wait_seconds``): a dossier's concurrent pulls from a partner that has recovered
        all go ahead once the trial succeeded, and none of them hits a partner that is still
        down."""
        deadline = time.monotonic() + self.trial_wait_seconds
        while True:
            state = self.breaker.current_state
            if state == pybreaker.STATE_CLOSED:
                return False
            if state == pybreaker.STATE_OPEN:
                opened_at = self.storage.opened_at
                reopen_at = opened_at and opened_at + timedelta(seconds=self.reset_timeout)
                if reopen_at and self.now() < reopen_at:
                    raise pybreaker.CircuitBreakerError("circuit breaker still open")
                self.breaker.half_open()
            if not self.trial_in_flight:
                self.trial_in_flight = True
                return True
            remaining = deadline - time.monotonic()
            self.waiting += 1
            try:
                finished = remaining > 0 and self.trial_done.wait(remaining)
            finally:
                self.waiting -= 1
            if not finished:
                raise pybreaker.CircuitBreakerError("half-open trial call did not finish in time")
            if self.breaker.current_state == pybreaker.STATE_OPEN:
                raise pybreaker.CircuitBreakerError("half-open trial call failed")

    def call(self, func, *args, **kwargs):
        with self.lock:
            trial = self._admit()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            with self.lock:
                if not self.breaker.is_system_error(exc):
                    self._record_success(trial)
                else:
                    self.storage.increment_counter()
                    if trial or (
                        self.breaker.current_state == pybreaker.STATE_CLOSED
                        and self.storage.counter >= self.fail_max
                    ):
                        # A failed trial: the partner is still down, another full timeout.
                        self._open()
                    # A failure admitted while closed that lands after the breaker opened
                    # (another thread tripped it) must not push the reset time further out.
                if trial:
                    self.trial_in_flight = False
                    self.trial_done.notify_all()
            raise
        with self.lock:
            self._record_success(trial)
            if trial:
                self.trial_in_flight = False
                self.trial_done.notify_all()
        return result

    def _open(self) -> None:
        self.breaker.open()
        self.storage.opened_at = self.now()  # the reset timeout runs on this breaker's clock

    def _record_success(self, trial: bool) -> None:
        state = self.breaker.current_state
        if trial and state == pybreaker.STATE_HALF_OPEN:
            self.storage.increment_success_counter()
            if self.storage.success_counter >= self.breaker.success_threshold:
                self.breaker.close()  # also resets the failure counter
        elif state == pybreaker.STATE_CLOSED:
            self.storage.reset_counter()
        # A success admitted while closed that lands while open/half-open changes nothing: only
        # the trial decides whether the partner is back.


_breakers: dict[str, PartnerBreaker] = {}
_last_failure: dict[str, str] = {}  # partner slug -> reason of its last transient failure
_breakers_lock = threading.Lock()


def breaker_for(config: PartnerConfig) -> PartnerBreaker:
    with _breakers_lock:
        breaker = _breakers.get(config.slug)
        if breaker is None:
            breaker = PartnerBreaker(
                fail_max=config.breaker_fail_max,
                reset_timeout=config.breaker_reset_seconds,
                exclude=[_not_transient],
                name=config.slug,
                # A trial is one attempt: it ends within the partner's timeouts.
                trial_wait_seconds=config.connect_timeout_seconds + config.timeout_seconds + 1,
            )
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


def tls_context():
    """One TLS context for every call: building one loads the CA bundle (tens of ms of CPU),
    which would otherwise serialise concurrent pulls. The CAs trusted are httpx's default:
    ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set (a private CA of the group's partners or
    webhook subscribers), else certifi's bundle."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def _after_fork_in_child() -> None:
    """A forked child starts with no breakers, clients or held locks of its parent."""
    global _breakers_lock, _clients_lock, _ssl_lock
    _breakers_lock, _clients_lock, _ssl_lock = threading.Lock(), threading.Lock(), threading.Lock()
    _breakers.clear()
    _last_failure.clear()
    _clients.clear()  # not closed: their sockets are the parent's


os.register_at_fork(after_in_child=_after_fork_in_child)


class HttpClient:
    """JSON over HTTP to one partner: timeouts always, bearer auth, errors classified."""

    def __init__(self, config: PartnerConfig, *, bearer: bool = True):
        self.config = config
        # Robot webhooks (DingTalk, WeCom) carry their credential in the URL and use the stored
        # token as a signing secret, which must never travel as a header.
        self.bearer = bearer

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
                    verify=tls_context(),
                    limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
                )
                _clients[key] = client
            return client

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            self.config.timeout_seconds,
            connect=min(self.config.connect_timeout_seconds, self.config.timeout_seconds),
        )

    def _once(
        self,
        method: str,
        path: str,
        params: dict | Callable[[], dict] | None,
        json: Any,
        headers: dict | Callable[[], dict] | None = None,
        check: Callable[[Any], None] | None = None,
        body_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        # An empty path posts to the base URL itself (robot webhooks: the URL is the endpoint).
        base = self.config.base_url
        url = base.rstrip("/") + "/" + path.lstrip("/") if path else base
        all_headers = {"Accept": "application/json", "User-Agent": "Keel-integrations/1"}
        if self.config.token and self.bearer:
            all_headers["Authorization"] = f"Bearer {self.config.token}"
        if callable(headers):  # per attempt, e.g. a bearer token refreshed after it expired
            headers = headers()
        all_headers.update(headers or {})
        if callable(params):  # per attempt, e.g. a signature over the current time
            params = params()
        # Merged into the URL's own query (httpx's ``params=`` would replace it, dropping a
        # robot's ``?access_token=`` / ``?key=``).
        target = httpx.URL(url).copy_merge_params(params) if params else url
        try:
            response = self._client().request(method, target, json=json, headers=all_headers)
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"timed out after {self.config.timeout_seconds:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"connection failed: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in body_statuses and check is not None:
            # Providers that explain a 4xx in the body (Feishu: HTTP 400/429 + a code): ``check``
            # classifies it (rate limited, token expired, bad recipient …).
            try:
                body = response.json()
            except ValueError as exc:
                raise MalformedPayload(f"partner answered HTTP {status} without JSON") from exc
            check(body)
            raise PermanentError(f"partner rejected the request (HTTP {status})", status=status)
        if status == 429 or status >= 500:
            raise TransientError(f"partner answered HTTP {status}", status=status)
        if status in (401, 403):
            raise PermanentError(f"partner refused our credentials (HTTP {status})", status=status)
        if status == 404:
            raise PermanentError("not found at the partner (HTTP 404)", status=status)
        if status >= 400:
            raise PermanentError(f"partner rejected the request (HTTP {status})", status=status)
        try:
            body = response.json()
        except ValueError as exc:
            raise MalformedPayload("partner answered with something that is not JSON") from exc
        if check is not None:  # partners that answer HTTP 200 with an error code in the body
            check(body)
        return body

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | Callable[[], dict] | None = None,
        json: Any = None,
        headers: dict | Callable[[], dict] | None = None,
        check: Callable[[Any], None] | None = None,
        body_statuses: frozenset[int] = frozenset(),
    ):
        """One logical call: retried on transient errors with exponential backoff, each attempt
        through the partner's circuit breaker; an open breaker fails fast and is not retried.

        ``params`` may be a callable, evaluated per attempt (signatures over a timestamp);
        ``check`` inspects the decoded body and raises Transient/PermanentError for partners
        that report failures inside an HTTP 200 (DingTalk, WeCom), and inside the 4xx statuses
        listed in ``body_statuses`` (Feishu)."""
        refused = "" if method.upper() in READ_METHODS else writes_refused_reason(self.config)
        if refused:
            raise PartnerWriteRefused(
                f"{method.upper()} {path or '/'} not sent to {self.config.slug}: partner writes "
                f"are refused ({refused})"
            )
        breaker = breaker_for(self.config)

        def attempt():
            try:
                return breaker.call(
                    self._once, method, path, params, json, headers, check, body_statuses
                )
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


def adapter_class(kind: str, protocol: str) -> type | None:
    """The adapter class registered for ``kind`` and ``protocol`` (None when none is)."""
    return _REGISTRY.get((kind, protocol))


def adapter_for(config: PartnerConfig):
    """An adapter instance for a partner configuration."""
    cls = adapter_class(config.kind, config.protocol)
    if cls is None:
        raise PermanentError(
            f"no adapter for kind {config.kind!r} and protocol {config.protocol!r}"
        )
    if _writes_refused.get() and not config.read_only:
        config = replace(config, read_only=True)
    return cls(config)
