"""Statutory clocks on real crises (issue 15 §3): which obligations a scenario's crisis starts
and when, several clocks at once, the classification and decision triggers, working days on the
unit's calendar across a holiday, filing with proof or a reason, the extension, re-dating an
incident, and warning → breach → escalation through the tick's sweep under time_machine."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from crisis.library import obligations_install
from crisis.models import CrisisObligation, Obligation
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from crisis.services.obligations import (
    obligation_extend,
    obligation_file,
    obligation_not_applicable,
    obligation_start_correct,
    obligations_sweep,
    obligations_sync,
)
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Notification, OrgUnit
from hrcore.services.calendars import business_calendar_save

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 9, 25, 16, 0, tzinfo=SH)  # Friday, a week before National Day


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def library(crisis_world):
    assert obligations_install() == {"created": 11, "existing": 0}
    assert obligations_install() == {"created": 0, "existing": 11}  # idempotent, never overwrites


def clocks(crisis) -> dict[str, CrisisObligation]:
    return {c.code: c for c in CrisisObligation.objects.filter(crisis=crisis)}


def file_at(moment, scenario, users, **kwargs):
    with time_machine.travel(moment, tick=False):
        return crisis_file(
            scenario=scenario, title=f"{scenario} crisis", actor=users["manager"], **kwargs
        )


def notified(username, kind, clock) -> int:
    return Notification.objects.filter(
        recipient__username=username, kind=kind, data__obligation_id=clock.pk
    ).count()


@pytest.mark.django_db
def test_a_data_leak_runs_several_clocks_at_once(library, users):
    crisis = file_at(T0, "data-leak", users)  # the scenario's default severity: critical
    running = clocks(crisis)
    assert {code: (c.state, c.due_at) for code, c in running.items()} == {
        "network-incident-report-1h": ("running", at(2026, 9, 25, 17, 0)),
        "pipl-breach-regulator": ("running", at(2026, 9, 26, 16, 0)),
        "pipl-breach-individuals": ("running", at(2026, 9, 26, 16, 0)),
        "gdpr-breach-72h": ("running", at(2026, 9, 28, 16, 0)),
    }
    report = running["network-incident-report-1h"]
    assert report.triggered_at == T0 and report.warn_at == at(2026, 9, 25, 16, 30)
    assert report.title_en.startswith("Network-security incident report")
    assert "网络安全事件" in report.title_zh and "2025" in report.basis_en
    # Syncing again starts nothing twice.
    assert obligations_sync(crisis) == []
    assert CrisisObligation.objects.filter(crisis=crisis).count() == 4


@pytest.mark.django_db
def test_raising_the_severity_starts_the_one_hour_clock_from_the_classification(library, users):
    crisis = file_at(T0, "data-leak", users, severity="high")
    assert set(clocks(crisis)) == {
        "network-incident-report-4h",
        "pipl-breach-regulator",
        "pipl-breach-individuals",
        "gdpr-breach-72h",
    }
    assert clocks(crisis)["network-incident-report-4h"].due_at == at(2026, 9, 25, 20, 0)
    crisis.severity = "critical"  # what a severity change does, then it syncs
    crisis.save(update_fields=["severity"])
    started = obligations_sync(crisis, at=T0 + timedelta(hours=2))
    assert [c.code for c in started] == ["network-incident-report-1h"]
    assert clocks(crisis)["network-incident-report-1h"].due_at == at(2026, 9, 25, 19, 0)


@pytest.mark.django_db
def test_a_decision_starts_the_clocks_it_triggers_only(library, users):
    crisis = file_at(T0, "strike", users)
    assert clocks(crisis) == {}  # the strike's clocks all wait for a decision
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        decision_make(
            crisis=crisis,
            text="Refuse the claim; legal answers.",
            option="arbitration",
            actor=users["vp"],
        )
    started = clocks(crisis)
    assert set(started) == {"labour-arbitration-award"}  # no layoff was decided
    assert started["labour-arbitration-award"].triggered_at == T0 + timedelta(hours=3)
    assert started["labour-arbitration-award"].due_at == at(2026, 11, 10, 0, 0)


@pytest.mark.django_db
def test_working_days_follow_the_units_calendar_across_the_holiday(library, users):
    unit = users["manager"].employee.unit
    subsidiary = OrgUnit.objects.get(pk=unit.ancestor_ids()[-2])
    business_calendar_save(
        unit=subsidiary,
        holidays=[(date(2026, 10, d), "国庆节", "National Day", False) for d in range(1, 8)]
        + [(date(2026, 10, 10), "调休", "Make-up day", True)],
    )
    crisis = file_at(T0, "customer-complaint", users)
    running = clocks(crisis)
    # 28, 29, 30 Sept, 8, 9 Oct, Saturday 10 Oct (make-up), Monday 12 Oct.
    assert running["consumer-12315-acceptance"].due_at == at(2026, 10, 13, 0, 0)
    assert running["consumer-complaint-answer"].due_at == at(2026, 10, 1, 0, 0)


@pytest.mark.django_db
def test_hr_edits_change_new_clocks_not_running_ones(library, users):
    first = file_at(T0, "customer-complaint", users)
    Obligation.objects.filter(code="consumer-complaint-answer").update(period_value=1)
    second = file_at(T0, "customer-complaint", users)
    assert clocks(first)["consumer-complaint-answer"].due_at == at(2026, 10, 1, 0, 0)
    assert clocks(second)["consumer-complaint-answer"].due_at == at(2026, 9, 29, 0, 0)
    Obligation.objects.filter(code="consumer-complaint-answer").update(is_active=False)
    assert "consumer-complaint-answer" not in clocks(file_at(T0, "customer-complaint", users))


@pytest.mark.django_db
def test_filing_records_who_when_and_the_proof(library, users):
    crisis = file_at(T0, "data-leak", users)
    running = clocks(crisis)
    report = running["network-incident-report-1h"]
    with translation.override("en"), pytest.raises(ValidationFailed) as empty:
        obligation_file(clock=report, actor=users["manager"])
    assert empty.value.errors == {"note": "Give a note or a file."}
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as empty_zh:
        obligation_file(clock=report, actor=users["manager"])
    assert empty_zh.value.errors == {"note": "请填写说明或上传文件。"}
    with pytest.raises(PermissionDenied):  # the legal counsel takes part but does not manage
        obligation_file(clock=report, actor=users["legal"], note="Reported")
    with pytest.raises(NotFound):  # another subsidiary's manager does not see the crisis
        obligation_file(clock=report, actor=users["manager2"], note="Reported")

    proof = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        obligation_file(clock=report, actor=users["manager"], note="CAC ticket 8812", file=proof)
    report.refresh_from_db()
    assert (report.state, report.filed_by, report.filed_at) == (
        "filed",
        users["manager"],
        T0 + timedelta(minutes=40),
    )
    assert (report.note, report.file_name, report.file_size) == (
        "CAC ticket 8812",
        "receipt.pdf",
        16,
    )
    assert report.file.read() == b"%PDF-1.4 receipt"
    with translation.override("en"), pytest.raises(Conflict) as twice:
        obligation_file(clock=report, actor=users["vp"], note="again")
    assert twice.value.code == "obligation_closed"
    assert "already filed" in twice.value.message

    gdpr = running["gdpr-breach-72h"]
    with pytest.raises(ValidationFailed):
        obligation_not_applicable(clock=gdpr, actor=users["hradmin"], reason="  ")
    obligation_not_applicable(clock=gdpr, actor=users["hradmin"], reason="No EU data subject.")
    gdpr.refresh_from_db()
    assert (gdpr.state, gdpr.reason, gdpr.filed_by) == (
        "not_applicable",
        "No EU data subject.",
        users["hradmin"],
    )
    exe = SimpleUploadedFile("proof.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    with pytest.raises(ValidationFailed):
        obligation_file(clock=running["pipl-breach-regulator"], actor=users["vp"], file=exe)
    assert CrisisObligation.objects.get(pk=running["pipl-breach-regulator"].pk).state == "running"


@pytest.mark.django_db
def test_breach_escalates_to_the_executive_through_the_tick_sweep(library, users):
    crisis = file_at(T0, "data-leak", users)
    report = clocks(crisis)["network-incident-report-1h"]
    with time_machine.travel(T0 + timedelta(minutes=29, seconds=59), tick=False) as clock:
        assert obligations_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
        clock.move_to(T0 + timedelta(minutes=30))
        assert obligations_sweep() == {"warning": 1, "breach": 0, "escalation": 0}
        assert notified("manager", "crisis.obligation_warning", report) == 1
        assert obligations_sweep() == {"warning": 0, "breach": 0, "escalation": 0}

        clock.move_to(T0 + timedelta(hours=1))
        # The tick runs every registered sweep: this one is among them.
        assert "crisis.services.obligations.obligations_sweep" in settings.KEEL_TICK_SWEEPS
        assert obligations_sweep() == {"warning": 0, "breach": 1, "escalation": 0}
        report.refresh_from_db()
        assert (report.state, report.breached_at) == ("breached", T0 + timedelta(hours=1))
        assert report.escalate_at == T0 + timedelta(hours=1, minutes=30)
        assert notified("manager", "crisis.obligation_breach", report) == 1
        assert notified("vp", "crisis.obligation_escalation", report) == 0

        clock.move_to(T0 + timedelta(hours=1, minutes=30))
        assert obligations_sweep() == {"warning": 0, "breach": 0, "escalation": 1}
        assert notified("vp", "crisis.obligation_escalation", report) == 1
        assert obligations_sweep() == {"warning": 0, "breach": 0, "escalation": 0}

        # Filed late: it stays late; nothing else fires for it.
        obligation_file(clock=report, actor=users["vp"], note="Reported late")
    report.refresh_from_db()
    assert report.state == "filed" and report.filed_at > report.due_at
    # The other clocks keep running: the 24-hour ones breach a day later.
    with time_machine.travel(T0 + timedelta(hours=24), tick=False):
        assert obligations_sweep()["breach"] == 2


@pytest.mark.django_db
def test_sweep_catches_up_after_downtime_without_a_stale_warning(library, users):
    crisis = file_at(T0, "data-leak", users)
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        assert obligations_sweep() == {"warning": 0, "breach": 4, "escalation": 4}
    assert set(CrisisObligation.objects.filter(crisis=crisis).values_list("state", flat=True)) == {
        "breached"
    }


@pytest.mark.django_db
def test_arbitration_extends_once_by_fifteen_days(library, users):
    crisis = file_at(T0, "workplace-injury", users)
    with time_machine.travel(T0, tick=False):
        decision_make(
            crisis=crisis, text="Refuse; arbitration.", option="arbitration", actor=users["vp"]
        )
    award = clocks(crisis)["labour-arbitration-award"]
    with pytest.raises(ValidationFailed):
        obligation_extend(clock=award, actor=users["manager"], reason="")
    obligation_extend(clock=award, actor=users["manager"], reason="Commission notice 2026-17")
    award.refresh_from_db()
    assert award.due_at == at(2026, 11, 25, 0, 0) and award.extension_reason
    with pytest.raises(Conflict):
        obligation_extend(clock=award, actor=users["manager"], reason="again")
    with pytest.raises(Conflict):  # a 30-day application has no extension
        obligation_extend(
            clock=clocks(crisis)["work-injury-recognition"], actor=users["manager"], reason="x"
        )


@pytest.mark.django_db
def test_the_accident_date_can_be_corrected_earlier(library, users):
    crisis = file_at(T0, "workplace-injury", users)
    injury = clocks(crisis)["work-injury-recognition"]
    assert injury.due_at == at(2026, 10, 27, 0, 0)
    with time_machine.travel(T0, tick=False):
        obligation_start_correct(
            clock=injury, actor=users["manager"], started_at=at(2026, 9, 20, 8)
        )
        with pytest.raises(ValidationFailed):
            obligation_start_correct(
                clock=injury, actor=users["manager"], started_at=at(2026, 9, 26, 8)
            )
    injury.refresh_from_db()
    # 20 Sept + 30 = 20 October (Tuesday).
    assert (injury.triggered_at, injury.due_at) == (at(2026, 9, 20, 8), at(2026, 10, 21, 0, 0))
