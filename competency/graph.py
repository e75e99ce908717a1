"""Structure checks and layout of a simulation graph. Pure: plain dicts in, plain data out.

A graph is ``{"start": key, "nodes": {key: {"kind": str, "time_limit": int | None,
"choices": [{"id": any, "next": key | None, "condition": dict | None, "timeout": bool,
"effects": {code: number}}], "rubric": [{"id": any, "forbidden": bool, "phrases": [str],
"effects": {code: number}}]}}}`` (``rubric`` only on free-text nodes, optional).
"""

from __future__ import annotations

from collections import deque

from .scoring import OPERATORS

ENDING = "ending"
TIMED = "timed"
FREE_TEXT = "free_text"


def validate_graph(graph: dict, *, known_competencies: set[str] | None = None) -> list[dict]:
    """Everything that stops a graph being published, as ``{"code", "node", "choice"}`` dicts.

    Rules: a start node exists; every choice points to an existing node; endings have no choices
    and every other node has at least one choice that is always shown (so conditions can never
    strand the player); timed decisions have a time limit and exactly one time-out choice; no
    cycles (so every path ends and no loop is endless); every node is reachable from the start;
    effects name known competencies with numbers; conditions are well formed; a free-text node
    has a rubric with at least one key point that raises a score, every rubric item has a phrase,
    forbidden phrases only lower scores, and no other node has a rubric.
    """
    nodes: dict = graph.get("nodes", {})
    start = graph.get("start")
    problems: list[dict] = []

    def add(code: str, node: str | None = None, choice=None) -> None:
        problems.append({"code": code, "node": node, "choice": choice})

    if not nodes:
        add("empty")
        return problems
    if start not in nodes:
        add("no_start")
    for key, node in nodes.items():
        choices = node.get("choices", [])
        if node.get("kind") == ENDING:
            if choices:
                add("ending_has_choices", key)
            continue
        if not choices:
            add("dead_end", key)
        elif all(c.get("condition") for c in choices):
            add("all_choices_conditional", key)
        if node.get("kind") == TIMED:
            if not node.get("time_limit"):
                add("timed_without_limit", key)
            if sum(1 for c in choices if c.get("timeout")) != 1:
                add("timed_needs_one_timeout_choice", key)
        for choice in choices:
            target = choice.get("next")
            if target is None or target not in nodes:
                add("dangling_choice", key, choice.get("id"))
            if target == key:
                add("self_loop", key, choice.get("id"))
            condition = choice.get("condition")
            if condition and not condition_ok(condition):
                add("bad_condition", key, choice.get("id"))
            for code in _effect_problems(choice.get("effects"), known_competencies):
                add(code, key, choice.get("id"))
        _check_rubric(key, node, known_competencies, add)
    if start in nodes:
        reached = _reachable(nodes, start)
        for key in nodes:
            if key not in reached:
                add("unreachable", key)
    if _has_cycle(nodes):
        add("cycle")
    return problems


def _effect_problems(effects, known_competencies: set[str] | None) -> list[str]:
    problems = []
    for code, value in (effects or {}).items():
        if not _is_number(value):
            problems.append("bad_effect")
        elif known_competencies is not None and code not in known_competencies:
            problems.append("unknown_competency")
    return problems


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_rubric(key: str, node: dict, known_competencies: set[str] | None, add) -> None:
    rubric = node.get("rubric") or []
    if node.get("kind") != FREE_TEXT:
        if rubric:
            add("rubric_not_free_text", key)
        return
    positive = [
        item
        for item in rubric
        if not item.get("forbidden")
        and item.get("phrases")
        and any(_is_number(v) and v > 0 for v in (item.get("effects") or {}).values())
    ]
    if not positive:
        add("free_text_without_rubric", key)
    for item in rubric:
        if not item.get("phrases"):
            add("rubric_item_without_phrases", key, item.get("id"))
        for code in _effect_problems(item.get("effects"), known_competencies):
            add(code, key, item.get("id"))
        if item.get("forbidden") and any(
            _is_number(v) and v > 0 for v in (item.get("effects") or {}).values()
        ):
            add("forbidden_raises_score", key, item.get("id"))


def condition_ok(condition) -> bool:
    return (
        isinstance(condition, dict)
        and isinstance(condition.get("var"), str)
        and condition.get("op") in OPERATORS
        and isinstance(condition.get("value"), (int, float))
    )


def _edges(nodes: dict, key: str) -> list[str]:
    return [c["next"] for c in nodes[key].get("choices", []) if c.get("next") in nodes]


def _reachable(nodes: dict, start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for target in _edges(nodes, queue.popleft()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _has_cycle(nodes: dict) -> bool:
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(nodes, white)
    for root in nodes:
        if colour[root] != white:
            continue
        stack = [(root, iter(_edges(nodes, root)))]
        colour[root] = grey
        while stack:
            key, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[key] = black
                stack.pop()
            elif colour[child] == grey:
                return True
            elif colour[child] == white:
                colour[child] = grey
                stack.append((child, iter(_edges(nodes, child))))
    return False


def layout(graph: dict) -> dict[str, tuple[int, int]]:
    """Layer each node by its longest distance from the start (unreachable nodes last), then
    spread each layer: returns ``{key: (column, row)}`` for drawing."""
    nodes = graph.get("nodes", {})
    start = graph.get("start")
    depth: dict[str, int] = {}
    if start in nodes and not _has_cycle(nodes):
        order = _topological(nodes)
        depth = {start: 0}
        for key in order:
            if key not in depth:
                continue
            for target in _edges(nodes, key):
                depth[target] = max(depth.get(target, 0), depth[key] + 1)
    elif start in nodes:
        depth = {start: 0}
        queue = deque([start])
        while queue:
            key = queue.popleft()
            for target in _edges(nodes, key):
                if target not in depth:
                    depth[target] = depth[key] + 1
                    queue.append(target)
    last = max(depth.values(), default=-1) + 1
    for key in nodes:
        depth.setdefault(key, last)
    rows: dict[int, int] = {}
    positions: dict[str, tuple[int, int]] = {}
    for key in nodes:  # input order keeps authoring order inside a layer
        column = depth[key]
        positions[key] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return positions


def _topological(nodes: dict) -> list[str]:
    incoming = dict.fromkeys(nodes, 0)
    for key in nodes:
        for target in _edges(nodes, key):
            incoming[target] += 1
    queue = deque(k for k, n in incoming.items() if n == 0)
    order = []
    while queue:
        key = queue.popleft()
        order.append(key)
        for target in _edges(nodes, key):
            incoming[target] -= 1
            if incoming[target] == 0:
                queue.append(target)
    return order
