"""The fail-open Redis cache: Redis unreachable → misses and dropped writes, logged once."""

from __future__ import annotations

import logging
import socket

import pytest

from hrcore.cache import FailOpenRedisCache


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def _cache(**options) -> FailOpenRedisCache:
    return FailOpenRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, **options}},
    )


def test_every_operation_fails_open_and_the_outage_is_logged_once(caplog):
    cache = _cache(FAIL_OPEN_RETRY_AFTER=60, FAIL_OPEN_LOG_INTERVAL=60)
    caplog.set_level(logging.WARNING, logger="hrcore.cache")
    assert cache.get("k") is None
    assert cache.get("k", "dflt") == "dflt"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1, 10) is False  # not stored: never a lock held by mistake
    assert cache.set("k", 1, 10) is None
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.touch("k", 10) is False
    assert cache.delete("k") is False
    assert cache.delete_many(["a"]) is None
    assert cache.incr("n", 3) == 3
    assert cache.clear() is None
    for _ in range(100):  # a request storm during the outage
        cache.get("throttle_user_1", [])
    # Django makes one backend per thread: a second instance shares the outage, no new report
    other = FailOpenRedisCache(cache._location, {"OPTIONS": {"FAIL_OPEN_RETRY_AFTER": 60}})
    assert other.is_down and other.get("k", 1) == 1
    assert cache.is_down
    warnings = [r for r in caplog.records if r.name == "hrcore.cache"]
    assert len(warnings) == 1
    assert "failing open" in warnings[0].getMessage()


def test_after_the_retry_window_redis_is_asked_again_and_each_report_counts_failures(caplog):
    cache = _cache(FAIL_OPEN_RETRY_AFTER=0, FAIL_OPEN_LOG_INTERVAL=0)
    caplog.set_level(logging.WARNING, logger="hrcore.cache")
    cache.get("a")
    cache.get("b")
    reports = [r.getMessage() for r in caplog.records if r.name == "hrcore.cache"]
    assert len(reports) == 2 and all("1 failure(s)" in m for m in reports)


def test_errors_other_than_an_unreachable_redis_still_raise(settings):
    """incr of a missing key is a ValueError in Django's contract: not an outage."""
    cache = _cache()
    cache._state.down_until = 0
    from unittest import mock

    with (
        mock.patch(
            "django.core.cache.backends.redis.RedisCache.incr", side_effect=ValueError("missing")
        ),
        pytest.raises(ValueError),
    ):
        cache.incr("missing")
    assert not cache.is_down
