"""Changing course through the API (issue 15 §4): ad-hoc tasks, PATCH severity, close and
reopen, invitations (guest isolation), links, status updates, cancelling a task; bad input and
wrong roles answer 4xx, never 500, and write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from crisis.models import Crisis, CrisisLink, StatusUpdate, Task
from hrcore.services.tokens import api_token_issue
from responsibilities.models import ResponsibilityMap

from .conftest import row_counts

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _url(crisis, tail=""):
    return f"/api/v1/crises/{crisis.pk}/{tail}"


def test_add_an_adhoc_task(file_emergency, api_as):
    crisis = file_emergency()
    api = api_as("manager")
    with time_machine.travel(T0, tick=False):
        response = api.post(
            _url(crisis, "tasks/"),
            {"action": "Call the landlord", "assignee": "legal", "deadline_minutes": 45},
            format="json",
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "adhoc"
    assert data["action"] == "Call the landlord"
    assert data["assignee"]["username"] == "legal"
    assert data["deadline_minutes"] == 45
    assert data["status"] == "open"
    assert _at(data["due_at"]) == T0 + timedelta(minutes=45)
    listed = api.get(_url(crisis, "tasks/")).json()
    assert [t["kind"] for t in listed].count("adhoc") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "", "assignee": "legal", "deadline_minutes": 5}, "action"),
        ({"action": "x", "assignee": "nobody", "deadline_minutes": 5}, "assignee"),
        ({"action": "x", "assignee": "legal", "deadline_minutes": 0}, "deadline_minutes"),
        ({"action": "x", "assignee": "legal", "deadline_minutes": "soon"}, "deadline_minutes"),
        ({"action": "x", "assignee": "legal"}, "deadline_minutes"),
    ],
)
def test_adhoc_task_bad_input_is_400(file_emergency, api_as, body, field):
    crisis = file_emergency()
    before = row_counts()
    response = api_as("manager").post(_url(crisis, "tasks/"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert row_counts() == before


def test_adhoc_task_wrong_role_closed_crisis_and_invisible(file_emergency, api_as, users):
    crisis = file_emergency()
    body = {"action": "x", "assignee": "legal", "deadline_minutes": 5}
    assert api_as("finance").post(_url(crisis, "tasks/"), body, format="json").status_code == 403
    assert api_as("manager2").post(_url(crisis, "tasks/"), body, format="json").status_code == 404
    assert (
        api_as("manager", scopes=["read"])
        .post(_url(crisis, "tasks/"), body, format="json")
        .status_code
        == 403
    )
    api_as("manager").post(_url(crisis, "close/"), {"outcome": "done"}, format="json")
    response = api_as("manager").post(_url(crisis, "tasks/"), body, format="json")
    assert response.status_code == 409


def test_patch_severity_retimes_and_refuses_other_fields(make_map, api_as):
    make_map(
        "course-api",
        [{"code": "records", "function": "finance", "deadline_minutes": 60}],
    )
    api = api_as("manager")
    with time_machine.travel(T0, tick=False):
        filed = api.post(
            "/api/v1/crises/",
            {"scenario": "course-api", "title": "C", "unit": "sh-business", "severity": "medium"},
            format="json",
        ).json()
        crisis = Crisis.objects.get(pk=filed["id"])
        assert _at(filed["tasks"][0]["due_at"]) == T0 + timedelta(minutes=60)
        response = api.patch(_url(crisis), {"severity": "critical"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["severity"] == "critical"
    assert data["tasks"][0]["deadline_minutes"] == 20
    assert _at(data["tasks"][0]["due_at"]) == T0 + timedelta(minutes=20)
    for body in ({"severity": "apocalyptic"}, {"title": "New"}, {"severity": "low", "x": 1}, {}):
        refused = api.patch(_url(crisis), body, format="json")
        assert refused.status_code == 400, (body, refused.content)
    assert api.patch(_url(crisis), ["severity"], format="json").status_code == 400
    assert (
        api_as("finance").patch(_url(crisis), {"severity": "low"}, format="json").status_code == 403
    )
    assert (
        api_as("manager2").patch(_url(crisis), {"severity": "low"}, format="json").status_code
        == 404
    )
    assert Crisis.objects.get(pk=crisis.pk).severity == "critical"


def test_map_api_carries_editable_severity_factors(crisis_world, api_as):
    rmap = ResponsibilityMap.objects.filter(status="published").first()
    api = api_as("hradmin")
    shown = api.get(f"/api/v1/responsibility-maps/{rmap.pk}/").json()
    assert shown["severity_factors"] == {"low": 2.0, "medium": 1.5, "high": 1.0, "critical": 0.5}
    draft_id = api.post(f"/api/v1/responsibility-maps/{rmap.pk}/revise/", {}, format="json").json()[
        "id"
    ]
    ok = api.patch(
        f"/api/v1/responsibility-maps/{draft_id}/",
        {"severity_factors": {"critical": 0.25}},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["severity_factors"]["critical"] == 0.25
    bad = api.patch(
        f"/api/v1/responsibility-maps/{draft_id}/",
        {"severity_factors": {"urgent": 1}},
        format="json",
    )
    assert bad.status_code == 400
    assert "severity_factors" in bad.json()["errors"]


def test_close_and_reopen_through_the_api(file_emergency, api_as):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        api = api_as("manager")
        assert (
            api_as("finance")
            .post(_url(crisis, "close/"), {"outcome": "x"}, format="json")
            .status_code
            == 403
        )
        assert api.post(_url(crisis, "close/"), {}, format="json").status_code == 400
        assert api.post(_url(crisis, "reopen/"), {"reason": "x"}, format="json").status_code == 409
        closed = api.post(_url(crisis, "close/"), {"outcome": "Collectors left"}, format="json")
        assert closed.status_code == 200, closed.content
        assert closed.json()["status"] == "resolved"
        assert api.post(_url(crisis, "close/"), {"outcome": "x"}, format="json").status_code == 409
        assert api.post(_url(crisis, "reopen/"), {}, format="json").status_code == 400
        clock.move_to(T0 + timedelta(days=3))
        reopened = api.post(_url(crisis, "reopen/"), {"reason": "They came back"}, format="json")
        assert reopened.status_code == 200, reopened.content
        assert reopened.json()["status"] == "open"
        api.post(_url(crisis, "close/"), {"outcome": "Really done"}, format="json")
        clock.move_to(T0 + timedelta(days=11))
        late = api.post(_url(crisis, "reopen/"), {"reason": "again"}, format="json")
    assert late.status_code == 409
    assert late.json()["code"] == "reopen_window_passed"
    # the closing time in the reader's zone (Shanghai), in the message
    assert "2026-03-07 10:00" in late.json()["detail"]


def test_invited_guest_sees_that_crisis_and_nothing_else(file_emergency, api_as, users):
    guest = get_user_model().objects.create_user("counsel", password="long-enough-pass")
    crisis, other = file_emergency(), file_emergency(title="Other")
    manager = api_as("manager")
    assert (
        manager.post(
            _url(crisis, "invitations/"), {"username": "nobody"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api_as("finance")
        .post(_url(crisis, "invitations/"), {"username": "counsel"}, format="json")
        .status_code
        == 403
    )
    invited = manager.post(_url(crisis, "invitations/"), {"username": "counsel"}, format="json")
    assert invited.status_code == 201, invited.content
    assert manager.get(_url(crisis, "invitations/")).json() == [{"username": "counsel"}]

    _, key = api_token_issue(user=guest, scopes=())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    listed = api.get("/api/v1/crises/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [crisis.pk]
    assert api.get(_url(crisis)).status_code == 200
    assert api.get(_url(other)).status_code == 404
    assert api.get(_url(other, "tasks/")).status_code == 404
    tasks = api.get("/api/v1/tasks/").json()
    task_rows = tasks["results"] if isinstance(tasks, dict) else tasks
    assert {t["crisis"] for t in task_rows} == {crisis.pk}
    # the guest reads; changing course is for the crisis's managers
    assert api.patch(_url(crisis), {"severity": "low"}, format="json").status_code == 403
    # pages: the list shows that crisis only, the other is a 404, the dashboard a 403
    page = Client()
    page.force_login(guest)
    listing = page.get("/crises/?status=")
    assert listing.status_code == 200
    assert f"/crises/{crisis.pk}/" in listing.text and f"/crises/{other.pk}/" not in listing.text
    assert page.get(f"/crises/{crisis.pk}/").status_code == 200
    assert page.get(f"/crises/{other.pk}/").status_code == 404
    assert page.get("/crises/dashboard/").status_code == 403

    revoked = manager.delete(_url(crisis, "invitations/counsel/"))
    assert revoked.status_code == 204
    assert api.get(_url(crisis)).status_code == 404
    assert manager.delete(_url(crisis, "invitations/counsel/")).status_code == 404


def test_links_through_the_api(file_emergency, api_as):
    first, second = file_emergency(title="First"), file_emergency(title="Second")
    api = api_as("manager")
    shown = api.get(_url(first, "links/")).json()
    assert shown["linked"] == []
    assert second.pk in [c["id"] for c in shown["candidates"]]
    linked = api.post(_url(first, "links/"), {"crisis": second.pk}, format="json")
    assert linked.status_code == 201, linked.content
    assert linked.json()["reason"] == "same_site"
    assert [c["id"] for c in api.get(_url(second, "links/")).json()["linked"]] == [first.pk]
    assert api.post(_url(first, "links/"), {"crisis": first.pk}, format="json").status_code == 400
    assert api.post(_url(first, "links/"), {"crisis": 999999}, format="json").status_code == 404
    assert api.post(_url(first, "links/"), {"crisis": "x"}, format="json").status_code == 400
    assert (
        api_as("finance")
        .post(_url(first, "links/"), {"crisis": second.pk}, format="json")
        .status_code
        == 403
    )
    assert api.delete(_url(first, f"links/{second.pk}/")).status_code == 204
    assert not CrisisLink.objects.exists()
    assert api.delete(_url(first, f"links/{second.pk}/")).status_code == 404


def test_status_updates_through_the_api(file_emergency, api_as):
    crisis = file_emergency(severity="critical")
    api = api_as("manager")
    posted = api.post(_url(crisis, "status-updates/"), {"body": "Police on site"}, format="json")
    assert posted.status_code == 201, posted.content
    assert posted.json()["body"] == "Police on site"
    assert posted.json()["posted_by"] == "manager"
    assert [u["body"] for u in api.get(_url(crisis, "status-updates/")).json()] == [
        "Police on site"
    ]
    assert api.post(_url(crisis, "status-updates/"), {"body": ""}, format="json").status_code == 400
    assert (
        api_as("finance")
        .post(_url(crisis, "status-updates/"), {"body": "x"}, format="json")
        .status_code
        == 403
    )
    assert StatusUpdate.objects.count() == 1


def test_cancel_a_task_through_the_api(file_emergency, api_as):
    crisis = file_emergency()
    task = crisis.tasks.filter(status="open").first()
    url = f"/api/v1/tasks/{task.pk}/cancel/"
    assert api_as("manager").post(url, {}, format="json").status_code == 400
    assert api_as("manager").post(url, {"reason": "  "}, format="json").status_code == 400
    assert api_as("finance").post(url, {"reason": "x"}, format="json").status_code in (403, 404)
    assert api_as("manager2").post(url, {"reason": "x"}, format="json").status_code == 404
    done = api_as("manager").post(url, {"reason": "The customer paid"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "cancelled"
    assert api_as("manager").post(url, {"reason": "again"}, format="json").status_code == 409
    assert Task.objects.get(pk=task.pk).status == "cancelled"


def test_several_adhoc_tasks_in_one_crisis(file_emergency, api_as):
    crisis = file_emergency()
    api = api_as("manager")
    codes = set()
    for n in range(3):
        response = api.post(
            _url(crisis, "tasks/"),
            {"action": f"Step {n}", "assignee": "legal", "deadline_minutes": 10 + n},
            format="json",
        )
        assert response.status_code == 201, response.content
        codes.add(response.json()["duty"])
    assert len(codes) == 3
    assert crisis.tasks.filter(kind="adhoc").count() == 3
