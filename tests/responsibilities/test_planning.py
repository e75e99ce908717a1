"""Pure dry-run arithmetic: schedule, chained dependencies, critical path, cycles, diff."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- Properties over random acyclic maps ----------------------------------------------------


@st.composite
def acyclic_maps(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    duties = []
    for i in range(n):
        # Only earlier duties can be prerequisites: acyclic by construction.
        after = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        duties.append(
            d(
                f"d{i}",
                draw(st.integers(1, 600)),
                [f"d{a}" for a in after],
                draw(st.sampled_from(["document", "decision", "on_site"])),
            )
        )
    order = draw(st.permutations(range(n)))
    return [duties[i] for i in order]


@settings(max_examples=150, deadline=None)
@given(acyclic_maps())
def test_schedule_invariants(duties):
    plan = planning.schedule(duties)
    by = {x["code"]: x for x in duties}
    for code, slot in plan.slots.items():
        assert slot.due - slot.start == by[code]["deadline_minutes"]
        prereq_dues = [plan.slots[a].due for a in by[code]["after"]]
        assert slot.start == (max(prereq_dues) if prereq_dues else 0)
        assert slot.slack >= 0
    # The critical path is a chain of prerequisites from a start duty to the target, and the
    # total equals the sum of its allowances.
    path = plan.critical_path
    assert path[-1] == plan.target and not by[path[0]]["after"]
    for a, b in itertools.pairwise(path):
        assert a in by[b]["after"]
    assert plan.total_minutes == sum(by[c]["deadline_minutes"] for c in path)
    decisions = [c for c in by if by[c]["deliverable"] == "decision"]
    if decisions:
        assert plan.total_minutes == max(plan.slots[c].due for c in decisions)
    assert plan.makespan == max(s.due for s in plan.slots.values())
    assert planning.find_cycle({c: x["after"] for c, x in by.items()}) is None
