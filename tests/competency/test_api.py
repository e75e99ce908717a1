"""The competency REST API."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competency import selectors
from competency.models import Assignment, Evidence, Simulation
from competency.services import attempts

pytestmark = pytest.mark.django_db


def test_frameworks_and_profiles_are_readable(competency_demo, api_as):
    client = api_as("staff")
    frameworks = client.get("/api/v1/competency-frameworks/").json()["results"]
    assert [(f["code"], f["version"], f["status"]) for f in frameworks] == [
        ("crisis-capability", 1, "published")
    ]
    codes = {c["code"]: c for c in frameworks[0]["competencies"]}
    assert codes["emotional-control"]["parent"] == "crisis-response"
    assert [a["level"] for a in codes["emotional-control"]["anchors"]] == [1, 2, 3, 4]
    assert [lv["value"] for lv in frameworks[0]["scale"]] == [1, 2, 3, 4]
    profiles = client.get("/api/v1/position-profiles/").json()["results"]
    manager_profile = next(p for p in profiles if p["position"] == "department-manager")
    assert manager_profile["requirements"] == [
        {"competency": "emotional-control", "required_level": 3, "weight": 3},
        {"competency": "resource-coordination", "required_level": 3, "weight": 2},
        {"competency": "negotiation-data-law", "required_level": 3, "weight": 2},
        {"competency": "risk-anticipation", "required_level": 3, "weight": 2},
    ]
    assert "debt-collection-emergency" in manager_profile["scenario_codes"]


def test_assignments_and_results_visibility(competency_demo, users, api_as):
    manager = users["manager"].employee
    mine = api_as("manager").get(f"/api/v1/training-assignments/?employee={manager.pk}").json()
    assert [a["simulation"] for a in mine["results"]] == ["debt-collectors-office"]
    assert (
        api_as("manager2")
        .get(f"/api/v1/training-assignments/?employee={manager.pk}")
        .json()["count"]
        == 0
    )
    assert (
        api_as("hradmin")
        .get(f"/api/v1/training-assignments/?employee={manager.pk}")
        .json()["count"]
        == 1
    )
    # a finished run: visible to the player, not to a peer or HR
    debt = Simulation.objects.get(code="debt-collectors-office")
    run = attempts.run_start(simulation=debt, actor=users["manager"])
    # start → first-words (promise) → promise-trap → promise-sign (sign) → ending-bad-promise
    for index in (0, 2, 0, 1):
        run.refresh_from_db()
        choice = selectors.visible_choices(run.current_node, run.state)[index]
        attempts.run_answer(
            run_id=run.pk, node_id=run.current_node_id, choice_id=choice.pk, actor=users["manager"]
        )
    run.refresh_from_db()
    assert run.status == "finished"
    own = api_as("manager").get("/api/v1/simulation-results/").json()
    assert [(r["id"], r["ending"], r["critical_error"]) for r in own["results"]] == [
        (run.pk, "ending-bad-promise", True)
    ]
    for other in ("manager2", "hradmin", "staff"):
        assert api_as(other).get("/api/v1/simulation-results/").json()["count"] == 0
        assert api_as(other).get(f"/api/v1/simulation-results/{run.pk}/").status_code == 404


def test_external_evidence_with_idempotency_key(competency_demo, users, api_as):
    client = api_as("hradmin")
    staff = users["staff"].employee
    body = {
        "employee": staff.pk,
        "competency": "emotional-control",
        "level": 2,
        "kind": "training",
        "source": "LMS",
    }
    first = client.post(
        "/api/v1/competency-evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="lms-1"
    )
    assert first.status_code == 201
    replay = client.post(
        "/api/v1/competency-evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="lms-1"
    )
    # the replay answers with the first response: same status, same body, marked as a replay
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    changed = client.post(
        "/api/v1/competency-evidence/",
        {**body, "level": 3},
        format="json",
        HTTP_IDEMPOTENCY_KEY="lms-1",
    )
    assert changed.status_code == 409
    assert changed.json()["code"] == "idempotency_key_reused"
    assert Evidence.objects.filter(employee=staff).count() == 1
    assert selectors.current_levels(staff)["emotional-control"]["level"] == 2


@pytest.mark.parametrize(
    ("username", "body_change", "expected"),
    [
        ("staff", {}, 403),
        ("manager", {}, 403),
        ("hradmin", {"level": 9}, 400),
        ("hradmin", {"competency": "unknown"}, 400),
        ("hradmin", {"employee": 999999}, 400),
        ("hradmin", {"kind": "simulation"}, 400),
    ],
)
def test_bad_evidence_is_refused_and_nothing_written(
    competency_demo, users, api_as, username, body_change, expected
):
    body = {
        "employee": users["staff"].employee.pk,
        "competency": "emotional-control",
        "level": 2,
        **body_change,
    }
    before = Evidence.objects.count()
    response = api_as(username).post("/api/v1/competency-evidence/", body, format="json")
    assert response.status_code == expected
    assert response.json()["status"] == expected
    assert Evidence.objects.count() == before


def test_read_only_token_cannot_write(competency_demo, users, api_as):
    body = {"employee": users["staff"].employee.pk, "competency": "emotional-control", "level": 2}
    response = api_as("hradmin", scopes=("read",)).post(
        "/api/v1/competency-evidence/", body, format="json"
    )
    assert response.status_code == 403
    assert not Evidence.objects.filter(employee=users["staff"].employee).exists()


def test_assignment_list_query_count_is_constant(competency_demo, users, api_as):
    client = api_as("hradmin")
    Assignment.objects.all().delete()
    simulation = Simulation.objects.get(code="journalist-rumour")
    people = list(users["staff"].employee.unit.employees.all()) + list(
        __import__("hrcore.models", fromlist=["Employee"]).Employee.objects.exclude(
            user__username="staff"
        )[:30]
    )

    def make(n):
        Assignment.objects.all().delete()
        for i, person in enumerate(people[:n]):
            Assignment.objects.create(
                employee=person,
                simulation=simulation,
                reason="manual",
                source_key=f"q:{i}",
                due_at=timezone.now() + dt.timedelta(days=3),
            )
        client.get("/api/v1/training-assignments/")  # warm-up: token bookkeeping
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/training-assignments/")
        assert response.json()["count"] == n
        return len(ctx)

    assert make(1) == make(25)


def test_results_list_query_count_is_constant(competency_demo, users, api_as):
    from competency.models import SimulationRun

    client = api_as("manager")
    version = selectors.published_version(Simulation.objects.get(code="journalist-rumour"))
    manager = users["manager"].employee

    def count(n):
        SimulationRun.objects.all().delete()
        for _ in range(n):
            SimulationRun.objects.create(
                version=version,
                employee=manager,
                status="finished",
                current_node=version.start_node,
                overall_score=70,
                finished_at=timezone.now(),
            )
        client.get("/api/v1/simulation-results/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/simulation-results/").json()["count"] == n
        return len(ctx)

    assert count(1) == count(25)


def test_framework_list_query_count_does_not_depend_on_competencies(competency_demo, api_as):
    client = api_as("staff")
    client.get("/api/v1/competency-frameworks/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/competency-frameworks/")
    assert len(ctx) <= 8
