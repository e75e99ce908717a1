"""The per-partner circuit breaker under concurrent calls (the dossier pulls its sources in
threads), against the sandbox over real HTTP: it counts every transient failure, opens at exactly
``fail_max``, fails fast while open, lets exactly one trial call through once the reset timeout
has passed, and never serialises the calls it lets through.

Deterministic under load: the reset timeout is crossed by moving a frozen clock (time-machine;
pybreaker reads ``datetime.now``), never by sleeping, and concurrency is read from when the
sandbox had requests in flight, not from how long the calls took."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from integrations import adapters
from integrations.adapters.base import PartnerBreaker, TransientError

from .conftest import config

RESET = timedelta(seconds=30)


def together(n: int, call) -> list:
    """Run ``call`` in ``n`` threads released at the same instant; returns each value or
    exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def kinds(results) -> list[str]:
    return sorted(type(value).__name__ for value in results)


@pytest.fixture
def clock():
    """Wall-clock time stands still unless the test moves it (sleeps still take real time)."""
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def finance(sandbox):
    cfg = config(
        sandbox.url,
        "finance",
        slug="breaker-finance",
        max_attempts=1,  # one attempt per call: the breaker sees every call
        breaker_fail_max=5,
        breaker_reset_seconds=RESET.total_seconds(),
    )
    return cfg, adapters.adapter_for(cfg)


def test_opens_at_exactly_fail_max_concurrent_failures_and_then_fails_fast(sandbox, finance, clock):
    cfg, adapter = finance
    breaker = adapters.breaker_for(cfg)
    sandbox.knobs(finance={"mode": "error"})

    results = together(4, lambda: adapter.credit_profile("CUST-1001"))
    # All counted (that they run concurrently: test_closed_breaker_runs_calls_concurrently).
    assert kinds(results) == ["TransientError"] * 4
    assert breaker.current_state == "closed"
    assert breaker.fail_counter == 4

    # The sandbox answers none of the four before all four have arrived, so all were admitted
    # while the breaker was closed, whatever the machine's load.
    sandbox.knobs(finance={"together": 4})
    results = together(4, lambda: adapter.credit_profile("CUST-1001"))
    sandbox.knobs(finance={"together": 0})
    assert kinds(results) == ["TransientError"] * 4  # admitted while closed: real failures
    assert breaker.current_state == "open"
    assert breaker.fail_counter == 8

    before = sandbox.requests
    clock.shift(RESET - timedelta(seconds=1))  # still open just before the reset timeout
    results = together(6, lambda: adapter.credit_profile("CUST-1001"))
    assert kinds(results) == ["CircuitOpen"] * 6
    assert sandbox.requests == before  # failed fast: the partner was not called
    assert "partner answered HTTP 500" in str(results[0])


def test_half_open_sends_one_trial_and_the_others_follow_once_it_succeeded(sandbox, finance, clock):
    cfg, adapter = finance
    breaker = adapters.breaker_for(cfg)
    sandbox.knobs(finance={"mode": "error"})
    together(5, lambda: adapter.credit_profile("CUST-1001"))
    assert breaker.current_state == "open"

    sandbox.knobs(finance={"mode": "ok"})
    clock.shift(RESET + timedelta(seconds=1))  # past the reset timeout
    before, earlier = sandbox.requests, len(sandbox.spans)
    results = together(8, lambda: adapter.credit_profile("CUST-1001"))
    assert kinds(results) == ["CreditProfile"] * 8
    assert sandbox.requests - before == 8
    trial, *followers = sandbox.spans[earlier:]
    # One trial alone first, then the waiting callers (that they wait for the trial and then
    # run together: test_half_open_trial_runs_alone_then_the_waiting_callers_together).
    assert all(start >= trial[1] for start, _ in followers)
    assert breaker.current_state == "closed"
    assert breaker.fail_counter == 0

    results = together(8, lambda: adapter.credit_profile("CUST-1001"))
    assert kinds(results) == ["CreditProfile"] * 8


def test_failed_trial_reopens_for_another_full_reset_timeout(sandbox, finance, clock):
    cfg, adapter = finance
    breaker = adapters.breaker_for(cfg)
    sandbox.knobs(finance={"mode": "error"})
    together(5, lambda: adapter.credit_profile("CUST-1001"))
    clock.shift(RESET + timedelta(seconds=1))

    sandbox.knobs(finance={"mode": "error", "latency_ms": 200})
    before = sandbox.requests
    results = together(6, lambda: adapter.credit_profile("CUST-1001"))
    assert sandbox.requests - before == 1  # only the trial reached the partner that is down
    assert kinds(results) == ["CircuitOpen"] * 5 + ["TransientError"]
    assert "trial call failed" in str(
        next(v for v in results if isinstance(v, adapters.CircuitOpen)).__cause__
    )
    assert breaker.current_state == "open"

    sandbox.knobs(finance={"mode": "ok", "latency_ms": 0})
    clock.shift(RESET - timedelta(seconds=1))  # the trial failed just now: still inside
    with pytest.raises(adapters.CircuitOpen):
        adapter.credit_profile("CUST-1001")
    clock.shift(timedelta(seconds=2))  # a full reset timeout after the failed trial
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


# --- The breaker alone: concurrency proven by barriers, time by an injected clock ----------


def _breaker(clock: list[datetime]) -> PartnerBreaker:
    return PartnerBreaker(
        fail_max=5,
        reset_timeout=RESET.total_seconds(),
        name="unit",
        exclude=[lambda exc: not isinstance(exc, TransientError)],
        now=lambda: clock[0],
    )


def _trip(breaker: PartnerBreaker) -> None:
    def down():
        raise TransientError("down")

    for _ in range(breaker.fail_max):
        with pytest.raises(TransientError):
            breaker.call(down)
    assert breaker.current_state == "open"


def test_closed_breaker_runs_calls_concurrently():
    """Four calls meet inside the guarded function: a breaker that held its lock for the call
    (serialised) would break the barrier instead."""
    breaker = _breaker([datetime(2026, 1, 1, tzinfo=UTC)])
    inside = threading.Barrier(4, timeout=10)

    def fail():
        inside.wait()
        raise TransientError("down")

    results = together(4, lambda: breaker.call(fail))
    assert kinds(results) == ["TransientError"] * 4
    assert breaker.current_state == "closed" and breaker.fail_counter == 4


def test_open_breaker_waits_the_reset_timeout_on_its_clock():
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    breaker = _breaker(clock)
    _trip(breaker)
    clock[0] += RESET - timedelta(seconds=1)
    with pytest.raises(adapters.base.pybreaker.CircuitBreakerError):
        breaker.call(lambda: "not called")
    clock[0] += timedelta(seconds=2)
    assert breaker.call(lambda: "ok") == "ok"
    assert breaker.current_state == "closed"


def test_half_open_trial_runs_alone_then_the_waiting_callers_together():
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    breaker = _breaker(clock)
    _trip(breaker)
    clock[0] += RESET + timedelta(seconds=1)

    entered: list[bool] = []  # per call: had the trial finished when it started?
    trial_done = {"value": False}
    trial_inside, release_trial = threading.Event(), threading.Event()
    followers_inside = threading.Barrier(7, timeout=10)
    lock = threading.Lock()

    def work():
        with lock:
            first = not entered
            entered.append(trial_done["value"])
        if first:
            trial_inside.set()
            release_trial.wait(10)
            trial_done["value"] = True
            return "trial"
        followers_inside.wait()  # the seven followers run together, not one after another
        return "follower"

    results: list = []
    trial = threading.Thread(target=lambda: results.append(breaker.call(work)))
    trial.start()
    assert trial_inside.wait(10)
    followers = [
        threading.Thread(target=lambda: results.append(breaker.call(work))) for _ in range(7)
    ]
    for t in followers:
        t.start()
    for _ in range(1000):  # until all seven wait for the trial's outcome
        with breaker.lock:
            if breaker.waiting == 7:
                break
        time.sleep(0.01)
    assert breaker.waiting == 7
    assert len(entered) == 1  # nobody but the trial reached the partner
    release_trial.set()
    for t in [trial, *followers]:
        t.join(10)
    assert sorted(results) == ["follower"] * 7 + ["trial"]
    assert entered[1:] == [True] * 7
    assert breaker.current_state == "closed"
