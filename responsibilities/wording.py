"""How duties and the changes between two map versions read to people (no ORM).

Values are shown by name in the reader's language (a function's label, a position's title, a
competency's name), durations as "2 h", the warning as a percentage; the names of positions and
competencies are passed in, so everything here is pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrcore.choices import DepartmentFunction

from .choices import ESCALATION_POSITION_PREFIX, DeliverableKind, EscalationStep
from .decision_options import label_of
from .planning import MapDiff

FIELD_LABELS = {
    "assignee": gettext_lazy("Who"),
    "action_zh": gettext_lazy("Action (Chinese)"),
    "action_en": gettext_lazy("Action (English)"),
    "deliverable": gettext_lazy("Deliverable"),
    "deadline_minutes": gettext_lazy("Deadline"),
    "after": gettext_lazy("Starts after"),
    "warn_ratio": gettext_lazy("Warning at"),
    "business_hours": gettext_lazy("Business hours only"),
    "escalation": gettext_lazy("Escalation"),
    "information_items": gettext_lazy("Information needed"),
    "competencies": gettext_lazy("Competencies"),
    "notes_zh": gettext_lazy("Notes (Chinese)"),
    "notes_en": gettext_lazy("Notes (English)"),
    "options": gettext_lazy("Decision options"),
}
ASSIGNEE_FIELDS = ("assignee_function", "assignee_position")


@dataclass(frozen=True)
class Names:
    """Display names the caller looked up: position code → title, competency code → name."""

    positions: Mapping[str, str] = field(default_factory=dict)
    competencies: Mapping[str, str] = field(default_factory=dict)


def cycle_text(cycle: Sequence[str]) -> str:
    """A closed cycle ``[a, b, a]`` as people read it: "a → b → a"."""
    return " → ".join(cycle)


def duration(minutes: int) -> str:
    """120 → "2 h", 90 → "1 h 30 min", 2880 → "2 d" (translated)."""
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d d") % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts)


def percent(ratio: float) -> str:
    """0.8 → "80 %", 0.333 → "33.3 %"."""
    value = round(float(ratio) * 100, 1)
    return f"{value:g} %"


def function_label(code: str) -> str:
    return str(DepartmentFunction(code).label) if code in DepartmentFunction.values else code


def assignee(duty: Mapping, names: Names) -> str:
    """The function's label or the position's title."""
    if duty.get("assignee_function"):
        return function_label(duty["assignee_function"])
    code = duty.get("assignee_position") or ""
    return names.positions.get(code, code) or "—"


def escalation_step(step: str, names: Names) -> str:
    if step in EscalationStep.values:
        return str(EscalationStep(step).label)
    if step.startswith(ESCALATION_POSITION_PREFIX):
        code = step[len(ESCALATION_POSITION_PREFIX) :]
        return names.positions.get(code, code)
    return step


def value_text(name: str, value, names: Names) -> str:
    """One field's value in words; empty values read as a dash."""
    if name == "deadline_minutes":
        return duration(value or 0)
    if name == "warn_ratio":
        return percent(value)
    if name == "business_hours":
        return _("Yes") if value else _("No")
    if name == "deliverable":
        return str(DeliverableKind(value).label) if value in DeliverableKind.values else value
    if name == "escalation":
        return " → ".join(escalation_step(s, names) for s in value or []) or "—"
    if name == "competencies":
        return ", ".join(names.competencies.get(c, c) for c in value or []) or "—"
    if name == "information_items":
        return "; ".join(value or []) or "—"
    if name == "options":  # a credit (issue 16) in brackets, so a change of credit reads as one
        return (
            "; ".join(
                label_of(o) + ("" if o.get("credit") is None else f" ({o['credit']:g})")
                for o in value or []
            )
            or "—"
        )
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a duty, in words."""

    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class DutyChanges:
    """A duty present in both versions, with each changed field."""

    code: str
    who: str
    fields: list[FieldChange]


@dataclass(frozen=True)
class DutySummary:
    """An added or removed duty: who, what, by when."""

    code: str
    who: str
    action: str
    deadline: str


@dataclass(frozen=True)
class DiffInWords:
    added: list[DutySummary]
    removed: list[DutySummary]
    changed: list[DutyChanges]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _summary(duty: Mapping, names: Names, *, english: bool) -> DutySummary:
    first, second = ("action_en", "action_zh") if english else ("action_zh", "action_en")
    return DutySummary(
        code=duty["code"],
        who=assignee(duty, names),
        action=duty.get(first) or duty.get(second) or "",
        deadline=duration(duty.get("deadline_minutes") or 0),
    )


def diff_in_words(
    diff: MapDiff,
    old: Sequence[Mapping],
    new: Sequence[Mapping],
    names: Names,
    *,
    english: bool = False,
) -> DiffInWords:
    """``diff`` (planning.diff of ``old`` → ``new``) field by field in words: a change of the
    assignee (function or position) is one "Who" line."""
    old_by = {d["code"]: d for d in old}
    new_by = {d["code"]: d for d in new}
    changed: dict[str, list[FieldChange]] = {}
    for c in diff.changed:
        rows = changed.setdefault(c.code, [])
        if c.field in ASSIGNEE_FIELDS:
            if not any(r.field == "assignee" for r in rows):
                rows.append(
                    FieldChange(
                        "assignee",
                        str(FIELD_LABELS["assignee"]),
                        assignee(old_by[c.code], names),
                        assignee(new_by[c.code], names),
                    )
                )
            continue
        rows.append(
            FieldChange(
                c.field,
                str(FIELD_LABELS.get(c.field, c.field)),
                value_text(c.field, c.old, names),
                value_text(c.field, c.new, names),
            )
        )
    return DiffInWords(
        added=[_summary(new_by[c], names, english=english) for c in diff.added],
        removed=[_summary(old_by[c], names, english=english) for c in diff.removed],
        changed=[
            DutyChanges(code=code, who=assignee(new_by[code], names), fields=rows)
            for code, rows in changed.items()
        ],
    )
