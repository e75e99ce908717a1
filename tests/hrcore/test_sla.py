"""Pure deadline arithmetic (hrcore/sla.py): wall clock, business hours, holidays, pauses."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hrcore import sla

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
CAL = sla.Calendar(time_zone="Asia/Shanghai")


def sh(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_wall_clock_deadlines_use_the_warn_ratio():
    start = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    d = sla.deadlines_for(started_at=start, deadline_minutes=30, warn_ratio=0.8)
    assert d.warn_at == start + timedelta(minutes=24)
    assert d.due_at == start + timedelta(minutes=30)


def test_business_minutes_inside_one_day():
    # Friday 2026-11-20 10:00 + 30 business minutes = 10:30 the same day.
    assert sla.add_business_seconds(sh(2026, 11, 20, 10), 30 * 60, CAL) == sh(2026, 11, 20, 10, 30)


def test_business_minutes_across_a_weekend():
    # Friday 17:50 + 30 min: 10 min on Friday, 20 min on Monday from 09:00.
    due = sla.add_business_seconds(sh(2026, 11, 20, 17, 50), 30 * 60, CAL)
    assert due == sh(2026, 11, 23, 9, 20)
    assert due.weekday() == 0


def test_filed_on_saturday_starts_monday_morning():
    due = sla.add_business_seconds(sh(2026, 11, 21, 15), 60 * 60, CAL)
    assert due == sh(2026, 11, 23, 10, 0)


def test_holiday_and_make_up_working_day():
    # Monday 23rd is a holiday; Sunday 22nd is a make-up working day (调休).
    cal = sla.Calendar(
        time_zone="Asia/Shanghai",
        holidays=frozenset({date(2026, 11, 23)}),
        extra_working_days=frozenset({date(2026, 11, 22)}),
    )
    # Friday 17:30 + 60 min: 30 min Friday, 30 min on the make-up Sunday.
    assert sla.add_business_seconds(sh(2026, 11, 20, 17, 30), 3600, cal) == sh(2026, 11, 22, 9, 30)
    # Sunday 17:45 + 30 min: 15 min Sunday, Monday is a holiday, 15 min Tuesday.
    assert sla.add_business_seconds(sh(2026, 11, 22, 17, 45), 1800, cal) == sh(2026, 11, 24, 9, 15)


def test_business_seconds_between_inverts_adding():
    start = sh(2026, 11, 20, 16)
    end = sla.add_business_seconds(start, 5 * 3600, CAL)
    assert end == sh(2026, 11, 23, 12, 0)
    assert sla.business_seconds_between(start, end, CAL) == 5 * 3600
    assert sla.business_seconds_between(end, start, CAL) == -5 * 3600


def test_business_deadlines_warn_before_due():
    d = sla.deadlines_for(
        started_at=sh(2026, 11, 20, 17, 0),
        deadline_minutes=120,
        warn_ratio=0.5,
        business_hours=True,
        calendar=CAL,
    )
    assert d.warn_at == sh(2026, 11, 20, 18, 0)
    assert d.due_at == sh(2026, 11, 23, 10, 0)


def test_custom_hours_and_time_zone():
    cal = sla.Calendar(
        time_zone="Europe/Berlin",
        working_days=frozenset({0, 1, 2, 3, 4, 5}),
        day_start=time(8, 0),
        day_end=time(12, 0),
    )
    start = datetime(2026, 11, 21, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Saturday
    due = sla.add_business_seconds(start, 2 * 3600, cal)
    assert due == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_resume_grants_the_time_left_at_pause_on_the_wall_clock():
    due = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    new = sla.resume_shift(
        due,
        paused_at=datetime(2026, 11, 20, 10, 10, tzinfo=UTC),
        resumed_at=datetime(2026, 11, 20, 11, 0, tzinfo=UTC),
    )
    assert new == datetime(2026, 11, 20, 11, 20, tzinfo=UTC)


def test_resume_in_business_time_skips_the_night():
    new = sla.resume_shift(
        sh(2026, 11, 20, 17, 30),
        paused_at=sh(2026, 11, 20, 17, 0),
        resumed_at=sh(2026, 11, 20, 17, 50),
        business_hours=True,
        calendar=CAL,
    )
    # 30 business minutes were left: 10 on Friday, 20 on Monday.
    assert new == sh(2026, 11, 23, 9, 20)


def test_resume_after_a_deadline_that_had_passed_fires_at_once():
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    passed = sla.resume_shift(
        datetime(2026, 11, 20, 9, tzinfo=UTC), paused_at=now - timedelta(hours=1), resumed_at=now
    )
    assert passed == now


def test_escalation_interval_is_bounded():
    assert sla.escalation_interval(10) == timedelta(minutes=5)
    assert sla.escalation_interval(30) == timedelta(minutes=15)
    assert sla.escalation_interval(600) == timedelta(minutes=60)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert sla.next_escalation_at(after=at, step=2, chain_length=2, deadline_minutes=30) is None
    assert sla.next_escalation_at(
        after=at, step=1, chain_length=2, deadline_minutes=30
    ) == at + timedelta(minutes=15)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        sla.add_business_seconds(datetime(2026, 1, 1), 60, CAL)  # naive
    with pytest.raises(ValueError):
        sla.deadlines_for(started_at=sh(2026, 1, 1, 9), deadline_minutes=0)
    with pytest.raises(ValueError):
        sla.Calendar(day_start=time(18), day_end=time(9))
    with pytest.raises(ValueError):
        sla.add_business_seconds(sh(2026, 1, 1, 9), 60, sla.Calendar(working_days=frozenset()))
