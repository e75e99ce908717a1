"""What a crisis replay reads from the crisis engine (read only, a fixed number of queries)."""

from __future__ import annotations

from django.utils import translation

from crisis.choices import CrisisStatus, DecisionOption, DeliverableKind, EventKind, FindingKind
from crisis.dossier_hooks import dossier_snapshots
from crisis.models import Crisis, Decision, Deliverable, ReviewFinding, TimelineEvent
from responsibilities import decision_options

from .models import Competency, Simulation
from .replay import code_for

# The competency a decision earns credit on when its duty names none the frameworks know.
FALLBACK_COMPETENCY = "decision-making"
RECENT_LIMIT = 10

_EVENT_KINDS = {
    EventKind.TASK_COMPLETED: "delivered",
    EventKind.TASK_BREACHED: "breached",
    EventKind.TASK_ESCALATED: "escalated",
}


def _option_labels() -> list[dict]:
    """The decision options of the crisis engine, in both languages (``other`` last)."""
    options = []
    for code in DecisionOption.values:
        labels = {}
        for suffix, language in (("zh", "zh-hans"), ("en", "en")):
            with translation.override(language):
                labels[suffix] = str(DecisionOption(code).label)
        options.append({"code": code, **labels})
    return options


def _map_options(duty) -> list[dict]:
    """A decision duty's own options (``Duty.options``, ``responsibilities.decision_options``)
    in the replay's shape, labels in both languages; empty where the map has none, and the
    crisis engine's fixed list is used instead."""
    return [
        {
            "code": str(option["code"]),
            "zh": decision_options.label_of(option, "zh-hans"),
            "en": decision_options.label_of(option, "en"),
        }
        for option in (getattr(duty, "options", None) or [])
        if isinstance(option, dict) and option.get("code")
    ]


def _duty_action(task) -> dict[str, str]:
    duty = task.duty if task is not None else None
    if duty is not None:
        return {"action_zh": duty.action_zh, "action_en": duty.action_en}
    action = task.action if task is not None else ""
    return {"action_zh": action, "action_en": action}


def _deliverable_note(deliverable: Deliverable | None) -> str:
    if deliverable is None:
        return ""
    parts = [deliverable.note.strip(), deliverable.location.strip()]
    if deliverable.kind == DeliverableKind.CONTACT_LOG:
        parts.append(str((deliverable.fields or {}).get("contact_outcome") or "").strip())
    return "\n".join(p for p in parts if p)


def replay_crisis(crisis_id: int) -> Crisis | None:
    return Crisis.objects.select_related("scenario").filter(pk=crisis_id).first()


def replay_facts(crisis: Crisis) -> dict:
    """The facts ``replay.replay_spec`` turns into a simulation (5 queries whatever the size, plus
    the dossier snapshots' provider's): the dossier as it arrived comes through
    ``crisis.dossier_hooks`` (integrations fills it; competency does not import it)."""
    known = set(Competency.objects.values_list("code", flat=True))
    events = list(
        TimelineEvent.objects.filter(crisis=crisis, kind__in=list(_EVENT_KINDS))
        .select_related("task__duty")
        .order_by("at", "id")
    )
    deliverable_ids = [
        e.data.get("deliverable_id") for e in events if e.kind == EventKind.TASK_COMPLETED
    ]
    deliverables = Deliverable.objects.in_bulk([i for i in deliverable_ids if i])
    info = []
    for event in events:
        data = event.data or {}
        if event.kind == EventKind.TASK_COMPLETED and data.get("deliverable") == "decision":
            continue  # the decision itself is a decision point
        info.append(
            {
                "at": event.at,
                "kind": _EVENT_KINDS[event.kind],
                "duty": data.get("duty") or "",
                "step": data.get("step"),
                "note": _deliverable_note(deliverables.get(data.get("deliverable_id"))),
                **_duty_action(event.task),
            }
        )
    decisions = []
    for decision in (
        Decision.objects.filter(crisis=crisis)
        .select_related("task__duty")
        .order_by("made_at", "id")
    ):
        duty = decision.task.duty if decision.task_id and decision.task.duty_id else None
        codes = [c for c in (duty.competencies if duty else []) if c in known]
        if not codes and FALLBACK_COMPETENCY in known:
            codes = [FALLBACK_COMPETENCY]
        decisions.append(
            {
                "at": decision.made_at,
                "option": decision.option,
                "text": decision.text,
                "competencies": codes,
                "options": _map_options(duty),
                **_duty_action(decision.task),
            }
        )
    findings = [
        {"kind": f.kind, "text": f.text}
        for f in ReviewFinding.objects.filter(crisis=crisis).order_by("created_at", "id")
        if f.kind in FindingKind.values
    ]
    scenario = crisis.scenario
    return {
        "crisis_id": crisis.pk,
        "title": crisis.title,
        "description": crisis.description,
        "filed_at": crisis.filed_at,
        "outcome": crisis.outcome,
        "scenario": {
            "code": scenario.code,
            "name_zh": scenario.name_zh,
            "name_en": scenario.name_en,
            "description_zh": scenario.description_zh,
            "description_en": scenario.description_en,
        },
        "events": info,
        "dossiers": dossier_snapshots(crisis.pk),
        "decisions": decisions,
        "options": _option_labels(),
        "findings": findings,
    }


def crisis_is_closed(crisis: Crisis) -> bool:
    return crisis.status != CrisisStatus.OPEN


def replay_made(crisis_id: int) -> bool:
    return Simulation.objects.filter(code=code_for(crisis_id)).exists()


def recent_closed_crises(limit: int = RECENT_LIMIT) -> list[dict]:
    """The latest closed crises, each with whether it was replayed already (the authoring
    page's "Replay as training" list; two queries)."""
    crises = list(
        Crisis.objects.exclude(status=CrisisStatus.OPEN)
        .select_related("scenario", "unit")
        .order_by("-closed_at", "-id")[:limit]
    )
    made = set(
        Simulation.objects.filter(code__in=[code_for(c.pk) for c in crises]).values_list(
            "code", flat=True
        )
    )
    return [{"crisis": c, "replayed": code_for(c.pk) in made} for c in crises]
