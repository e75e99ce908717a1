"""The timer loop (``manage.py run_timers``): fire SLA timers at their due time, not on the next
beat tick.

It sleeps until the next due row (``next_timer_due_by_claim``), then runs the same
``sla_sweep`` as the tick — rows are claimed with ``SKIP LOCKED`` on PostgreSQL and
moved with compare-and-set updates, so several loops and the tick together still fire each timer
once. A nearer deadline written while it sleeps wakes it early:

* PostgreSQL: a statement trigger on the task table sends ``NOTIFY keel_timers`` (delivered at
  commit); the loop ``LISTEN``s on its own connection and sleeps at most ``max_sleep`` (60 s).
* SQLite (the embedded default): no notifications between processes; a statement writing task
  timers touches a wake file after its commit (``crisis.timer_wake``) and the loop watches its
  modification time (a ``stat`` every 0.2 s, no query), asking the database again when it
  changed, when the next due row falls due, or at the latest every 60 s.

The beat tick stays the catch-up safety net (the loop down, a missed notification).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import close_old_connections, connection
from django.utils import timezone

from hrcore import sla

from . import timer_wake
from .selectors.timers import next_timer_due_by_claim
from .services.common import crisis_link
from .services.sweep import sla_sweep

logger = logging.getLogger(__name__)

CHANNEL = "keel_timers"
PG_MAX_SLEEP_SECONDS = 60.0
# How soon a sleeping loop notices ``stop`` (SIGTERM) on PostgreSQL (a socket wait, no query).
STOP_CHECK_SECONDS = 0.5
# SQLite: the wake file is looked at (a stat, no query) this often; the database at least once
# per FILE_MAX_SLEEP_SECONDS, and whenever the file changed or the next due row falls due.
FILE_CHECK_SECONDS = 0.2
FILE_MAX_SLEEP_SECONDS = 60.0


class FileWaiter:
    """SQLite: sleep until the next due row, at most ``max_sleep``; woken early when a writer
    touched the wake file (``crisis.timer_wake``: after the commit of any statement writing task
    timers). The file is looked at with a ``stat`` every ``check`` seconds — no query — so an
    idle loop asks the database once per ``max_sleep``."""

    def __init__(self, max_sleep: float, check: float, stop: threading.Event) -> None:
        self.max_sleep = max_sleep
        self.check = check
        self.stop = stop
        self.mark = timer_wake.wake_mark()

    def arm(self) -> None:
        """Before looking at the database: a write committed from now on wakes the next wait."""
        self.mark = timer_wake.wake_mark()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when woken early (the wake file changed, or ``stop``)."""
        deadline = time.monotonic() + max(seconds, 0.0)
        while True:
            if timer_wake.wake_mark() != self.mark:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.stop.wait(min(self.check, left)):
                return True

    def close(self) -> None:
        pass


class ListenWaiter:
    """PostgreSQL: ``LISTEN keel_timers`` on a dedicated autocommit connection."""

    def __init__(self, max_sleep: float, stop: threading.Event) -> None:
        import psycopg

        self.max_sleep = max_sleep
        self.stop = stop
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        self.conn = psycopg.connect(**params, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when a notification arrived first. Notifications
        already queued are drained so one burst of writes costs one wake, and those sent by
        this loop's own sweep are ignored (it has just asked for the next due row after its
        writes): a turn that fires does not buy an idle turn after it."""
        if seconds <= 0:
            return False
        own = _own_backend_pid()
        deadline = time.monotonic() + seconds
        # In slices, so that ``stop`` (SIGTERM) ends the loop within STOP_CHECK_SECONDS.
        while not self.stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            woken = False
            for note in self.conn.notifies(timeout=min(left, STOP_CHECK_SECONDS)):
                if note.pid != own:
                    woken = True
                    break
            if woken:  # drain what else arrived meanwhile
                for _note in self.conn.notifies(timeout=0.001):
                    pass
                return True
        return True

    def arm(self) -> None:
        pass  # notifications queue on the connection until read

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already broken
            self.conn.close()


def _own_backend_pid() -> int | None:
    """The server process of this loop's Django connection (the sweep's writes come from it)."""
    raw = connection.connection
    return getattr(getattr(raw, "info", None), "backend_pid", None) if raw is not None else None


def make_waiter(stop: threading.Event) -> FileWaiter | ListenWaiter:
    if connection.vendor == "postgresql":
        return ListenWaiter(PG_MAX_SLEEP_SECONDS, stop)
    return FileWaiter(FILE_MAX_SLEEP_SECONDS, FILE_CHECK_SECONDS, stop)


@dataclass
class LoopStats:
    wakes: int = 0
    sweeps: int = 0
    fired: int = 0
    probes: int = 0


@dataclass
class Turn:
    """What one turn found: how long to sleep, and the due moments by claim read after its
    sweep — still true when the sleep runs to its end without a wake-up (any other writer of
    task timers wakes the loop), so the next turn sweeps at once without asking again."""

    delay: float
    due: dict[str, datetime]
    until_due: bool  # the delay runs until the next due row (not the longest sleep, no floor)


def turn(
    *,
    max_sleep: float,
    stats: LoopStats | None = None,
    due: dict[str, datetime] | None = None,
    arm: Callable[[], None] | None = None,
) -> Turn:
    """One turn: sweep the claims that are due (warnings, breaches per state, escalations) —
    every row due by now in one batch per claim — then read the next due moments and say how
    long to sleep. ``due``: the previous turn's reading, when nothing woke the loop since
    (None: read it now). ``arm`` is called just before each reading, so that a write committed
    after it wakes the next wait (the loop's own sweep, committed before, does not)."""
    stats = stats if stats is not None else LoopStats()
    arm = arm or (lambda: None)
    if due is None:
        arm()
        due = next_timer_due_by_claim()
        stats.probes += 1
    now = timezone.now()
    floor = 0.0
    claims = [claim for claim, moment in due.items() if moment <= now]
    if claims:
        counts = sla_sweep(now, kinds=claims)
        fired = sum(counts.values())
        stats.sweeps += 1
        stats.fired += fired
        arm()
        due = next_timer_due_by_claim()
        stats.probes += 1
        swept_at, now = now, timezone.now()
        # Nothing fired and a row the sweep should have taken still looks due (another sweep
        # holds it): do not spin; that sweep's commit, a notification, wakes us anyway. A row
        # that fell due during the sweep is not that case: it is swept at once.
        if not fired and any(moment <= swept_at for moment in due.values()):
            floor = min(1.0, max_sleep)
    next_due = min(due.values(), default=None)
    delay = sla.timer_sleep_seconds(now=now, next_due=next_due, max_sleep=max_sleep, floor=floor)
    return Turn(delay, due, until_due=next_due is not None and not floor and delay < max_sleep)


def run_once(*, max_sleep: float, stats: LoopStats | None = None) -> float:
    """One turn that reads the due moments first (``turn``); how long to sleep."""
    return turn(max_sleep=max_sleep, stats=stats).delay


def run(stop: threading.Event, *, stats: LoopStats | None = None) -> LoopStats:
    """Loop until ``stop`` is set. A failing turn is logged and retried after a pause (the
    sweep already records a failing timer and fires the others)."""
    stats = stats if stats is not None else LoopStats()
    waiter = make_waiter(stop)
    crisis_link(0)  # the URLconf and reverse table now, not in the first sweep (seconds, loaded)
    try:
        known: dict[str, datetime] | None = None
        while not stop.is_set():
            try:
                close_old_connections()  # honour CONN_MAX_AGE, drop a broken connection
                result = turn(max_sleep=waiter.max_sleep, stats=stats, due=known, arm=waiter.arm)
                delay, reusable = result.delay, result.until_due
            except Exception:
                logger.exception("timer loop turn failed; retrying")
                delay, reusable = 1.0, False
            known = None
            try:
                woken = waiter.wait(delay)
            except Exception:  # the LISTEN connection broke: reconnect after a pause
                logger.exception("timer loop lost its notification connection; reconnecting")
                waiter.close()
                stop.wait(1.0)
                waiter = make_waiter(stop)
            else:
                # Slept to the next due row and nobody wrote timers meanwhile: what the last
                # reading said is still true, sweep at once.
                if reusable and not woken:
                    known = result.due
            stats.wakes += 1
    finally:
        waiter.close()
    return stats
