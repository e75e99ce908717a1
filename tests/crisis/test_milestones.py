"""Crisis milestones stored on the crisis row (first response, all information, decision,
resolution), the backfill from the timeline, and the dashboard metrics that read them."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisis import metrics
from crisis.models import Crisis, Task
from crisis.selectors.dashboard import crisis_task_facts, dashboard_metrics
from crisis.services.board import crisis_board_flags_refresh
from crisis.services.closure import crisis_close
from crisis.services.decisions import decision_make
from crisis.services.tasks import task_acknowledge, task_cancel, task_comment, task_complete
from hrcore.models import Position
from tests.conftest import pass_second_factor

from .conftest import tasks_by_duty

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)

pytestmark = pytest.mark.django_db


def _flow(file_emergency, users) -> Crisis:
    """The emergency flow: response at +2, all information at +40, decision at +50."""
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        t = tasks_by_duty(crisis)
        clock.move_to(T0 + timedelta(minutes=2))
        task_comment(task=t["finance-records"], body="on it", actor=users["finance"])
        clock.move_to(T0 + timedelta(minutes=3))
        task_acknowledge(task=t["manager-contact"], actor=users["manager"])
        clock.move_to(T0 + timedelta(minutes=5))
        task_complete(task=t["manager-contact"], actor=users["manager"], note="called")
        clock.move_to(T0 + timedelta(minutes=10))
        task_complete(task=t["finance-records"], actor=users["finance"], note="ok")
        clock.move_to(T0 + timedelta(minutes=15))
        task_complete(task=t["admin-on-site"], actor=users["admin"], location="3F")
        crisis.refresh_from_db()
        assert crisis.all_info_at is None  # legal is still missing
        clock.move_to(T0 + timedelta(minutes=40))
        task_complete(task=t["legal-support"], actor=users["legal"], note="guide")
        clock.move_to(T0 + timedelta(minutes=50))
        decision_make(crisis=crisis, text="Negotiate", actor=users["vp"])
        clock.move_to(T0 + timedelta(minutes=55))
        decision_make(crisis=crisis, text="And call security", actor=users["vp"])
    crisis.refresh_from_db()
    return crisis


def test_services_stamp_the_milestones_on_the_crisis_row(file_emergency, users):
    crisis = _flow(file_emergency, users)
    assert crisis.first_response_at == T0 + timedelta(minutes=2)  # the comment
    assert crisis.all_info_at == T0 + timedelta(minutes=40)
    assert crisis.decided_at == T0 + timedelta(minutes=50)  # the first decision stays
    with time_machine.travel(T0 + timedelta(minutes=60), tick=False):
        closed = crisis_close(crisis=crisis, outcome="Settled", actor=users["manager"])
    closed.refresh_from_db()
    assert (closed.first_response_at, closed.all_info_at, closed.decided_at) == (
        crisis.first_response_at,
        crisis.all_info_at,
        crisis.decided_at,
    )
    assert (
        closed.first_response_seconds,
        closed.all_info_seconds,
        closed.decision_seconds,
        closed.resolution_seconds,
    ) == (120, 40 * 60, 50 * 60, 60 * 60)


def test_cancelling_the_last_missing_information_task_reaches_all_information(
    file_emergency, users
):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        t = tasks_by_duty(crisis)
        for minute, code, who in (
            (5, "manager-contact", "manager"),
            (10, "finance-records", "finance"),
            (15, "admin-on-site", "admin"),
        ):
            clock.move_to(T0 + timedelta(minutes=minute))
            task_complete(task=t[code], actor=users[who], note="done", location="x")
        clock.move_to(T0 + timedelta(minutes=30))
        task_cancel(task=t["legal-support"], actor=users["manager"], reason="not needed")
    crisis.refresh_from_db()
    assert crisis.all_info_at == T0 + timedelta(minutes=15)
    assert crisis.decided_at is None


def test_backfill_migration_rebuilds_the_milestones_from_the_timeline(file_emergency, users):
    crisis = _flow(file_emergency, users)
    stamped = (crisis.first_response_at, crisis.all_info_at, crisis.decided_at)
    untouched = file_emergency(title="Nothing happened yet")
    Crisis.objects.update(first_response_at=None, all_info_at=None, decided_at=None)
    migration = importlib.import_module("crisis.migrations.0004_backfill_crisis_milestones")
    migration.backfill(apps, connection.schema_editor())
    crisis.refresh_from_db()
    untouched.refresh_from_db()
    assert (crisis.first_response_at, crisis.all_info_at, crisis.decided_at) == stamped
    assert (untouched.first_response_at, untouched.all_info_at, untouched.decided_at) == (
        None,
        None,
        None,
    )


def test_breach_aggregate_in_the_database_matches_the_pure_rules(file_emergency, users):
    crisis = file_emergency()
    waiting = file_emergency(title="Still waiting")  # its tasks never started: not timed
    Task.objects.filter(crisis=waiting).update(due_at=None)
    now = timezone.now()
    tasks = list(Task.objects.filter(crisis=crisis).order_by("order", "id"))
    shapes = [
        # (status, due_at, completed_at, breached_at)
        ("done", now - timedelta(minutes=30), now - timedelta(minutes=40), None),  # in time
        ("done", now - timedelta(minutes=30), now - timedelta(minutes=20), None),  # late
        ("open", now - timedelta(minutes=1), None, None),  # overdue
        ("done", now + timedelta(minutes=30), now, now - timedelta(minutes=5)),  # fired, resumed
        ("cancelled", now - timedelta(minutes=30), None, None),  # not judged
    ]
    for task, (status, due_at, completed_at, breached_at) in zip(tasks, shapes, strict=True):
        Task.objects.filter(pk=task.pk).update(
            status=status, due_at=due_at, completed_at=completed_at, breached_at=breached_at
        )
    # The rows were changed behind the services' back: refresh as the sweep does.
    crisis_board_flags_refresh([crisis.pk, waiting.pk], now=now)
    period = dashboard_metrics(users["vp"], days=30, now=now)
    assert period.crises == 2
    expected = metrics.breach_rate_by_department(crisis_task_facts(crisis.pk), now=now)
    rates = period.breach_rates
    assert rates == expected
    assert sum(r.breached for r in rates) == 3 and sum(r.total for r in rates) == 4


def test_one_department_key_for_every_metric(file_emergency):
    crisis = file_emergency()
    facts = crisis_task_facts(crisis.pk)
    for task, fact in zip(
        Task.objects.filter(crisis=crisis).select_related("duty__assignee_position"),
        facts,
        strict=True,
    ):
        assert fact.department == (task.duty.assignee_label or task.duty_code)
    assert any(
        fact.department == p.title
        for fact in facts
        for p in Position.objects.filter(duties__tasks__crisis=crisis)
    )


def test_dashboard_metrics_read_stored_milestones_not_the_timeline(file_emergency, users, client):
    crisis = _flow(file_emergency, users)
    client.force_login(users["vp"])
    pass_second_factor(client, users["vp"])
    with (
        time_machine.travel(T0 + timedelta(hours=1), tick=False),
        CaptureQueriesContext(connection) as ctx,
    ):
        response = client.get(reverse("crisis:dashboard"), {"days": "30"})
    assert response.status_code == 200
    # The metrics do not read the timeline; only the board's version stamps name it (the
    # newest ids: crisis.board_cards and the totals' key), never for a metric.
    timeline = [q["sql"] for q in ctx.captured_queries if "crisis_timelineevent" in q["sql"]]
    assert len(timeline) == 2, timeline
    stamp, board = timeline
    assert stamp.startswith("SELECT (SELECT MAX(id) FROM crisis_timelineevent)")
    assert board.startswith('SELECT "crisis_crisis"."id"') and "ORDER BY" in board
    period = response.context["metrics"]["period"]
    assert period.crises == 1
    assert period.summaries["first_response"].median_minutes == 2.0
    assert period.summaries["all_information"].median_minutes == 40.0
    assert period.summaries["decision"].median_minutes == 50.0
    assert period.summaries["resolution"].count == 0
    assert crisis.pk
