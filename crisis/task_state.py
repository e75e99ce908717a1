"""The one rule for a task's state on the board — ok / warning / breached / done / waiting /
paused / cancelled — in its two forms kept side by side: ``task_state`` for a task in memory
(pages, the home page, ``board_flags`` for the tasks a filing just made) and the ``*_q``
conditions the board flags are computed with in SQL (``crisis.services.board``). Change one,
change the other. Pure (no queries)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from .choices import TASK_ACTIVE_STATES, DeliverableKind, TaskStatus, TimerState


def task_state(task, now: datetime) -> str:
    """ok / warning / breached / done / waiting / paused / cancelled (colour of the row)."""
    if task.status == TaskStatus.DONE:
        return "done"
    if task.status == TaskStatus.CANCELLED:
        return "cancelled"
    if task.status == TaskStatus.WAITING:
        return "waiting"
    if task.timer_state == TimerState.PAUSED or task.paused_at:
        return "paused"
    if task.timer_state == TimerState.BREACHED or (task.due_at and now >= task.due_at):
        return "breached"
    if task.timer_state == TimerState.WARNED or (task.warn_at and now >= task.warn_at):
        return "warning"
    return "ok"


def board_flags(tasks, now: datetime) -> tuple[bool, int]:
    """(decision_pending, urgency) of a crisis from all its tasks in memory: what
    ``crisis.services.board.crisis_board_flags_refresh`` computes in SQL — a decision task still
    open or acknowledged; urgency 0 when a task is breached, 1 when one is warning, else 2."""
    decision_pending = any(
        t.deliverable_kind == DeliverableKind.DECISION and t.status in TASK_ACTIVE_STATES
        for t in tasks
    )
    states = {task_state(t, now) for t in tasks}
    urgency = 0 if "breached" in states else 1 if "warning" in states else 2
    return decision_pending, urgency


def task_late(task, now: datetime | None = None) -> bool:
    """Whether the task missed its deadline — a fact that outlives the task: its breach fired,
    it was delivered after its due time, or (given ``now``) it is still open past it. A task done
    late stays late after it is done and after the crisis closes (its state is "done", its row
    says "done late"). Cancelled tasks and tasks whose clock never ran are not late unless the
    breach fired before."""
    if task.breached_at is not None:
        return True
    if task.due_at is None or task.status == TaskStatus.CANCELLED:
        return False
    if task.completed_at is not None:
        return task.completed_at > task.due_at
    return (
        now is not None
        and task.status in TASK_ACTIVE_STATES
        and task.paused_at is None
        and now >= task.due_at
    )


def live_q() -> Q:
    """Tasks whose clock counts on the board: active (not waiting, done or cancelled) and not
    paused — the states ``task_state`` does not settle before looking at the clock."""
    return Q(status__in=TASK_ACTIVE_STATES, paused_at__isnull=True) & ~Q(
        timer_state=TimerState.PAUSED
    )


def breached_q(now: datetime) -> Q:
    """A live task that is "breached": its breach fired or its due time passed."""
    return Q(timer_state=TimerState.BREACHED) | Q(due_at__lte=now)


def warned_q(now: datetime) -> Q:
    """A live task that is (at least) "warning": its warning fired or its warning time passed."""
    return Q(timer_state=TimerState.WARNED) | Q(warn_at__lte=now)
