"""Deadline arithmetic for SLA timers — pure functions, no ORM.

* A duty gives an allowance in minutes, counted either on the wall clock or in business time
  (the working days and hours of a calendar, minus holidays, in the calendar's time zone).
* The warning fires at ``warn_ratio`` of the allowance; the breach at the full allowance.
* Paused time does not count: on resume every pending deadline moves by the (wall or business)
  time that was left when the clock paused.
* After a breach, escalation steps follow one another at a fixed interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Never loop forever on a calendar without a single working hour.
MAX_CALENDAR_DAYS = 3 * 366


@dataclass(frozen=True)
class Calendar:
    """Working time: ISO weekdays (Monday=0), a daily window, holidays and make-up working days."""

    time_zone: str = "Asia/Shanghai"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)
    # Chinese "调休": weekend days declared working days to make up for a long holiday.
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError("a working day must end after it starts")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() in self.working_days and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The aware start and end of working time on ``day``, or None on a day off."""
        if not self.is_working_day(day):
            return None
        zone = self.zone
        return (
            datetime.combine(day, self.day_start, tzinfo=zone),
            datetime.combine(day, self.day_end, tzinfo=zone),
        )


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("SLA arithmetic needs time-zone aware datetimes")


def add_business_seconds(start: datetime, seconds: float, calendar: Calendar) -> datetime:
    """The moment ``seconds`` of working time after ``start`` (returned in UTC-offset of start's
    zone converted to the calendar zone). A zero allowance returns the next working moment."""
    _require_aware(start)
    if seconds < 0:
        raise ValueError("an allowance cannot be negative")
    remaining = timedelta(seconds=seconds)
    cursor = start.astimezone(calendar.zone)
    day = cursor.date()
    for _ in range(MAX_CALENDAR_DAYS):
        window = calendar.window(day)
        if window is not None:
            opens, closes = window
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0, 0), tzinfo=calendar.zone)
    raise ValueError("the calendar has no working time in the next three years")


def business_seconds_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Working seconds from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    _require_aware(start)
    _require_aware(end)
    if end < start:
        return -business_seconds_between(end, start, calendar)
    zone = calendar.zone
    a, b = start.astimezone(zone), end.astimezone(zone)
    total = 0.0
    day = a.date()
    for _ in range(MAX_CALENDAR_DAYS + 1):
        if day > b.date():
            break
        window = calendar.window(day)
        if window is not None:
            lo, hi = max(window[0], a), min(window[1], b)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def add_allowance(
    start: datetime, seconds: float, calendar: Calendar | None, business_hours: bool
) -> datetime:
    """``start`` plus an allowance on the wall clock, or in business time when asked to."""
    _require_aware(start)
    if business_hours and calendar is not None:
        return add_business_seconds(start, seconds, calendar)
    return start + timedelta(seconds=seconds)


def allowance_between(
    start: datetime, end: datetime, calendar: Calendar | None, business_hours: bool
) -> float:
    if business_hours and calendar is not None:
        return business_seconds_between(start, end, calendar)
    return (end - start).total_seconds()


@dataclass(frozen=True)
class Deadlines:
    warn_at: datetime
    due_at: datetime


def deadlines_for(
    *,
    started_at: datetime,
    deadline_minutes: int,
    warn_ratio: float = 0.8,
    business_hours: bool = False,
    calendar: Calendar | None = None,
) -> Deadlines:
    """Warning and due time of a clock started at ``started_at``."""
    if deadline_minutes <= 0:
        raise ValueError("a deadline must be positive")
    ratio = min(max(warn_ratio, 0.0), 1.0)
    allowance = deadline_minutes * 60
    return Deadlines(
        warn_at=add_allowance(started_at, allowance * ratio, calendar, business_hours),
        due_at=add_allowance(started_at, allowance, calendar, business_hours),
    )


def resume_shift(
    deadline: datetime | None,
    *,
    paused_at: datetime,
    resumed_at: datetime,
    business_hours: bool = False,
    calendar: Calendar | None = None,
) -> datetime | None:
    """Where a pending deadline moves when a clock paused at ``paused_at`` resumes at
    ``resumed_at``: the time that was left at the pause is granted again from the resume."""
    if deadline is None:
        return None
    left = allowance_between(paused_at, deadline, calendar, business_hours)
    if left <= 0:
        # Already passed when paused (e.g. an escalation step that was due): fire on resume.
        return resumed_at
    return add_allowance(resumed_at, left, calendar, business_hours)


def escalation_interval(deadline_minutes: int) -> timedelta:
    """Gap between escalation steps after a breach: half the allowance, 5 to 60 minutes."""
    return timedelta(minutes=min(max(deadline_minutes / 2, 5), 60))


def next_escalation_at(
    *, after: datetime, step: int, chain_length: int, deadline_minutes: int
) -> datetime | None:
    """When escalation step ``step`` (0-based, step 0 fires at the breach) is due after the step
    fired at ``after``; None when the chain is exhausted."""
    if step >= chain_length:
        return None
    return after + escalation_interval(deadline_minutes)


def calendar_from_rows(
    *,
    time_zone: str,
    working_days: Iterable[int],
    day_start: time,
    day_end: time,
    holidays: Iterable[tuple[date, bool]] = (),
) -> Calendar:
    """Build a calendar from stored rows; ``holidays`` pairs are (date, is_working_day)."""
    days_off, days_on = set(), set()
    for day, is_working in holidays:
        (days_on if is_working else days_off).add(day)
    return Calendar(
        time_zone=time_zone,
        working_days=frozenset(int(d) for d in working_days),
        day_start=day_start,
        day_end=day_end,
        holidays=frozenset(days_off),
        extra_working_days=frozenset(days_on),
    )


def remaining_seconds(due_at: datetime | None, now: datetime) -> float | None:
    """Seconds left until ``due_at`` (negative when late) for countdowns."""
    if due_at is None:
        return None
    return (due_at - now).total_seconds()


# A timer whose firing raised is tried again after 5 s, 10 s, 20 s … at most 5 minutes.
FIRE_RETRY_FIRST_SECONDS = 5
FIRE_RETRY_MAX_SECONDS = 300


def warning_is_late(*, warn_at: datetime, fired_at: datetime, late_after_seconds: float) -> bool:
    """A warning fired this long after its time was held up (the tick was down), not just
    waiting for the next tick."""
    return (fired_at - warn_at).total_seconds() > late_after_seconds


def timer_sleep_seconds(
    *, now: datetime, next_due: datetime | None, max_sleep: float, floor: float = 0.0
) -> float:
    """How long the timer loop sleeps: until the next due row (a hair after, so the sweep's
    ``<= now`` sees it due), at most ``max_sleep`` (no row due, or the next one far away: the
    loop still looks again), at least ``floor`` (0 unless the last sweep had nothing to fire
    although a row looked due — a row waiting for its retry time must not spin the loop)."""
    if next_due is None:
        return max_sleep
    wait = (next_due - now).total_seconds() + TIMER_WAKE_MARGIN_SECONDS
    return min(max_sleep, max(floor, wait, 0.0))


# The loop wakes this long after a due time: clocks of the sweep and the writer may differ by a
# few microseconds (timezone.now() is taken again after the wake).
TIMER_WAKE_MARGIN_SECONDS = 0.002
