"""Issue 16 §1: a map author marks a decision duty's preferred options (with partial credit) in
the map editor and through the API; a preferred code that is no option, or a credit outside 0–1,
is refused with nothing saved."""

from __future__ import annotations

import copy

import pytest

from responsibilities.models import Duty, ResponsibilityMap
from tests.factories import ScenarioFactory

from .test_api import MAPS, SPEC_BODY
from .test_decision_options import TEXT
from .test_pages import ROWS, _builder_post

pytestmark = pytest.mark.django_db


def test_the_editor_saves_preferred_options_and_refuses_an_unknown_code(no_seed_maps, client_as):
    scenario = ScenarioFactory(code="data-breach")
    client = client_as("hradmin")
    data = _builder_post(scenario, [dict(r) for r in ROWS])
    data["duties-2-options"] = TEXT
    data["duties-2-option_credit"] = "disclose\ncontain-only = 0.5"
    r = client.post("/maps/new/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    m = ResponsibilityMap.objects.get(scenario=scenario)
    options = m.duties.get(code="vp-go").options
    assert [(o["code"], o.get("credit")) for o in options] == [
        ("disclose", 1.0),
        ("contain-only", 0.5),
    ]
    edit = client.get(f"/maps/{m.pk}/edit/").content.decode()
    assert "disclose\ncontain-only = 0.5" in edit  # the preferred options round-trip

    data["duties-2-option_credit"] = "surrender"
    r = client.post(f"/maps/{m.pk}/edit/", data)
    assert r.status_code in (200, 400)
    page = r.content.decode()
    assert "surrender" in page and 'data-errors-for="option_credit"' in page
    assert "is not one of this duty" in page or "不是该职责的方案" in page
    assert Duty.objects.get(map=m, code="vp-go").options == options  # nothing saved

    data["duties-2-option_credit"] = "disclose = 3"
    assert client.post(f"/maps/{m.pk}/edit/", data).status_code in (200, 400)
    assert Duty.objects.get(map=m, code="vp-go").options == options


def _with_options(options):
    body = copy.deepcopy(SPEC_BODY)
    body["duties"][1]["options"] = options
    return body


OPTIONS = [
    {"code": "negotiate", "label": {"zh": "协商", "en": "Negotiate"}, "credit": 1},
    {"code": "pay", "label": {"zh": "付款", "en": "Pay"}, "credit": 0.5},
    {"code": "refuse", "label": {"zh": "拒绝", "en": "Refuse"}},
]


def test_the_api_takes_and_gives_option_credits(api_as, no_seed_maps):
    from responsibilities.models import Scenario

    Scenario.objects.create(code="debt-collection", name_zh="债务催收", name_en="Debt collection")
    api = api_as("hradmin")
    r = api.post(MAPS, _with_options(OPTIONS), format="json")
    assert r.status_code == 201, r.content
    duty = next(d for d in r.json()["duties"] if d["code"] == "vp-decision")
    assert [(o["code"], o["credit"]) for o in duty["options"]] == [
        ("negotiate", 1.0),
        ("pay", 0.5),
        ("refuse", None),
    ]
    count = ResponsibilityMap.objects.count()
    for bad in (2, -1, True, "high"):
        options = copy.deepcopy(OPTIONS)
        options[1]["credit"] = bad
        r = api.post(MAPS, _with_options(options), format="json")
        assert r.status_code == 400, (bad, r.content)
        problem = r.json()["errors"]["duties[1].options"]
        assert "0" in problem and "1" in problem and "vp-decision" in problem
    assert ResponsibilityMap.objects.count() == count
