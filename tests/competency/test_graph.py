"""The publish validation matrix of simulation graphs."""

import pytest

from competency.graph import layout, validate_graph


def node(kind="decision", *choices, time_limit=None):
    return {"kind": kind, "time_limit": time_limit, "choices": list(choices)}


def ch(next_key, cid=None, **extra):
    return {"id": cid or next_key, "next": next_key, **extra}


VALID = {
    "start": "s",
    "nodes": {
        "s": node("narrative", ch("d")),
        "d": node(
            "decision",
            ch("e1", "a"),
            ch("t", "b", condition={"var": "agitation", "op": "lt", "value": 50}),
        ),
        "t": node("timed", ch("e1", "c"), ch("e2", "to", timeout=True), time_limit=30),
        "e1": node("ending"),
        "e2": node("ending"),
    },
}


def codes(graph, **kw):
    return sorted(p["code"] for p in validate_graph(graph, **kw))


def test_valid_graph_has_no_problems():
    assert validate_graph(VALID, known_competencies=set()) == []


def mutate(fn):
    import copy

    g = copy.deepcopy(VALID)
    fn(g)
    return g


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda g: g.update(start="zz"), ["no_start"]),
        (lambda g: g["nodes"]["d"]["choices"].append(ch("nowhere", "x")), ["dangling_choice"]),
        (lambda g: g["nodes"]["d"]["choices"].append(ch(None, "y")), ["dangling_choice"]),
        (lambda g: g["nodes"].update(orphan=node("ending")), ["unreachable"]),
        (lambda g: g["nodes"]["t"]["choices"].append(ch("d", "back")), ["cycle"]),
        (lambda g: g["nodes"]["d"]["choices"].append(ch("d", "self")), ["cycle", "self_loop"]),
        (
            lambda g: g["nodes"].update(d=node("decision")),
            ["dead_end", "unreachable", "unreachable", "unreachable"],
        ),
        (lambda g: g["nodes"]["e1"]["choices"].append(ch("e2")), ["ending_has_choices"]),
        (lambda g: g["nodes"]["t"].update(time_limit=None), ["timed_without_limit"]),
        (
            lambda g: g["nodes"]["t"]["choices"].pop(),
            ["timed_needs_one_timeout_choice", "unreachable"],
        ),
        (
            lambda g: g["nodes"]["d"]["choices"][0].update(
                condition={"var": "a", "op": "lt", "value": 1}
            ),
            ["all_choices_conditional"],
        ),
        (
            lambda g: g["nodes"]["d"]["choices"][0].update(condition={"op": "??"}),
            ["all_choices_conditional", "bad_condition"],
        ),
        (lambda g: g["nodes"]["d"]["choices"][0].update(effects={"ec": "lots"}), ["bad_effect"]),
        (
            lambda g: g["nodes"]["d"]["choices"][0].update(effects={"nope": 1}),
            ["unknown_competency"],
        ),
        (lambda g: g.update(nodes={}), ["empty"]),
    ],
)
def test_invalid_graphs(change, expected):
    assert codes(mutate(change), known_competencies={"ec"}) == sorted(expected)


def test_layout_columns_follow_longest_path():
    positions = layout(VALID)
    assert positions["s"][0] == 0
    assert positions["d"][0] == 1
    assert positions["t"][0] == 2
    assert positions["e1"][0] == 3  # reached from d (depth 2) and t (depth 3): longest wins
