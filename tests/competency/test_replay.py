"""Replay a closed crisis as training (issue 16 §3): the pure transformation and the service that
writes the draft through the authoring services, its page, permission and idempotency."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from competency import graph, replay
from competency.choices import NodeKind, VersionStatus
from competency.models import SimChoice, Simulation
from competency.selectors import version_problems
from competency.services.authoring import version_publish
from competency.services.replay import crisis_replay
from crisis.services.closure import crisis_close
from crisis.services.decisions import decision_make
from crisis.services.review import finding_add
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_complete
from hrcore.errors import Conflict, PermissionDenied
from tests.crisis import conftest as crisis_fixtures
from tests.crisis.conftest import tasks_by_duty

# The crisis tests' fixtures: a crisis world and filing the debt-collection emergency.
crisis_world = crisis_fixtures.crisis_world
file_emergency = crisis_fixtures.file_emergency

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)


# --- the pure transformation ------------------------------------------------------------------


def _facts(**overrides) -> dict:
    facts = {
        "crisis_id": 7,
        "title": "催收人员到访",
        "description": "Three collectors in the lobby.",
        "filed_at": T0,
        "outcome": "Settled on a plan.",
        "scenario": {
            "code": "debt-collection-emergency",
            "name_zh": "债务催收（紧急）",
            "name_en": "Debt collection (emergency)",
            "description_zh": "现场秩序优先。",
            "description_en": "Order on site first.",
        },
        "events": [  # deliberately out of order: the spec sorts by time
            {"at": T0 + timedelta(minutes=25), "kind": "delivered", "duty": "admin-on-site",
             "action_zh": "到场", "action_en": "Go on site", "note": "3F lobby", "step": None},
            {"at": T0 + timedelta(minutes=10), "kind": "delivered", "duty": "finance-records",
             "action_zh": "上传付款记录", "action_en": "Upload payment records", "note": "Records",
             "step": None},
            {"at": T0 + timedelta(minutes=61), "kind": "breached", "duty": "legal-support",
             "action_zh": "法律支持", "action_en": "Legal support", "note": "", "step": None},
            {"at": T0 + timedelta(minutes=5), "kind": "escalated", "duty": "manager-contact",
             "action_zh": "", "action_en": "", "note": "", "step": 2},
        ],
        "decisions": [
            {"at": T0 + timedelta(minutes=30), "option": "negotiate", "text": "Offer a plan.",
             "action_zh": "决定", "action_en": "Decide", "competencies": ["decision-making"]},
        ],
        "options": [
            {"code": "negotiate", "zh": "谈判", "en": "Negotiate"},
            {"code": "pay", "zh": "付款", "en": "Pay"},
            {"code": "other", "zh": "其他", "en": "Other"},
        ],
        "findings": [
            {"kind": "went_well", "text": "The VP decided fast."},
            {"kind": "went_wrong", "text": "Legal was late."},
        ],
    }  # fmt: skip
    facts.update(overrides)
    return facts


def test_spec_is_a_valid_path_through_the_crisis_in_time_order():
    with translation.override("en"):
        spec = replay.replay_spec(_facts())
    keys = [n["key"] for n in spec["nodes"]]
    assert keys == ["situation", "info-1", "info-2", "info-3", "decision-1", "info-4", "ending"]
    texts = [n["text_en"] for n in spec["nodes"]]
    assert "escalated (step 2): manager-contact" in texts[1]
    assert texts[2].startswith("After 10 min — delivered: Upload payment records")
    assert "Records" in texts[2]
    assert texts[3].startswith("After 25 min — delivered: Go on site")
    assert "deadline missed" in texts[5] and "1 h 1 min" in texts[5]
    assert spec["nodes"][2]["text_zh"].startswith("10 分钟")  # Keel's own words are translated
    assert "催收人员到访" in texts[0] and "催收人员到访" in spec["nodes"][0]["text_zh"]
    assert (spec["pass_mark"], spec["competency_minimum"]) == (70, 70)
    assert spec["code"] == "replay-crisis-7"
    assert (
        graph.validate_graph(replay.spec_graph(spec), known_competencies={"decision-making"}) == []
    )


def test_decision_point_has_the_real_choice_best_and_the_alternatives_partial():
    with translation.override("en"):
        spec = replay.replay_spec(_facts())
    decision = next(n for n in spec["nodes"] if n["kind"] == "decision")
    choices = decision["choices"]
    assert [(c["option"], c["best"], c["effects"]) for c in choices] == [
        ("negotiate", True, {"decision-making": 10}),
        ("pay", False, {"decision-making": 4}),
    ]  # "other" is no alternative
    assert (choices[0]["label_zh"], choices[0]["label_en"]) == ("谈判", "Negotiate")
    assert "The VP decided fast." in choices[0]["feedback_en"]
    assert "Offer a plan." in choices[0]["feedback_en"]
    assert "Legal was late." in choices[1]["feedback_en"]
    assert "In the real crisis the decision was: Negotiate" in choices[1]["feedback_en"]
    assert "谈判" in choices[1]["feedback_zh"]
    assert all(c["next"] == "info-4" for c in choices)
    ending = spec["nodes"][-1]
    assert ending["kind"] == "ending" and "Settled on a plan." in ending["text_en"]
    assert "Legal was late." in ending["text_en"]


def test_a_decision_with_a_typed_option_uses_its_text_and_no_events_still_validate():
    facts = _facts(
        events=[],
        findings=[],
        decisions=[{"at": T0, "option": "other", "text": "找律师函回复", "action_zh": "",
                    "action_en": "", "competencies": []}],
    )  # fmt: skip
    spec = replay.replay_spec(facts)
    decision = spec["nodes"][1]
    assert decision["choices"][0]["label_en"] == "找律师函回复"
    assert [c["option"] for c in decision["choices"]] == ["other", "negotiate", "pay"]
    assert graph.validate_graph(replay.spec_graph(spec), known_competencies=set()) == []
    assert [n["key"] for n in replay.replay_spec(_facts(events=[], decisions=[]))["nodes"]] == [
        "situation",
        "ending",
    ]


def test_what_arrived_in_the_same_minute_is_one_step():
    breach = {
        "at": T0 + timedelta(minutes=21, seconds=5),
        "kind": "breached",
        "duty": "a",
        "action_zh": "甲",
        "action_en": "A",
        "note": "",
        "step": None,
    }
    escalation = dict(breach, at=T0 + timedelta(minutes=21, seconds=40), kind="escalated", step=1)
    later = dict(breach, at=T0 + timedelta(minutes=22), duty="b", action_en="B")  # fmt: skip
    with translation.override("en"):
        spec = replay.replay_spec(_facts(events=[escalation, later, breach], decisions=[]))
    keys = [n["key"] for n in spec["nodes"]]
    assert keys == ["situation", "info-1", "info-2", "ending"]
    first = spec["nodes"][1]["text_en"].split("\n")
    assert first[0].startswith("After 21 min — deadline missed") and "escalated" in first[1]
    assert spec["nodes"][2]["text_en"].startswith(
        "After 22 min — deadline missed, nothing delivered yet: B"
    )


def test_the_deciding_duty_s_own_options_replace_the_fixed_list():
    decision = dict(_facts()["decisions"][0], option="disclose")
    decision["options"] = [
        {"code": "disclose", "zh": "公开披露", "en": "Disclose"},
        {"code": "wait", "zh": "等待", "en": "Wait"},
    ]
    spec = replay.replay_spec(_facts(decisions=[decision]))
    node = next(n for n in spec["nodes"] if n["kind"] == "decision")
    assert [(c["option"], c["label_zh"], c["best"]) for c in node["choices"]] == [
        ("disclose", "公开披露", True),
        ("wait", "等待", False),
    ]


# --- the service ------------------------------------------------------------------------------


@pytest.fixture
def closed_crisis(file_emergency, users):
    """Finance delivers at +10, legal at +20, the VP decides (negotiate) at +30, admin's breach
    fires at +21 … closed at +70 with two review findings."""
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        t = tasks_by_duty(crisis)
        clock.move_to(T0 + timedelta(minutes=10))
        task_complete(task=t["finance-records"], actor=users["finance"], note="Records uploaded")
        clock.move_to(T0 + timedelta(minutes=20))
        task_complete(task=t["legal-support"], actor=users["legal"], note="Police if threatened")
        clock.move_to(T0 + timedelta(minutes=21))
        sla_sweep()
        clock.move_to(T0 + timedelta(minutes=30))
        decision_make(crisis=crisis, text="Offer a three-month plan.", option="negotiate",
                      actor=users["vp"])  # fmt: skip
        clock.move_to(T0 + timedelta(minutes=70))
        crisis_close(crisis=crisis, outcome="Settled", actor=users["manager"])
        clock.move_to(T0 + timedelta(minutes=80))
        crisis.refresh_from_db()
        finding_add(
            crisis=crisis, kind="went_well", text="Finance was quick.", actor=users["manager"]
        )
        finding_add(crisis=crisis, kind="suggestion", text="Call legal earlier.",
                    actor=users["manager"])  # fmt: skip
    crisis.refresh_from_db()
    return crisis


def test_replay_writes_a_draft_with_the_real_decision_that_validates_and_publishes(
    closed_crisis, users, django_assert_max_num_queries
):
    version, created = crisis_replay(crisis_id=closed_crisis.pk, actor=users["hradmin"])
    assert created and version.status == VersionStatus.DRAFT
    assert (version.pass_mark, version.competency_minimum) == (70, 70)
    nodes = list(version.nodes.order_by("order"))
    assert version.start_node == nodes[0] and nodes[0].key == "situation"
    assert nodes[-1].kind == NodeKind.ENDING
    decisions = [n for n in nodes if n.kind == NodeKind.DECISION]
    assert len(decisions) == 1
    choices = list(decisions[0].choices.order_by("order"))
    with translation.override("en"):
        assert (
            choices[0].label_en == "Negotiate a payment plan with the data and legal basis at hand"
        )
    assert choices[0].effects == {"decision-making": 10}
    assert all(c.effects == {"decision-making": 4} for c in choices[1:])
    assert len(choices) == 5  # the real one and pay, refuse, security, escalate
    assert "Finance was quick." in choices[0].feedback_en
    assert "Call legal earlier." in choices[1].feedback_en
    info = [n.text_en for n in nodes if n.key.startswith("info-")]
    before = [t for t in info[: [n.key for n in nodes].index("decision-1") - 1]]
    assert any("Records uploaded" in t for t in before)
    assert any("Police if threatened" in t for t in before)
    # information before the decision comes in time order
    assert info.index(next(t for t in info if "Records uploaded" in t)) < info.index(
        next(t for t in info if "Police if threatened" in t)
    )
    assert version_problems(version) == []
    published = version_publish(version=version, actor=users["hradmin"])
    assert published.status == VersionStatus.PUBLISHED
    # idempotent: a second click opens the same simulation, nothing new is written
    count = SimChoice.objects.count()
    again, created_again = crisis_replay(crisis_id=closed_crisis.pk, actor=users["hradmin"])
    assert (again.pk, created_again) == (version.pk, False)
    assert SimChoice.objects.count() == count
    assert Simulation.objects.filter(code=f"replay-crisis-{closed_crisis.pk}").count() == 1


def test_reading_the_facts_takes_the_same_queries_however_long_the_crisis(
    closed_crisis, users, django_assert_num_queries
):
    from competency.replay_selectors import replay_crisis, replay_facts

    crisis = replay_crisis(closed_crisis.pk)
    # five of the crisis engine, one of the dossier snapshots (integrations, through the hook)
    with django_assert_num_queries(6):
        facts = replay_facts(crisis)
    assert [e["kind"] for e in facts["events"]][:2] == ["delivered", "delivered"]
    assert [d["option"] for d in facts["decisions"]] == ["negotiate"]
    assert facts["decisions"][0]["competencies"] == ["decision-making"]


def test_replay_is_for_hr_admins_and_closed_crises_only(file_emergency, closed_crisis, users):
    with pytest.raises(PermissionDenied):
        crisis_replay(crisis_id=closed_crisis.pk, actor=users["vp"])
    open_crisis = file_emergency()
    with pytest.raises(Conflict) as refused:
        crisis_replay(crisis_id=open_crisis.pk, actor=users["hradmin"])
    assert refused.value.status == 409
    assert not Simulation.objects.filter(code__startswith="replay-crisis-").exists()


def test_the_pages_replay_in_one_click_and_refuse_an_open_crisis_with_409(
    file_emergency,
    closed_crisis,
    users,
    client_as,
):
    hr = client_as("hradmin")
    listing = hr.get(reverse("competency:authoring_list"))
    assert f'data-testid="replay-{closed_crisis.pk}"' in listing.content.decode()
    panel = hr.get(reverse("competency:crisis_replay_panel", args=[closed_crisis.pk]))
    assert 'data-testid="replay-button"' in panel.content.decode()
    response = hr.post(reverse("competency:authoring_replay", args=[closed_crisis.pk]))
    version = Simulation.objects.get(code=f"replay-crisis-{closed_crisis.pk}").versions.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("competency:authoring_edit", args=[version.pk])
    assert hr.get(response["Location"]).status_code == 200
    open_crisis = file_emergency()
    refused = hr.post(reverse("competency:authoring_replay", args=[open_crisis.pk]))
    assert refused.status_code == 409  # the HR admin reads Chinese
    assert "只有已关闭的危机才能生成复盘演练：请先关闭该危机。" in refused.content.decode()
    staff = client_as("vp")
    assert (
        staff.post(reverse("competency:authoring_replay", args=[closed_crisis.pk])).status_code
        == 404
    )
    assert (
        staff.get(reverse("competency:crisis_replay_panel", args=[closed_crisis.pk])).content == b""
    )


# --- the dossier as it arrived (through crisis.dossier_hooks, filled by integrations) -----------


def _dossier(crisis, *, minutes: int, sources: list[tuple[str, str, object]]):
    from integrations.models import Dossier, DossierSource

    at = T0 + timedelta(minutes=minutes)
    dossier = Dossier.objects.create(
        crisis=crisis, status="complete", requested_at=at, started_at=at, completed_at=at
    )
    for source, status, data in sources:
        DossierSource.objects.create(
            dossier=dossier, source=source, status=status, data=data, fetched_at=at
        )
    return dossier


def test_replay_shows_each_dossier_snapshot_in_time_order(
    closed_crisis, users, django_assert_num_queries
):
    from competency.replay_selectors import replay_crisis, replay_facts
    from integrations.models import Dossier

    Dossier.objects.filter(crisis=closed_crisis).delete()
    credit = {"currency": "CNY", "outstanding_amount": "120000.00", "overdue_days": 45}
    # made out of order: the later refresh first
    _dossier(
        closed_crisis,
        minutes=40,
        sources=[
            ("credit", "fresh", dict(credit, overdue_days=46)),
            ("legal_guide", "fresh", {"title_zh": "催收应对指引", "title_en": "Collection guide"}),
        ],
    )
    _dossier(
        closed_crisis,
        minutes=2,
        sources=[
            ("legal_guide", "failed", None),
            ("credit", "fresh", credit),
            ("contacts", "fresh", [{"note_zh": "威胁上门", "note_en": "Threatened a visit"}]),
        ],
    )
    crisis = replay_crisis(closed_crisis.pk)
    with django_assert_num_queries(7):  # however many snapshots: one more for their sources
        facts = replay_facts(crisis)
    assert [d["at"] for d in facts["dossiers"]] == [
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=40),
    ]
    version, _created = crisis_replay(crisis_id=closed_crisis.pk, actor=users["hradmin"])
    nodes = list(version.nodes.order_by("order"))
    keys = [n.key for n in nodes]
    # the first snapshot before finance's delivery (+10), the refresh after the decision (+30)
    assert keys.index("dossier-1") < keys.index("info-1")
    assert keys.index("decision-1") < keys.index("dossier-2") < keys.index("ending")
    first = next(n for n in nodes if n.key == "dossier-1")
    assert first.text_en.splitlines() == [
        "After 2 min — the dossier arrived:",
        "",
        "• Credit profile: outstanding CNY 120000.00, 45 days overdue",
        "• Legal guide: not available",
        "• Last contacts: 1, the latest: Threatened a visit",
    ]
    assert "信用档案：欠款 CNY 120000.00，逾期 45 天" in first.text_zh
    assert "威胁上门" in first.text_zh
    second = next(n for n in nodes if n.key == "dossier-2")
    assert "the dossier was refreshed" in second.text_en
    assert "Legal guide: Collection guide" in second.text_en
    assert "催收应对指引" in second.text_zh
    assert version_problems(version) == []
