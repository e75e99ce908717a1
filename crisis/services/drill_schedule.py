"""Scheduled drills (issue 16 §2): book a drill for a unit in a window — announced (its
participants are told now) or unannounced (no notice) — and the tick sweep that starts each at
its random moment within the unit's business hours."""

from __future__ import annotations

import logging
import random
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrcore.claims import fire_each
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.i18n import both_languages
from hrcore.models import OrgUnit
from hrcore.notification_kinds import both, when
from hrcore.selectors import calendar_for_unit, is_hr_admin
from hrcore.services.notifications import NotificationSpec, notifications_create_many
from responsibilities.models import Scenario
from responsibilities.selectors import published_map_for

from ..drill_timing import random_business_moment
from ..models import DrillSchedule
from ..selectors.people import duty_assignments
from .filing import MAX_DRILL_SPEED, crisis_file

logger = logging.getLogger(__name__)


def drill_title(scenario) -> str:
    """A drill's title in both languages ("演练：… / Drill: …"), as the demo's crises are titled:
    every participant reads it, whatever the language of the HR admin who started it."""
    zh = both_languages(DRILL_TITLE, scenario=scenario.name_zh or scenario.name_en)["zh-hans"]
    en = both_languages(DRILL_TITLE, scenario=scenario.name_en or scenario.name_zh)["en"]
    return zh if zh == en else f"{zh} / {en}"


DRILL_TITLE = gettext_lazy("Drill: %(scenario)s")


@transaction.atomic
def drill_schedule(
    *,
    scenario: str,
    unit: OrgUnit,
    window_start: datetime,
    window_end: datetime,
    actor,
    announced: bool = False,
    speed: int = 1,
    rng: random.Random | None = None,
) -> DrillSchedule:
    """Book a drill: it starts at a random moment of the window within ``unit``'s business
    hours. Announced: everyone the map would assign is told the window now."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only an HR admin may start a drill."), code="drill_not_allowed")
    errors: dict[str, str] = {}
    scenario_obj = Scenario.objects.filter(code=scenario).first()
    crisis_map = published_map_for(scenario=scenario_obj, unit=unit) if scenario_obj else None
    if crisis_map is None:
        errors["scenario"] = _("No published map for this unit.")
    if not 1 <= speed <= MAX_DRILL_SPEED:
        errors["speed"] = _("The drill speed is a whole number from 1 to %(max)s.") % {
            "max": MAX_DRILL_SPEED
        }
    now = timezone.now()
    starts_at = None
    if window_end <= window_start or window_end <= now:
        errors["window_end"] = _("The window must end after it starts, in the future.")
    else:
        calendar = calendar_for_unit(unit)
        starts_at = random_business_moment(max(window_start, now), window_end, calendar, rng)
        if starts_at is None:
            errors["window_start"] = _("The window holds no business hours of the unit.")
    if errors:
        raise ValidationFailed(_("The drill cannot be scheduled."), errors=errors)
    schedule = DrillSchedule.objects.create(
        scenario=scenario_obj,
        unit=unit,
        speed=speed,
        announced=announced,
        window_start=window_start,
        window_end=window_end,
        starts_at=starts_at,
        created_by=actor,
    )
    if announced:
        duties = crisis_map.duties.select_related("assignee_position").order_by("order", "id")
        people = {
            a.employee.pk: a.employee
            for a in duty_assignments(unit=unit, duties=duties, at=now)
            if a.employee
        }
        notifications_create_many(
            [
                NotificationSpec(
                    recipient=employee.user,
                    kind="crisis.drill_announced",
                    params={
                        "scenario": both(scenario_obj, "name"),
                        "unit": both(unit, "name"),
                        "window_start": when(window_start),
                        "window_end": when(window_end),
                        "time_zone": employee.time_zone,
                        "drill": True,
                    },
                    dedupe_key=f"drill-schedule:{schedule.pk}:announced:{employee.pk}",
                    email=False,
                )
                for employee in people.values()
            ]
        )
    return schedule


def drills_start_due(now: datetime | None = None) -> int:
    """Start every booked drill whose moment has come, once each (compare-and-set on
    ``started_at``), without notice beyond the drill's own (registered in KEEL_TICK_SWEEPS)."""
    now = now or timezone.now()
    due = list(
        DrillSchedule.objects.filter(started_at=None, starts_at__lte=now)
        .select_related("scenario", "unit")
        .order_by("starts_at", "id")[:100]
    )

    def start(schedule: DrillSchedule) -> bool:
        if not DrillSchedule.objects.filter(pk=schedule.pk, started_at=None).update(started_at=now):
            return False
        crisis = crisis_file(
            scenario=schedule.scenario.code,
            title=drill_title(schedule.scenario),
            unit=schedule.unit,
            actor=None,
            source="trigger",
            drill=True,
            drill_speed=schedule.speed,
        )
        DrillSchedule.objects.filter(pk=schedule.pk).update(crisis=crisis)
        return True

    return fire_each(due, start, what="scheduled drill")
