"""Issue 12, item 6: the indexed visibility filter (unit-id list + union of crisis ids) sees
exactly the crises the old OR-filter saw, for every cast member and every demo employee."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from crisis.models import Crisis, CrisisParticipant
from crisis.selectors.access import _legacy_visibility_q, crises_visible_to, crisis_visibility_q
from crisis.selectors.dashboard import crisis_task_facts, dashboard_metrics
from crisis.services.tasks import task_acknowledge
from hrcore.models import Employee, OrgUnit
from tests.conftest import CAST

# One worker builds the module's world once (see ``_crisis_mix_ids``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group(name="visibility-indexed")]


def _old_ids(user) -> set[int]:
    q = _legacy_visibility_q(user)
    qs = Crisis.objects.all() if q is None else Crisis.objects.filter(q)
    return set(qs.values_list("pk", flat=True))


def _new_ids(user) -> set[int]:
    return set(crises_visible_to(user).values_list("pk", flat=True))


@pytest.fixture(scope="module")
def _crisis_mix_ids(django_db_setup, django_db_blocker):
    """The demo crises plus crises filed in every subsidiary, one shared by a grant, one with an
    invited participant, one filed by staff: built once for the module (the demo crises' history
    is played through the engine, the longest part of these tests) inside a transaction rolled
    back at its end; each test's own writes roll back to a savepoint inside it (as in
    tests/test_language_sweep.py)."""
    from django.db import transaction

    from crisis import demo as crisis_demo
    from crisis.services.filing import crisis_file
    from integrations import demo as integrations_demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            users = get_user_model().objects.in_bulk(CAST, field_name="username")
            integrations_demo.seed_partners()  # as the crisis_world fixture

            def file_emergency(title, actor=users["manager"]):  # as the file_emergency fixture
                return crisis_file(
                    scenario="debt-collection-emergency",
                    title=title,
                    description="Collectors are shouting in the office.",
                    actor=actor,
                )

            crisis_demo.seed()
            extra = [file_emergency("first"), file_emergency("second")]
            extra.append(file_emergency("by manager2", actor=users["manager2"]))
            assign_perm("view_crisis", users["staff"], extra[0])
            other = Employee.objects.exclude(user=users["manager"]).order_by("id").first()
            CrisisParticipant.objects.create(crisis=extra[1], employee=other, role="invited")
            yield [crisis.pk for crisis in extra]
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def crisis_mix(_crisis_mix_ids, db):
    """The three filed crises of the module's world (see ``_crisis_mix_ids``)."""
    crises = Crisis.objects.in_bulk(_crisis_mix_ids)
    return [crises[pk] for pk in _crisis_mix_ids]


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


def _pure_metric_inputs(user, *, days: int, now) -> tuple[list, list]:
    """What the pure rules need for the dashboard window, read row by row in Python: each crisis
    of the user's scope filed in the last ``days`` local days (not cancelled) as a CrisisFact
    from its stored milestones, and the breach rates of their tasks by the pure task rule."""
    from datetime import datetime, time

    from django.utils import timezone

    from crisis import metrics
    from crisis.choices import CrisisStatus

    start, _end = metrics.period_window(
        days=days, now=now, local_date=lambda dt: timezone.localtime(dt).date()
    )
    since = timezone.make_aware(datetime.combine(start, time.min))
    scope = list(
        crises_visible_to(user)
        .filter(filed_at__gte=since, filed_at__lte=now)
        .exclude(status=CrisisStatus.CANCELLED)
    )
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
        )
        for c in scope
    ]
    tasks = [fact for c in scope for fact in crisis_task_facts(c.pk)]
    return facts, metrics.breach_rate_by_department(tasks, now=now)


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
            facts, rates = _pure_metric_inputs(users[username], days=days, now=now)
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
