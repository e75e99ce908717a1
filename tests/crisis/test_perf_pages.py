"""Issue 12: the crisis page's polled partials answer 304 while nothing changed, the crisis list
pages, the reassign list is rendered once per page, constant query counts for 1 and 25 rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisis.models import Crisis, Task
from crisis.selectors import crises as crises_selectors
from crisis.selectors import people as people_selectors
from crisis.selectors.people import reassign_candidates
from crisis.services.clocks import crisis_pause, crisis_resume
from crisis.services.filing import crisis_file
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_comment, task_complete
from hrcore.models import Employee
from tests import clock

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


@pytest.fixture
def still_clock():
    with clock.still_clock():
        yield


@pytest.fixture
def crisis(crisis_world, users):
    return crisis_file(scenario=SCENARIO, title="Collectors", actor=users["manager"])


# The ETag holds the minute: the 304 tests compare requests on a clock held still (tests/clock.py).
@pytest.mark.usefixtures("still_clock")
@pytest.mark.parametrize("name", ["crisis:detail_live", "crisis:detail_timeline"])
def test_polled_partial_answers_304_until_something_changes(client_as, crisis, name):
    url = reverse(name, args=[crisis.pk])
    manager = client_as("manager")
    first = manager.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert "no-cache" in first["Cache-Control"]
    etag = first["ETag"]
    again = manager.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    # a change the partial shows (a comment: a new timeline event) → a fresh 200
    task = Task.objects.filter(crisis=crisis).exclude(assignee=None).first()
    task_comment(task=task, body="on it", actor=task.assignee.user)
    changed = manager.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert manager.get(url, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_304_is_per_viewer_and_never_for_someone_who_may_not_see(client_as, crisis):
    url = reverse("crisis:detail_live", args=[crisis.pk])
    etag = client_as("manager").get(url)["ETag"]
    # another viewer (need to know differs) does not get the manager's cached page
    assert client_as("vp").get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # someone who may not see the crisis gets its 404, ETag or not
    assert client_as("staff").get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404


@pytest.mark.usefixtures("still_clock")
def test_the_304_costs_a_few_queries_and_no_rendering(client_as, crisis):
    url = reverse("crisis:detail_live", args=[crisis.pk])
    manager = client_as("manager")
    etag = manager.get(url)["ETag"]
    with CaptureQueriesContext(connection) as full:
        manager.get(url)
    with CaptureQueriesContext(connection) as cond:
        response = manager.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.templates == []  # nothing rendered
    # the session/user/visibility reads and one version query; no task, comment, decision read
    assert len(cond.captured_queries) <= len(full.captured_queries) // 2
    for table in ("crisis_taskcomment", "crisis_deliverable", "crisis_decision"):
        assert not any(table in q["sql"] for q in cond.captured_queries), table


def test_reassign_select_is_rendered_once_per_page(client_as, crisis, monkeypatch):
    calls = []
    original = reassign_candidates

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(people_selectors, "reassign_candidates", counting)
    from django.forms import widgets

    rendered = []
    original_render = widgets.Select.render

    def render(self, name, *args, **kwargs):
        if name == "assignee":
            rendered.append(1)
        return original_render(self, name, *args, **kwargs)

    monkeypatch.setattr(widgets.Select, "render", render)
    response = client_as("manager").get(reverse("crisis:detail", args=[crisis.pk]))
    assert response.status_code == 200
    open_tasks = Task.objects.filter(crisis=crisis, status__in=("open", "acknowledged")).count()
    assert open_tasks >= 2
    html = response.content.decode()
    people = Employee.objects.filter(is_active=True).count()
    assert html.count('name="assignee"') >= open_tasks  # still offered on every open task
    assert len(calls) == 1
    assert len(rendered) == 2  # once bare, once inside its labelled field: not once per task
    assert html.count("<option") >= people


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_crisis_list_pages_in_constant_queries(client_as, crisis, users, monkeypatch):
    monkeypatch.setattr(crises_selectors, "LIST_PAGE_SIZE", 10)
    manager, vp = client_as("manager"), client_as("vp")
    url = reverse("crisis:list")
    one = (_count(manager, url), _count(vp, url), _count(vp, "/api/v1/crises/"))
    for i in range(24):
        crisis_file(scenario=SCENARIO, title=f"Crisis {i}", actor=users["manager"])
    assert Crisis.objects.count() == 25
    many = (_count(manager, url), _count(vp, url), _count(vp, "/api/v1/crises/"))
    assert many == one
    pages = [manager.get(url, {"page": n}) for n in (1, 2, 3)]
    assert [len(p.context["rows"]) for p in pages] == [10, 10, 5]
    seen = {r["crisis"].pk for p in pages for r in p.context["rows"]}
    assert len(seen) == 25
    # the default filter (open crises) is kept on every page
    assert all(p.context["page"].paginator.count == 25 for p in pages)
    html = pages[1].content.decode()
    assert 'data-testid="list-pages"' in html and "11–20" in html
    second = pages[1].context["page"]
    assert (second.start_index(), second.end_index()) == (11, 20)
    assert pages[1].context["next_url"].endswith("?page=3")


def test_board_flags_are_kept_current_by_the_services_and_the_sweep(crisis, users):
    from datetime import timedelta

    def flags():
        row = Crisis.objects.values("decision_pending", "urgency").get(pk=crisis.pk)
        return row["decision_pending"], row["urgency"]

    assert flags() == (False, 2)
    tasks = Task.objects.filter(crisis=crisis).exclude(assignee=None)
    latest_due = max(t.due_at for t in tasks if t.due_at)
    # the sweep fires the breaches: the crisis turns red on the board
    sla_sweep(now=latest_due + timedelta(minutes=1))
    assert flags()[1] == 0
    # pausing every clock takes it off red
    crisis_pause(crisis=crisis, reason="waiting for the customer", actor=users["manager"])
    assert flags()[1] == 2
    crisis_resume(crisis=crisis, actor=users["manager"])
    # completing the information tasks opens the decision: awaiting the VP
    for code in ("finance-records", "legal-support"):
        task = Task.objects.get(crisis=crisis, duty_code=code)
        task_complete(task=task, actor=task.assignee.user, note="done")
    assert flags()[0] is True
