"""The crisis board flags (paused / warned / breached) kept on the crisis row for the list pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Case, Exists, OuterRef, Value, When
from django.utils import timezone

from ..choices import (
    TASK_ACTIVE_STATES,
    DeliverableKind,
)
from ..models import (
    Crisis,
    Task,
)
from ..task_state import breached_q, live_q, warned_q
from .rollup import crisis_rollup_refresh


def crisis_board_flags_refresh(
    crisis_ids: Iterable[int], *, now: datetime | None = None, rollups: bool = True
) -> int:
    """Recompute ``decision_pending`` and ``urgency`` of these crises from their tasks, in one
    UPDATE (the rules of the board's task colours, ``crisis.task_state``): a decision
    task still open or acknowledged; 0 = a live task breached (its breach fired or its due time
    passed), 1 = a warning, 2 = on track. Called by every service that changes a task's state
    or clock and by the sweep when a timer fires — and, through this same call, the metrics
    rollups of the crises' days (``services.rollup``): a task's state, clock or a milestone
    changing is exactly when a crisis's contribution to the metrics changes. ``rollups=False``
    for a change the metrics do not count (a warning firing: no milestone, no task timed,
    breached or done), which then skips the re-aggregation of the crises' days."""

    now = now or timezone.now()
    ids = [i for i in crisis_ids if i is not None]
    if not ids:
        return 0
    live = Task.objects.filter(live_q(), crisis=OuterRef("pk"))
    breached = Exists(live.filter(breached_q(now)))
    warned = Exists(live.filter(warned_q(now)))
    if rollups:
        crisis_rollup_refresh(ids, now=now)
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
