"""The SLA sweep: claims due timers and fires warnings, breaches and escalations with
compare-and-set updates — a claimed batch of warnings or breaches at once (one compare-and-set,
the first escalation steps' targets resolved once for the batch, one INSERT each of events,
participants, notifications and outbox messages, one board refresh), later escalation steps one
row at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from hrcore import sla
from hrcore.backoff import exponential_backoff
from hrcore.notification_kinds import person, when
from hrcore.services.notifications import NotificationSpec, notifications_send_many
from hrcore.services.outbox import outbox_enqueue

from .. import events
from ..choices import (
    CrisisStatus,
    ParticipantRole,
    TimerState,
)
from ..models import (
    CrisisParticipant,
    Task,
    TimelineEvent,
)
from ..notifications import duty_action as _duty_action
from ..selectors.people import resolve_escalation_target, resolve_escalation_targets
from .board import crisis_board_flags_refresh
from .common import (
    event_message,
    filer_employee,
    notification_specs,
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


def _warning_params(task: Task, late) -> dict:
    """The warning notification's words (one firing or a batch)."""
    return {
        "crisis_title": task.crisis.title,
        "action": _duty_action(task),
        "due_at": when(task.due_at),
        "time_zone": task.assignee.time_zone if task.assignee else settings.TIME_ZONE,
        "late": bool(late),
    }


def _breach_params(task: Task, warning_missed) -> dict:
    """The breach notification's words (one firing or a batch)."""
    return {
        "crisis_title": task.crisis.title,
        "action": _duty_action(task),
        "warning_missed": bool(warning_missed),
    }


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
        params=_warning_params(task, late),
    )
    outbox_enqueue(
        **event_message(
            task.crisis, "task.warning", {**task_brief(task), "late": late}, key=task.pk
        )
    )
    # A warning changes the board's colour, not the metrics: no rollup refresh.
    crisis_board_flags_refresh([task.crisis_id], rollups=False)
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


def _first_escalation_at(task: Task) -> datetime | None:
    """When a breached task's first escalation step is due (None without a chain)."""
    if not task.escalation:
        return None
    return sla.next_escalation_at(
        after=task.due_at,
        step=1,
        chain_length=len(task.escalation),
        deadline_minutes=task.deadline_minutes,
    )


def _warning_missed(task: Task) -> bool:
    """The warning's time and the deadline both passed while nothing swept (an outage): the
    warning is not sent any more, the timeline says the breach superseded it, and the breach
    notice says no warning could be sent."""
    return (
        task.timer_state == TimerState.RUNNING
        and task.warned_at is None
        and task.warn_at is not None
        and task.warn_at < task.due_at
    )


def _fire_breach(task: Task, now: datetime) -> bool:
    chain_length = len(task.escalation)
    first_step_now = chain_length > 0
    next_at = _first_escalation_at(task)
    claimed = Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
        timer_state=TimerState.BREACHED,
        breached_at=now,
        escalation_step=1 if first_step_now else 0,
        escalate_at=next_at,
    )
    if not claimed:
        return False
    warning_missed = _warning_missed(task)
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
        params=_breach_params(task, warning_missed),
    )
    outbox_enqueue(
        **event_message(
            task.crisis,
            "task.breached",
            {**task_brief(task), "warning_sent": not warning_missed},
            key=task.pk,
        )
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


# --- Firing a claimed batch at once ---------------------------------------------------------
#
# The common firings (a warning; a breach, with the first step of its escalation chain if it has
# one — the steps' targets resolved for the whole batch first) are planned row by row in memory — a row whose plan raises is recorded for a retry and left out, as
# ``_fire_guarded`` does — then written for the whole batch at once: one compare-and-set UPDATE,
# one INSERT each of timeline events, escalation participants, notifications and outbox messages,
# one board refresh. That is a handful of statements per batch instead of some seventeen (about
# twenty-five with an escalation step) per timer. Should a bulk write
# fail (or a compare-and-set find a row moved: only another sweep racing on SQLite), its
# savepoint rolls back and the batch fires one row at a time as before.


class _BatchRaced(Exception):
    """A row of the batch was no longer in the state it was claimed in."""


@dataclass
class _Firing:
    task: Task
    changes: dict
    events: list[TimelineEvent] = field(default_factory=list)
    notifications: list[NotificationSpec] = field(default_factory=list)
    outbox: list[dict] = field(default_factory=list)
    participants: list[CrisisParticipant] = field(default_factory=list)


# The escalation targets of a claimed batch, by (task id, step): ``resolve_escalation_targets``.
_Targets = dict[tuple[int, str], object]


def _plan_warning(task: Task, now: datetime, targets: _Targets | None = None) -> _Firing:
    late = sla.warning_is_late(
        warn_at=task.warn_at, fired_at=now, late_after_seconds=_late_after_seconds()
    )
    return _Firing(
        task,
        {"timer_state": TimerState.WARNED, "warned_at": now},
        events=[
            events.task_warning_event(
                task=task, at=task.warn_at, fired_at=now, late=late, save=False
            )
        ],
        notifications=notification_specs(
            task,
            [task.assignee],
            kind="crisis.warning",
            key="warning",
            params=_warning_params(task, late),
        ),
        outbox=[
            event_message(
                task.crisis, "task.warning", {**task_brief(task), "late": late}, key=task.pk
            )
        ],
    )


def _plan_breach(task: Task, now: datetime, targets: _Targets | None = None) -> _Firing | None:
    chain_length = len(task.escalation)
    if chain_length and targets is None:  # no batch-resolved target: one row at a time
        return None
    next_at = _first_escalation_at(task)
    warning_missed = _warning_missed(task)
    timeline = []
    if warning_missed:
        timeline.append(
            events.warning_superseded_event(task=task, at=task.warn_at, fired_at=now, save=False)
        )
    timeline.append(events.task_breached_event(task=task, at=task.due_at, fired_at=now, save=False))
    firing = _Firing(
        task,
        {
            "timer_state": TimerState.BREACHED,
            "breached_at": now,
            "escalation_step": 1 if chain_length else 0,
            "escalate_at": next_at,
        },
        events=timeline,
        notifications=notification_specs(
            task,
            [task.assignee, filer_employee(task.crisis)],
            kind="crisis.breach",
            key="breach",
            params=_breach_params(task, warning_missed),
        ),
        outbox=[
            event_message(
                task.crisis,
                "task.breached",
                {**task_brief(task), "warning_sent": not warning_missed},
                key=task.pk,
            )
        ],
    )
    if chain_length:
        _plan_first_step(firing, targets, now)
    return firing


def _plan_first_step(firing: _Firing, targets: _Targets, now: datetime) -> None:
    """``_escalate(task, 0, now)`` planned: its event, participant and notice join the firing."""
    task = firing.task
    step = task.escalation[0]
    target = targets[(task.pk, step)]
    firing.events.append(
        events.task_escalated_event(
            task=task,
            step=1,
            target=step,
            target_id=target.pk if target else None,
            fired_at=now,
            save=False,
        )
    )
    if target is not None:
        firing.participants.append(
            CrisisParticipant(
                crisis_id=task.crisis_id, employee=target, role=ParticipantRole.ESCALATION
            )
        )
    firing.notifications += notification_specs(
        task,
        [target] if target is not None else [filer_employee(task.crisis)],
        kind="crisis.escalation",
        key="escalation:1",
        params={
            "crisis_title": task.crisis.title,
            "action": _duty_action(task),
            "assignee": person(task.assignee, "—"),
        },
    )


def _first_step_targets(rows: list[Task], now: datetime) -> _Targets | None:
    """The targets of the first escalation step of every claimed row with a chain, resolved at
    once; None (those rows then fire one at a time) should the resolution itself fail."""
    steps = [(task, task.escalation[0]) for task in rows if task.escalation]
    if not steps:
        return {}
    try:
        return resolve_escalation_targets(steps, at=now)
    except Exception:
        logger.warning("resolving the escalation targets of a batch failed", exc_info=True)
        return None


def _cas_update(state: str, changes: dict[int, dict]) -> None:
    """One compare-and-set UPDATE moving rows ``state`` → their own changes (a value the rows
    share is set as is, one that differs by row through a CASE on the id)."""
    ids = list(changes)
    names = dict.fromkeys(name for values in changes.values() for name in values)
    assignments = {}
    for name in names:
        values = [changes[pk][name] for pk in ids]
        if all(v == values[0] for v in values[1:]):
            assignments[name] = values[0]
            continue
        column = Task._meta.get_field(name)
        assignments[name] = Case(
            *[
                When(pk=pk, then=Value(v, output_field=column))
                for pk, v in zip(ids, values, strict=True)
            ],
            output_field=column,
        )
    moved = Task.objects.filter(pk__in=ids, timer_state=state).update(**assignments)
    if moved != len(ids):
        raise _BatchRaced(f"{len(ids) - moved} of {len(ids)} rows moved meanwhile")


def _write_firings(firings: list[_Firing]) -> None:
    """Write planned firings at once (inside the caller's savepoint); raises ``_BatchRaced``
    when a compare-and-set did not move every row."""
    groups: dict[tuple, dict[int, dict]] = {}
    for firing in firings:
        key = (firing.task.timer_state, tuple(sorted(firing.changes)))
        groups.setdefault(key, {})[firing.task.pk] = firing.changes
    for (state, _names), changes in groups.items():
        _cas_update(state, changes)
    recovered = [f.task.pk for f in firings if f.task.fire_attempts or f.task.fire_failing_since]
    if recovered:
        Task.objects.filter(pk__in=recovered).update(**_FIRE_FAILURE_CLEARED)
    events.record_all([event for f in firings for event in f.events])
    participants = [p for f in firings for p in f.participants]
    if participants:  # participant_add's get_or_create: a person already in keeps their role
        CrisisParticipant.objects.bulk_create(participants, ignore_conflicts=True)
    notifications_send_many(
        [spec for f in firings for spec in f.notifications],
        outbox=[message for f in firings for message in f.outbox],
    )
    crisis_board_flags_refresh(
        sorted({f.task.crisis_id for f in firings}),
        # Warnings alone change the board's colours, not the metrics: no rollup refresh.
        rollups=any(f.changes.get("timer_state") != TimerState.WARNED for f in firings),
    )


def _fire_rows(
    rows: list[Task],
    fire: Callable[[Task, datetime], bool],
    plan: Callable[[Task, datetime, _Targets | None], _Firing | None] | None,
    now: datetime,
    *,
    first_steps: bool = False,
) -> int:
    """Fire a claimed batch: planned rows at once, the rest (and all of them should the bulk
    write fail) one at a time with ``_fire_guarded``. ``first_steps``: the firing runs the
    first escalation step of a chain, whose targets are resolved for the batch first."""
    if plan is None:
        return sum(_fire_guarded(task, fire, now) for task in rows)
    one_by_one: list[Task] = []
    firings: list[_Firing] = []
    stopped: dict[str, list[int]] = {}
    open_rows = [task for task in rows if task.crisis.status == CrisisStatus.OPEN]
    targets = _first_step_targets(open_rows, now) if first_steps else None
    for task in rows:
        if task.crisis.status != CrisisStatus.OPEN:
            stopped.setdefault(task.timer_state, []).append(task.pk)
            continue
        try:
            firing = plan(task, now, targets)
        except Exception as exc:
            logger.exception("timer of task %s failed to fire; retrying with backoff", task.pk)
            _timer_failure_record(task, exc, now)
            continue
        if firing is None:
            one_by_one.append(task)
        else:
            firings.append(firing)
    for state, ids in stopped.items():
        Task.objects.filter(pk__in=ids, timer_state=state).update(
            timer_state=TimerState.STOPPED, escalate_at=None, **_FIRE_FAILURE_CLEARED
        )
    fired = 0
    if firings:
        try:
            with transaction.atomic():
                _write_firings(firings)
        except Exception:
            logger.warning(
                "firing %d timers at once failed; firing them one at a time",
                len(firings),
                exc_info=True,
            )
            one_by_one.extend(f.task for f in firings)
        else:
            fired = len(firings)
            for firing in firings:
                for name, value in firing.changes.items():
                    setattr(firing.task, name, value)
    return fired + sum(_fire_guarded(task, fire, now) for task in one_by_one)


def _sweep_kind(
    qs, order_field: str, fire, now: datetime, batch: int, plan=None, *, first_steps=False
) -> int:
    fired = 0
    for _round in range(10_000):  # bounded catch-up after downtime
        with transaction.atomic():
            rows = _claim_batch(qs, order_field, batch)
            fired += _fire_rows(rows, fire, plan, now, first_steps=first_steps)
        if len(rows) < batch:
            break
    return fired


def sla_sweep(
    now: datetime | None = None,
    *,
    batch: int = SWEEP_BATCH,
    kinds: Collection[str] | None = None,
) -> dict[str, int]:
    """Fire every due warning, breach and escalation step once; registered in KEEL_TICK_SWEEPS
    (every tick on the ``sla`` queue). Safe to run concurrently: rows are claimed with
    ``SKIP LOCKED`` on PostgreSQL and moved with compare-and-set updates, so each fires once.
    ``kinds`` (the timer loop, which knows what is due) sweeps only those of "warning",
    "breach", "escalation" — or of the claims "breach:running", "breach:warned" (one state of
    breaches, as ``next_timer_due_by_claim`` names them); the others count 0."""
    wanted = set(kinds) if kinds is not None else {"warning", "breach", "escalation"}
    if "breach" in wanted:
        wanted |= {"breach:running", "breach:warned"}
    now = now or timezone.now()
    # A timer that failed is left alone until its retry time (it is still claimed in due order).
    retry_due = Q(fire_retry_at__isnull=True) | Q(fire_retry_at__lte=now)
    # No join on the crisis here: each query walks only its partial index, so the cost stays
    # flat however many timers are pending. Closing a crisis stops its timers; a stray one is
    # stopped by ``_fire`` below instead of firing.
    counts = {"warning": 0, "breach": 0, "escalation": 0}
    if "warning" in wanted:
        counts["warning"] = _sweep_kind(
            Task.objects.filter(
                retry_due, timer_state=TimerState.RUNNING, warn_at__lte=now, due_at__gt=now
            ),
            "warn_at",
            _fire_warning,
            now,
            batch,
            _plan_warning,
        )
    # One query per state so that each walks a simple partial index (SQLite cannot use a
    # partial index whose condition is an IN list).
    counts["breach"] = sum(
        _sweep_kind(
            Task.objects.filter(retry_due, timer_state=state, due_at__lte=now),
            "due_at",
            _fire_breach,
            now,
            batch,
            _plan_breach,
            first_steps=True,
        )
        for state in (TimerState.RUNNING, TimerState.WARNED)
        if f"breach:{state.value}" in wanted
    )
    if "escalation" in wanted:
        counts["escalation"] = _sweep_kind(
            Task.objects.filter(retry_due, timer_state=TimerState.BREACHED, escalate_at__lte=now),
            "escalate_at",
            _fire_escalation,
            now,
            batch,
        )
    return counts
