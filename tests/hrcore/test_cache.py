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
    assert cache.add("k", 1, 10) is True  # fails open: a lock or throttle lets the caller by
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


def test_people_log_in_while_redis_is_down(settings, users, client):
    """The login lock-out counts failures in the cache: with Redis unreachable allauth's
    counter lock could not be taken and every user was told their account was locked.
    The lock-out fails open like the other throttles; the password still decides."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "hrcore.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    caches._settings = None  # the new CACHES for this test's backends
    try:
        wrong = client.post(
            "/accounts/login/",
            {"login": "manager", "password": "not-it"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert wrong.status_code == 200
        assert "_auth_user_id" not in client.session
        right = client.post("/accounts/login/", {"login": "manager", "password": "keel-demo"})
        assert right.status_code == 302
        assert client.session["_auth_user_id"] == str(users["manager"].pk)
    finally:
        caches._settings = None
