"""The SLA sweep: claims due timers and fires warnings, breaches and escalations with compare-and-set updates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hrcore import sla
from hrcore.backoff import exponential_backoff
from hrcore.notification_kinds import person, when
from hrcore.services.outbox import outbox_enqueue

from .. import events
from ..choices import (
    CrisisStatus,
    ParticipantRole,
    TimerState,
)
from ..models import (
    Task,
)
from ..notifications import duty_action as _duty_action
from ..selectors.people import resolve_escalation_target
from .board import crisis_board_flags_refresh
from .common import (
    event_payload,
    filer_employee,
    notify_people,
    participant_add,
    task_brief,
)

logger = logging.getLogger(__name__)


SWEEP_BATCH = 200


def _claim_batch(qs, order_field: str, limit: int) -> list[Task]:
    """Due rows, locked for this transaction on PostgreSQL (rows another sweep holds are
    skipped); SQLite serialises writers anyway."""
    qs = qs.select_related(
        "crisis",
        "crisis__unit",
        "crisis__filed_by__employee__user",
        "assignee",
        "assignee__user",
        "duty",
    ).order_by(order_field, "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:limit])


def _late_after_seconds() -> float:
    """A warning fired this long after its time was held up by an outage (marked late)."""
    return float(getattr(settings, "KEEL_TIMER_LATE_SECONDS", 30))


def _fire_warning(task: Task, now: datetime) -> bool:
    claimed = Task.objects.filter(pk=task.pk, timer_state=TimerState.RUNNING).update(
        timer_state=TimerState.WARNED, warned_at=now
    )
    if not claimed:
        return False
    task.timer_state, task.warned_at = TimerState.WARNED, now
    # After downtime a warning still fires (its deadline is ahead), marked late.
    late = sla.warning_is_late(
        warn_at=task.warn_at, fired_at=now, late_after_seconds=_late_after_seconds()
    )
    events.task_warning_event(task=task, at=task.warn_at, fired_at=now, late=late)
    notify_people(
        task,
        [task.assignee],
        kind="crisis.warning",
        key="warning",
        params={
            "crisis_title": task.crisis.title,
            "action": _duty_action(task),
            "due_at": when(task.due_at),
            "time_zone": task.assignee.time_zone if task.assignee else settings.TIME_ZONE,
            "late": bool(late),
        },
    )
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:task.warning:{task.pk}",
        payload=event_payload(task.crisis, "task.warning", {**task_brief(task), "late": late}),
    )
    crisis_board_flags_refresh([task.crisis_id])
    return True


def _escalate(task: Task, step_index: int, now: datetime) -> None:
    """Run escalation step ``step_index`` (0-based) of the task's chain."""
    chain = task.escalation
    step = chain[step_index]
    target = resolve_escalation_target(step, task=task, crisis=task.crisis, at=now)
    events.task_escalated_event(
        task=task,
        step=step_index + 1,
        target=step,
        target_id=target.pk if target else None,
        fired_at=now,
    )
    if target is not None:
        participant_add(task.crisis, target, ParticipantRole.ESCALATION)
    recipients = [target] if target is not None else [filer_employee(task.crisis)]
    notify_people(
        task,
        recipients,
        kind="crisis.escalation",
        key=f"escalation:{step_index + 1}",
        params={
            "crisis_title": task.crisis.title,
            "action": _duty_action(task),
            "assignee": person(task.assignee, "—"),
        },
    )


def _fire_breach(task: Task, now: datetime) -> bool:
    chain_length = len(task.escalation)
    first_step_now = chain_length > 0
    next_at = (
        sla.next_escalation_at(
            after=task.due_at,
            step=1,
            chain_length=chain_length,
            deadline_minutes=task.deadline_minutes,
        )
        if first_step_now
        else None
    )
    claimed = Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
        timer_state=TimerState.BREACHED,
        breached_at=now,
        escalation_step=1 if first_step_now else 0,
        escalate_at=next_at,
    )
    if not claimed:
        return False
    # The warning's time and the deadline both passed while nothing swept (an outage): the
    # warning is not sent any more, the timeline says the breach superseded it, and the breach
    # notice says no warning could be sent.
    warning_missed = (
        task.timer_state == TimerState.RUNNING
        and task.warned_at is None
        and task.warn_at is not None
        and task.warn_at < task.due_at
    )
    task.timer_state, task.breached_at = TimerState.BREACHED, now
    task.escalation_step, task.escalate_at = (1 if first_step_now else 0), next_at
    if warning_missed:
        events.warning_superseded_event(task=task, at=task.warn_at, fired_at=now)
    events.task_breached_event(task=task, at=task.due_at, fired_at=now)
    notify_people(
        task,
        [task.assignee, filer_employee(task.crisis)],
        kind="crisis.breach",
        key="breach",
        params={
            "crisis_title": task.crisis.title,
            "action": _duty_action(task),
            "warning_missed": bool(warning_missed),
        },
    )
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:task.breached:{task.pk}",
        payload=event_payload(
            task.crisis,
            "task.breached",
            {**task_brief(task), "warning_sent": not warning_missed},
        ),
    )
    if first_step_now:
        _escalate(task, 0, now)
    crisis_board_flags_refresh([task.crisis_id])
    return True


def _fire_escalation(task: Task, now: datetime) -> bool:
    step = task.escalation_step
    chain_length = len(task.escalation)
    if step >= chain_length:
        Task.objects.filter(pk=task.pk, escalation_step=step).update(escalate_at=None)
        return False
    next_at = sla.next_escalation_at(
        after=task.escalate_at,
        step=step + 1,
        chain_length=chain_length,
        deadline_minutes=task.deadline_minutes,
    )
    claimed = Task.objects.filter(
        pk=task.pk, timer_state=TimerState.BREACHED, escalation_step=step
    ).update(escalation_step=step + 1, escalate_at=next_at)
    if not claimed:
        return False
    task.escalation_step, task.escalate_at = step + 1, next_at
    _escalate(task, step, now)
    return True


def _timer_failure_record(task: Task, exc: Exception, now: datetime) -> None:
    """Remember a firing that raised: the error, one more attempt, when to try again."""
    attempts = task.fire_attempts + 1
    Task.objects.filter(pk=task.pk).update(
        fire_attempts=attempts,
        fire_error=f"{type(exc).__name__}: {exc}"[:2000],
        fire_retry_at=now
        + exponential_backoff(
            attempts,
            first_seconds=sla.FIRE_RETRY_FIRST_SECONDS,
            max_seconds=sla.FIRE_RETRY_MAX_SECONDS,
        ),
        fire_failing_since=task.fire_failing_since or now,
    )


_FIRE_FAILURE_CLEARED = {
    "fire_attempts": 0,
    "fire_error": "",
    "fire_retry_at": None,
    "fire_failing_since": None,
}


def _fire_guarded(task: Task, fire: Callable[[Task, datetime], bool], now: datetime) -> bool:
    """Fire one claimed row in its own savepoint: a row that raises rolls back alone, is
    recorded for a retry with backoff, and never stops the rows after it."""
    try:
        with transaction.atomic():
            if task.crisis.status != CrisisStatus.OPEN:
                Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
                    timer_state=TimerState.STOPPED, escalate_at=None, **_FIRE_FAILURE_CLEARED
                )
                return False
            fired = fire(task, now)
            if task.fire_attempts or task.fire_failing_since:
                Task.objects.filter(pk=task.pk).update(**_FIRE_FAILURE_CLEARED)
            return fired
    except Exception as exc:
        logger.exception("timer of task %s failed to fire; retrying with backoff", task.pk)
        _timer_failure_record(task, exc, now)
        return False


def _sweep_kind(qs, order_field: str, fire, now: datetime, batch: int) -> int:
    fired = 0
    for _round in range(10_000):  # bounded catch-up after downtime
        with transaction.atomic():
            rows = _claim_batch(qs, order_field, batch)
            for task in rows:
                if _fire_guarded(task, fire, now):
                    fired += 1
        if len(rows) < batch:
            break
    return fired


def sla_sweep(now: datetime | None = None, *, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Fire every due warning, breach and escalation step once; registered in KEEL_TICK_SWEEPS
    (every tick on the ``sla`` queue). Safe to run concurrently: rows are claimed with
    ``SKIP LOCKED`` on PostgreSQL and moved with compare-and-set updates, so each fires once."""
    now = now or timezone.now()
    # A timer that failed is left alone until its retry time (it is still claimed in due order).
    retry_due = Q(fire_retry_at__isnull=True) | Q(fire_retry_at__lte=now)
    # No join on the crisis here: each query walks only its partial index, so the cost stays
    # flat however many timers are pending. Closing a crisis stops its timers; a stray one is
    # stopped by ``_fire`` below instead of firing.
    counts = {
        "warning": _sweep_kind(
            Task.objects.filter(
                retry_due, timer_state=TimerState.RUNNING, warn_at__lte=now, due_at__gt=now
            ),
            "warn_at",
            _fire_warning,
            now,
            batch,
        ),
        # One query per state so that each walks a simple partial index (SQLite cannot use a
        # partial index whose condition is an IN list).
        "breach": sum(
            _sweep_kind(
                Task.objects.filter(retry_due, timer_state=state, due_at__lte=now),
                "due_at",
                _fire_breach,
                now,
                batch,
            )
            for state in (TimerState.RUNNING, TimerState.WARNED)
        ),
    }
    counts["escalation"] = _sweep_kind(
        Task.objects.filter(retry_due, timer_state=TimerState.BREACHED, escalate_at__lte=now),
        "escalate_at",
        _fire_escalation,
        now,
        batch,
    )
    return counts
