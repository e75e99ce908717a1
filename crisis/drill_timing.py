"""Pure arithmetic of drills (issue 16): a random moment inside a window that falls within the
unit's business hours (unannounced drills, §2), and a drill's compressed clock — its deadlines
and the durations its participants read (§1)."""

from __future__ import annotations

import random
import re
from datetime import datetime

from hrcore import sla


def random_business_moment(
    start: datetime, end: datetime, calendar: sla.Calendar, rng: random.Random | None = None
) -> datetime | None:
    """A moment drawn uniformly from the business seconds between ``start`` and ``end`` (the
    unit's calendar: working days, working hours, holidays); None when the window holds none."""
    if end <= start:
        return None
    total = sla.business_seconds_between(start, end, calendar)
    if total <= 0:
        return None
    offset = (rng or random.SystemRandom()).uniform(0, total)
    return sla.add_business_seconds(start, offset, calendar)


# --- A drill's compressed clock (issue 16 §1) ----------------------------------------------


MAX_DRILL_SPEED = 60


def drill_deadline(minutes: int, speed: int) -> int:
    """A duty's deadline on a drill's compressed clock: divided by ``speed``, at least 1 minute.
    The one rule for the clocks (filing, added tasks) and for the durations shown to the
    participants (``drill_text``)."""
    if not minutes or speed <= 1:
        return minutes
    return max(1, round(minutes / speed))


_MINUTES_PER = {"minute": 1, "hour": 60, "day": 1440}
_ZH_UNITS = {
    "分钟": "minute",
    "分": "minute",
    "小时": "hour",
    "个小时": "hour",
    "天": "day",
    "日": "day",
}
_EN_UNITS = {
    "minutes": "minute",
    "minute": "minute",
    "mins": "minute",
    "min": "minute",
    "hours": "hour",
    "hour": "hour",
    "hrs": "hour",
    "hr": "hour",
    "h": "hour",
    "days": "day",
    "day": "day",
}
# "30 分钟", "1小时", "1个半小时", "30日内", "半小时"; "30 minutes", "1 hour", "2 h", "an hour",
# "half an hour", "20-minute"; a number that is part of a longer one or a word ("v2", "3rd"),
# a date or an ordinal ("3月5日前", "每月15日", "第2天") and a day of the month ("5日前") are
# left alone: 日 is a duration only before 内 / 以内.
_ZH = re.compile(
    r"(?<![\d.月第])(\d+(?:\.\d+)?个半|\d+(?:\.\d+)?|半)(\s*)(个小时|小时|分钟|天|日(?=以?内))"
)
_EN = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?|an|one|half an)([\s-]*)(minutes|minute|mins|min|hours|hour|hrs|hr|h|"
    r"days|day)\b",
    re.IGNORECASE,
)


def _amount(number: str) -> float:
    if number in ("半", "half an"):
        return 0.5
    if number.endswith("个半"):  # "1个半小时": one and a half hours
        return float(number[:-2]) + 0.5
    if number.lower() in ("an", "one"):
        return 1.0
    return float(number)


def _split(minutes: int, unit: str) -> tuple[int, str]:
    """``minutes`` in the largest unit (no larger than the text's own) it is a whole number
    of: 1440 → (1, day), 90 → (90, minute)."""
    for name in ("day", "hour"):
        size = _MINUTES_PER[name]
        if _MINUTES_PER[unit] >= size and minutes >= size and minutes % size == 0:
            return minutes // size, name
    return minutes, "minute"


_ZH_OUT = {"minute": "分钟", "hour": "小时", "day": "天"}
_EN_OUT = {"minute": ("minute", "minutes"), "hour": ("hour", "hours"), "day": ("day", "days")}
_EN_SHORT = {"minute": "min", "hour": "h", "day": "d"}


def _zh(match: re.Match, speed: int) -> str:
    number, space, word = match.groups()
    unit = _ZH_UNITS[word]
    minutes = round(_amount(number) * _MINUTES_PER[unit])
    if minutes < 1:
        return match.group(0)
    value, unit = _split(drill_deadline(minutes, speed), unit)
    out = _ZH_OUT[unit]
    if word == "日" and unit == "day":
        out = "日"
    return f"{value}{space}{out}"


def _en(match: re.Match, speed: int) -> str:
    number, space, word = match.groups()
    unit = _EN_UNITS[word.lower()]
    minutes = round(_amount(number) * _MINUTES_PER[unit])
    if minutes < 1:
        return match.group(0)
    value, unit = _split(drill_deadline(minutes, speed), unit)
    if word.lower() in ("min", "mins", "h", "hr", "hrs"):
        text = _EN_SHORT[unit]
    elif "-" in space:  # "a 20-minute walk": the adjective stays singular
        text = _EN_OUT[unit][0]
    else:
        text = _EN_OUT[unit][0 if value == 1 else 1]
    space = space if space.strip() or number[0].isdigit() else " "
    return f"{value}{space}{text}"


def drill_text(text: str, speed: int) -> str:
    """A text shown to a drill's participants (a duty's action, a clock's title) with every
    duration in it on the drill's compressed clock — the same ``drill_deadline`` that set the
    timers: ×4 turns "30 分钟内" into "8 分钟内" and "within 1 hour" into "within 15 minutes".
    Unchanged at speed 1 (every real crisis)."""
    if not text or speed <= 1:
        return text
    text = _ZH.sub(lambda m: _zh(m, speed), text)
    return _EN.sub(lambda m: _en(m, speed), text)


def crisis_drill_speed(crisis) -> int:
    """The clock speed of a crisis: its drill's speed, 1 for a real crisis."""
    return crisis.drill_speed if crisis.is_drill else 1


def task_drill_speed(task) -> int:
    """The clock speed of ``task``'s crisis. Lists of tasks load them with their crisis
    (``select_related("crisis")``)."""
    return crisis_drill_speed(task.crisis)
