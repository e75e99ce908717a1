"""GET /api/v1/responsibility-maps/{id}/coverage/ (issue 14 §6): its shape, the unit
parameter, bad input and who may read it."""

from __future__ import annotations

import pytest
from django.utils import translation

from hrcore.models import OrgUnit
from responsibilities.models import ResponsibilityMap
from responsibilities.selectors import published_map_for
from tests.factories import DutyFactory, ResponsibilityMapFactory, ScenarioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def emergency(seeded_maps) -> ResponsibilityMap:
    return published_map_for(
        scenario="debt-collection-emergency", unit=OrgUnit.objects.get(code="demo-group")
    )


def url(m, unit: str | None = None) -> str:
    base = f"/api/v1/responsibility-maps/{m.pk}/coverage/"
    return base if unit is None else f"{base}?unit={unit}"


def test_every_covered_unit_by_default(emergency, api_as):
    response = api_as("hradmin").get(url(emergency))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "map",
        "scenario",
        "computed_at",
        "score",
        "covered",
        "total",
        "units",
        "duties",
        "drill_currency",
    }
    # Nobody in the demo world has drilled or simulated the scenario yet.
    assert body["drill_currency"]["current"] == 0
    assert [u["unit"] for u in body["drill_currency"]["units"]] == ["demo-group", "sz", "sh"]
    assert (body["map"], body["scenario"]) == (emergency.pk, "debt-collection-emergency")
    assert body["units"] == ["demo-group", "sz", "sh"]
    assert (body["covered"], body["total"], body["score"]) == (12, 15, 0.8)
    assert len(body["duties"]) == 15
    sz_finance = next(
        d for d in body["duties"] if (d["unit"], d["duty"]) == ("sz", "finance-records")
    )
    assert set(sz_finance) == {"duty", "unit", "holder", "deputy", "covered_by", "gaps"}
    assert sz_finance["gaps"] == ["untrained"] and sz_finance["covered_by"] is None
    assert set(sz_finance["holder"]) == {
        "id",
        "name",
        "position",
        "unit",
        "channels",
        "issues",
        "missing_skills",
        "practice_current",
    }
    assert sz_finance["holder"]["practice_current"] is None  # never practised: not checked
    assert sz_finance["holder"]["unit"] == "sz-finance"
    assert sz_finance["holder"]["issues"] == ["untrained"]


def test_one_unit_and_a_department_on_demand(emergency, api_as, users):
    client = api_as("hradmin")
    body = client.get(url(emergency, "sh"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert (body["score"], body["units"]) == (1.0, ["sh"])
    assert [d["duty"] for d in body["duties"]] == [
        "finance-records",
        "legal-support",
        "admin-on-site",
        "manager-contact",
        "vp-decision",
    ]
    finance = body["duties"][0]
    assert finance["holder"]["id"] == users["finance"].employee.pk
    assert finance["holder"]["name"] == "Chen Jing"
    assert finance["covered_by"] == "holder" and finance["gaps"] == []
    # A department is not stored (it resolves like its company) but is answered on demand.
    body = client.get(url(emergency, "sh-finance")).json()
    assert body["units"] == ["sh-finance"] and len(body["duties"]) == 5


def test_names_follow_the_request_language(emergency, api_as):
    with translation.override("zh-hans"):
        body = api_as("hradmin").get(url(emergency, "sh"), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["duties"][0]["holder"]["name"] == "陈静"


def test_bad_units_are_400_with_a_clear_message(emergency, api_as):
    client = api_as("hradmin")
    response = client.get(url(emergency, "atlantis"))
    assert response.status_code == 400
    assert "atlantis" in response.json()["detail"]
    assert "unit" in response.json()["errors"]
    scenario = ScenarioFactory(code="local-only")
    local = ResponsibilityMapFactory(scenario=scenario, scope=OrgUnit.objects.get(code="sh"))
    DutyFactory(map=local, code="finance-records")
    response = client.get(url(local, "sz"))
    assert response.status_code == 400
    # In the reader's language (the HR admin reads Chinese), naming both units.
    assert response.json()["detail"] == "深圳子公司 不在该职责地图的适用范围（上海子公司）内。"
    assert client.get(url(local)).json()["units"] == ["sh"]


def test_who_may_read_it(emergency, api_as, api_client):
    assert api_client.get(url(emergency)).status_code == 401
    assert api_as("staff").get(url(emergency)).status_code == 403
    assert api_as("finance").get(url(emergency)).status_code == 403
    assert api_as("vp").get(url(emergency, "sz")).status_code == 200
    manager = api_as("manager")  # Shanghai
    assert manager.get(url(emergency, "sh")).status_code == 200
    assert manager.get(url(emergency, "sh-finance")).status_code == 200
    assert manager.get(url(emergency, "sz")).status_code == 403
    body = manager.get(url(emergency)).json()
    assert body["units"] == ["sh"] and body["score"] == 1.0


def test_the_schema_documents_the_endpoint(api_as):
    schema = api_as("hradmin").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/responsibility-maps/{id}/coverage/"]["get"]
    assert operation["operationId"] == "responsibility_maps_coverage"
    (unit,) = [p for p in operation["parameters"] if p["name"] == "unit"]
    assert "every unit the map covers" in unit["description"]
