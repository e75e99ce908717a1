"""Who a task goes to (assignee and escalation target), starting its clock and the assignment notice."""

from __future__ import annotations

from datetime import datetime

from hrcore import sla
from hrcore.notification_kinds import when
from hrcore.services.notifications import (
    NotificationSpec,
    notification_spec_send,
)

from ..choices import (
    TaskStatus,
    TimerState,
)
from ..models import (
    Crisis,
    Task,
)
from ..notifications import duty_action as _duty_action
from .common import crisis_link, drill_marked


def start_clock(task: Task, *, at: datetime, calendar: sla.Calendar) -> None:
    deadlines = sla.deadlines_for(
        started_at=at,
        deadline_minutes=task.deadline_minutes,
        warn_ratio=task.warn_ratio,
        business_hours=task.business_hours,
        calendar=calendar,
    )
    task.status = TaskStatus.OPEN
    task.started_at = at
    task.warn_at = deadlines.warn_at
    task.due_at = deadlines.due_at
    task.timer_state = TimerState.RUNNING


def task_assigned_spec(
    task: Task, crisis: Crisis, *, reason: str = "assigned", link: str | None = None
) -> NotificationSpec:
    """``link``: the crisis page's address when the caller has it already (filing notifies
    every assignee of one crisis)."""
    return NotificationSpec(
        recipient=task.assignee.user,
        kind="crisis.task",
        params=drill_marked(
            crisis,
            {
                "crisis_title": crisis.title,
                "action": _duty_action(task),
                "waiting": task.status == TaskStatus.WAITING,
                "due_at": when(task.due_at),
                "time_zone": task.assignee.time_zone,
            },
        ),
        link=link if link is not None else crisis_link(crisis.pk),
        data={"crisis_id": crisis.pk, "task_id": task.pk},
        dedupe_key=f"crisis:task:{task.pk}:{reason}:{task.assignee_id}:{task.status}",
    )


def notify_task_assigned(task: Task, crisis: Crisis, *, reason: str = "assigned") -> None:
    if task.assignee is None:
        return
    notification_spec_send(task_assigned_spec(task, crisis, reason=reason))
