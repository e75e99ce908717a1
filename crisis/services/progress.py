"""What a finished task sets in motion: milestones, 'all information in' and starting the tasks that waited on it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from hrcore.selectors import calendar_for_unit
from hrcore.services.notifications import notification_send
from hrcore.services.performance import performance_event_record

from .. import events, metrics
from ..choices import (
    TaskStatus,
    TimerState,
)
from ..models import (
    Crisis,
    Deliverable,
    Task,
)
from ..notifications import duty_action as _duty_action
from ..selectors.dashboard import crisis_task_facts
from .assignment import notify_task_assigned, start_clock
from .common import crisis_link, drill_marked
from .rollup import crisis_rollup_refresh


def milestone_stamp(crisis: Crisis, field: str, at: datetime) -> None:
    """Record a "first time" milestone (first response, first decision): a compare-and-set
    update that keeps the earliest time, in the caller's transaction."""
    changed = (
        Crisis.objects.filter(pk=crisis.pk)
        .filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": at}))
        .update(**{field: at})
    )
    if changed:  # the first time only: the day's metrics rollup counts it from now on
        crisis_rollup_refresh([crisis.pk])
    current = getattr(crisis, field, None)
    if current is None or current > at:
        setattr(crisis, field, at)


def all_info_refresh(crisis: Crisis) -> None:
    """Re-judge "all information in" after a task is done or cancelled (cancelling the last
    missing information task reaches it too). Callers hold the crisis row lock, so concurrent
    completions of the last two tasks see each other."""
    at = metrics.all_information_at(crisis_task_facts(crisis.pk))
    Crisis.objects.filter(pk=crisis.pk).update(all_info_at=at)
    crisis.all_info_at = at


def start_ready_dependents(crisis: Crisis, *, at: datetime) -> list[Task]:
    """Start the clocks of waiting tasks whose prerequisites are all done or cancelled."""
    finished = set(
        crisis.tasks.filter(status__in=(TaskStatus.DONE, TaskStatus.CANCELLED)).values_list(
            "duty_code", flat=True
        )
    )
    started = []
    calendar = None
    for task in crisis.tasks.filter(status=TaskStatus.WAITING).select_related(
        "assignee", "assignee__user", "duty"
    ):
        if not set(task.after) <= finished:
            continue
        calendar = calendar or calendar_for_unit(crisis.unit)
        acknowledged = task.acknowledged_at is not None
        start_clock(task, at=at, calendar=calendar)
        if acknowledged:
            task.status = TaskStatus.ACKNOWLEDGED
        task.save(update_fields=["status", "started_at", "warn_at", "due_at", "timer_state"])
        events.clock_started_event(task=task, at=at)
        notify_task_assigned(task, crisis, reason="started")
        started.append(task)
    return started


def finish_task(task: Task, *, actor, at: datetime, deliverable: Deliverable) -> None:
    late = task.breached_at is not None or (task.due_at is not None and at > task.due_at)
    task.status = TaskStatus.DONE
    task.completed_at = at
    task.completed_by = actor
    if task.timer_state == TimerState.PAUSED and task.paused_at:
        task.paused_seconds += int((at - task.paused_at).total_seconds())
        task.paused_at = None
    task.timer_state = TimerState.STOPPED
    task.escalate_at = None
    task.save(
        update_fields=[
            "status",
            "completed_at",
            "completed_by",
            "timer_state",
            "escalate_at",
            "paused_at",
            "paused_seconds",
        ]
    )
    events.task_completed_event(task=task, actor=actor, deliverable_id=deliverable.pk, late=late)
    crisis = task.crisis
    if not crisis.is_drill:  # a drill's duties count as drill results (competency)
        performance_event_record(
            employee=task.assignee,
            kind="crisis_duty",
            variant="late" if late else "on_time",
            source_key=f"crisis_duty:{task.pk}",
            summary=(
                f"危机职责{'逾期' if late else '按时'}完成:{crisis.title}",
                f"Crisis duty done {'late' if late else 'on time'}: {crisis.title}",
            ),
            link=crisis_link(crisis.pk),
            occurred_at=at,
        )
    milestone_stamp(crisis, "first_response_at", at)
    all_info_refresh(crisis)
    if crisis.filed_by_id and crisis.filed_by_id != getattr(actor, "pk", None):
        notification_send(
            recipient=crisis.filed_by,
            kind="crisis.task_done",
            params=drill_marked(
                crisis, {"crisis_title": crisis.title, "action": _duty_action(task)}
            ),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk, "task_id": task.pk},
            dedupe_key=f"crisis:task:{task.pk}:done:{crisis.filed_by_id}",
            email=False,
        )
    start_ready_dependents(crisis, at=at)
