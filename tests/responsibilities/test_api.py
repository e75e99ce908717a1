"""The partner API of SPEC §3.6: round trip in the documented shape, errors, permissions,
query counts."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hrcore.models import OrgUnit
from responsibilities.choices import MapStatus
from responsibilities.models import Duty, ResponsibilityMap, Scenario
from responsibilities.services import maps
from tests.factories import DutyFactory, ResponsibilityMapFactory

pytestmark = pytest.mark.django_db

MAPS = "/api/v1/responsibility-maps/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# The exact example body of SPEC §3.6.
SPEC_BODY = {
    "scenario": "debt-collection",
    "title": "Debt collectors on site",
    "duties": [
        {
            "code": "finance-records",
            "assignee_function": "finance",
            "action": "Upload payment history and unpaid invoices",
            "deliverable": "document",
            "deadline_minutes": 30,
            "after": [],
            "escalation": ["manager", "executive"],
        },
        {
            "code": "vp-decision",
            "assignee_position": "vice-president",
            "action": "Decide how to handle the collectors",
            "deliverable": "decision",
            "deadline_minutes": 60,
            "after": ["finance-records"],
        },
    ],
}


@pytest.fixture
def debt_scenario(no_seed_maps):
    return Scenario.objects.create(
        code="debt-collection", name_zh="债务催收", name_en="Debt collection"
    )


def test_create_publish_retrieve_round_trip(debt_scenario, api_as):
    api = api_as("hradmin", scopes=["read", "write"])
    r = api.post(MAPS, SPEC_BODY, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["scenario"] == "debt-collection"
    assert body["scope"] == "demo-group"
    assert (body["version"], body["status"]) == (1, "draft")
    assert body["title_en"] == body["title_zh"] == "Debt collectors on site"
    assert [
        {
            k: d[k]
            for k in (
                "code",
                "assignee_function",
                "assignee_position",
                "action",
                "deliverable",
                "deadline_minutes",
                "after",
                "escalation",
            )
        }
        for d in body["duties"]
    ] == [
        {
            "code": "finance-records",
            "assignee_function": "finance",
            "assignee_position": None,
            "action": "Upload payment history and unpaid invoices",
            "deliverable": "document",
            "deadline_minutes": 30,
            "after": [],
            "escalation": ["manager", "executive"],
        },
        {
            "code": "vp-decision",
            "assignee_function": "",
            "assignee_position": "vice-president",
            "action": "Decide how to handle the collectors",
            "deliverable": "decision",
            "deadline_minutes": 60,
            "after": ["finance-records"],
            "escalation": [],
        },
    ]
    r = api.post(f"{MAPS}{body['id']}/publish/")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "published" and r.json()["published_at"]
    # Anyone logged in reads the published map in the same shape.
    r = api_as("staff").get(f"{MAPS}{body['id']}/")
    assert r.status_code == 200
    assert r.json()["duties"] == body["duties"]
    assert r.json()["status"] == "published"
    r = api_as("staff").post(
        f"{MAPS}{body['id']}/dry-run/",
        {"unit": "sh-business", "start": "2026-11-22T10:00:00Z"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    run = r.json()
    assert run["critical_path"] == ["finance-records", "vp-decision"]
    assert run["total_minutes"] == 90
    assert at(run["ends_at"]) == at("2026-11-22T11:30:00Z")
    due = {d["code"]: (d["assignee"]["username"], at(d["due_at"])) for d in run["duties"]}
    assert due == {
        "finance-records": ("finance", at("2026-11-22T10:30:00Z")),
        "vp-decision": ("vp", at("2026-11-22T11:30:00Z")),
    }


def test_bad_map_is_a_400_with_per_field_messages(debt_scenario, api_as):
    api = api_as("hradmin")
    body = {
        **SPEC_BODY,
        "duties": [
            {**SPEC_BODY["duties"][0], "deadline_minutes": 0},
            {**SPEC_BODY["duties"][1], "after": ["vp-decision"]},
        ],
    }
    r = api.post(MAPS, body, format="json")
    assert r.status_code == 400
    data = r.json()
    assert data["status"] == 400 and data["code"] == "invalid"
    # hradmin works in Chinese: the messages come in the user's language.
    assert data["errors"] == {
        "duties[0].deadline_minutes": "职责 finance-records：时限必须大于 0 分钟（当前为 0）。",
        "duties[1].after": "职责 vp-decision 不能以自身为前置。",
    }
    assert "时限必须大于 0 分钟" in data["detail"]
    assert ResponsibilityMap.objects.count() == 0 and Duty.objects.count() == 0


@pytest.mark.parametrize(
    "body,field",
    [
        ({**SPEC_BODY, "scenario": "nope"}, "scenario"),
        ({**SPEC_BODY, "scope": "nowhere"}, "scope"),
        ({**SPEC_BODY, "duties": "x"}, "duties"),
        ({**SPEC_BODY, "duties": [{"code": "a", "deadline_minutes": "soon"}]}, "duties"),
        ({"title": "no scenario"}, "scenario"),
    ],
)
def test_malformed_bodies_are_400(debt_scenario, api_as, body, field):
    r = api_as("hradmin").post(MAPS, body, format="json")
    assert r.status_code == 400
    assert field in r.json()["errors"]
    assert ResponsibilityMap.objects.count() == 0


def test_publishing_an_unresolvable_map_is_400_and_leaves_a_draft(debt_scenario, api_as):
    api = api_as("hradmin")
    body = {
        **SPEC_BODY,
        "duties": [
            {
                **SPEC_BODY["duties"][0],
                "assignee_function": "",
                "assignee_position": "store-manager",
            }
        ],
    }
    created = api.post(MAPS, body, format="json").json()
    r = api.post(f"{MAPS}{created['id']}/publish/")
    assert r.status_code == 400
    assert "store-manager" in r.json()["errors"]["duties[0].assignee"]
    assert ResponsibilityMap.objects.get().status == MapStatus.DRAFT


def test_editing_a_published_version_is_409_and_revise_gives_the_next_draft(seeded_maps, api_as):
    api = api_as("hradmin")
    m = ResponsibilityMap.objects.get(scenario__code="strike")
    before = list(m.duties.values_list("code", "deadline_minutes"))
    r = api.patch(f"{MAPS}{m.pk}/", {"title": "changed"}, format="json")
    assert r.status_code == 409
    m.refresh_from_db()
    assert m.title_en == "Work stoppage response"
    assert list(m.duties.values_list("code", "deadline_minutes")) == before
    r = api.post(f"{MAPS}{m.pk}/revise/")
    assert r.status_code == 201
    draft = r.json()
    assert (draft["version"], draft["status"]) == (2, "draft")
    duties = [dict(d) for d in draft["duties"]]
    duties[0]["deadline_minutes"] = 15
    r = api.patch(f"{MAPS}{draft['id']}/", {"duties": duties}, format="json")
    assert r.status_code == 200, r.json()
    r = api.get(f"{MAPS}{draft['id']}/diff/?against={m.pk}")
    assert r.json() == {
        "old": m.pk,
        "new": draft["id"],
        "added": [],
        "removed": [],
        "changed": [{"code": "admin-safety", "field": "deadline_minutes", "old": 30, "new": 15}],
    }


# --- Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["manager", "finance", "vp", "staff"])
def test_only_hr_admins_write(debt_scenario, api_as, client_as, username):
    r = api_as(username).post(MAPS, SPEC_BODY, format="json")
    assert r.status_code == 403
    r = client_as(username).post(MAPS, SPEC_BODY, content_type="application/json")
    assert r.status_code == 403
    r = api_as(username).post("/api/v1/scenarios/", {"code": "x", "name_en": "X"}, format="json")
    assert r.status_code == 403
    assert ResponsibilityMap.objects.count() == 0
    assert Scenario.objects.count() == 1


def test_hr_admin_token_without_write_scope_cannot_write(debt_scenario, api_as):
    r = api_as("hradmin", scopes=["read"]).post(MAPS, SPEC_BODY, format="json")
    assert r.status_code == 403
    assert ResponsibilityMap.objects.count() == 0


def test_partner_token_needs_the_write_scope(debt_scenario, api_as, users):
    from django.contrib.auth.models import Group

    users["staff"].groups.add(Group.objects.get(name="partner"))
    r = api_as("staff", scopes=["read"]).post(MAPS, SPEC_BODY, format="json")
    assert r.status_code == 403
    assert ResponsibilityMap.objects.count() == 0
    r = api_as("staff", scopes=["read", "write"]).post(MAPS, SPEC_BODY, format="json")
    assert r.status_code == 201
    assert ResponsibilityMap.objects.get().author == users["staff"]


def test_drafts_are_visible_to_hr_admins_only(debt_scenario, api_as, users, group_unit):
    draft = maps.responsibility_map_create(
        scenario=debt_scenario,
        scope=group_unit,
        duties=SPEC_BODY["duties"],
        actor=users["hradmin"],
    )
    assert api_as("staff").get(f"{MAPS}{draft.pk}/").status_code == 404
    assert api_as("staff").get(MAPS).json()["count"] == 0
    assert api_as("staff").post(f"{MAPS}{draft.pk}/dry-run/", {}, format="json").status_code == 404
    assert api_as("hradmin").get(f"{MAPS}{draft.pk}/").status_code == 200
    assert api_as("hradmin").get(MAPS).json()["count"] == 1


def test_anonymous_is_401(debt_scenario, api_client):
    assert api_client.get(MAPS).status_code in (401, 403)
    assert api_client.get("/api/v1/scenarios/").status_code in (401, 403)


# --- Scenarios -----------------------------------------------------------------------------


def test_scenarios_list_create_retrieve(debt_scenario, api_as):
    api = api_as("hradmin")
    r = api.post(
        "/api/v1/scenarios/",
        {
            "code": "data-breach",
            "name_zh": "数据泄露",
            "name_en": "Data breach",
            "default_severity": "critical",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    r = api_as("staff").get("/api/v1/scenarios/data-breach/")
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("code", "name_en", "default_severity")} == {
        "code": "data-breach",
        "name_en": "Data breach",
        "default_severity": "critical",
    }
    codes = [s["code"] for s in api_as("staff").get("/api/v1/scenarios/").json()["results"]]
    assert codes == ["data-breach", "debt-collection"]
    r = api.post("/api/v1/scenarios/", {"code": "data-breach", "name_en": "Again"}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"]["code"] == "代码为“data-breach”的场景已存在。"
    assert Scenario.objects.count() == 2


# --- Query counts --------------------------------------------------------------------------


def _make_maps_offset(n, users):
    group = OrgUnit.objects.get(code="demo-group")
    start = Scenario.objects.count()
    for i in range(start, start + n):
        m = ResponsibilityMapFactory(scenario__code=f"s{i}", scope=group, title_en=f"M{i}")
        DutyFactory(map=m, code="a", assignee_function="finance", deadline_minutes=5)
        DutyFactory(
            map=m,
            code="b",
            assignee_position=users["vp"].employee.position,
            deadline_minutes=5,
            after=["a"],
        )


def _count(api, url):
    api.get(url)  # warm up (token lookup caches, content types)
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries), r.json()["count"]


def test_map_list_query_count_is_constant(no_seed_maps, users, api_as):
    api = api_as("staff")
    _make_maps_offset(1, users)
    one, n1 = _count(api, MAPS)
    _make_maps_offset(24, users)
    many, n25 = _count(api, MAPS)
    assert (n1, n25) == (1, 25)
    assert one == many


def test_map_list_filters(seeded_maps, api_as):
    api = api_as("staff")
    r = api.get(MAPS, {"scenario": "debt-collection-emergency", "status": "published"})
    results = r.json()["results"]
    assert [(m["scenario"], m["version"]) for m in results] == [("debt-collection-emergency", 1)]
    assert [d["code"] for d in results[0]["duties"]] == [
        "finance-records",
        "legal-support",
        "admin-on-site",
        "manager-contact",
        "vp-decision",
    ]
    assert api.get(MAPS, {"scope": "sh"}).json()["count"] == 0
    assert api.get(MAPS, {"status": "bogus"}).status_code == 400


@pytest.mark.parametrize("username", ["manager", "vp", "staff"])
def test_non_admins_cannot_change_published_maps(seeded_maps, api_as, username):
    m = ResponsibilityMap.objects.get(scenario__code="strike")
    api = api_as(username)
    assert api.patch(f"{MAPS}{m.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api.post(f"{MAPS}{m.pk}/revise/").status_code == 403
    assert api.post(f"{MAPS}{m.pk}/archive/").status_code == 403
    # Reading and dry-running are open to everyone logged in.
    assert api.get(f"{MAPS}{m.pk}/").status_code == 200
    assert api.post(f"{MAPS}{m.pk}/dry-run/", {}, format="json").status_code == 200
    m.refresh_from_db()
    assert (m.status, m.title_en, ResponsibilityMap.objects.count()) == (
        MapStatus.PUBLISHED,
        "Work stoppage response",
        8,
    )


# --- Never a 500 for bad input ------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_duty = st.fixed_dictionaries(
    {},
    optional={
        "code": st.one_of(st.text(max_size=70), st.sampled_from(["a", "b", "vp-decision"])),
        "assignee_function": st.one_of(_json, st.sampled_from(["finance", "legal", "x"])),
        "assignee_position": st.one_of(_json, st.sampled_from(["vice-president", "nope"])),
        "action": _json,
        "deliverable": st.one_of(_json, st.sampled_from(["document", "decision"])),
        "deadline_minutes": _json,
        "after": st.one_of(_json, st.lists(st.sampled_from(["a", "b", "vp-decision"]))),
        "escalation": _json,
        "warn_ratio": _json,
        "information_items": _json,
    },
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.fixed_dictionaries(
        {"scenario": st.sampled_from(["debt-collection", "nope", ""])},
        optional={
            "duties": st.one_of(_json, st.lists(_duty, max_size=4)),
            "title": _json,
            "scope": st.one_of(_json, st.sampled_from(["sh", "sh-finance", "demo-group"])),
        },
    )
)
def test_arbitrary_map_bodies_never_cause_a_server_error(debt_scenario, api_as, body):
    api = api_as("hradmin")
    r = api.post(MAPS, body, format="json")
    assert r.status_code in (201, 400, 409), (r.status_code, body)
    if r.status_code != 201:
        assert r.json()["status"] == r.status_code
    else:
        assert api.post(f"{MAPS}{r.json()['id']}/publish/").status_code in (200, 400)
        assert api.post(f"{MAPS}{r.json()['id']}/dry-run/", {}, format="json").status_code in (
            200,
            400,
        )
        ResponsibilityMap.objects.filter(pk=r.json()["id"]).delete()


_plausible_duty = st.fixed_dictionaries(
    {
        "code": st.sampled_from(["a", "b", "c", "d"]),
        "assignee_function": st.sampled_from(["finance", "legal", "hr"]),
        "action": st.text(min_size=1, max_size=30),
        "deliverable": st.sampled_from(["document", "decision", "on_site"]),
        "deadline_minutes": st.integers(min_value=-5, max_value=45000),
        "after": st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=2, unique=True),
    },
    optional={"warn_ratio": st.floats(min_value=-1, max_value=2)},
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(duties=st.lists(_plausible_duty, min_size=1, max_size=4, unique_by=lambda d: d["code"]))
def test_plausible_maps_are_created_or_refused_and_published_or_refused(
    debt_scenario, api_as, duties
):
    api = api_as("hradmin")
    r = api.post(MAPS, {"scenario": "debt-collection", "duties": duties}, format="json")
    assert r.status_code in (201, 400), r.json()
    if r.status_code == 400:
        assert ResponsibilityMap.objects.count() == 0
        return
    pk = r.json()["id"]
    published = api.post(f"{MAPS}{pk}/publish/")
    assert published.status_code in (200, 400)
    if published.status_code == 200:
        run = api.post(f"{MAPS}{pk}/dry-run/", {}, format="json").json()
        due = {d["code"]: d["due_after_minutes"] for d in run["duties"]}
        assert run["critical_path"][-1] == run["target"]
        assert run["total_minutes"] == due[run["target"]]
        assert all(d["assignee"] for d in run["duties"])  # publish proved them resolvable
    ResponsibilityMap.objects.filter(pk=pk).delete()
