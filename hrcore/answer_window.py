"""The weekly answer window of self-service questions (seed 001: supervisors answer in a fixed
weekly slot, e.g. Thursday 19:00–21:00), as pure arithmetic on aware datetimes: no ORM.

A window is a weekday and a start and end time of day in a time zone. The times are wall-clock
times of that zone, so the window keeps its local hours across a daylight-saving change (the
window of the Thursday after a change opens at 19:00 local time, a different UTC hour)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_WEEKDAY = 3  # Thursday (Monday = 0)
DEFAULT_STARTS = time(19, 0)
DEFAULT_ENDS = time(21, 0)


@dataclass(frozen=True)
class WeeklyWindow:
    """Every ``weekday`` (Monday = 0) from ``starts`` to ``ends`` (same day) in ``time_zone``."""

    weekday: int = DEFAULT_WEEKDAY
    starts: time = DEFAULT_STARTS
    ends: time = DEFAULT_ENDS
    time_zone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) … 6 (Sunday)")
        if self.ends <= self.starts:
            raise ValueError("the window must end after it starts, on the same day")
        ZoneInfo(self.time_zone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def on(self, day: date) -> tuple[datetime, datetime]:
        """The window of the local date ``day`` (which must be the window's weekday)."""
        zone = self.zone
        return (
            datetime.combine(day, self.starts, tzinfo=zone),
            datetime.combine(day, self.ends, tzinfo=zone),
        )

    def current_or_next(self, at: datetime) -> tuple[datetime, datetime]:
        """The window open at ``at`` (opens ≤ at < closes), or else the next one to open."""
        local = at.astimezone(self.zone)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        for _week in range(3):
            opens, closes = self.on(day)
            if closes > at:
                return opens, closes
            day += timedelta(days=7)
        raise AssertionError("unreachable: a weekly window recurs within two weeks")

    def next_opening_after(self, at: datetime) -> tuple[datetime, datetime]:
        """The first whole window that opens strictly after ``at``: the window a question asked
        at ``at`` is due in (asked during a window, it is due in the next one, so that the
        supervisor always has a whole window for it)."""
        opens, closes = self.current_or_next(at)
        if opens > at:
            return opens, closes
        return self.on(opens.astimezone(self.zone).date() + timedelta(days=7))

    def is_open(self, at: datetime) -> bool:
        opens, closes = self.current_or_next(at)
        return opens <= at < closes
