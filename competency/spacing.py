"""When a crisis role's holder practises a simulation again: expanding intervals.

Pure: no ORM. A holder who has never played is due at once. After a pass the next practice
comes after an interval that grows with the run of consecutive passes (by default 1 week, 1
month, 3 months, then the profile's cadence, e.g. every 6 months); after a failed attempt it
comes back soon (``RETRY_AFTER_FAIL``). "Current" means the next practice is not yet due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

EXPANDING_DAYS = (7, 30, 90)
RETRY_AFTER_FAIL = timedelta(days=3)
# A role holder whose position has no practice profile: every six months.
DEFAULT_CADENCE_DAYS = 180


def intervals(cadence_days: int) -> tuple[int, ...]:
    """The expanding intervals, in days, ending in the profile's cadence (none longer than it)."""
    cadence = max(int(cadence_days), 1)
    return (*(min(days, cadence) for days in EXPANDING_DAYS), cadence)


def next_due(attempts: Sequence[tuple[datetime, bool]], *, cadence_days: int) -> datetime | None:
    """When the next practice is due, from the finished attempts ``(finished_at, passed)`` in
    any order; None when there is none yet (due at once)."""
    if not attempts:
        return None
    ordered = sorted(attempts, key=lambda attempt: attempt[0])
    last_at, last_passed = ordered[-1]
    if not last_passed:
        return last_at + RETRY_AFTER_FAIL
    streak = 0
    for _at, passed in reversed(ordered):
        if not passed:
            break
        streak += 1
    steps = intervals(cadence_days)
    return last_at + timedelta(days=steps[min(streak, len(steps)) - 1])


def is_current(
    attempts: Sequence[tuple[datetime, bool]], *, cadence_days: int, now: datetime
) -> bool:
    due = next_due(attempts, cadence_days=cadence_days)
    return due is not None and due > now
