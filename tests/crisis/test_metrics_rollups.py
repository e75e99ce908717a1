"""Issue 12 §2: the dashboard's metrics from the rollups kept per day × unit × scenario by the
services equal the old computation — the pure ``crisis.metrics.period_metrics`` over every
crisis loaded into Python, kept here only as the oracle — on a varied data set and through
file → acknowledge → complete → decide → close → reopen; and the same as the aggregates over
the window's crises that answer viewers the rollups cannot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from crisis import metrics
from crisis.models import Crisis, CrisisDayRollup, CrisisDutyRollup
from crisis.selectors import dashboard as dashboard_selectors
from crisis.selectors.access import crisis_visibility_q
from crisis.selectors.dashboard import crisis_task_facts, dashboard_metrics
from crisis.services.closure import crisis_close
from crisis.services.course import crisis_reopen
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from crisis.services.rollup import crisis_rollup_refresh
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_acknowledge, task_cancel, task_comment, task_complete
from hrcore.models import OrgUnit

from .conftest import tasks_by_duty

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=SH)


def _oracle(now: datetime, days: int = 30) -> metrics.PeriodMetrics:
    """The old way: every real, not cancelled crisis as a ``CrisisFact`` with its tasks, then
    the pure aggregation in Python."""
    facts = [
        metrics.CrisisFact(
            filed_at=c.filed_at,
            durations=metrics.milestone_durations(
                filed_at=c.filed_at,
                first_response_at=c.first_response_at,
                all_info_at=c.all_info_at,
                decided_at=c.decided_at,
                resolved_at=c.closed_at,
            ),
            tasks=tuple(crisis_task_facts(c.pk)),
        )
        for c in Crisis.objects.filter(is_drill=False).exclude(status="cancelled")
    ]
    return metrics.period_metrics(
        facts, days=days, now=now, local_date=lambda dt: timezone.localtime(dt).date()
    )


def _same(vp, now: datetime, days: int = 30, monkeypatch=None) -> metrics.PeriodMetrics:
    """The dashboard's metrics from the rollups equal the oracle (and, when given the
    monkeypatch, the aggregates over the crises too)."""
    with timezone.override(SH):
        visibility = crisis_visibility_q(vp)
        assert dashboard_selectors._rollups_answer(visibility, timezone.get_current_timezone())
        period = dashboard_metrics(vp, days=days, now=now)
        expected = _oracle(now, days)
        assert period == expected
        if monkeypatch is not None:
            monkeypatch.setattr(dashboard_selectors, "_rollups_answer", lambda *a: False)
            assert dashboard_metrics(vp, days=days, now=now) == expected
            monkeypatch.undo()
    return period


def test_rollups_follow_a_crisis_from_filing_to_reopening(file_emergency, users):
    vp = users["vp"]
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        t = tasks_by_duty(crisis)
        row = CrisisDayRollup.objects.get()
        assert (row.day, row.filed, row.first_response_n) == (T0.date(), 1, 0)
        _same(vp, T0)
        clock.move_to(T0 + timedelta(minutes=3))
        task_acknowledge(task=t["manager-contact"], actor=users["manager"])
        assert _same(vp, T0 + timedelta(minutes=3)).summaries["first_response"].count == 1
        clock.move_to(T0 + timedelta(minutes=7))
        task_complete(task=t["manager-contact"], actor=users["manager"], note="called")
        task_complete(task=t["finance-records"], actor=users["finance"], note="ok")
        task_complete(task=t["admin-on-site"], actor=users["admin"], location="3F")
        _same(vp, T0 + timedelta(minutes=7))
        clock.move_to(T0 + timedelta(minutes=75))  # legal is late: the sweep fires its breach
        sla_sweep()
        task_complete(task=t["legal-support"], actor=users["legal"], note="guide")
        period = _same(vp, T0 + timedelta(minutes=75))
        assert period.summaries["all_information"].mean_minutes == 75.0
        assert period.tasks_breached == 1
        clock.move_to(T0 + timedelta(minutes=80))
        decision_make(crisis=crisis, text="Negotiate", actor=vp)
        assert _same(vp, T0 + timedelta(minutes=80)).summaries["decision"].count == 1
        clock.move_to(T0 + timedelta(minutes=90))
        crisis_close(crisis=crisis, outcome="Settled", actor=users["manager"])
        assert _same(vp, T0 + timedelta(minutes=90)).summaries["resolution"].mean_minutes == 90.0
        clock.move_to(T0 + timedelta(minutes=100))
        crisis_reopen(crisis=crisis, reason="They came back", actor=users["manager"])
        period = _same(vp, T0 + timedelta(minutes=100))
        assert period.summaries["resolution"].count == 0
        assert CrisisDayRollup.objects.get().resolution_n == 0


def test_rollups_equal_the_old_computation_on_a_varied_data_set(file_emergency, users, monkeypatch):
    vp, manager = users["vp"], users["manager"]
    with time_machine.travel(T0 - timedelta(days=6), tick=False) as clock:
        for day in range(6):
            clock.move_to(T0 - timedelta(days=6 - day, hours=day))  # several days and hours
            for i in range(day % 3 + 1):
                crisis = file_emergency(title=f"Day {day} #{i}")
                t = tasks_by_duty(crisis)
                clock.shift(timedelta(minutes=2 + i))
                if (day + i) % 2:
                    task_comment(task=t["finance-records"], body="on it", actor=users["finance"])
                clock.shift(timedelta(minutes=5 * (i + 1)))
                if day % 2 == 0:
                    task_complete(task=t["manager-contact"], actor=manager, note="called")
                if day in (1, 4):
                    for code, who in (
                        ("manager-contact", "manager"),
                        ("finance-records", "finance"),
                        ("admin-on-site", "admin"),
                        ("legal-support", "legal"),
                    ):
                        t[code].refresh_from_db()
                        if t[code].status != "done":
                            task_complete(task=t[code], actor=users[who], note="done", location="x")
                    clock.shift(timedelta(minutes=7 + day))
                    decision_make(crisis=crisis, text="Go", actor=vp)
                if day == 3 and i == 0:
                    crisis_close(crisis=crisis, outcome="Settled", actor=manager)
                if day == 2 and i == 1:
                    crisis_close(
                        crisis=crisis, outcome="Mistake", status="cancelled", actor=manager
                    )
            clock.shift(timedelta(hours=1, minutes=30))
            sla_sweep()  # the day's late tasks breach
        crisis_file(
            scenario="debt-collection-emergency",
            title="演练",
            actor=users["hradmin"],
            drill=True,
        )
    now = T0 + timedelta(hours=2)
    with time_machine.travel(now, tick=False):
        sla_sweep()
        period = _same(vp, now, monkeypatch=monkeypatch)
        _same(vp, now, days=90, monkeypatch=monkeypatch)
    # the set is varied: every milestone reached by some crises, breaches, several days
    assert period.crises == 11  # 12 filed, one cancelled; the drill left out
    assert all(period.summaries[k].count for k in metrics.METRIC_KEYS)
    assert 0 < period.tasks_breached < period.tasks_timed
    assert len([d for d in period.daily if d.filed]) == 6
    assert CrisisDutyRollup.objects.exists()


def _rollup_rows() -> tuple[list, list]:
    """Every rollup row's values (not its id: a refresh writes new rows)."""
    day = sorted(CrisisDayRollup.objects.values_list(*_fields(CrisisDayRollup)))
    duty = sorted(CrisisDutyRollup.objects.values_list(*_fields(CrisisDutyRollup)))
    return day, duty


def _fields(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


def test_a_filing_adds_to_its_day_what_a_refresh_of_the_day_counts(file_emergency, users):
    """Filing adds the new crisis to its bucket instead of re-aggregating it: the rows equal a
    full refresh — into a bucket with a milestone reached, a duty's row missing (its only task
    was cancelled), a drill (not counted) and a second unit."""
    with time_machine.travel(T0, tick=False) as clock:
        first = file_emergency()
        t = tasks_by_duty(first)
        task_acknowledge(task=t["manager-contact"], actor=users["manager"])  # first response
        task_cancel(task=t["legal-support"], actor=users["manager"], reason="Not needed")
        assert not CrisisDutyRollup.objects.filter(duty_code="legal-support").exists()
        clock.shift(timedelta(minutes=4))
        file_emergency(title="Again")  # the missing duty row is inserted, the others added to
        assert CrisisDutyRollup.objects.get(duty_code="legal-support").timed == 1
        file_emergency(title="Third")  # every row there: updated only
        file_emergency(title="Drill", actor=users["hradmin"], drill=True)
        file_emergency(title="Finance", unit=OrgUnit.objects.get(code="sh-finance"))
        added = _rollup_rows()
        day_rows = {row.unit_id: row for row in CrisisDayRollup.objects.all()}
        assert sorted(r.filed for r in day_rows.values()) == [1, 3]
        ids = list(Crisis.objects.values_list("pk", flat=True))
        crisis_rollup_refresh(ids)
        assert _rollup_rows() == added
        assert CrisisDutyRollup.objects.filter(late__gt=0).count() == 0


def test_the_migration_fills_the_rollups_of_existing_crises(file_emergency, users):
    import importlib

    from django.apps import apps
    from django.db import connection

    with time_machine.travel(T0, tick=False):
        crisis = file_emergency()
        task_acknowledge(task=tasks_by_duty(crisis)["manager-contact"], actor=users["manager"])
    before = list(CrisisDayRollup.objects.values_list("day", "filed", "first_response_n"))
    duties = sorted(CrisisDutyRollup.objects.values_list("duty_code", "timed", "late"))
    CrisisDayRollup.objects.all().delete()
    CrisisDutyRollup.objects.all().delete()
    migration = importlib.import_module("crisis.migrations.0022_metrics_rollups")
    with time_machine.travel(T0, tick=False):
        migration.fill_rollups(apps, connection.schema_editor())
    assert list(CrisisDayRollup.objects.values_list("day", "filed", "first_response_n")) == before
    assert sorted(CrisisDutyRollup.objects.values_list("duty_code", "timed", "late")) == duties
    assert before == [(T0.date(), 1, 1)]
