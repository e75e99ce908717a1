"""Reads of the decision ledger (issue 15): the map's decision options of a crisis, the
decisions with their lineage and follow-ups, and what the crisis page and the brief show."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import translation

from responsibilities.models import Duty

from ..choices import DecisionOption, DeliverableKind
from ..follow_through import FollowUpFact, follow_through, is_late, light
from ..models import Crisis, Decision, Task


def options_of_duties(duties: Iterable) -> list[dict]:
    """The options of the given (decision) duties, each code once, in map order."""
    seen: dict[str, dict] = {}
    for duty in duties:
        if duty is None or duty.deliverable != DeliverableKind.DECISION:
            continue
        for option in duty.options or []:
            seen.setdefault(option["code"], option)
    return list(seen.values())


def legacy_label(code: str) -> dict:
    """The label, in both languages, of a code of the fixed list decisions were taken from
    before maps had options (``DecisionOption``); {} for another code."""
    if code not in DecisionOption.values:
        return {}
    label = {}
    for language, key in (("zh-hans", "zh"), ("en", "en")):
        with translation.override(language):
            label[key] = str(DecisionOption(code).label)
    return label


def decision_options(crisis: Crisis) -> list[dict]:
    """The decision options the crisis's (frozen) map offers (one query). A map from before
    maps had options keeps the fixed list it was decided with (``DecisionOption``)."""
    duties = Duty.objects.filter(
        map_id=crisis.map_id, deliverable=DeliverableKind.DECISION
    ).order_by("order", "id")
    options = options_of_duties(duties)
    if options:
        return options
    return [
        {"code": code, "label": legacy_label(code), "follow_ups": []}
        for code in DecisionOption.values
        if code != DecisionOption.OTHER
    ]


def ledger_of(crisis: Crisis, *, follow_ups: bool = True) -> QuerySet[Decision]:
    """The crisis's decisions, newest first, with maker and lineage (one query), and their
    follow-ups (one more; ``follow_ups=False`` when the caller holds the crisis's tasks)."""
    decisions = crisis.decisions.select_related(
        "made_by", "made_by__employee", "supersedes", "superseded_by"
    ).order_by("-made_at", "-id")
    if not follow_ups:
        return decisions
    return decisions.prefetch_related(
        Prefetch(
            "follow_ups",
            queryset=Task.objects.select_related("assignee", "assignee__user").order_by(
                "due_at", "id"
            ),
        )
    )


def follow_up_view(task: Task, now: datetime) -> dict:
    fact = FollowUpFact.of(task)
    return {"task": task, "light": light(fact, now), "late": is_late(fact, now)}


def annotate_follow_through(
    decisions: Iterable[Decision], now: datetime, tasks: Iterable[Task] | None = None
) -> None:
    """Set ``follow_through`` (counts and light) and ``follow_up_rows`` on each decision, from
    its prefetched follow-ups or from ``tasks`` (the crisis's tasks the caller holds)."""
    by_decision: dict[int, list[Task]] = {}
    for task in tasks or ():
        if task.follow_up_of_id:
            by_decision.setdefault(task.follow_up_of_id, []).append(task)
    for decision in decisions:
        if tasks is None:
            follow_ups = list(decision.follow_ups.all())
        else:
            follow_ups = sorted(
                by_decision.get(decision.pk, []), key=lambda t: (t.due_at is None, t.due_at, t.pk)
            )
        decision.follow_through = follow_through((FollowUpFact.of(t) for t in follow_ups), now)
        decision.follow_up_rows = [follow_up_view(t, now) for t in follow_ups]
