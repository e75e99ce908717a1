"""Issue 12, item 6: the indexed visibility filter (unit-id list + union of crisis ids) sees
exactly the crises the old OR-filter saw, for every cast member and every demo employee."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from crisis.models import Crisis, CrisisParticipant
from crisis.selectors.access import _legacy_visibility_q, crises_visible_to, crisis_visibility_q
from crisis.selectors.dashboard import dashboard_metrics, metric_facts
from crisis.services.tasks import task_acknowledge
from hrcore.models import Employee, OrgUnit
from tests.conftest import CAST

pytestmark = pytest.mark.django_db


def _old_ids(user) -> set[int]:
    q = _legacy_visibility_q(user)
    qs = Crisis.objects.all() if q is None else Crisis.objects.filter(q)
    return set(qs.values_list("pk", flat=True))


def _new_ids(user) -> set[int]:
    return set(crises_visible_to(user).values_list("pk", flat=True))


@pytest.fixture
def crisis_mix(crisis_world, users, file_emergency):
    """The demo crises plus crises filed in every subsidiary, one shared by a grant, one with an
    invited participant, one filed by staff."""
    from crisis import demo as crisis_demo

    crisis_demo.seed()
    extra = [file_emergency(title="first"), file_emergency(title="second")]
    extra.append(file_emergency(title="by manager2", actor=users["manager2"]))
    assign_perm("view_crisis", users["staff"], extra[0])
    other = Employee.objects.exclude(user=users["manager"]).order_by("id").first()
    CrisisParticipant.objects.create(crisis=extra[1], employee=other, role="invited")
    return extra


def test_same_crises_as_the_or_filter_for_every_cast_member(crisis_mix, users):
    assert Crisis.objects.count() >= 4
    for username in CAST:
        user = users[username]
        assert _new_ids(user) == _old_ids(user), username


def test_same_crises_for_every_employee_and_an_outsider(crisis_mix):
    User = get_user_model()
    outsider = User.objects.create_user("outsider", password="x")
    for user in [*User.objects.filter(employee__isnull=False), outsider]:
        assert _new_ids(user) == _old_ids(user), user.username


def test_group_executive_gets_no_filter_at_all(crisis_mix, users):
    # The VP oversees the group: the indexes of every crisis query apply unfiltered.
    assert crisis_visibility_q(users["vp"]) is None
    assert OrgUnit.objects.count() > 1


def test_manager_filter_is_id_lists_not_subqueries(crisis_mix, users):
    sql = str(crises_visible_to(users["manager"]).query).upper()
    assert "EXISTS" not in sql and "LIKE" not in sql


def test_dashboard_metrics_in_sql_equal_the_pure_rules(crisis_mix, users):
    """The database-aggregated metrics panel (issue 12, item 2) gives the same figures as the
    pure ``period_metrics`` over every crisis of the window."""
    from datetime import timedelta

    from django.utils import timezone

    from crisis import metrics
    from crisis.models import Task

    task = Task.objects.filter(crisis=crisis_mix[0]).exclude(assignee=None).first()
    task_acknowledge(task=task, actor=task.assignee.user)
    now = timezone.now() + timedelta(minutes=5)
    for username in ("vp", "hradmin", "manager", "finance"):
        for days in (30, 90):
            facts, rates = metric_facts(users[username], days=days, now=now)
            expected = metrics.period_metrics(
                facts,
                days=days,
                now=now,
                local_date=lambda dt: timezone.localtime(dt).date(),
                breach_rates=rates,
            )
            got = dashboard_metrics(users[username], days=days, now=now)
            assert got == expected, (username, days)
    assert expected.crises and any(s.count for s in expected.summaries.values())
