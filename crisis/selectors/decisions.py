"""Reads of the decision ledger (issue 15): the map's decision options of a crisis, the
decisions with their lineage and follow-ups, and what the crisis page and the brief show."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from responsibilities.models import Duty

from ..choices import DeliverableKind
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


def decision_options(crisis: Crisis) -> list[dict]:
    """The decision options the crisis's (frozen) map offers (one query)."""
    duties = Duty.objects.filter(
        map_id=crisis.map_id, deliverable=DeliverableKind.DECISION
    ).order_by("order", "id")
    return options_of_duties(duties)


def ledger_of(crisis: Crisis) -> QuerySet[Decision]:
    """The crisis's decisions, newest first, with maker, lineage and follow-ups (3 queries)."""
    return (
        crisis.decisions.select_related(
            "made_by", "made_by__employee", "supersedes", "superseded_by"
        )
        .prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=Task.objects.select_related("assignee", "assignee__user").order_by(
                    "due_at", "id"
                ),
            )
        )
        .order_by("-made_at", "-id")
    )


def follow_up_view(task: Task, now: datetime) -> dict:
    fact = FollowUpFact.of(task)
    return {"task": task, "light": light(fact, now), "late": is_late(fact, now)}


def annotate_follow_through(decisions: Iterable[Decision], now: datetime) -> None:
    """Set ``follow_through`` (counts and light) and ``follow_up_rows`` on each decision."""
    for decision in decisions:
        tasks = list(decision.follow_ups.all())
        decision.follow_through = follow_through((FollowUpFact.of(t) for t in tasks), now)
        decision.follow_up_rows = [follow_up_view(t, now) for t in tasks]
