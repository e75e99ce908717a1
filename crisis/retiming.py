"""Re-timing one task's clock for a new deadline (pure arithmetic, no ORM).

When a running crisis changes severity, each open task's deadline is scaled by the map's
per-severity factors (``responsibilities.severity``) and its warning and due times are
recomputed **from the clock's start** — the time already paused is carried over unchanged, so
a task paused for ten minutes stays ten minutes later than its new schedule. A warning already
sent stays sent (its time is kept); a task whose deadline already passed is not re-timed (late
stays late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hrcore import sla


@dataclass(frozen=True)
class Retimed:
    deadline_minutes: int
    warn_at: datetime | None
    due_at: datetime | None


def retime(
    *,
    started_at: datetime | None,
    old_minutes: int,
    new_minutes: int,
    warn_ratio: float,
    warn_at: datetime | None,
    due_at: datetime | None,
    warned: bool,
    business_hours: bool = False,
    calendar: sla.Calendar | None = None,
) -> Retimed:
    """The task's new deadline minutes and warning/due times. A clock not started yet (a task
    waiting for its prerequisites) only gets the new minutes: it starts with them."""
    if started_at is None or due_at is None:
        return Retimed(new_minutes, warn_at, due_at)
    calendar = calendar or sla.Calendar()

    def plan(minutes: int) -> sla.Deadlines:
        return sla.deadlines_for(
            started_at=started_at,
            deadline_minutes=minutes,
            warn_ratio=warn_ratio,
            business_hours=business_hours,
            calendar=calendar,
        )

    old, new = plan(old_minutes), plan(new_minutes)
    new_due = new.due_at + (due_at - old.due_at)  # carried pauses
    sent = warned or warn_at is None  # a warning already sent keeps its time
    new_warn = warn_at if sent else new.warn_at + (warn_at - old.warn_at)
    return Retimed(new_minutes, new_warn, new_due)
