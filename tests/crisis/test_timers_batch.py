"""Timers with margin (issue 12, item 5): the sweep fires a claimed batch at once — a fixed
number of statements whatever its size — falls back to one row at a time when a bulk write
fails, and the timer loop is not woken by its own sweep's notification."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisis import timer_loop
from crisis.choices import EventKind, ParticipantRole, TimerState
from crisis.models import Crisis, CrisisDutyRollup, CrisisParticipant, Task, TimelineEvent
from crisis.selectors.people import resolve_escalation_target
from crisis.selectors.timers import (
    next_timer_due,
    next_timer_due_by_claim,
    next_timer_due_by_kind,
)
from crisis.services import sweep as sweep_services
from crisis.services.sweep import sla_sweep
from hrcore import sla
from hrcore.models import Notification, OutboxMessage

# Chains whose first step resolves each way: the assignee's manager, the organisation's
# executive, a position (held), a position nobody holds (no target: the filer is told).
CHAINS = (
    ["manager", "executive"],
    ["executive"],
    ["position:finance-manager", "manager"],
    ["position:nobody-holds-this"],
)


def _due_breaches(crises, *, warned: bool = True, chains: bool = False) -> list[int]:
    """Every task of ``crises`` due a second ago, without an escalation chain (``chains``: with
    one of CHAINS each, in turn)."""
    due = timezone.now() - timedelta(seconds=1)
    ids = list(Task.objects.filter(crisis__in=crises).order_by("pk").values_list("pk", flat=True))
    Task.objects.filter(pk__in=ids).update(
        timer_state=TimerState.WARNED if warned else TimerState.RUNNING,
        due_at=due,
        warn_at=due - timedelta(minutes=1),
        escalation=[],
        started_at=due - timedelta(minutes=5),
    )
    if chains:
        for i, pk in enumerate(ids):
            # staggered deadlines: each row's next escalation time differs
            Task.objects.filter(pk=pk).update(
                escalation=CHAINS[i % len(CHAINS)], due_at=due - timedelta(seconds=i)
            )
    return ids


def _swept_queries(crises, *, chains: bool = False) -> tuple[int, list[int]]:
    ids = _due_breaches(crises, chains=chains)
    with CaptureQueriesContext(connection) as ctx:
        counts = sla_sweep()
    assert counts == {"warning": 0, "breach": len(ids), "escalation": 0}
    return len(ctx.captured_queries), ids


def _assert_fired_once(ids: list[int]) -> None:
    breached = sorted(
        TimelineEvent.objects.filter(task_id__in=ids, kind=EventKind.TASK_BREACHED).values_list(
            "task_id", flat=True
        )
    )
    assert breached == sorted(ids)
    assert set(Task.objects.filter(pk__in=ids).values_list("timer_state", flat=True)) == {
        TimerState.BREACHED
    }
    for task_id in ids:  # the breach notice (the filer at least) and the partner event
        assert Notification.objects.filter(kind="crisis.breach", data__task_id=task_id).exists(), (
            task_id
        )
        assert OutboxMessage.objects.filter(dedupe_key=f"event:task.breached:{task_id}").exists()


@pytest.mark.django_db
def test_a_batch_of_breaches_costs_the_same_statements_whatever_its_size(file_emergency):
    small, small_ids = _swept_queries([file_emergency(title="one")])
    big, big_ids = _swept_queries([file_emergency(title=f"many {i}") for i in range(4)])
    assert len(big_ids) == 4 * len(small_ids) >= 16
    assert big == small  # not one more statement per timer
    _assert_fired_once(small_ids + big_ids)
    # Swept again: nothing left to fire, nothing written twice.
    assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
    assert TimelineEvent.objects.filter(kind=EventKind.TASK_BREACHED).count() == len(
        small_ids + big_ids
    )


def _assert_first_steps(ids: list[int]) -> None:
    """Each chained breach ran its first escalation step exactly as ``_escalate`` does: the
    event naming the target ``resolve_escalation_target`` finds, the target a participant and
    notified (the filer when nobody is found), the next step scheduled."""
    targets = set()
    for task in Task.objects.filter(pk__in=ids).select_related("crisis__unit", "assignee"):
        assert task.escalation_step == 1
        assert task.escalate_at == sla.next_escalation_at(
            after=task.due_at,
            step=1,
            chain_length=len(task.escalation),
            deadline_minutes=task.deadline_minutes,
        )
        (event,) = TimelineEvent.objects.filter(task=task, kind=EventKind.TASK_ESCALATED)
        target = resolve_escalation_target(
            task.escalation[0], task=task, crisis=task.crisis, at=timezone.now()
        )
        assert event.data["step"] == 1 and event.data["target"] == task.escalation[0]
        assert event.data["target_id"] == (target.pk if target else None)
        told = Notification.objects.filter(kind="crisis.escalation", data__task_id=task.pk)
        if target is not None:
            targets.add(task.escalation[0])
            assert list(told.values_list("recipient_id", flat=True)) == [target.user_id]
            assert CrisisParticipant.objects.filter(crisis=task.crisis, employee=target).exists()
        else:
            assert list(told.values_list("recipient_id", flat=True)) == [task.crisis.filed_by_id]
    # every kind of step found someone somewhere (the position nobody holds did not)
    assert targets == {"manager", "executive", "position:finance-manager"}


@pytest.mark.django_db
def test_chained_breaches_fire_as_a_batch_with_their_first_escalation_step(file_emergency):
    small, small_ids = _swept_queries([file_emergency(title="one")], chains=True)
    big, big_ids = _swept_queries(
        [file_emergency(title=f"many {i}") for i in range(4)], chains=True
    )
    assert len(big_ids) == 4 * len(small_ids) >= 16
    assert big == small  # targets resolved once per batch, no statement per timer
    _assert_fired_once(small_ids + big_ids)
    _assert_first_steps(small_ids + big_ids)
    escalated = CrisisParticipant.objects.filter(role=ParticipantRole.ESCALATION)
    assert escalated.exists()
    # Swept again: the first steps are not run twice (the second steps are not due yet).
    assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
    assert TimelineEvent.objects.filter(kind=EventKind.TASK_ESCALATED).count() == len(
        small_ids + big_ids
    )


@pytest.mark.django_db
def test_chained_breaches_whose_bulk_write_fails_fire_one_row_at_a_time(
    file_emergency, monkeypatch
):
    ids = _due_breaches([file_emergency(title="alone")], chains=True)
    calls = []

    def broken(specs, **kwargs):
        calls.append(len(specs))
        raise RuntimeError("bulk insert refused")

    monkeypatch.setattr(sweep_services, "notifications_send_many", broken)
    assert sla_sweep() == {"warning": 0, "breach": len(ids), "escalation": 0}
    assert len(calls) == 1  # one bulk try for the batch, then row by row
    _assert_fired_once(ids)
    _assert_first_steps(ids)


@pytest.mark.django_db
def test_a_bulk_write_that_fails_fires_the_batch_one_row_at_a_time(file_emergency, monkeypatch):
    crises = [file_emergency(title=f"crisis {i}") for i in range(2)]
    ids = _due_breaches(crises, warned=False)
    calls = []

    def broken(specs, **kwargs):
        calls.append(len(specs))
        raise RuntimeError("bulk insert refused")

    monkeypatch.setattr(sweep_services, "notifications_send_many", broken)
    assert sla_sweep() == {"warning": 0, "breach": len(ids), "escalation": 0}
    assert calls  # the bulk write was tried, rolled back, and each row fired alone
    _assert_fired_once(ids)
    # A running timer past its deadline: the missed warning is said once per task.
    assert TimelineEvent.objects.filter(
        task_id__in=ids, kind=EventKind.WARNING_SUPERSEDED
    ).count() == len(ids)
    assert not Task.objects.filter(pk__in=ids).exclude(fire_attempts=0).exists()


@pytest.mark.django_db
def test_the_loop_sweeps_only_the_kinds_that_are_due(file_emergency):
    crisis = file_emergency()
    Task.objects.filter(crisis=crisis).update(timer_state=TimerState.IDLE)
    first, second = list(crisis.tasks.order_by("order", "id"))[:2]
    now = timezone.now()
    Task.objects.filter(pk=first.pk).update(
        timer_state=TimerState.WARNED, due_at=now - timedelta(seconds=1), escalation=[]
    )
    Task.objects.filter(pk=second.pk).update(
        timer_state=TimerState.RUNNING,
        warn_at=now + timedelta(minutes=5),
        due_at=now + timedelta(minutes=10),
    )
    due = next_timer_due_by_kind()
    assert set(due) == {"warning", "breach"}
    assert due["warning"] == Task.objects.get(pk=second.pk).warn_at
    assert due["breach"] == Task.objects.get(pk=first.pk).due_at == next_timer_due()
    by_claim = next_timer_due_by_claim()
    assert set(by_claim) == {"warning", "breach:running", "breach:warned"}
    assert by_claim["breach:warned"] == due["breach"]
    assert by_claim["breach:running"] == Task.objects.get(pk=second.pk).due_at
    with CaptureQueriesContext(connection) as ctx:
        timer_loop.run_once(max_sleep=60)
    claims = [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "crisis_task"."id"')]
    # Only the warned breaches are due: one claim — none for running breaches, warnings or
    # escalations, whose first rows are still ahead.
    assert len(claims) == 1
    assert "'warned'" in claims[0]["sql"]
    assert TimelineEvent.objects.filter(task=first, kind=EventKind.TASK_BREACHED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_loop_is_not_woken_by_its_own_sweep_but_by_other_writers(file_emergency):
    crisis = file_emergency()
    task = crisis.tasks.order_by("order", "id").first()
    stop = threading.Event()
    waiter = timer_loop.make_waiter(stop)
    assert isinstance(waiter, timer_loop.ListenWaiter)
    try:
        waiter.wait(0.05)  # drain the filing's own notification
        # This thread's connection is the loop's (its sweep writes through it): no wake.
        Task.objects.filter(pk=task.pk).update(due_at=timezone.now() + timedelta(minutes=1))
        assert waiter.wait(1.0) is False

        def writer():
            try:
                Task.objects.filter(pk=task.pk).update(
                    due_at=timezone.now() + timedelta(seconds=30)
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=writer)
        thread.start()
        assert waiter.wait(60) is True  # another connection's write wakes it
        thread.join(30)
    finally:
        waiter.close()


def _rollup_writes(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "rollup" in q["sql"].split(" WHERE ")[0]]


@pytest.mark.django_db
def test_warnings_refresh_the_board_but_not_the_metrics_rollups_and_breaches_both(
    file_emergency,
):
    """A warning changes a crisis's colour on the board, not the metrics (no milestone, no task
    timed, breached or done): its batch skips re-aggregating the crises' days; a breach batch
    refreshes them."""
    crises = [file_emergency(title=f"warn {i}") for i in range(2)]
    ids = list(Task.objects.filter(crisis__in=crises).values_list("pk", flat=True))
    now = timezone.now()
    Task.objects.filter(pk__in=ids).update(
        timer_state=TimerState.RUNNING,
        warn_at=now - timedelta(seconds=1),
        due_at=now + timedelta(minutes=5),
        warned_at=None,
        escalation=[],
    )
    with CaptureQueriesContext(connection) as ctx:
        counts = sla_sweep(kinds=["warning"])
    assert counts["warning"] == len(ids)
    assert not _rollup_writes(ctx)
    assert all(
        urgency == 1
        for urgency in Crisis.objects.filter(pk__in=[c.pk for c in crises]).values_list(
            "urgency", flat=True
        )
    )  # the board's colour moved to "warning"
    Task.objects.filter(pk__in=ids).update(due_at=timezone.now() - timedelta(seconds=1))
    with CaptureQueriesContext(connection) as ctx:
        counts = sla_sweep(kinds=["breach"])
    assert counts["breach"] == len(ids)
    assert _rollup_writes(ctx)
    late = CrisisDutyRollup.objects.aggregate(late=Sum("late"))["late"]
    assert late == len(ids)
