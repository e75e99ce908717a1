"""Template helpers of the responsibility pages: durations, escalation labels, the crisis duties
section of a job description."""

from __future__ import annotations

from django import template

from hrcore.models import Position

from .. import selectors
from ..choices import ESCALATION_POSITION_PREFIX, EscalationStep

register = template.Library()


@register.filter
def minutes(value) -> str:
    """120 → "2 h", 90 → "1 h 30 min", 2880 → "2 d" in the reader's language (the product's one
    duration formatter, ``hrcore.durations``)."""
    from hrcore.durations import format_duration

    try:
        total = int(value)
    except (TypeError, ValueError):
        return ""
    return format_duration(minutes=total)


def escalation_label(step: str, positions: dict[str, str] | None = None) -> str:
    if step in EscalationStep.values:
        return str(EscalationStep(step).label)
    if step.startswith(ESCALATION_POSITION_PREFIX):
        code = step[len(ESCALATION_POSITION_PREFIX) :]
        if positions is None:
            position = Position.objects.filter(code=code).first()
            return position.title if position else code
        return positions.get(code, code)
    return step


@register.simple_tag(takes_context=True)
def escalation_chain(context, steps) -> str:
    """ "The assignee's manager → Vice-president" for a list of escalation steps."""
    positions = context.get("position_titles")
    return " → ".join(escalation_label(s, positions) for s in steps or []) or "—"


@register.inclusion_tag("responsibilities/_position_duties.html", takes_context=True)
def position_crisis_duties(context, position):
    """The generated "crisis duties" section of a position's job description."""
    return {
        "position": position,
        "duties": selectors.position_crisis_duties(position=position),
        "position_titles": {p.code: p.title for p in Position.objects.all()},
        "request": context.get("request"),
        "compact": True,
    }


@register.filter
def gap_label(kind: str) -> str:
    """A gap kind (vacant, absent, unreachable, untrained) in the reader's language."""
    from ..coverage import GAP_LABELS

    return str(GAP_LABELS.get(kind, kind))


@register.filter
def in_language(value) -> str:
    """A ``{"zh", "en"}`` pair stored with a coverage snapshot, in the reader's language."""
    from hrcore.i18n import is_chinese

    if not isinstance(value, dict):
        return "" if value is None else str(value)
    zh, en = value.get("zh") or "", value.get("en") or ""
    return (zh or en) if is_chinese() else (en or zh)
