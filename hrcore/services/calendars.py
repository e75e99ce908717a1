"""Saving a unit's business calendar, the working hours and holidays the crisis clocks run on
(the read is ``hrcore.selectors.calendar_for_unit``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils.translation import gettext as _

from hrcore.errors import ValidationFailed
from hrcore.models import BusinessCalendar, OrgUnit


@transaction.atomic
def business_calendar_save(
    *,
    unit: OrgUnit,
    time_zone: str = "Asia/Shanghai",
    working_days: Iterable[int] = (0, 1, 2, 3, 4),
    day_start=None,
    day_end=None,
    holidays: Iterable[tuple[date, str, str, bool]] = (),
    name: str = "",
    actor=None,
) -> BusinessCalendar:
    """Create or replace the calendar of ``unit``; holidays are (date, zh, en, is_working_day)."""

    errors: dict[str, str] = {}
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Unknown time zone “%(tz)s”.") % {"tz": time_zone}
    days = sorted({int(d) for d in working_days})
    if any(d < 0 or d > 6 for d in days):
        errors["working_days"] = _("Weekdays are numbered 0 (Monday) to 6 (Sunday).")
    day_start = day_start or dtime(9, 0)
    day_end = day_end or dtime(18, 0)
    if day_end <= day_start:
        errors["day_end"] = _("The working day must end after it starts.")
    if errors:
        raise ValidationFailed(_("The business calendar is not valid."), errors=errors)
    calendar, _created = BusinessCalendar.objects.update_or_create(
        unit=unit,
        defaults={
            "name": name,
            "time_zone": time_zone,
            "working_days": days,
            "day_start": day_start,
            "day_end": day_end,
        },
    )
    calendar.holidays.all().delete()
    for day, zh, en, is_working in holidays:
        calendar.holidays.create(date=day, name_zh=zh, name_en=en, is_working_day=is_working)
    return calendar
