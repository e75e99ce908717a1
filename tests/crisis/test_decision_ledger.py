"""Issue 15 §1–2: decision options belong to the map; the decision ledger with superseding and
follow-ups (督办) on the SLA engine; the decision API's shapes and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from crisis.choices import TaskKind, TaskStatus, TimerState
from crisis.follow_through import FollowUpFact, follow_through, is_late, light
from crisis.models import Decision, Task
from crisis.selectors.decisions import decision_options
from crisis.services.decisions import decision_make
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_acknowledge, task_complete
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Employee

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _decisions_url(crisis) -> str:
    return f"/api/v1/crises/{crisis.pk}/decisions/"


# ---- §1 options per map ---------------------------------------------------------------------


def test_each_library_map_offers_its_own_options(file_emergency):
    debt = file_emergency()
    leak = file_emergency(scenario="data-leak", title="Customer list e-mailed to a wrong address")
    strike = file_emergency(scenario="strike", title="Warehouse staff stop work")
    assert [o["code"] for o in decision_options(debt)] == [
        "negotiate",
        "pay",
        "refuse",
        "security",
        "escalate",
    ]
    leak_codes = [o["code"] for o in decision_options(leak)]
    assert leak_codes == ["disclose", "notify-regulator", "contain-only", "offer-protection"]
    assert decision_options(strike)[0]["code"] == "open-wage-talks"
    disclose = decision_options(leak)[0]
    assert disclose["label"] == {
        "zh": "通知受影响的客户与员工",
        "en": "Disclose to the customers and staff affected",
    }
    assert [f["function"] for f in disclose["follow_ups"]] == ["customer_service", "legal"]


def test_a_foreign_code_is_refused_naming_the_valid_codes(file_emergency, api_as):
    leak = file_emergency(scenario="data-leak", title="Leak")
    vp = api_as("vp")
    before = Decision.objects.count()
    r = vp.post(_decisions_url(leak), {"text": "Pay them", "option": "negotiate"}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert "negotiate" in body["detail"]
    assert "disclose, notify-regulator, contain-only, offer-protection, other" in body["detail"]
    assert "option" in body["errors"]
    assert Decision.objects.count() == before
    ok = vp.post(_decisions_url(leak), {"text": "Tell them", "option": "disclose"}, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["option"] == "disclose"
    assert ok.json()["option_label"]["en"] == "Disclose to the customers and staff affected"
    assert [o["code"] for o in ok.json()["options_considered"]][:2] == [
        "disclose",
        "notify-regulator",
    ]
    # free text is always possible
    free = vp.post(_decisions_url(leak), {"text": "Something else", "option": "other"})
    assert free.status_code == 201 and free.json()["option"] == "other"


def test_the_map_api_shows_and_checks_options(crisis_world, api_as):
    hr = api_as("hradmin")
    maps = hr.get("/api/v1/responsibility-maps/?scenario=data-leak&status=published").json()
    rows = maps["results"] if isinstance(maps, dict) else maps
    published = next(m for m in rows if m["status"] == "published")
    decision = next(d for d in published["duties"] if d["deliverable"] == "decision")
    assert decision["options"][0]["code"] == "disclose"
    # "credit": what the option is worth when a drill scores the decision (issue 16), or null
    assert set(decision["options"][0]) == {"code", "label", "follow_ups", "credit"}
    duties = [
        {
            "code": "decide",
            "assignee_position": "vice-president",
            "action": "Decide",
            "deliverable": "decision",
            "deadline_minutes": 60,
            "options": [
                {"code": "go", "label": {"zh": "执行", "en": "Go"}},
                {"code": "go", "label": {"zh": "再执行", "en": "Go again"}},
            ],
        }
    ]
    r = hr.post(
        "/api/v1/responsibility-maps/", {"scenario": "data-leak", "duties": duties}, format="json"
    )
    assert r.status_code == 400
    assert "“go”" in r.json()["detail"] and "duties[0].options" in r.json()["errors"]
    duties[0]["options"][1] = {
        "code": "other",
        "label": {"zh": "其他", "en": "Other"},
    }
    r = hr.post(
        "/api/v1/responsibility-maps/", {"scenario": "data-leak", "duties": duties}, format="json"
    )
    assert r.status_code == 400 and "“other”" in r.json()["detail"]


# ---- §2 the ledger ----------------------------------------------------------------------------


def test_follow_ups_are_timed_warned_breached_and_escalated(file_emergency, users, api_as):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        r = api_as("vp").post(
            _decisions_url(crisis),
            {
                "text": "Negotiate a three-month plan",
                "option": "negotiate",
                "situation": "Two collectors in the lobby, amount disputed",
                "rationale": "Records show 80% paid; legal sees no basis to refuse",
                "review_by": (T0 + timedelta(hours=4)).isoformat(),
                "follow_ups": [
                    {"action": "Draft the plan", "assignee": "finance", "deadline_minutes": 30},
                    {"action": "Check the contract", "assignee": "legal", "deadline_minutes": 60},
                ],
            },
            format="json",
        )
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["situation"].startswith("Two collectors")
        assert body["rationale"].startswith("Records show")
        assert body["review_by"].startswith("2026-03-04T")
        assert body["follow_through"] == {"total": 2, "done": 0, "late": 0, "open": 2}
        assert [f["assignee"] for f in body["follow_ups"]] == ["finance", "legal"]
        tasks = api_as("manager").get(f"/api/v1/crises/{crisis.pk}/tasks/").json()
        follow = [t for t in tasks if t["kind"] == "follow_up"]
        assert [(t["action"], t["follow_up_of"]) for t in follow] == [
            ("Draft the plan", body["id"]),
            ("Check the contract", body["id"]),
        ]
        assert all(t["kind"] == "duty" for t in tasks if t not in follow)
        draft = Task.objects.get(pk=follow[0]["id"])
        assert draft.due_at == T0 + timedelta(minutes=30)
        assert draft.kind == TaskKind.FOLLOW_UP and draft.status == TaskStatus.OPEN
        # the finance follow-up is done late; the legal one on time
        clock.move_to(T0 + timedelta(minutes=25))
        sla_sweep()
        draft.refresh_from_db()
        assert draft.timer_state == TimerState.WARNED
        clock.move_to(T0 + timedelta(minutes=31))
        sla_sweep()
        draft.refresh_from_db()
        assert draft.timer_state == TimerState.BREACHED
        assert crisis.timeline.filter(task=draft, kind="task_escalated").exists()
        task_acknowledge(task=draft, actor=users["finance"])
        task_complete(task=draft, actor=users["finance"], note="Plan drafted")
        check = Task.objects.get(pk=follow[1]["id"])
        task_complete(task=check, actor=users["legal"], note="Contract checked")
        listed = api_as("vp").get(_decisions_url(crisis)).json()
    assert listed[0]["follow_through"] == {"total": 2, "done": 2, "late": 1, "open": 0}


def test_superseding_keeps_the_lineage_and_both_decisions(file_emergency, users, api_as):
    crisis = file_emergency()
    vp = api_as("vp")
    first = vp.post(_decisions_url(crisis), {"text": "Negotiate", "option": "negotiate"}).json()
    second = vp.post(
        _decisions_url(crisis),
        {"text": "Pay after all", "option": "pay", "supersedes": first["id"]},
        format="json",
    )
    assert second.status_code == 201, second.content
    listed = {d["id"]: d for d in vp.get(_decisions_url(crisis)).json()}
    assert set(listed) == {first["id"], second.json()["id"]}
    assert listed[first["id"]]["superseded_by"] == second.json()["id"]
    assert listed[second.json()["id"]]["supersedes"] == first["id"]
    # one decision is superseded once; a decision of another crisis cannot be superseded
    with pytest.raises(Conflict):
        decision_make(crisis=crisis, text="Again", actor=users["vp"], supersedes=first["id"])
    other = file_emergency(title="Another one")
    with pytest.raises(ValidationFailed) as refused:
        decision_make(crisis=other, text="x", actor=users["vp"], supersedes=first["id"])
    assert "supersedes" in refused.value.errors


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ({"action": "", "assignee": "finance", "deadline_minutes": 30}, "action", "第 2 项督办"),
        ({"action": "x", "assignee": "nobody", "deadline_minutes": 30}, "assignee", "第 2 项督办"),
        ({"action": "x", "assignee": "legal", "deadline_minutes": 0}, "deadline_minutes", "2"),
        ({"action": "x", "assignee": "legal", "deadline_minutes": "soon"}, "deadline_minutes", ""),
    ],
)
def test_a_bad_follow_up_row_refuses_the_whole_decision(file_emergency, api_as, row, field, words):
    crisis = file_emergency()
    tasks_before = crisis.tasks.count()
    good = {"action": "Draft the plan", "assignee": "finance", "deadline_minutes": 30}
    r = api_as("vp").post(
        _decisions_url(crisis),
        {"text": "Negotiate", "option": "negotiate", "follow_ups": [good, row]},
        format="json",
    )
    assert r.status_code == 400
    assert f"follow_ups[1].{field}" in r.json()["errors"]
    assert words in r.json()["detail"]
    assert Decision.objects.filter(crisis=crisis).count() == 0
    assert crisis.tasks.count() == tasks_before
    assert crisis.tasks.get(duty_code="vp-decision").status != TaskStatus.DONE


def test_bad_shapes_are_400_not_500(file_emergency, api_as):
    crisis = file_emergency()
    vp = api_as("vp")
    for body in (
        {"text": "x", "follow_ups": "finance"},
        {"text": "x", "follow_ups": [["finance"]]},
        {"text": "x", "supersedes": "first"},
        {"text": "x", "review_by": "tomorrow"},
        {"text": "x", "review_by": "2020-01-01T00:00:00Z"},
        {"text": "x", "option": "x" * 100},
    ):
        assert vp.post(_decisions_url(crisis), body, format="json").status_code == 400, body
    assert Decision.objects.filter(crisis=crisis).count() == 0


def test_option_follow_ups_are_created_from_the_map(file_emergency, api_as):
    crisis = file_emergency(scenario="data-leak", title="Leak")
    r = api_as("vp").post(
        _decisions_url(crisis),
        {"text": "Tell everyone", "option": "disclose", "option_follow_ups": True},
        format="json",
    )
    assert r.status_code == 201, r.content
    follow = Task.objects.filter(follow_up_of_id=r.json()["id"]).order_by("id")
    assert [t.deadline_minutes for t in follow] == [240, 120]
    assert follow[1].action.startswith("定稿对当事人的通知书 / Finalise the notice")


def test_only_deciders_decide(file_emergency, users, api_as):
    crisis = file_emergency()
    for username in ("manager", "finance", "staff"):
        r = api_as(username).post(
            _decisions_url(crisis),
            {
                "text": "x",
                "follow_ups": [{"action": "x", "assignee": "legal", "deadline_minutes": 5}],
            },
            format="json",
        )
        assert r.status_code in (403, 404), username
    assert not crisis.tasks.filter(kind=TaskKind.FOLLOW_UP).exists()
    with pytest.raises(PermissionDenied):
        decision_make(crisis=crisis, text="x", actor=users["manager"])


def test_the_ledger_reads_in_constant_queries(
    file_emergency, users, api_as, django_assert_max_num_queries
):
    crisis = file_emergency()
    vp = api_as("vp")
    legal = Employee.objects.get(user__username="legal")
    for i in range(3):
        decision_make(
            crisis=crisis,
            text=f"Decision {i}",
            actor=users["vp"],
            follow_ups=[{"action": f"Do {i}", "assignee": legal, "deadline_minutes": 30}] * 2,
        )
    with django_assert_max_num_queries(12):
        r = vp.get(_decisions_url(crisis))
    assert len(r.json()) == 3 and all(len(d["follow_ups"]) == 2 for d in r.json())


# ---- the arithmetic -------------------------------------------------------------------------


def _fact(status="open", due=10, warn=8, done=None, breached=None):
    at = lambda m: None if m is None else T0 + timedelta(minutes=m)  # noqa: E731
    return FollowUpFact(status, at(due), at(warn), at(done), at(breached))


def test_follow_through_counts_and_lights():
    now = T0 + timedelta(minutes=9)
    assert light(_fact(), now) == "yellow"
    assert light(_fact(), T0) == "green"
    assert light(_fact(), T0 + timedelta(minutes=10)) == "red"
    assert is_late(_fact(status="done", done=11), now)  # done after its due time: late forever
    assert not is_late(_fact(status="done", done=9), now + timedelta(days=9))
    assert not is_late(_fact(status="cancelled"), now + timedelta(days=9))
    summary = follow_through(
        [
            _fact(status="done", done=5),
            _fact(status="done", done=6),
            _fact(status="done", done=12),
            _fact(due=60, warn=48),
            _fact(status="cancelled"),
        ],
        now,
    )
    assert (summary.total, summary.done, summary.late, summary.open) == (4, 3, 1, 1)
    assert summary.light == "green"


def test_a_map_without_options_keeps_the_fixed_list_it_was_decided_with(make_map, users, api_as):
    from crisis.services.filing import crisis_file

    make_map(
        "old-map",
        [
            {
                "code": "decide",
                "position": "vice-president",
                "deliverable": "decision",
                "deadline_minutes": 30,
            }
        ],
    )
    crisis = crisis_file(scenario="old-map", title="Before options", actor=users["manager"])
    assert [o["code"] for o in decision_options(crisis)] == [
        "negotiate",
        "pay",
        "refuse",
        "security",
        "escalate",
    ]
    vp = api_as("vp")
    assert vp.post(_decisions_url(crisis), {"text": "x", "option": "disclose"}).status_code == 400
    ok = vp.post(_decisions_url(crisis), {"text": "Pay", "option": "pay"})
    assert ok.status_code == 201
    assert ok.json()["option_label"] == {
        "zh": "支付核实后的欠款",
        "en": "Pay the verified outstanding amount",
    }
