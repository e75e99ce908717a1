"""Statutory clocks, pure arithmetic (issue 15 §3): every library obligation's due time from a
fixed trigger, hours on the wall clock, calendar days as the Civil Code counts them, working days
across the National Day holiday with its make-up working days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crisis import obligations as rules
from crisis.library import obligation_specs
from hrcore import sla

SH = ZoneInfo("Asia/Shanghai")
# National Day 2026: 1–7 October off, Saturday 10 October a make-up working day (调休).
NATIONAL_DAY = sla.Calendar(
    time_zone="Asia/Shanghai",
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_working_days=frozenset({date(2026, 10, 10)}),
)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_hours_run_on_the_wall_clock_through_the_night_and_weekend():
    friday_evening = at(2026, 9, 25, 22, 30)
    assert rules.due_at(start=friday_evening, value=1, unit="hours") == at(2026, 9, 25, 23, 30)
    assert rules.due_at(start=friday_evening, value=4, unit="hours") == at(2026, 9, 26, 2, 30)
    # GDPR's 72 hours ignore weekends and holidays, whatever the calendar says.
    assert rules.due_at(start=friday_evening, value=72, unit="hours", calendar=NATIONAL_DAY) == at(
        2026, 9, 28, 22, 30
    )


def test_calendar_days_start_the_next_day_and_end_at_midnight():
    # Accident on Tuesday 10 March 10:00: day 1 is 11 March, day 30 is Thursday 9 April.
    assert rules.due_at(start=at(2026, 3, 10, 10, 0), value=30, unit="calendar_days") == at(
        2026, 4, 10, 0, 0
    )


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day():
    # 1 Sept + 30 days = 1 October, a holiday: the period ends with Thursday 8 October.
    assert rules.due_at(
        start=at(2026, 9, 1, 15, 0), value=30, unit="calendar_days", calendar=NATIONAL_DAY
    ) == at(2026, 10, 9, 0, 0)
    # Ending on a Sunday moves to Monday.
    assert rules.due_at(
        start=at(2026, 11, 1, 9, 0), value=14, unit="calendar_days", calendar=NATIONAL_DAY
    ) == at(2026, 11, 17, 0, 0)


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    # Complaint on Friday 25 Sept: 28, 29, 30 Sept (1–3), holidays skipped, 8 and 9 Oct (4, 5),
    # Saturday 10 Oct is a make-up working day (6), Monday 12 Oct (7) → due at its midnight.
    assert rules.due_at(
        start=at(2026, 9, 25, 16, 0), value=7, unit="working_days", calendar=NATIONAL_DAY
    ) == at(2026, 10, 13, 0, 0)
    # Without the holiday the same 7 working days end on Tuesday 6 October.
    assert rules.due_at(
        start=at(2026, 9, 25, 16, 0), value=7, unit="working_days", calendar=sla.Calendar()
    ) == at(2026, 10, 7, 0, 0)


def test_the_trigger_moment_is_read_in_the_calendars_zone():
    # 20:00 UTC on 30 Sept is already 1 October in Shanghai: day 1 is 2 October.
    utc = datetime(2026, 9, 30, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert rules.due_at(start=utc, value=1, unit="working_days", calendar=NATIONAL_DAY) == at(
        2026, 10, 9, 0, 0
    )


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        rules.due_at(start=datetime(2026, 1, 1), value=1, unit="hours")  # naive
    with pytest.raises(ValueError):
        rules.due_at(start=at(2026, 1, 1), value=0, unit="hours")
    with pytest.raises(ValueError):
        rules.due_at(start=at(2026, 1, 1), value=1, unit="fortnights")
    with pytest.raises(ValueError):
        rules.due_at(start=at(2026, 1, 1), value=400, unit="calendar_days")


# Every obligation of the library, triggered on Friday 25 September 2026 at 16:00 in Shanghai.
TRIGGER = at(2026, 9, 25, 16, 0)
EXPECTED = {
    "network-incident-report-1h": at(2026, 9, 25, 17, 0),
    "network-incident-report-4h": at(2026, 9, 25, 20, 0),
    "pipl-breach-regulator": at(2026, 9, 26, 16, 0),
    "pipl-breach-individuals": at(2026, 9, 26, 16, 0),
    "gdpr-breach-72h": at(2026, 9, 28, 16, 0),
    # 25 Sept + 30 = 25 October, a Sunday → Monday 26 October, ends at its midnight.
    "work-injury-recognition": at(2026, 10, 27, 0, 0),
    "layoff-union-notice": at(2026, 10, 27, 0, 0),
    "layoff-labour-bureau-report": at(2026, 10, 27, 0, 0),
    # 25 Sept + 45 = 9 November (Monday).
    "labour-arbitration-award": at(2026, 11, 10, 0, 0),
    "consumer-12315-acceptance": at(2026, 10, 13, 0, 0),
    # 28, 29, 30 Sept.
    "consumer-complaint-answer": at(2026, 10, 1, 0, 0),
}


@pytest.mark.parametrize("spec", obligation_specs(), ids=lambda s: s.code)
def test_every_library_obligation_is_due_when_its_law_says(spec):
    due = rules.due_at(
        start=TRIGGER,
        value=spec.fields["period_value"],
        unit=spec.fields["period_unit"],
        calendar=NATIONAL_DAY,
    )
    assert due == EXPECTED[spec.code]


def test_the_library_is_complete_and_bilingual():
    specs = {s.code: s for s in obligation_specs()}
    assert set(specs) == set(EXPECTED)
    for spec in specs.values():
        for field in ("title_zh", "basis_zh"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.fields[field]), spec.code
        for field in ("title_en", "basis_en"):
            assert spec.fields[field].isascii() or "—" in spec.fields[field], spec.code
    assert specs["network-incident-report-1h"].fields["severities"] == ["critical"]
    assert specs["labour-arbitration-award"].fields["extension_value"] == 15
    assert "data-leak" in specs["gdpr-breach-72h"].scenarios


def test_arbitration_extension_adds_fifteen_days():
    assert rules.due_at(
        start=TRIGGER, value=45 + 15, unit="calendar_days", calendar=NATIONAL_DAY
    ) == at(2026, 11, 25, 0, 0)


def test_warning_escalation_and_countdown_tones():
    start, due = at(2026, 9, 25, 16, 0), at(2026, 9, 25, 20, 0)
    warn = rules.warn_at(start=start, due=due, ratio=0.5)
    assert warn == at(2026, 9, 25, 18, 0)
    assert rules.escalate_at(due=due, start=start) == due + timedelta(minutes=60)
    assert rules.escalate_at(due=due, start=due - timedelta(minutes=4)) == due + timedelta(
        minutes=5
    )

    def tone(state, now, filed_at=None):
        return rules.clock_of(state=state, due=due, warn=warn, now=now, filed_at=filed_at).tone

    assert tone("running", at(2026, 9, 25, 17, 0)) == "ok"
    assert tone("running", at(2026, 9, 25, 19, 0)) == "warning"
    assert tone("running", at(2026, 9, 25, 20, 0)) == "breached"  # before the sweep moved it
    assert tone("breached", at(2026, 9, 25, 21, 0)) == "breached"
    assert tone("filed", at(2026, 9, 25, 21, 0), filed_at=at(2026, 9, 25, 19, 0)) == "done"
    assert tone("filed", at(2026, 9, 25, 21, 0), filed_at=at(2026, 9, 25, 20, 30)) == "late"
    assert tone("not_applicable", at(2026, 9, 25, 21, 0)) == "na"
    clock = rules.clock_of(state="running", due=due, warn=warn, now=at(2026, 9, 25, 19, 0))
    assert clock.remaining_seconds == 3600 and not clock.late


def test_trigger_rules():
    assert rules.classification_applies(["critical"], "critical")
    assert not rules.classification_applies(["critical"], "high")
    assert rules.decision_applies([], "pay")
    assert rules.decision_applies(["layoff"], "layoff")
    assert not rules.decision_applies(["layoff"], "negotiate")
