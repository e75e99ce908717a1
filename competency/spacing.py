"""When a crisis role's holder practises a simulation again: expanding intervals.

Pure: no ORM. A holder who has never played is due at once. After a pass the next practice
comes after an interval that grows with the run of consecutive passes (by default 1 week, 1
month, 3 months, then the profile's cadence, e.g. every 6 months); after a failed attempt it
comes back soon (``RETRY_AFTER_FAIL``). "Current" means the latest attempt was passed and the
next practice is not yet due: a newer failed result is not current, whatever came before.

A practice of a role is a simulation of its scenario or a drill of it on the real engine
(``drill_selectors``): both count in the history, so a passed drill postpones the next
simulation and a failed one brings the next practice forward.

``DEFAULT_CADENCE_DAYS`` is the one default cadence: spaced practice, readiness, drill currency
and the map coverage's "trained" test all use it for a position without a practice profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings

EXPANDING_DAYS = (7, 30, 90)
RETRY_AFTER_FAIL = timedelta(days=3)
# A role holder whose position has no practice profile: every six months (the one default; the
# setting KEEL_PRACTICE_CADENCE_DAYS overrides it, read by ``default_cadence_days``).
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


def default_cadence_days() -> int:
    """The cadence for a position without a practice profile (``KEEL_PRACTICE_CADENCE_DAYS``)."""
    return int(getattr(settings, "KEEL_PRACTICE_CADENCE_DAYS", DEFAULT_CADENCE_DAYS))


def is_current(
    attempts: Sequence[tuple[datetime, bool]], *, cadence_days: int, now: datetime
) -> bool:
    """The latest attempt was passed and the next practice is not due yet."""
    if not attempts or not max(attempts, key=lambda attempt: attempt[0])[1]:
        return False
    due = next_due(attempts, cadence_days=cadence_days)
    return due is not None and due > now


def currency_share(current: int, total: int) -> int:
    """Drill currency as a whole percentage (100 when nobody holds a role)."""
    return 100 if total == 0 else int(100 * current / total)
