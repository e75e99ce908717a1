"""Business calendars: which calendar a unit's clocks run on, and saving one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from hrcore.errors import ValidationFailed
from hrcore.models import OrgUnit

from .. import sla
from ..models import (
    BusinessCalendar,
)


def calendar_for_unit(unit: OrgUnit) -> sla.Calendar:
    """The business calendar of ``unit`` or its nearest ancestor; Monday–Friday 9:00–18:00 in the
    unit's time zone when none is configured."""
    ids = unit.ancestor_ids()
    calendars = {
        c.unit_id: c
        for c in BusinessCalendar.objects.filter(unit_id__in=ids).prefetch_related("holidays")
    }
    for unit_id in ids:
        calendar = calendars.get(unit_id)
        if calendar is not None:
            return sla.calendar_from_rows(
                time_zone=calendar.time_zone,
                working_days=calendar.working_days,
                day_start=calendar.day_start,
                day_end=calendar.day_end,
                holidays=[(h.date, h.is_working_day) for h in calendar.holidays.all()],
            )
    return sla.Calendar(time_zone=unit.time_zone or settings.TIME_ZONE)


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
    from datetime import time as dtime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
