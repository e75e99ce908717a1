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


def test_option_credits_are_hidden_from_map_readers_who_may_be_drilled(
    api_as, no_seed_maps, client_as
):
    """Everyone reads the maps, but the preferred options a drill scores against are shown only
    to HR admins (map editors) and the map's author: a VP later scored in a drill must not read
    them in the API nor on the versions page."""
    from responsibilities.models import Scenario

    Scenario.objects.create(code="debt-collection", name_zh="债务催收", name_en="Debt collection")
    admin = api_as("hradmin")
    created = admin.post(MAPS, _with_options(OPTIONS), format="json").json()
    assert admin.post(f"{MAPS}{created['id']}/publish/").status_code == 200
    revised = admin.post(f"{MAPS}{created['id']}/revise/").json()
    changed = _with_options([{**o, "credit": 0.25} if o["code"] == "pay" else o for o in OPTIONS])
    r = admin.patch(f"{MAPS}{revised['id']}/", {"duties": changed["duties"]}, format="json")
    assert r.status_code == 200, r.content
    assert admin.post(f"{MAPS}{revised['id']}/publish/").status_code == 200

    def options(client, pk):
        r = client.get(f"{MAPS}{pk}/")
        assert r.status_code == 200, r.content
        return next(d for d in r.json()["duties"] if d["code"] == "vp-decision")["options"]

    assert [o.get("credit") for o in options(admin, revised["id"])] == [1.0, 0.25, None]
    for reader in ("vp", "staff", "manager"):
        seen = options(api_as(reader), revised["id"])
        assert [o["code"] for o in seen] == ["negotiate", "pay", "refuse"]
        assert all("credit" not in o for o in seen), (reader, seen)
        listed = api_as(reader).get(MAPS).json()["results"]
        for m in listed:
            for duty in m["duties"]:
                assert all("credit" not in o for o in duty.get("options") or []), reader

    # The versions page: the editor sees the change of credit, a reader sees no credit at all.
    url = f"/maps/{revised['id']}/versions/"
    assert "credit" in client_as("hradmin").get(url).content.decode()
    page = client_as("vp").get(url)
    assert page.status_code == 200
    assert "credit" not in page.content.decode()
