"""Scheduled drills (issue 16 §2): a random start within the unit's business hours, announced
or not, started once by the tick sweep."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crisis.drill_timing import random_business_moment
from crisis.models import Crisis, DrillSchedule
from crisis.services.drill_schedule import drill_schedule, drills_start_due
from hrcore import sla
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Notification, OrgUnit
from hrcore.notification_kinds import render

SH = ZoneInfo("Asia/Shanghai")
SATURDAY = datetime(2026, 3, 7, 0, 0, tzinfo=SH)


def test_random_moments_fall_in_business_hours_only():
    calendar = sla.Calendar()
    rng = random.Random(7)
    end = SATURDAY + timedelta(days=2, hours=12)  # Monday noon
    for _ in range(200):
        moment = random_business_moment(SATURDAY, end, calendar, rng).astimezone(SH)
        assert moment.weekday() == 0 and 9 <= moment.hour < 12
    assert random_business_moment(SATURDAY, SATURDAY + timedelta(days=2), calendar, rng) is None
    assert random_business_moment(end, SATURDAY, calendar, rng) is None


@pytest.mark.django_db
def test_an_unannounced_drill_starts_once_without_notice(crisis_world, users):
    sh = OrgUnit.objects.get(code="sh")
    with time_machine.travel(SATURDAY, tick=False) as clock:
        notes = Notification.objects.count()
        schedule = drill_schedule(
            scenario="debt-collection-emergency",
            unit=sh,
            window_start=SATURDAY,
            window_end=SATURDAY + timedelta(days=7),
            actor=users["hradmin"],
            speed=4,
            rng=random.Random(1),
        )
        assert Notification.objects.count() == notes  # no notice
        local = schedule.starts_at.astimezone(SH)
        assert local.weekday() < 5 and 9 <= local.hour < 18
        clock.move_to(schedule.starts_at - timedelta(seconds=1))
        assert drills_start_due() == 0
        clock.move_to(schedule.starts_at)
        assert drills_start_due() == 1
        assert drills_start_due() == 0
    schedule.refresh_from_db()
    crisis = Crisis.objects.get(pk=schedule.crisis_id)
    assert (crisis.is_drill, crisis.drill_speed, crisis.unit_id, crisis.source) == (
        True,
        4,
        sh.pk,
        "trigger",
    )
    assert crisis.filed_at == schedule.starts_at
    assert Crisis.objects.filter(is_drill=True).count() == 1


@pytest.mark.django_db
def test_an_announced_drill_tells_its_participants_beforehand(crisis_world, users):
    sh = OrgUnit.objects.get(code="sh")
    with time_machine.travel(SATURDAY, tick=False):
        schedule = drill_schedule(
            scenario="debt-collection-emergency",
            unit=sh,
            window_start=SATURDAY,
            window_end=SATURDAY + timedelta(days=7),
            actor=users["hradmin"],
            announced=True,
        )
    notes = list(Notification.objects.filter(kind="crisis.drill_announced"))
    assert notes and len({n.recipient_id for n in notes}) == len(notes)
    assert all(n.dedupe_key.startswith(f"drill-schedule:{schedule.pk}:") for n in notes)
    assert render(notes[0].kind, notes[0].params, "zh-hans").subject.startswith("【演练】演练通知")
    assert render(notes[0].kind, notes[0].params, "en").subject.startswith(
        "[DRILL] Drill announced"
    )


@pytest.mark.django_db
def test_scheduling_is_for_hr_admins_within_business_hours(crisis_world, users):
    sh = OrgUnit.objects.get(code="sh")
    kwargs = {
        "scenario": "debt-collection-emergency",
        "unit": sh,
        "window_start": SATURDAY,
        "window_end": SATURDAY + timedelta(days=1),
    }
    with time_machine.travel(SATURDAY, tick=False):
        with pytest.raises(PermissionDenied):
            drill_schedule(
                **{**kwargs, "window_end": SATURDAY + timedelta(days=3)}, actor=users["manager"]
            )
        with pytest.raises(ValidationFailed) as exc:
            drill_schedule(**kwargs, actor=users["hradmin"])
        assert "window_start" in exc.value.errors
    assert not DrillSchedule.objects.exists()
