"""Pausing and resuming SLA clocks, for one task or a whole crisis."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore import sla
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.selectors import calendar_for_unit

from .. import events
from ..choices import (
    TIMER_TICKING_STATES,
    TimerState,
)
from ..models import (
    Crisis,
    Task,
)
from ..selectors.access import can_manage
from .board import crisis_board_flags_refresh
from .common import is_assignee, lock_managed, lock_task, require_open_crisis, require_visible


def _pause_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the clock pauses."), errors={"reason": _("This field is required.")}
        )
    return reason[:300]


def _pause_clock(task: Task, *, reason: str, actor, at: datetime) -> None:
    """Stop one ticking clock (compare-and-set: a sweep that fired in between wins) and record
    it on the timeline."""
    moved = Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
        timer_state=TimerState.PAUSED, paused_at=at, pause_reason=reason
    )
    if not moved:
        raise Conflict(_("The clock changed meanwhile; try again."), code="clock_changed")
    task.timer_state, task.paused_at, task.pause_reason = TimerState.PAUSED, at, reason
    events.task_paused_event(task=task, actor=actor, reason=reason)


def _resume_clock(task: Task, *, actor, at: datetime, calendar: sla.Calendar | None) -> None:
    """Restart one paused clock; pending deadlines move by the time that was left at the pause
    (in working time for business-hours duties)."""

    def shift(moment):
        return sla.resume_shift(
            moment,
            paused_at=task.paused_at,
            resumed_at=at,
            business_hours=task.business_hours,
            calendar=calendar,
        )

    paused_for = int((at - task.paused_at).total_seconds())
    if task.breached_at is not None:
        state = TimerState.BREACHED
    elif task.warned_at is not None:
        state = TimerState.WARNED
    else:
        state = TimerState.RUNNING
    task.warn_at = shift(task.warn_at) if task.warned_at is None else task.warn_at
    task.due_at = shift(task.due_at) if task.breached_at is None else task.due_at
    task.escalate_at = shift(task.escalate_at)
    task.paused_seconds += paused_for
    task.paused_at = None
    task.timer_state = state
    task.save(
        update_fields=[
            "warn_at",
            "due_at",
            "escalate_at",
            "paused_seconds",
            "paused_at",
            "timer_state",
        ]
    )
    events.task_resumed_event(task=task, actor=actor, paused_seconds=paused_for, at=at)


@transaction.atomic
def task_pause(*, task: Task, reason: str, actor) -> Task:
    """Stop the clock (e.g. waiting for the customer); paused time does not count."""
    task = lock_task(task)
    crisis = task.crisis
    require_visible(actor, crisis)
    if not (is_assignee(actor, task) or can_manage(actor, crisis)):
        raise PermissionDenied(_("Only the assignee or the crisis owner can pause the clock."))
    require_open_crisis(crisis)
    reason = _pause_reason(reason)
    if task.timer_state not in TIMER_TICKING_STATES:
        raise Conflict(_("This task's clock is not running."), code="not_running")
    _pause_clock(task, reason=reason, actor=actor, at=timezone.now())
    crisis_board_flags_refresh([task.crisis_id])
    return task


@transaction.atomic
def task_resume(*, task: Task, actor) -> Task:
    """Restart a paused clock; pending deadlines move by the time that was left at the pause."""
    task = lock_task(task)
    crisis = task.crisis
    require_visible(actor, crisis)
    if not (is_assignee(actor, task) or can_manage(actor, crisis)):
        raise PermissionDenied(_("Only the assignee or the crisis owner can resume the clock."))
    if task.timer_state != TimerState.PAUSED or task.paused_at is None:
        raise Conflict(_("This task's clock is not paused."), code="not_paused")
    calendar = calendar_for_unit(crisis.unit) if task.business_hours else None
    _resume_clock(task, actor=actor, at=timezone.now(), calendar=calendar)
    crisis_board_flags_refresh([task.crisis_id])
    return task


def _lock_crisis_for_clocks(crisis: Crisis, actor) -> Crisis:
    crisis = lock_managed(
        crisis,
        actor,
        refusal=_("Only the crisis owner, managers and executives can pause or resume all clocks."),
        related=("unit",),
    )
    require_open_crisis(crisis)
    return crisis


def _lock_crisis_tasks(crisis: Crisis, **conditions) -> list[Task]:
    """The crisis's tasks matching ``conditions``, locked so that the sweep (which skips locked
    rows on PostgreSQL) cannot fire them while their clocks are being moved."""
    return list(
        crisis.tasks.select_for_update(of=("self",))
        .select_related("assignee", "duty")
        .filter(**conditions)
        .order_by("order", "id")
    )


@transaction.atomic
def crisis_pause(*, crisis: Crisis, reason: str, actor) -> list[Task]:
    """Pause every ticking clock of the crisis (e.g. waiting for the customer) in one
    transaction, one timeline event per task: either all of them pause or none does."""
    crisis = _lock_crisis_for_clocks(crisis, actor)
    reason = _pause_reason(reason)
    tasks = _lock_crisis_tasks(crisis, timer_state__in=TIMER_TICKING_STATES)
    if not tasks:
        raise Conflict(
            _("No clock is running in this crisis: nothing to pause."), code="not_running"
        )
    now = timezone.now()
    for task in tasks:
        task.crisis = crisis
        _pause_clock(task, reason=reason, actor=actor, at=now)
    crisis_board_flags_refresh([crisis.pk])
    return tasks


@transaction.atomic
def crisis_resume(*, crisis: Crisis, actor) -> list[Task]:
    """Resume every paused clock of the crisis in one transaction, one timeline event per task;
    each task's deadlines move by its own paused time."""
    crisis = _lock_crisis_for_clocks(crisis, actor)
    tasks = _lock_crisis_tasks(crisis, timer_state=TimerState.PAUSED, paused_at__isnull=False)
    if not tasks:
        raise Conflict(
            _("No clock is paused in this crisis: nothing to resume."), code="not_paused"
        )
    now = timezone.now()
    calendar = calendar_for_unit(crisis.unit) if any(t.business_hours for t in tasks) else None
    for task in tasks:
        task.crisis = crisis
        _resume_clock(task, actor=actor, at=now, calendar=calendar)
    crisis_board_flags_refresh([crisis.pk])
    return tasks
