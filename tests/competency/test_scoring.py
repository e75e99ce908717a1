"""The pure scoring arithmetic."""

import pytest

from competency import scoring
from competency.scoring import Option, Step


def test_normalised_by_best_on_the_path_taken():
    steps = [
        Step((Option(1, {"ec": 3}), Option(2, {"ec": 1}), Option(3, {"ec": -1})), chosen_id=2),
        Step((Option(4, {"ec": 2, "ng": 4}), Option(5, {"ng": 1})), chosen_id=4),
    ]
    result = scoring.score_run(steps, pass_mark=60)
    # ec: earned 1 + 2 = 3 of best 3 + 2 = 5 → 60 %; ng: earned 4 of best 4 → 100 %
    assert result.competencies["ec"].percent == 60.0
    assert result.competencies["ng"].percent == 100.0
    assert result.overall == 80.0
    assert result.passed is True
    assert result.critical_error is False


def test_nodes_not_on_the_path_do_not_count_and_hidden_choices_do_not_raise_the_bar():
    # Only the options offered are in a step: a better but hidden choice is simply absent.
    steps = [Step((Option(1, {"ec": 2}),), chosen_id=1)]
    assert scoring.score_run(steps, pass_mark=60).competencies["ec"].percent == 100.0


def test_weights_and_negative_totals_clip_to_zero():
    steps = [
        Step((Option(1, {"a": 4}), Option(2, {"a": -3})), chosen_id=2),
        Step((Option(3, {"b": 2}), Option(4, {"b": 1})), chosen_id=3),
    ]
    result = scoring.score_run(steps, pass_mark=60, weights={"a": 3, "b": 1})
    assert result.competencies["a"].percent == 0.0
    assert result.competencies["a"].earned == -3.0
    assert result.overall == 25.0  # (3*0 + 1*100) / 4


def test_critical_error_caps_below_pass_mark():
    steps = [
        Step((Option(1, {"a": 5}), Option(2, {"a": 4}, critical=True)), chosen_id=2),
        Step((Option(3, {"a": 5}),), chosen_id=3),
    ]
    result = scoring.score_run(steps, pass_mark=70)
    assert result.competencies["a"].percent == 90.0
    assert result.overall == 69.0
    assert result.critical_error is True
    assert result.passed is False


def test_critical_error_keeps_lower_scores():
    steps = [Step((Option(1, {"a": 5}), Option(2, {"a": 1}, critical=True)), chosen_id=2)]
    assert scoring.score_run(steps, pass_mark=60).overall == 20.0


def test_no_scorable_step_gives_zero():
    result = scoring.score_run([Step((Option(1, {}),), chosen_id=1)], pass_mark=60)
    assert (result.overall, result.passed, result.competencies) == (0.0, False, {})


def test_suggestions_order_critical_then_missed_then_weakest():
    steps = [
        Step((Option(1, {"a": 2}), Option(2, {"a": 0}, has_hint=True)), chosen_id=2),
        Step((Option(3, {"b": 3}), Option(4, {"b": -1}, critical=True)), chosen_id=4),
        Step((Option(5, {"c": 1}),), chosen_id=5),
    ]
    result = scoring.score_run(steps, pass_mark=60)
    plan = scoring.suggestions_plan(result, steps)
    assert plan[0] == {"kind": "critical", "choice_id": 4}
    assert plan[1] == {"kind": "choice", "choice_id": 2}
    assert [p["code"] for p in plan[2:]] == ["a", "b"]


@pytest.mark.parametrize(
    ("percent", "level"), [(0, 1), (24.9, 1), (25, 2), (60, 3), (74.9, 3), (75, 4), (100, 4)]
)
def test_level_from_percent(percent, level):
    assert scoring.level_from_percent(percent, [1, 2, 3, 4]) == level


def test_state_changes_clamp_and_conditions():
    state = scoring.apply_state_changes({"agitation": 90}, {"agitation": 25})
    assert state == {"agitation": 100}
    assert scoring.apply_state_changes({"agitation": 5}, {"agitation": -20}) == {"agitation": 0}
    assert scoring.condition_holds({"var": "agitation", "op": "lt", "value": 70}, {"agitation": 60})
    assert not scoring.condition_holds(
        {"var": "agitation", "op": "gte", "value": 70}, {"agitation": 60}
    )
    assert not scoring.condition_holds({"var": "agitation", "op": "bogus", "value": 1}, {})
    assert scoring.condition_holds(None, {})
