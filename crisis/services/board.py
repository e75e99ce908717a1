"""The crisis board flags (paused / warned / breached) kept on the crisis row for the list pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from ..choices import (
    TASK_ACTIVE_STATES,
    DeliverableKind,
    TimerState,
)
from ..models import (
    Crisis,
    Task,
)


def crisis_board_flags_refresh(crisis_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute ``decision_pending`` and ``urgency`` of these crises from their tasks, in one
    UPDATE (the rules of the board's task colours, ``crisis.presenters.task_state``): a decision
    task still open or acknowledged; 0 = a live task breached (its breach fired or its due time
    passed), 1 = a warning, 2 = on track. Called by every service that changes a task's state
    or clock and by the sweep when a timer fires."""
    from django.db.models import Case, Exists, OuterRef, Value, When

    now = now or timezone.now()
    ids = [i for i in crisis_ids if i is not None]
    if not ids:
        return 0
    live = Task.objects.filter(
        crisis=OuterRef("pk"), status__in=TASK_ACTIVE_STATES, paused_at__isnull=True
    ).exclude(timer_state=TimerState.PAUSED)
    breached = Exists(live.filter(Q(timer_state=TimerState.BREACHED) | Q(due_at__lte=now)))
    warned = Exists(live.filter(Q(timer_state=TimerState.WARNED) | Q(warn_at__lte=now)))
    return Crisis.objects.filter(pk__in=ids).update(
        decision_pending=Exists(
            Task.objects.filter(
                crisis=OuterRef("pk"),
                deliverable_kind=DeliverableKind.DECISION,
                status__in=TASK_ACTIVE_STATES,
            )
        ),
        urgency=Case(When(breached, then=Value(0)), When(warned, then=Value(1)), default=Value(2)),
    )
