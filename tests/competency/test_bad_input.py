"""Junk ids, huge numbers, wrong types and overlong text: a 4xx or a message, never a 500,
and nothing half-written."""

import pytest
from django.test import Client

from competency import selectors
from competency.models import Evidence, Simulation, SimulationRun, SimulationVersion
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def quiet_client(users):
    """Like ``client_as`` but a server error comes back as a 500 response, not an exception."""

    def make(username: str) -> Client:
        c = Client(raise_request_exception=False)
        c.force_login(users[username])
        pass_second_factor(c, users[username])
        return c

    return make


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/training-assignments/?employee={HUGE}",
        f"/api/v1/simulation-results/?employee={HUGE}",
        f"/api/v1/competency-evidence/?employee={HUGE}",
        "/api/v1/training-assignments/?employee=abc",
        "/api/v1/simulation-results/?employee=1.5",
        "/api/v1/competency-evidence/?employee=-1",
        f"/api/v1/training-assignments/{HUGE}/",
        f"/api/v1/simulation-results/{HUGE}/",
        f"/api/v1/competency-frameworks/{HUGE}/",
        f"/api/v1/position-profiles/{HUGE}/",
        "/api/v1/position-profiles/abc/",
        f"/api/v1/simulations/{'x' * 5000}/",
    ],
)
def test_api_reads_with_junk_are_4xx(competency_demo, api_as, path):
    response = api_as("hradmin").get(path)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "change",
    [
        {"employee": HUGE},
        {"employee": int(HUGE)},
        {"employee": "abc"},
        {"employee": None},
        {"level": int(HUGE)},
        {"level": "abc"},
        {"score": "abc"},
        {"competency": "x" * 5000},
        {"competency": ["emotional-control"]},
        {"note": "x" * 300_000},
        {"source": "x" * 5000},
        {"observed_at": "yesterday"},
        {"observed_at": "9999-12-31T23:59:59Z"},
        {"kind": {"a": 1}},
    ],
)
def test_api_evidence_with_junk_is_400_and_writes_nothing(competency_demo, users, api_as, change):
    body = {
        "employee": users["staff"].employee.pk,
        "competency": "emotional-control",
        "level": 2,
        **change,
    }
    before = Evidence.objects.count()
    response = api_as("hradmin").post("/api/v1/competency-evidence/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"]
    assert Evidence.objects.count() == before


@pytest.mark.parametrize("raw", ['{"score": 1e400', '{"score": 1e400}', '{"level": NaN}'])
def test_api_evidence_with_broken_or_infinite_json_is_400(competency_demo, users, api_as, raw):
    raw = raw.replace(
        "{",
        f'{{"employee": {users["staff"].employee.pk}, "competency": "emotional-control", '
        '"level": 2, ',
        1,
    )
    before = Evidence.objects.count()
    response = api_as("hradmin").post(
        "/api/v1/competency-evidence/", raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert Evidence.objects.count() == before


@pytest.mark.parametrize("body", [[1, 2], "text", 5])
def test_api_evidence_body_that_is_not_an_object_is_400(competency_demo, api_as, body):
    response = api_as("hradmin").post("/api/v1/competency-evidence/", body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        f"/training/runs/{HUGE}/",
        f"/training/runs/{HUGE}/result/",
        f"/training/assignments/{HUGE}/start/",
        f"/training/authoring/versions/{HUGE}/",
        "/training/recognition/?month=9999-12",
        "/training/recognition/?month=1-1",
        "/training/recognition/?month=2026-13",
        "/training/recognition/?month=abc",
        f"/training/readiness/?unit={'x' * 3000}&scenario={'y' * 3000}",
        f"/training/simulations/{'x' * 3000}/",
    ],
)
def test_pages_with_junk_are_not_500(competency_demo, quiet_client, path):
    response = quiet_client("hradmin").get(path)
    assert response.status_code < 500


def test_authoring_page_with_junk_edit_item_is_not_500(competency_demo, quiet_client):
    version = SimulationVersion.objects.filter(status="published").first()
    for junk in ("abc", HUGE, "-1"):
        response = quiet_client("hradmin").get(
            f"/training/authoring/versions/{version.pk}/?edit_item={junk}"
        )
        assert response.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"action": "delete_node", "id": "abc"},
        {"action": "delete_node", "id": HUGE},
        {"action": "delete_choice", "id": "abc"},
        {"action": "delete_choice", "id": HUGE},
        {"action": "delete_rubric_item", "id": "abc"},
        {"action": "delete_rubric_item", "id": HUGE},
        {"action": "set_start", "id": "abc"},
        {"action": "set_start", "id": HUGE},
        {"action": "assign", "assign-employees": ["abc"], "assign-due_at": "2099-01-01T10:00"},
        {"action": "assign", "assign-employees": [HUGE], "assign-due_at": "2099-01-01T10:00"},
        {"action": "assign", "assign-employees": ["1"], "assign-due_at": "99999-01-01"},
        {"action": "save_rubric_item", "rubric-id": HUGE, "rubric-node": "1"},
        {"action": "nonsense"},
    ],
)
def test_authoring_posts_with_junk_are_not_500(competency_demo, quiet_client, data):
    version = SimulationVersion.objects.filter(status="published").first()
    response = quiet_client("hradmin").post(f"/training/authoring/versions/{version.pk}/", data)
    assert response.status_code < 500


@pytest.mark.parametrize(
    "data",
    [
        {"employee": "abc", "competency": "emotional-control", "level": "2"},
        {"employee": HUGE, "competency": "emotional-control", "level": "2"},
        {"employee": "", "competency": "emotional-control", "level": "2"},
        {"employee": "{staff}", "competency": "emotional-control", "level": "abc"},
        {"employee": "{staff}", "competency": "emotional-control", "level": HUGE},
        {"employee": "{staff}", "competency": "x" * 5000, "level": "2"},
    ],
)
def test_rating_with_junk_is_refused_with_a_message(competency_demo, users, quiet_client, data):
    data = {k: v.replace("{staff}", str(users["staff"].employee.pk)) for k, v in data.items()}
    before = Evidence.objects.count()
    response = quiet_client("manager").post("/training/rate/", data, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    assert Evidence.objects.count() == before


@pytest.mark.parametrize("assignment", ["abc", HUGE, "-5", "1.5"])
def test_starting_a_run_with_a_junk_assignment_is_refused(
    competency_demo, quiet_client, assignment
):
    code = Simulation.objects.filter(versions__status="published").first().code
    response = quiet_client("manager").post(
        f"/training/simulations/{code}/start/", {"assignment": assignment}, follow=True
    )
    assert response.status_code < 500
    assert not SimulationRun.objects.exists()


@pytest.mark.parametrize(
    "data", [{"node": HUGE, "choice": HUGE}, {"node": "abc"}, {"free_text": "x" * 100_000}]
)
def test_answer_with_junk_is_not_500(competency_demo, users, quiet_client, data):
    from competency.services import attempts

    debt = Simulation.objects.get(code="debt-collectors-office")
    run = attempts.run_start(simulation=debt, actor=users["manager"])
    response = quiet_client("manager").post(f"/training/runs/{run.pk}/answer/", data)
    assert response.status_code < 500
    assert selectors  # the module is importable from tests (selectors carry the reads)
