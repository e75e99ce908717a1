"""Drills (issue 16 §1): a decision scored against the map's preferred options (a pure function,
the report's entries, competency evidence), a drill's legal clocks stopped when it closes, and
follow-ups on the drill's compressed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from competency.models import Evidence
from crisis.choices import TaskKind
from crisis.library import obligations_install
from crisis.models import Crisis, CrisisObligation
from crisis.selectors.drills import drill_report
from crisis.services.added_tasks import task_add
from crisis.services.closure import crisis_close
from crisis.services.decisions import decision_make
from crisis.services.drills import drill_stop
from crisis.services.filing import crisis_file
from crisis.services.obligations import obligations_sweep
from hrcore.models import Notification
from responsibilities.decision_options import (
    credit_from_text,
    credit_to_text,
    decision_quality,
    normalise_options,
    preferred_codes,
)
from responsibilities.models import Duty

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)

OPTIONS = [
    {
        "code": "negotiate",
        "label": {"zh": "协商", "en": "Negotiate"},
        "follow_ups": [],
        "credit": 1.0,
    },
    {"code": "pay", "label": {"zh": "付款", "en": "Pay"}, "follow_ups": [], "credit": 0.5},
    {"code": "refuse", "label": {"zh": "拒绝", "en": "Refuse"}, "follow_ups": [], "credit": 0.0},
    {"code": "escalate", "label": {"zh": "上报", "en": "Escalate"}, "follow_ups": []},
]


# --- the arithmetic (pure, no database) -------------------------------------------------------


def test_decision_quality_is_the_chosen_options_credit():
    assert decision_quality(OPTIONS, "negotiate").score == 1.0
    assert decision_quality(OPTIONS, "pay").score == 0.5
    assert decision_quality(OPTIONS, "refuse").score == 0.0
    assert decision_quality(OPTIONS, "escalate").score == 0.0  # not rated once others are
    assert decision_quality(OPTIONS, "other").score is None  # free text: a person judges it
    assert decision_quality(OPTIONS, "").score is None
    assert decision_quality(OPTIONS, "pay").preferred == ("negotiate",)
    unrated = [{k: v for k, v in o.items() if k != "credit"} for o in OPTIONS]
    assert decision_quality(unrated, "negotiate").score is None
    assert preferred_codes(OPTIONS) == ["negotiate"]
    assert preferred_codes(unrated) == []


def test_credits_are_checked_and_read_from_the_editors_text():
    raw = [dict(o) for o in OPTIONS]
    clean, errors = normalise_options(raw, duty="vp", prefix="duties[0]")
    assert errors == {} and [o.get("credit") for o in clean] == [1.0, 0.5, 0.0, None]
    for bad in (1.5, -0.1, True, "1"):
        _clean, errors = normalise_options(
            [{"code": "a", "label": "A", "credit": bad}], duty="vp", prefix="duties[0]"
        )
        assert "duties[0].options" in errors, bad
    assert credit_to_text(OPTIONS) == "negotiate\npay = 0.5\nrefuse = 0"
    bare = [{k: v for k, v in o.items() if k != "credit"} for o in OPTIONS]
    applied, problem = credit_from_text("negotiate\npay = 0.5\nrefuse = 0", bare)
    assert problem is None and applied == OPTIONS
    _none, problem = credit_from_text("surrender", bare)
    assert problem is not None and "surrender" in problem
    assert credit_from_text("pay = 2", bare)[1] is not None
    assert credit_from_text("pay, pay = 0.5", bare)[1] is not None  # named twice


# --- the drill's report and the evidence --------------------------------------------------------


def _file_drill(users, speed=4, **kwargs):
    return crisis_file(
        scenario=kwargs.pop("scenario", "debt-collection-emergency"),
        title="演练：催收人员到访",
        actor=users["hradmin"],
        drill=True,
        drill_speed=speed,
        **kwargs,
    )


def _rate_decision_duty(crisis) -> Duty:
    duty = Duty.objects.get(map_id=crisis.map_id, deliverable="decision")
    Duty.objects.filter(pk=duty.pk).update(options=OPTIONS, competencies=["emotional-control"])
    return duty


@pytest.mark.django_db
def test_a_drills_decision_is_scored_in_the_report_and_becomes_evidence(
    crisis_world, users, api_as, client_as
):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = _file_drill(users)
        duty = _rate_decision_duty(crisis)
        clock.move_to(T0 + timedelta(minutes=2))
        decision = decision_make(
            crisis=crisis, text="先付核实部分", option="pay", actor=users["vp"]
        )
        report = drill_report(Crisis.objects.get(pk=crisis.pk))
        [entry] = report.decisions
        assert (entry.decision_id, entry.duty, entry.chosen) == (decision.pk, duty.code, "pay")
        assert (entry.preferred, entry.score) == (["negotiate"], 0.5)
        assert entry.employee == users["vp"].employee
        response = api_as("hradmin").get(f"/api/v1/drills/{crisis.pk}/report/")
        assert response.status_code == 200, response.content
        [row] = response.json()["decisions"]
        assert (row["chosen"], row["preferred"], row["score"]) == ("pay", ["negotiate"], 0.5)
        assert row["employee"]["username"] == users["vp"].username
        assert {"participants", "map_failures"} <= response.json().keys()
        page = client_as("hradmin")  # the report page shows it too
        html = page.get(f"/crises/{crisis.pk}/drill-report/").content.decode()
        assert 'data-testid="drill-decisions"' in html and "50%" in html
        drill_stop(crisis=crisis, actor=users["hradmin"])
    rows = Evidence.objects.filter(source_key__startswith=f"drill:{crisis.pk}:decision:")
    assert [(r.employee_id, r.competency_code, r.score) for r in rows] == [
        (users["vp"].employee.pk, "emotional-control", 50.0)
    ]


@pytest.mark.django_db
def test_an_unrated_map_scores_nothing_and_records_no_decision_evidence(crisis_world, users):
    crisis = _file_drill(users)
    duty = Duty.objects.get(map_id=crisis.map_id, deliverable="decision")
    bare = [{k: v for k, v in o.items() if k != "credit"} for o in OPTIONS]
    Duty.objects.filter(pk=duty.pk).update(options=bare, competencies=["emotional-control"])
    decision_make(crisis=crisis, text="协商", option="negotiate", actor=users["vp"])
    drill_stop(crisis=crisis, actor=users["hradmin"])
    [entry] = drill_report(Crisis.objects.get(pk=crisis.pk)).decisions
    assert entry.score is None and entry.preferred == []
    assert not Evidence.objects.filter(source_key__contains=":decision:").exists()


# --- a drill closed normally stops its legal clocks ---------------------------------------------


@pytest.mark.django_db
def test_a_drill_closed_normally_stops_its_statutory_clocks(crisis_world, users):
    obligations_install()
    with time_machine.travel(T0, tick=False) as clock:
        drill = _file_drill(users, scenario="data-leak")
        real = crisis_file(scenario="data-leak", title="Real leak", actor=users["manager"])
        assert CrisisObligation.objects.filter(crisis=drill, state="running").exists()
        crisis_close(crisis=drill, outcome="演练结束", actor=users["hradmin"])
        crisis_close(crisis=real, outcome="Contained", actor=users["manager"])
        clocks = CrisisObligation.objects.filter(crisis=drill)
        assert clocks.exists()
        assert set(clocks.values_list("state", "reason")) == {("not_applicable", "crisis closed")}
        clock.move_to(T0 + timedelta(days=60))
        obligations_sweep()
    assert not CrisisObligation.objects.filter(crisis=drill, breached_at__isnull=False).exists()
    assert (
        not Notification.objects.filter(
            kind__startswith="crisis.obligation", data__crisis_id=drill.pk, created_at__gt=T0
        )
        .exclude(params__drill=True)
        .exists()
    )
    # A real crisis's clocks run on after closure: the law does not stop with the file.
    assert CrisisObligation.objects.filter(crisis=real, state="breached").exists()


# --- follow-ups on the drill's compressed clock ------------------------------------------------


@pytest.mark.django_db
def test_a_task_added_to_a_drill_runs_on_its_compressed_clock(crisis_world, users):
    with time_machine.travel(T0, tick=False):
        drill = _file_drill(users, speed=4)
        real = crisis_file(
            scenario="debt-collection-emergency", title="Real", actor=users["manager"]
        )
        for crisis, minutes in ((drill, 30), (real, 120)):
            task = task_add(
                crisis=crisis,
                kind=TaskKind.FOLLOW_UP,
                assignee=users["manager"].employee,
                action="起草还款方案",
                deadline_minutes=120,
                actor=users["manager"],
            )
            assert task.deadline_minutes == minutes
            assert task.due_at == T0 + timedelta(minutes=minutes)
        # the decision's foreseen follow-ups take the same path
        _rate_decision_duty(drill)
        decision = decision_make(
            crisis=drill,
            text="协商",
            option="negotiate",
            actor=users["vp"],
            follow_ups=[{"action": "核对欠款", "assignee": "manager", "deadline_minutes": 60}],
        )
    assert [t.deadline_minutes for t in decision.follow_ups.all()] == [15]


@pytest.mark.django_db
def test_a_participant_learns_the_preferred_options_only_once_the_drill_is_over(
    crisis_world, users, api_as, client_as
):
    crisis = _file_drill(users)
    _rate_decision_duty(crisis)
    decision_make(crisis=crisis, text="先付核实部分", option="pay", actor=users["vp"])
    url = f"/api/v1/drills/{crisis.pk}/report/"
    page_url = f"/crises/{crisis.pk}/drill-report/"
    [admin_row] = api_as("hradmin").get(url).json()["decisions"]
    assert admin_row["preferred"] == ["negotiate"]
    response = api_as("vp").get(url)
    assert response.status_code == 200, response.content
    [vp_row] = response.json()["decisions"]
    assert (vp_row["chosen"], vp_row["preferred"], vp_row["score"]) == ("pay", [], 0.5)
    assert "协商" in client_as("hradmin").get(page_url).content.decode()
    assert "协商" not in client_as("vp").get(page_url).content.decode()
    drill_stop(crisis=crisis, actor=users["hradmin"])
    [after] = api_as("vp").get(url).json()["decisions"]
    assert after["preferred"] == ["negotiate"]
    assert "协商" in client_as("vp").get(page_url).content.decode()
