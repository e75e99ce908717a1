"""The partner API of SPEC §3.6 for crises, tasks, decisions and the timeline."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crisis.choices import TaskStatus
from crisis.models import Crisis, Task
from crisis.services.closure import crisis_close
from hrcore.models import IdempotencyKey

from .conftest import row_counts, tasks_by_duty

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"
BODY = {
    "scenario": "debt-collection-emergency",
    "title": "Collectors in the Shanghai office",
    "description": "Two collectors, shouting.",
    "unit": "sh-business",
    "severity": "high",
}


def counts():
    return row_counts(IdempotencyKey)


def test_create_returns_the_documented_shape(crisis_world, api_as):
    api = api_as("manager")
    response = api.post("/api/v1/crises/", BODY, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "open"
    assert data["scenario"] == "debt-collection-emergency"
    assert data["map_version"] == Crisis.objects.get(pk=data["id"]).map.version
    assert data["severity"] == "high"
    assert data["unit"] == "sh-business"
    assert data["source"] == "api"
    by_duty = {t["duty"]: t for t in data["tasks"]}
    assert by_duty["finance-records"]["status"] == "open"
    assert by_duty["finance-records"]["assignee"]["username"] == "finance"
    assert (
        by_duty["finance-records"]["due_at"].endswith("Z")
        or "+" in by_duty["finance-records"]["due_at"]
    )
    assert by_duty["vp-decision"]["status"] == "waiting"
    assert by_duty["vp-decision"]["due_at"] is None
    assert set(by_duty["vp-decision"]) >= {"id", "duty", "assignee", "status", "due_at"}


def test_idempotency_key_replays_and_conflicts(crisis_world, api_as):
    api = api_as("manager")
    first = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201
    before = counts()
    again = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert counts() == before
    other = api.post(
        "/api/v1/crises/", {**BODY, "title": "Another"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert counts() == before
    # Keys are per user: the same key from someone else is a new request.
    hr = api_as("hradmin").post(
        "/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert hr.status_code == 201
    assert hr.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**BODY, "scenario": "nope"}, "scenario"),
        ({**BODY, "unit": "nowhere"}, "unit"),
        ({**BODY, "severity": "extreme"}, "severity"),
        ({**BODY, "customer": "C-404"}, "customer"),
        ({k: v for k, v in BODY.items() if k != "title"}, "title"),
    ],
)
def test_bad_create_input_is_400_and_changes_nothing(crisis_world, api_as, payload, field):
    api = api_as("manager")
    before = counts()
    response = api.post("/api/v1/crises/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and field in body["errors"]
    assert counts() == before


def test_malformed_json_is_400(crisis_world, api_as):
    api = api_as("manager")
    before = counts()
    response = api.generic(
        "POST", "/api/v1/crises/", '{"scenario": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["status"] == 400
    response = api.generic("POST", "/api/v1/crises/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert counts() == before


def test_read_only_token_and_anonymous_cannot_file(crisis_world, api_as, api_client):
    before = counts()
    assert (
        api_as("manager", scopes=["read"]).post("/api/v1/crises/", BODY, format="json").status_code
        == 403
    )
    assert api_client.post("/api/v1/crises/", BODY, format="json").status_code == 401
    assert api_as("staff").post("/api/v1/crises/", BODY, format="json").status_code == 403
    assert counts() == before


def test_full_flow_through_the_api(crisis_world, api_as, users):
    manager, finance, legal, admin, vp = (
        api_as(u) for u in ("manager", "finance", "legal", "admin", "vp")
    )
    crisis_id = manager.post("/api/v1/crises/", BODY, format="json").json()["id"]
    tasks = {t["duty"]: t for t in finance.get(f"/api/v1/crises/{crisis_id}/tasks/").json()}
    assert len(tasks) == 5

    # finance uploads a file (multipart)
    upload = SimpleUploadedFile("payments.pdf", PDF, content_type="application/pdf")
    r = finance.post(
        f"/api/v1/tasks/{tasks['finance-records']['id']}/complete/",
        {"note": "Payment history", "file": upload},
        format="multipart",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "done"
    # completing twice → 409; someone else's task → 403; nothing changes
    before = counts()
    assert (
        finance.post(
            f"/api/v1/tasks/{tasks['finance-records']['id']}/complete/",
            {"note": "x"},
            format="json",
        ).status_code
        == 409
    )
    assert (
        finance.post(
            f"/api/v1/tasks/{tasks['legal-support']['id']}/complete/", {"note": "x"}, format="json"
        ).status_code
        == 403
    )
    bad = SimpleUploadedFile("script.sh", b"#!/bin/sh\nrm -rf /\n")
    assert (
        legal.post(
            f"/api/v1/tasks/{tasks['legal-support']['id']}/complete/",
            {"file": bad},
            format="multipart",
        ).status_code
        == 400
    )
    assert (
        legal.post(
            f"/api/v1/tasks/{tasks['legal-support']['id']}/complete/",
            {"file": "not-a-file"},
            format="json",
        ).status_code
        == 400
    )
    assert counts() == before

    r = legal.post(
        f"/api/v1/tasks/{tasks['legal-support']['id']}/complete/",
        {"note": "Legal basis: …"},
        format="json",
    )
    assert r.status_code == 200
    r = admin.post(
        f"/api/v1/tasks/{tasks['admin-on-site']['id']}/complete/",
        {"location": "Lobby"},
        format="json",
    )
    assert r.status_code == 200
    vp_task = vp.get(f"/api/v1/tasks/{tasks['vp-decision']['id']}/").json()
    assert vp_task["status"] == "open" and vp_task["due_at"] is not None

    # decisions: executives only
    before = counts()
    assert (
        manager.post(
            f"/api/v1/crises/{crisis_id}/decisions/", {"text": "pay"}, format="json"
        ).status_code
        == 403
    )
    assert (
        vp.post(f"/api/v1/crises/{crisis_id}/decisions/", {"text": ""}, format="json").status_code
        == 400
    )
    assert counts() == before
    r = vp.post(
        f"/api/v1/crises/{crisis_id}/decisions/",
        {"text": "Payment plan", "option": "negotiate"},
        format="json",
    )
    assert r.status_code == 201
    assert r.json()["made_by"] == "vp" and r.json()["option"] == "negotiate"
    assert [d["text"] for d in manager.get(f"/api/v1/crises/{crisis_id}/decisions/").json()] == [
        "Payment plan"
    ]
    assert Task.objects.get(pk=tasks["vp-decision"]["id"]).status == TaskStatus.DONE

    timeline = manager.get(f"/api/v1/crises/{crisis_id}/timeline/").json()
    assert timeline[0]["kind"] == "filed" and timeline[0]["actor"] == "manager"
    assert set(timeline[0]) >= {"kind", "at", "actor", "data"}
    kinds = [e["kind"] for e in timeline]
    assert kinds.count("task_completed") == 4
    assert "decision_made" in kinds

    detail = manager.get(f"/api/v1/crises/{crisis_id}/").json()
    assert [t["status"] for t in detail["tasks"]].count("done") == 4


def test_list_filters(crisis_world, api_as, file_emergency, users):

    a = file_emergency()
    b = file_emergency(title="second")
    crisis_close(crisis=b, outcome="done", actor=users["manager"])
    api = api_as("manager")
    ids = lambda r: [c["id"] for c in r.json()["results"]]  # noqa: E731
    assert ids(api.get("/api/v1/crises/?status=open")) == [a.pk]
    assert ids(api.get("/api/v1/crises/?status=resolved")) == [b.pk]
    assert ids(api.get("/api/v1/crises/?scenario=debt-collection-emergency")) == [b.pk, a.pk]
    assert ids(api.get("/api/v1/crises/?scenario=strike")) == []
    assert api.get("/api/v1/crises/?status=bogus").status_code == 400


def test_visibility_matrix(crisis_world, api_as, file_emergency, users):
    """Filed by `manager` in Shanghai: who sees it through the API."""
    crisis = file_emergency()
    expected = {
        "manager": 200,  # filed it
        "finance": 200,  # has a task
        "legal": 200,
        "admin": 200,
        "vp": 200,  # executive of the group (and assignee)
        "hradmin": 200,  # sees everything
        "manager2": 404,  # another subsidiary
        "staff": 404,  # no task in it
    }
    for username, status in expected.items():
        api = api_as(username)
        assert api.get(f"/api/v1/crises/{crisis.pk}/").status_code == status, username
        assert api.get(f"/api/v1/crises/{crisis.pk}/timeline/").status_code == status, username
        listed = [c["id"] for c in api.get("/api/v1/crises/").json()["results"]]
        assert (crisis.pk in listed) == (status == 200), username
    # A denied write on an invisible crisis changes nothing.
    before = counts()
    task = tasks_by_duty(crisis)["finance-records"]
    assert (
        api_as("manager2")
        .post(f"/api/v1/tasks/{task.pk}/complete/", {"note": "x"}, format="json")
        .status_code
        == 404
    )
    assert (
        api_as("staff")
        .post(f"/api/v1/crises/{crisis.pk}/decisions/", {"text": "x"}, format="json")
        .status_code
        == 404
    )
    assert counts() == before


def test_list_query_count_is_constant(crisis_world, api_as, file_emergency):
    api = api_as("manager")
    file_emergency()

    def run():
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/crises/")
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    run()  # warm-up: token "last used" stamp, content-type cache
    one, rows = run()
    assert rows == 1
    for i in range(24):
        file_emergency(title=f"crisis {i}")
    many, rows = run()
    assert rows == 25
    assert many == one, (one, many)


def test_never_a_500_on_garbage(crisis_world, api_as):
    api = api_as("finance")
    for path in ("/api/v1/crises/abc/", "/api/v1/crises/999999/tasks/", "/api/v1/tasks/999999/"):
        assert api.get(path).status_code == 404
    r = api.post("/api/v1/tasks/999999/complete/", {"note": "x"}, format="json")
    assert r.status_code == 404
    r = api.generic(
        "POST", "/api/v1/tasks/1/complete/", b"\xff\xfe", content_type="application/json"
    )
    assert r.status_code in (400, 404)
    assert json.loads(r.content)["status"] in (400, 404)
