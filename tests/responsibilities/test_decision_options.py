"""Issue 15 §1: a decision duty's options in the map — their text form in the editor, their
checks, and the library maps' options."""

from __future__ import annotations

import pytest

from responsibilities.decision_options import options_from_text, options_to_text
from responsibilities.models import Duty, ResponsibilityMap, Scenario
from tests.factories import ScenarioFactory

from .test_pages import ROWS, _builder_post

pytestmark = pytest.mark.django_db

TEXT = (
    "disclose | 通知当事人 | Tell the people affected\n"
    "> customer_service | 240 | 逐一通知 | Notify each person\n"
    "contain-only | 仅控制事态 | Contain only"
)
OPTIONS = [
    {
        "code": "disclose",
        "label": {"zh": "通知当事人", "en": "Tell the people affected"},
        "follow_ups": [
            {
                "function": "customer_service",
                "deadline_minutes": 240,
                "action": {"zh": "逐一通知", "en": "Notify each person"},
            }
        ],
    },
    {"code": "contain-only", "label": {"zh": "仅控制事态", "en": "Contain only"}, "follow_ups": []},
]


def test_the_text_form_round_trips():
    assert options_from_text(TEXT) == (OPTIONS, None)
    assert options_to_text(OPTIONS) == TEXT
    assert options_from_text("") == ([], None)
    options, problem = options_from_text("> legal | 5 | a | b")
    assert options == [] and problem.startswith("Line 1:")
    assert options_from_text("go | 走")[1].startswith("Line 1:")
    assert "whole number" in options_from_text("go | 走 | Go\n> legal | soon | a | b")[1]


def test_hr_admin_edits_options_in_the_editor(no_seed_maps, client_as):
    scenario = ScenarioFactory(code="data-breach")
    client = client_as("hradmin")
    rows = [dict(r) for r in ROWS]
    data = _builder_post(scenario, rows)
    data["duties-2-options"] = TEXT
    r = client.post("/maps/new/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    m = ResponsibilityMap.objects.get(scenario=scenario)
    assert m.duties.get(code="vp-go").options == OPTIONS
    detail = client.get(f"/maps/{m.pk}/").content.decode()
    assert "通知当事人 · 仅控制事态" in detail  # the options by label, in the reader's language
    edit = client.get(f"/maps/{m.pk}/edit/").content.decode()
    assert "disclose | 通知当事人 | Tell the people affected" in edit
    # options only on a decision duty; a bad function is named with the duty and the option
    data["duties-0-options"] = "go | 走 | Go"
    data["duties-2-options"] = "go | 走 | Go\n> chef | 30 | 做饭 | Cook"
    r = client.post(f"/maps/{m.pk}/edit/", data)
    assert r.status_code == 200
    page = r.content.decode()
    assert "only a decision duty offers options" in page or "只有决策职责才能提供方案" in page
    assert "chef" in page
    assert m.duties.get(code="vp-go").options == OPTIONS  # nothing saved


def test_every_library_decision_duty_has_bilingual_options(demo_org):
    decision_duties = Duty.objects.filter(
        deliverable="decision", map__status="published", map__is_library=True
    )
    scenarios = set(decision_duties.values_list("map__scenario__code", flat=True))
    assert scenarios == set(Scenario.objects.filter(is_library=True).values_list("code", flat=True))
    for duty in decision_duties:
        assert len(duty.options) >= 3, duty.map.scenario.code
        for option in duty.options:
            assert option["label"]["zh"] and option["label"]["en"], option
            for follow_up in option["follow_ups"]:
                assert follow_up["action"]["zh"] and follow_up["action"]["en"]
                assert 0 < follow_up["deadline_minutes"] <= 30 * 24 * 60
