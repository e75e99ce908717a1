"""Pure dry-run arithmetic: schedule, chained dependencies, critical path, cycles, diff."""

from __future__ import annotations

import pytest

from responsibilities import planning


def d(code, minutes, after=(), deliverable="document"):
    return {
        "code": code,
        "deadline_minutes": minutes,
        "after": list(after),
        "deliverable": deliverable,
    }


EMERGENCY = [
    d("finance-records", 30),
    d("legal-support", 60),
    d("admin-on-site", 20, deliverable="on_site"),
    d("manager-contact", 10, deliverable="contact_log"),
    d("vp-decision", 60, ["finance-records", "legal-support"], "decision"),
]


def test_emergency_map_schedule_and_critical_path():
    plan = planning.schedule(EMERGENCY)
    assert {c: (s.start, s.due) for c, s in plan.slots.items()} == {
        "finance-records": (0, 30),
        "legal-support": (0, 60),
        "admin-on-site": (0, 20),
        "manager-contact": (0, 10),
        "vp-decision": (60, 120),
    }
    assert plan.critical_path == ["legal-support", "vp-decision"]
    assert plan.target == "vp-decision"
    assert plan.total_minutes == 120
    assert plan.slots["finance-records"].slack == 30
    assert plan.slots["legal-support"].slack == 0
    assert [c for c, s in plan.slots.items() if s.critical] == ["legal-support", "vp-decision"]


def test_chained_dependencies_add_up():
    plan = planning.schedule(
        [
            d("a", 15),
            d("b", 45, ["a"]),
            d("c", 10, ["a"]),
            d("e", 25, ["c"]),
            d("f", 30, ["b", "e"], "decision"),
            d("g", 500, ["f"]),  # after the decision: not on the path to it
        ]
    )
    assert plan.slots["b"].start == 15 and plan.slots["b"].due == 60
    assert plan.slots["e"].start == 25 and plan.slots["e"].due == 50
    assert plan.slots["f"].start == 60 and plan.slots["f"].due == 90
    assert plan.critical_path == ["a", "b", "f"]
    assert plan.total_minutes == 90
    assert plan.makespan == 590
    assert plan.slots["g"].lane == 4


def test_last_decision_is_the_latest_one_not_the_longest_duty():
    plan = planning.schedule(
        [d("x", 600), d("early", 10, deliverable="decision"), d("late", 20, ["early"], "decision")]
    )
    assert plan.target == "late"
    assert plan.critical_path == ["early", "late"]
    assert plan.total_minutes == 30


def test_without_decision_the_path_goes_to_the_last_duty():
    plan = planning.schedule([d("a", 5), d("b", 7, ["a"]), d("c", 3)])
    assert plan.target == "b"
    assert plan.critical_path == ["a", "b"]
    assert plan.total_minutes == 12


def test_empty_map_has_an_empty_plan():
    plan = planning.schedule([])
    assert plan.slots == {} and plan.critical_path == [] and plan.total_minutes == 0


@pytest.mark.parametrize(
    "graph,expected",
    [
        ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
        ({"a": ["a"]}, ["a", "a"]),
        ({"a": ["c"], "b": ["a"], "c": ["b"], "d": []}, ["a", "c", "b", "a"]),
        ({"a": [], "b": ["a"], "c": ["a", "b"]}, None),
        ({"a": ["missing"]}, None),
    ],
)
def test_find_cycle(graph, expected):
    assert planning.find_cycle(graph) == expected


def test_schedule_refuses_a_cycle():
    with pytest.raises(ValueError):
        planning.schedule([d("a", 5, ["b"]), d("b", 5, ["a"])])


def test_diff_by_code():
    old = [
        {**d("a", 30), "assignee_function": "finance"},
        {**d("b", 60, ["a", "c"]), "assignee_function": "legal"},
        {**d("gone", 5), "assignee_function": "hr"},
    ]
    new = [
        {**d("a", 45), "assignee_function": "finance"},
        {**d("b", 60, ["c", "a"]), "assignee_function": "administration"},
        {**d("new", 5), "assignee_function": "hr"},
    ]
    result = planning.diff(old, new)
    assert result.added == ["new"]
    assert result.removed == ["gone"]
    assert [(c.code, c.field, c.old, c.new) for c in result.changed] == [
        ("a", "deadline_minutes", 30, 45),
        ("b", "assignee_function", "legal", "administration"),
    ]
    assert not result.is_empty
    assert planning.diff(old, old).is_empty
