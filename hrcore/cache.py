"""A Redis cache that fails open: Redis down must not take the API down.

Keel's cache holds only things it can live without for a while — API throttle counters, login
rate limits, the outbox-kick window — so while Redis is unreachable every read is a miss, every
write is dropped and the request goes on (a throttle then lets the request through). The error
is logged once per ``log_interval`` (not per request) and, for ``retry_after`` seconds after a
failure, Redis is not asked at all, so an outage costs each request nothing instead of a connect
timeout.
"""

from __future__ import annotations

import logging
import threading
import time

import redis.exceptions
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_MISSING = object()
# Redis unreachable or too slow; any other error (a missing key for incr, a bug) still raises.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class _OutageState:
    def __init__(self) -> None:
        self.down_until = 0.0
        self.last_logged = float("-inf")
        self.failures_since_log = 0
        self.lock = threading.Lock()


_STATES: dict[str, _OutageState] = {}
_STATES_LOCK = threading.Lock()


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("FAIL_OPEN_RETRY_AFTER", 5.0))
        self.log_interval = float(options.pop("FAIL_OPEN_LOG_INTERVAL", 60.0))
        super().__init__(server, {**params, "OPTIONS": options})
        # Django makes one backend instance per thread: the outage state is shared by all
        # instances on the same server in this process, so it is logged once, not per thread.
        self._location = str(server)
        with _STATES_LOCK:
            self._state = _STATES.setdefault(self._location, _OutageState())

    # --- the guard -----------------------------------------------------------------------
    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._state.down_until

    def _guard(self, operation: str, default, call, *args, **kwargs):
        if self.is_down:
            return default
        try:
            return call(*args, **kwargs)
        except UNAVAILABLE as exc:
            self._failed(operation, exc)
            return default

    def _failed(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        state = self._state
        with state.lock:
            state.down_until = now + self.retry_after
            state.failures_since_log += 1
            if now - state.last_logged < self.log_interval:
                return
            state.last_logged, failures = now, state.failures_since_log
            state.failures_since_log = 0
        logger.warning(
            "cache unavailable (%s: %s); failing open for %g s — throttles and caches are "
            "bypassed (%d failure(s) since the last report)",
            operation,
            f"{type(exc).__name__}: {exc}"[:200],
            self.retry_after,
            failures,
        )

    # --- every operation of BaseCache that touches Redis ----------------------------------
    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def add(self, key, value, timeout=_MISSING, version=None):
        # Fails open like everything else: True, so a lock or throttle built on add() lets the
        # caller through (allauth's rate-limit lock answered every log-in with "locked" or a
        # 429 while Redis was down). Callers that must not act then check ``is_down`` first
        # (the outbox kick: the broker is the same Redis).
        return self._guard("add", True, self._call, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=_MISSING, version=None):
        return self._guard("set", None, self._call, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=_MISSING, version=None):
        failed = list(data)
        return self._guard(
            "set_many", failed, self._call_many, super().set_many, data, timeout, version
        )

    def touch(self, key, timeout=_MISSING, version=None):
        if timeout is _MISSING:
            return self._guard("touch", False, super().touch, key, version=version)
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._guard("incr", delta, super().incr, key, delta, version)

    def clear(self):
        return self._guard("clear", None, super().clear)

    @staticmethod
    def _call(method, key, value, timeout, version):
        if timeout is _MISSING:
            return method(key, value, version=version)
        return method(key, value, timeout, version=version)

    @staticmethod
    def _call_many(method, data, timeout, version):
        if timeout is _MISSING:
            return method(data, version=version)
        return method(data, timeout, version=version)
