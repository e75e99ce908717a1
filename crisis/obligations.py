"""Statutory clocks (issue 15 §3) — the vocabulary and the pure deadline arithmetic, no ORM.

A legal obligation starts on a trigger (the company became aware = the crisis was filed; the
crisis was classified at a severity; the incident started; a decision was made) and is due after
a period counted in one of three units:

* ``hours``: on the wall clock, weekends and nights included (GDPR Art. 33's 72 hours, the
  network-security incident report's 1 and 4 hours);
* ``calendar_days``: as the Civil Code counts periods (民法典 Art. 201, 203): the day of the
  trigger is not counted, the period ends at 24:00 of its last day, and a last day that is not a
  working day of the unit's calendar (a weekend, a public holiday) moves to the end of the next
  working day;
* ``working_days``: the trigger day is not counted; the period ends at 24:00 of the n-th working
  day of the unit's calendar (holidays skipped, make-up working days counted).

Days are counted in the calendar's time zone. The warning fires at ``warn_ratio`` of the wall
time from the trigger to the due time; after a breach the executive is told one escalation
interval later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hrcore import sla


class ObligationTrigger(models.TextChoices):
    """What starts a clock: the company becomes aware (the crisis is filed); the crisis is
    classified at one of the obligation's severities (set at filing or raised later); the
    incident starts (the filing time unless the crisis manager corrects it); a decision."""

    AWARENESS = "awareness", pgettext_lazy("obligation trigger", "awareness")
    CLASSIFICATION = "classification", pgettext_lazy("obligation trigger", "classification")
    INCIDENT_START = "incident_start", pgettext_lazy("obligation trigger", "incident start")
    DECISION = "decision", pgettext_lazy("obligation trigger", "decision")


class PeriodUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")


class ObligationState(models.TextChoices):
    RUNNING = "running", pgettext_lazy("obligation state", "Running")
    FILED = "filed", pgettext_lazy("obligation state", "Filed")
    BREACHED = "breached", pgettext_lazy("obligation state", "Breached")
    NOT_APPLICABLE = "not_applicable", pgettext_lazy("obligation state", "Not applicable")


OBLIGATION_OPEN_STATES = (ObligationState.RUNNING, ObligationState.BREACHED)

# Longest period accepted (the arithmetic walks at most this many days).
MAX_PERIOD_DAYS = 366


def _end_of_day(day: date, calendar: sla.Calendar) -> datetime:
    """24:00 of ``day`` in the calendar's zone (= 00:00 of the next day)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=calendar.zone)


def _next_working_day(day: date, calendar: sla.Calendar) -> date:
    for _step in range(sla.MAX_CALENDAR_DAYS):
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    raise ValueError("the calendar has no working day in the next three years")


def _check(start: datetime, value: int) -> None:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("obligation arithmetic needs time-zone aware datetimes")
    if value <= 0:
        raise ValueError("a period must be positive")


def due_at(
    *, start: datetime, value: int, unit: str, calendar: sla.Calendar | None = None
) -> datetime:
    """When an obligation triggered at ``start`` is due (see the module docstring)."""
    _check(start, value)
    calendar = calendar or sla.Calendar()
    if unit == PeriodUnit.HOURS:
        return start + timedelta(hours=value)
    if value > MAX_PERIOD_DAYS:
        raise ValueError("a period of at most a year")
    first_day = start.astimezone(calendar.zone).date()
    if unit == PeriodUnit.CALENDAR_DAYS:
        last = _next_working_day(first_day + timedelta(days=value), calendar)
        return _end_of_day(last, calendar)
    if unit == PeriodUnit.WORKING_DAYS:
        day, counted = first_day, 0
        for _step in range(sla.MAX_CALENDAR_DAYS):
            day += timedelta(days=1)
            if calendar.is_working_day(day):
                counted += 1
                if counted == value:
                    return _end_of_day(day, calendar)
        raise ValueError("the calendar has no working day in the next three years")
    raise ValueError(f"unknown period unit {unit!r}")


def warn_at(*, start: datetime, due: datetime, ratio: float) -> datetime:
    """The warning: ``ratio`` (0–1) of the wall time from the trigger to the due time."""
    ratio = min(max(ratio, 0.0), 1.0)
    return start + (due - start) * ratio


def escalate_at(*, due: datetime, start: datetime) -> datetime:
    """When a breached obligation goes on to the executive: half the period, 5 to 60 minutes
    after the breach (as a duty's escalation steps)."""
    minutes = int((due - start).total_seconds() // 60)
    return due + sla.escalation_interval(max(minutes, 1))


@dataclass(frozen=True)
class Clock:
    """Where one obligation's clock stands for a countdown."""

    state: str
    due_at: datetime
    warn_at: datetime | None
    remaining_seconds: float
    late: bool  # breached, or filed after the due time
    tone: str  # the countdown's colour: ok, warning, breached, done, late, na


def clock_of(
    *,
    state: str,
    due: datetime,
    warn: datetime | None,
    now: datetime,
    filed_at: datetime | None = None,
) -> Clock:
    """The countdown of an obligation at ``now`` (a running one past due reads as breached even
    before the sweep has moved it)."""
    shown = state
    if state == ObligationState.RUNNING and due <= now:
        shown = ObligationState.BREACHED
    late = shown == ObligationState.BREACHED or (
        state == ObligationState.FILED and filed_at is not None and filed_at > due
    )
    if shown == ObligationState.NOT_APPLICABLE:
        tone = "na"
    elif shown == ObligationState.FILED:
        tone = "late" if late else "done"
    elif shown == ObligationState.BREACHED:
        tone = "breached"
    elif warn is not None and warn <= now:
        tone = "warning"
    else:
        tone = "ok"
    return Clock(
        state=shown,
        due_at=due,
        warn_at=warn,
        remaining_seconds=(due - now).total_seconds(),
        late=late,
        tone=tone,
    )


def classification_applies(severities: list[str], severity: str) -> bool:
    """A classification trigger fires when the crisis's severity is one the obligation lists."""
    return severity in (severities or [])


def decision_applies(options: list[str], option: str) -> bool:
    """A decision trigger fires on a decision with one of ``options`` (any decision when the
    obligation lists none)."""
    return not options or option in options
