"""The per-partner circuit breaker under concurrent calls (the dossier pulls its sources in
threads), against the sandbox over real HTTP: it counts every transient failure, opens at exactly
``fail_max``, fails fast while open, lets exactly one trial call through once the reset timeout
has passed, and never serialises the calls it lets through."""

from __future__ import annotations

import threading
import time

import pytest

from integrations import adapters

from .conftest import config


def together(n: int, call) -> list:
    """Run ``call`` in ``n`` threads released at the same instant; each result is
    ``(value or exception, seconds taken)``."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        started = time.monotonic()
        try:
            value = call()
        except Exception as exc:
            value = exc
        results[i] = (value, time.monotonic() - started)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def kinds(results) -> list[str]:
    return sorted(type(value).__name__ for value, _ in results)


@pytest.fixture
def finance(sandbox):
    cfg = config(
        sandbox.url,
        "finance",
        slug="breaker-finance",
        max_attempts=1,  # one attempt per call: the breaker sees every call
        breaker_fail_max=5,
        breaker_reset_seconds=0.6,
    )
    return cfg, adapters.adapter_for(cfg)


def test_opens_at_exactly_fail_max_concurrent_failures_and_then_fails_fast(sandbox, finance):
    cfg, adapter = finance
    breaker = adapters.breaker_for(cfg)
    sandbox.knobs(finance={"mode": "error", "latency_ms": 200})

    started = time.monotonic()
    results = together(4, lambda: adapter.credit_profile("CUST-1001"))
    # Let through concurrently (four 200 ms calls in well under 4 × 200 ms) and all counted.
    assert time.monotonic() - started < 0.6
    assert kinds(results) == ["TransientError"] * 4
    assert breaker.current_state == "closed"
    assert breaker.fail_counter == 4

    results = together(4, lambda: adapter.credit_profile("CUST-1001"))
    assert kinds(results) == ["TransientError"] * 4  # admitted while closed: real failures
    assert breaker.current_state == "open"
    assert breaker.fail_counter == 8

    before = sandbox.requests
    results = together(6, lambda: adapter.credit_profile("CUST-1001"))
    assert kinds(results) == ["CircuitOpen"] * 6
    assert all(seconds < 0.1 for _, seconds in results)
    assert sandbox.requests == before  # the partner was not called
    assert "partner answered HTTP 500" in str(results[0][0])


def test_half_open_sends_one_trial_and_the_others_follow_once_it_succeeded(sandbox, finance):
    cfg, adapter = finance
    breaker = adapters.breaker_for(cfg)
    sandbox.knobs(finance={"mode": "error"})
    together(5, lambda: adapter.credit_profile("CUST-1001"))
    assert breaker.current_state == "open"

    sandbox.knobs(finance={"mode": "ok", "latency_ms": 300})
    time.sleep(0.7)  # past the 0.6 s reset timeout
    before = sandbox.requests
    started = time.monotonic()
    results = together(8, lambda: adapter.credit_profile("CUST-1001"))
    elapsed = time.monotonic() - started
    assert kinds(results) == ["CreditProfile"] * 8
    assert sandbox.requests - before == 8
    # One 300 ms trial first, then the seven waiting callers together: about 2 × 300 ms —
    # not 300 ms (all at once, as with the old no-op lock) and not 8 × 300 ms (serialised).
    assert 0.55 < elapsed < 1.2
    assert breaker.current_state == "closed"
    assert breaker.fail_counter == 0

    started = time.monotonic()
    results = together(8, lambda: adapter.credit_profile("CUST-1001"))
    assert kinds(results) == ["CreditProfile"] * 8
    assert time.monotonic() - started < 0.9  # closed again: eight 300 ms calls in parallel


def test_failed_trial_reopens_for_another_full_reset_timeout(sandbox, finance):
    cfg, adapter = finance
    breaker = adapters.breaker_for(cfg)
    sandbox.knobs(finance={"mode": "error"})
    together(5, lambda: adapter.credit_profile("CUST-1001"))
    time.sleep(0.7)

    sandbox.knobs(finance={"mode": "error", "latency_ms": 200})
    before = sandbox.requests
    results = together(6, lambda: adapter.credit_profile("CUST-1001"))
    assert sandbox.requests - before == 1  # only the trial reached the partner that is down
    assert kinds(results) == ["CircuitOpen"] * 5 + ["TransientError"]
    assert "trial call failed" in str(
        next(v for v, _ in results if isinstance(v, adapters.CircuitOpen)).__cause__
    )
    assert breaker.current_state == "open"

    sandbox.knobs(finance={"mode": "ok", "latency_ms": 0})
    time.sleep(0.3)  # the trial failed ~0.3 s ago: still inside the new reset timeout
    with pytest.raises(adapters.CircuitOpen):
        adapter.credit_profile("CUST-1001")
    time.sleep(0.5)
    assert adapter.credit_profile("CUST-1001").external_id == "CUST-1001"
    assert breaker.current_state == "closed"


def test_permanent_errors_never_trip_the_breaker(sandbox, finance):
    cfg, adapter = finance
    results = together(8, lambda: adapter.credit_profile("NO-SUCH-CUSTOMER"))
    assert kinds(results) == ["PermanentError"] * 8
    assert adapters.breaker_for(cfg).current_state == "closed"
    assert adapters.breaker_for(cfg).fail_counter == 0


def test_a_forked_child_starts_with_fresh_breakers_and_clients(sandbox, finance):
    import os

    cfg, adapter = finance
    sandbox.knobs(finance={"mode": "error"})
    together(5, lambda: adapter.credit_profile("CUST-1001"))
    assert adapters.breaker_for(cfg).current_state == "open"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            from integrations.adapters import base

            ok = not base._breakers and not base._clients and not base._breakers_lock.locked()
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    os.close(read)
    assert adapters.breaker_for(cfg).current_state == "open"  # the parent's is untouched
