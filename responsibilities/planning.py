"""Pure arithmetic of responsibility maps (no ORM): dependency checks, the dry-run schedule,
the critical path to the last decision, and the diff of two versions.

Duties are plain mappings with at least ``code``, ``deadline_minutes``, ``after`` and
``deliverable``; every function here is deterministic and side-effect free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

DECISION = "decision"


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A dependency cycle as a closed list of codes (``[a, b, a]``), or None.

    ``graph`` maps a code to the codes it waits for; references to unknown codes are ignored
    (they are reported separately)."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    for root in sorted(graph):
        if colour[root] != white:
            continue
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(set(graph[root]))))]
        path = [root]
        colour[root] = grey
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                if child not in colour:
                    continue
                if colour[child] == grey:
                    return [*path[path.index(child) :], child]
                if colour[child] == white:
                    colour[child] = grey
                    path.append(child)
                    stack.append((child, iter(sorted(set(graph[child])))))
                    advanced = True
                    break
            if not advanced:
                colour[node] = black
                path.pop()
                stack.pop()
    return None


@dataclass(frozen=True)
class Slot:
    """When a duty runs in the worst-case plan: every prerequisite uses its full allowance."""

    code: str
    start: int  # minutes after crisis start when the clock starts
    due: int  # minutes after crisis start when it is due
    lane: int  # depth in the dependency graph (0 = starts at crisis start)
    slack: int  # minutes it could slip without delaying the critical path's end
    critical: bool


@dataclass
class Plan:
    """The schedule of a whole map."""

    slots: dict[str, Slot] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # topological, stable by input order
    critical_path: list[str] = field(default_factory=list)
    target: str | None = None  # the last decision (or the last duty when there is none)
    total_minutes: int = 0
    makespan: int = 0  # when the very last duty is due


def topological_order(duties: Sequence[Mapping]) -> list[str]:
    """Codes in an order where every duty follows its prerequisites; ties keep input order.
    Raises ValueError on a cycle."""
    position = {d["code"]: i for i, d in enumerate(duties)}
    waits = {d["code"]: [a for a in d.get("after") or [] if a in position] for d in duties}
    done: list[str] = []
    placed: set[str] = set()
    remaining = [d["code"] for d in duties]
    while remaining:
        ready = [c for c in remaining if all(a in placed for a in waits[c])]
        if not ready:
            raise ValueError("dependency cycle")
        first = min(ready, key=position.__getitem__)
        done.append(first)
        placed.add(first)
        remaining.remove(first)
    return done


def schedule(duties: Sequence[Mapping]) -> Plan:
    """Start and due offsets of each duty, and the critical path to the last decision.

    A duty with no ``after`` starts at crisis start; otherwise its clock starts when the last of
    its prerequisites is due. The *target* is the decision due last (ties: the later one in the
    map); the critical path is the chain of prerequisites that determines when it is due, and
    ``total_minutes`` is its due offset."""
    plan = Plan()
    if not duties:
        return plan
    by_code = {d["code"]: d for d in duties}
    order = topological_order(duties)
    start: dict[str, int] = {}
    due: dict[str, int] = {}
    lane: dict[str, int] = {}
    driver: dict[str, str | None] = {}
    for code in order:
        prereqs = [a for a in by_code[code].get("after") or [] if a in by_code]
        if prereqs:
            # The latest prerequisite drives the start; ties go to the one listed first.
            best = max(prereqs, key=lambda a: (due[a], -prereqs.index(a)))
            start[code] = due[best]
            driver[code] = best
            lane[code] = 1 + max(lane[a] for a in prereqs)
        else:
            start[code] = 0
            driver[code] = None
            lane[code] = 0
        due[code] = start[code] + int(by_code[code]["deadline_minutes"])
    makespan = max(due.values())
    index = {c: i for i, c in enumerate(d["code"] for d in duties)}
    decisions = [c for c in order if by_code[c].get("deliverable") == DECISION]
    pool = decisions or order
    target = max(pool, key=lambda c: (due[c], index[c]))
    path: list[str] = []
    cursor: str | None = target
    while cursor is not None:
        path.append(cursor)
        cursor = driver[cursor]
    path.reverse()
    # Slack: latest allowed due (without delaying the makespan) minus planned due.
    latest_due = dict.fromkeys(order, makespan)
    for code in reversed(order):
        for other in order:
            if code in (by_code[other].get("after") or []):
                latest_due[code] = min(
                    latest_due[code], latest_due[other] - int(by_code[other]["deadline_minutes"])
                )
    on_path = set(path)
    for code in order:
        plan.slots[code] = Slot(
            code=code,
            start=start[code],
            due=due[code],
            lane=lane[code],
            slack=latest_due[code] - due[code],
            critical=code in on_path,
        )
    plan.order = order
    plan.critical_path = path
    plan.target = target
    plan.total_minutes = due[target]
    plan.makespan = makespan
    return plan


# --- Diff ----------------------------------------------------------------------------------

# Every field of a duty a map author sets; the diff compares all but the code (its key).
DUTY_FIELDS = (
    "code",
    "assignee_function",
    "assignee_position",
    "action_zh",
    "action_en",
    "deliverable",
    "deadline_minutes",
    "after",
    "warn_ratio",
    "business_hours",
    "escalation",
    "information_items",
    "competencies",
    "notes_zh",
    "notes_en",
    "options",
)
DIFF_FIELDS = DUTY_FIELDS[1:]


@dataclass(frozen=True)
class DutyChange:
    code: str
    field: str
    old: object
    new: object


@dataclass
class MapDiff:
    """What changed between two versions, by duty code."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[DutyChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": [
                {"code": c.code, "field": c.field, "old": c.old, "new": c.new} for c in self.changed
            ],
        }


def diff(old: Sequence[Mapping], new: Sequence[Mapping]) -> MapDiff:
    """Compare two duty lists by code. The order of ``after`` lists does not matter."""
    old_by = {d["code"]: d for d in old}
    new_by = {d["code"]: d for d in new}
    result = MapDiff(
        added=[c for c in new_by if c not in old_by],
        removed=[c for c in old_by if c not in new_by],
    )
    for code, n in new_by.items():
        o = old_by.get(code)
        if o is None:
            continue
        for name in DIFF_FIELDS:
            a, b = o.get(name), n.get(name)
            if name == "after":
                a, b = sorted(a or []), sorted(b or [])
            if a != b:
                result.changed.append(DutyChange(code, name, a, b))
    return result
