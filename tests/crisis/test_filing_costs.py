"""Issue 12 (items 1 and 6), what test_filing_queries.py and test_visibility_indexed.py leave
open: the board flags a filing writes from memory equal the SQL refresh's; the crisis page costs
the same queries with 1 and with 10 open tasks (one assignee select per page); on PostgreSQL the
visibility filter lets the crisis list use an index (a VP, a manager) where the old OR-filter
scanned the table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisis.models import Crisis, Task
from crisis.selectors.access import _legacy_visibility_q, crises_visible_to
from crisis.selectors.crises import page_filters
from crisis.services.board import crisis_board_flags_refresh
from crisis.services.filing import crisis_file
from crisis.task_state import board_flags, task_state
from hrcore.models import OrgUnit

pytestmark = pytest.mark.django_db


def _flags(crisis: Crisis) -> tuple[bool, int]:
    row = Crisis.objects.values_list("decision_pending", "urgency").get(pk=crisis.pk)
    return row[0], row[1]


@pytest.mark.parametrize(
    ("first_deliverable", "expected"),
    [("decision", (True, 2)), ("document", (False, 2))],
)
def test_filing_writes_the_board_flags_the_sql_refresh_computes(
    make_map, users, first_deliverable, expected
):
    make_map(
        f"flags-{first_deliverable}",
        [
            {
                "code": "a",
                "deadline_minutes": 30,
                "function": "finance",
                "deliverable": first_deliverable,
            },
            {"code": "b", "deadline_minutes": 30, "function": "legal", "after": ["a"]},
        ],
    )
    crisis = crisis_file(scenario=f"flags-{first_deliverable}", title="t", actor=users["manager"])
    assert (crisis.decision_pending, crisis.urgency) == expected
    assert _flags(crisis) == expected
    crisis_board_flags_refresh([crisis.pk])
    assert _flags(crisis) == expected


def test_board_flags_follow_the_task_state_rule():
    now = timezone.now()

    def task(**kw):
        base = {"status": "open", "timer_state": "running", "deliverable_kind": "other"}
        return Task(**{**base, **kw})

    late = task(due_at=now - timedelta(minutes=1), warn_at=now - timedelta(minutes=5))
    warned = task(warn_at=now - timedelta(minutes=1), due_at=now + timedelta(minutes=5))
    paused_late = task(due_at=now - timedelta(minutes=1), paused_at=now)
    done_late = task(status="done", due_at=now - timedelta(minutes=1))
    waiting_decision = task(status="waiting", deliverable_kind="decision")
    open_decision = task(deliverable_kind="decision", due_at=now + timedelta(hours=1))
    assert task_state(late, now) == "breached" and task_state(warned, now) == "warning"
    assert board_flags([late, warned], now) == (False, 0)
    assert board_flags([warned, paused_late, done_late], now) == (False, 1)
    assert board_flags([paused_late, done_late, waiting_decision], now) == (False, 2)
    assert board_flags([open_decision], now) == (True, 2)
    assert board_flags([], now) == (False, 2)


def _page_queries(client, url) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_crisis_page_costs_the_same_with_1_and_10_open_tasks(make_map, users, client_as):
    functions = ["finance", "legal", "administration", "hr", "customer_service"]
    for n in (1, 10):
        make_map(
            f"open-{n}",
            [
                {"code": f"d{i}", "deadline_minutes": 60, "function": functions[i % 5]}
                for i in range(n)
            ],
        )
    one = crisis_file(scenario="open-1", title="one", actor=users["manager"])
    ten = crisis_file(scenario="open-10", title="ten", actor=users["manager"])
    assert Task.objects.filter(crisis=ten, status="open").count() == 10
    manager = client_as("manager")
    cost_one = _page_queries(manager, reverse("crisis:detail", args=[one.pk]))
    cost_ten = _page_queries(manager, reverse("crisis:detail", args=[ten.pk]))
    html = manager.get(reverse("crisis:detail", args=[ten.pk])).content.decode()
    assert html.count('name="assignee"') >= 10  # every open task still offers reassignment
    assert cost_ten == cost_one


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_crises(crisis_world, users, file_emergency):
    """3000 crises over every unit, nearly all closed (as on a live system), analysed."""
    template = file_emergency(title="template")
    units = list(OrgUnit.objects.values_list("pk", flat=True))
    now = timezone.now()
    Crisis.objects.bulk_create(
        [
            Crisis(
                scenario_id=template.scenario_id,
                map_id=template.map_id,
                map_version=template.map_version,
                unit_id=units[i % len(units)],
                title=f"old {i}",
                severity=template.severity,
                status="open" if i % 100 == 0 else "closed",
                source="web",
                filed_at=now - timedelta(hours=i),
            )
            for i in range(3000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crisis_crisis")
    return template


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_visibility_lets_the_crisis_list_use_an_index_on_postgresql(many_crises, users):
    if connection.vendor != "postgresql":  # the module-level check ran before the settings
        pytest.skip("a PostgreSQL plan")
    # A VP sees the group: no visibility filter, the open list reads the status index.
    vp_plan = _plan(page_filters(crises_visible_to(users["vp"]), {"status": "open"}).order_by())
    # A manager's unit-id list and crisis-id list: index conditions, over every status.
    manager_plan = _plan(page_filters(crises_visible_to(users["manager"]), {}).order_by())
    legacy = page_filters(Crisis.objects.filter(_legacy_visibility_q(users["manager"])), {})
    legacy_plan = _plan(legacy.order_by())
    for plan in (vp_plan, manager_plan):
        assert "Seq Scan on crisis_crisis" not in plan, plan
        assert "Index" in plan, plan
    # What the old OR of EXISTS and a path LIKE did: every row read.
    assert "Seq Scan on crisis_crisis" in legacy_plan, legacy_plan
