"""Home is where the work is (issue 18, item 5): each role's first screen shows what waits for
them, in a constant number of queries whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


@pytest.fixture
def maps(demo_org):
    from crisis import demo as crisis_demo
    from responsibilities import demo

    demo.seed()
    crisis_demo.seed_calendars()


def _file(users, title="Collectors at the Shanghai office"):
    from crisis.services.filing import crisis_file

    return crisis_file(scenario="debt-collection", title=title, actor=users["manager"])


def test_manager_sees_tasks_unit_crises_and_the_file_button(maps, users, client_as):
    crisis = _file(users)
    page = client_as("manager").get("/").content.decode()
    assert 'data-testid="home-file"' in page and 'href="/crises/new/"' in page
    assert 'data-testid="home-unit-crises"' in page
    assert f'#{crisis.pk} <span data-user-content="">{crisis.title}</span>' in page
    assert 'data-testid="home-tasks"' in page
    assert 'data-testid="home-coverage"' not in page and 'data-testid="home-decisions"' not in page


def test_assignee_sees_their_tasks_with_countdowns(maps, users, client_as):
    from crisis.models import Task

    crisis = _file(users)
    task = Task.objects.filter(crisis=crisis, assignee__user=users["finance"]).first()
    assert task is not None
    page = client_as("finance").get("/").content.decode()
    assert f'href="/crises/{crisis.pk}/"' in page
    assert "data-due=" in page and 'class="countdown"' in page
    assert 'data-testid="home-training"' in page


def test_executive_sees_pending_decisions(maps, users, client_as):
    from crisis.choices import DeliverableKind
    from crisis.models import Task

    crisis = _file(users)
    assert Task.objects.filter(crisis=crisis, deliverable_kind=DeliverableKind.DECISION).exists()
    page = client_as("vp").get("/").content.decode()
    start = page.index('data-testid="home-decisions"')
    assert f'href="/crises/{crisis.pk}/"' in page[start:]


def test_hr_admin_sees_coverage_gaps_and_drafts(maps, users, client_as):
    from hrcore.models import Employee
    from responsibilities.models import ResponsibilityMap

    # The legal department's staff leave: the legal duty of the published maps is vacant.
    Employee.objects.filter(unit__function="legal").update(is_active=False)
    m = ResponsibilityMap.objects.filter(status="published").first()
    client = client_as("hradmin")
    client.post(f"/maps/{m.pk}/revise/")
    page = client.get("/").content.decode()
    coverage = page[
        page.index('data-testid="home-coverage"') : page.index('data-testid="home-drafts"')
    ]
    assert 'class="gap-kind gap-kind-vacant"' in coverage
    drafts = page[page.index('data-testid="home-drafts"') :]
    draft = ResponsibilityMap.objects.get(scenario=m.scenario, status="draft")
    assert f'href="/maps/{draft.pk}/edit/"' in drafts


def _clone_tasks(task, n: int) -> None:
    from crisis.models import Task

    copies = []
    for i in range(n):
        copy = Task.objects.get(pk=task.pk)
        copy.pk = None
        copy.duty_code = f"{task.duty_code}-copy-{i}"
        copies.append(copy)
    Task.objects.bulk_create(copies)


@pytest.mark.parametrize("username", ["finance", "manager", "vp", "hradmin", "staff"])
def test_home_query_count_does_not_grow_with_rows(maps, users, client_as, username):
    from crisis.models import Task

    crisis = _file(users)
    client = client_as(username)
    client.get("/")  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/").status_code == 200
    for t in list(Task.objects.filter(crisis=crisis)):
        _clone_tasks(t, 24)
    for i in range(24):
        _file(users, title=f"Crisis {i}")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/").content.decode()
    assert len(many) == len(one), (len(one), len(many))
    if username == "finance":
        assert page.count("data-task-row") == 25
