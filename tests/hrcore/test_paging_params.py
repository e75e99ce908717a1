"""``?limit=`` and ``?offset=`` are checked (issue 10): a value outside what the schema allows is
a 400 naming the parameter; DRF's paginator ignored it and answered with the default page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=0",
        "limit=-1",
        "limit=501",
        "limit=1.5",
        "limit=99999999999999999999999",
        "offset=-1",
        "offset=null",
        "offset=1e3",
        "offset=0&offset=0",
        "limit=%D9%A3",  # an Arabic-Indic digit: isdigit() but not a whole number here
    ],
)
def test_bad_limit_or_offset_is_a_400_naming_it(api_as, query):
    response = api_as("manager").get(f"/api/v1/org-units/?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    name = query.split("=")[0]
    assert body["code"] == "invalid" and name in body["errors"]


def test_good_limit_and_offset_page(api_as):
    api = api_as("manager")
    first = api.get("/api/v1/org-units/?limit=2").json()
    assert len(first["results"]) == 2 and first["count"] > 2
    second = api.get("/api/v1/org-units/?limit=2&offset=2").json()
    assert {u["code"] for u in first["results"]}.isdisjoint(u["code"] for u in second["results"])
    assert len(api.get("/api/v1/org-units/?limit=500").json()["results"]) == first["count"]


def test_limits_are_in_the_schema(api_as):
    schema = api_as("manager").get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/org-units/"]["get"]["parameters"]}
    assert (parameters["limit"]["schema"]["minimum"], parameters["limit"]["schema"]["maximum"]) == (
        1,
        500,
    )
    assert parameters["offset"]["schema"]["minimum"] == 0


def test_boolean_and_number_filters_refuse_junk(api_as):
    api = api_as("manager")
    assert api.get("/api/v1/tasks/?mine=null").status_code == 400
    assert api.get("/api/v1/tasks/?mine=true").status_code == 200
    assert api.get("/api/v1/customers/?overdue_days_min=-1").status_code == 400
    assert api.get("/api/v1/customers/?overdue_days_min=30").status_code == 200
