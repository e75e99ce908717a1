"""The SLA sweep under faults (issue 11, items 2 and 3).

* No row can stop the sweep: a timer whose firing raises is rolled back alone (savepoint),
  recorded (error, attempts, next retry with backoff) and the rest fire; the heartbeat is
  written only after a successful sweep; /healthz is 503 and names the failing check and timers.
* Nothing silently skipped after downtime: a warning whose time passed during an outage fires
  late (marked late) or, when the deadline passed too, is recorded on the timeline as superseded
  by the breach, whose notice says no warning could be sent (both languages).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections
from django.utils import timezone, translation

from crisis import events
from crisis.choices import EventKind, TimerState
from crisis.models import Task, TimelineEvent
from crisis.services import sweep as sweep_services
from crisis.services.filing import crisis_file
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_complete
from hrcore.models import Heartbeat, Notification, OutboxMessage
from hrcore.tasks import tick

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # Friday
ONE_DUTY = [
    {
        "code": "finance-records",
        "function": "finance",
        "deliverable": "document",
        "deadline_minutes": 30,
        "escalation": ["manager", "executive"],
    }
]


class Injected(RuntimeError):
    """The fault a test injects."""


def events_of(task, kind) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(task=task, kind=kind).order_by("at", "id"))


def file_crises(make_map, users, n: int) -> list[Task]:
    make_map("timers", ONE_DUTY)
    return [
        crisis_file(scenario="timers", title=f"Timers {i}", actor=users["manager"]).tasks.get()
        for i in range(n)
    ]


def fail_breach_of(monkeypatch, bad_ids: set[int]) -> list[int]:
    """Make the breach of the tasks in ``bad_ids`` raise half-way (after its compare-and-set);
    returns the list of attempted task ids."""
    real = events.task_breached_event
    attempts: list[int] = []

    def breached(*, task, **kwargs):
        if task.pk in bad_ids:
            attempts.append(task.pk)
            raise Injected(f"row {task.pk} is poisoned")
        return real(task=task, **kwargs)

    monkeypatch.setattr(events, "task_breached_event", breached)
    return attempts


def healthz(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.json()


# --- Item 2: no row can stop the sweep ------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_timer_is_recorded_and_retried_while_the_rest_fire(
    make_map, users, monkeypatch, client, client_as
):
    with time_machine.travel(T0, tick=False) as clock:
        tasks = file_crises(make_map, users, 3)
        bad = tasks[1]
        clock.move_to(T0 + timedelta(minutes=24))
        assert sla_sweep() == {"warning": 3, "breach": 0, "escalation": 0}
        attempts = fail_breach_of(monkeypatch, {bad.pk})

        breach_time = T0 + timedelta(minutes=30)
        clock.move_to(breach_time)
        # Today's sweep re-raised here and rolled back the whole batch.
        assert sla_sweep() == {"warning": 0, "breach": 2, "escalation": 0}
        assert attempts == [bad.pk]
        for task in (tasks[0], tasks[2]):
            task.refresh_from_db()
            assert task.timer_state == TimerState.BREACHED
            assert len(events_of(task, EventKind.TASK_BREACHED)) == 1
            assert task.fire_attempts == 0 and task.fire_error == ""
        bad.refresh_from_db()
        # The poisoned row rolled back alone: still warned, nothing of its breach written…
        assert bad.timer_state == TimerState.WARNED and bad.breached_at is None
        assert events_of(bad, EventKind.TASK_BREACHED) == []
        assert events_of(bad, EventKind.TASK_ESCALATED) == []
        assert not Notification.objects.filter(kind="crisis.breach", data__task_id=bad.pk).exists()
        assert not OutboxMessage.objects.filter(dedupe_key=f"event:task.breached:{bad.pk}").exists()
        # …and its failure is recorded with the next try 5 s later.
        assert bad.fire_attempts == 1
        assert bad.fire_error == f"Injected: row {bad.pk} is poisoned"
        assert bad.fire_retry_at == breach_time + timedelta(seconds=5)
        assert bad.fire_failing_since == breach_time

        # Before its retry time the row is left alone; then retried with a doubled backoff.
        clock.move_to(breach_time + timedelta(seconds=4))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
        assert attempts == [bad.pk]
        clock.move_to(breach_time + timedelta(seconds=5))
        sla_sweep()
        assert attempts == [bad.pk, bad.pk]
        bad.refresh_from_db()
        assert bad.fire_attempts == 2
        assert bad.fire_retry_at == breach_time + timedelta(seconds=15)
        assert bad.fire_failing_since == breach_time

        # The sweep itself succeeds, so the heartbeat is fresh — but after a minute of failing
        # the timer /healthz says 503 and names it.
        clock.move_to(breach_time + timedelta(seconds=59))
        tick()
        status, body = healthz(client)
        assert status == 200, body
        assert body["checks"]["timers"] == {"ok": True}
        clock.move_to(breach_time + timedelta(seconds=61))
        tick()
        status, body = healthz(client)
        assert status == 503
        assert body["checks"]["tick"]["ok"] is True
        assert body["checks"]["sweeps"] == {"ok": True}
        timers = body["checks"]["timers"]
        assert timers["ok"] is False
        assert timers["timer_ids"] == [bad.pk]
        assert timers["count"] == 1
        assert "poisoned" not in str(body)  # the public probe names the check, not its text
        staff_status, staff_body = healthz(client_as("hradmin"))
        assert staff_status == 503
        assert staff_body["checks"]["timers"]["detail"] == f"Injected: row {bad.pk} is poisoned"
        assert attempts == [bad.pk, bad.pk, bad.pk]

        # The fault goes away: the next try fires it once and clears the record.
        monkeypatch.undo()
        clock.move_to(breach_time + timedelta(minutes=5))
        assert sla_sweep()["breach"] == 1
        bad.refresh_from_db()
        assert bad.timer_state == TimerState.BREACHED
        assert (bad.fire_attempts, bad.fire_error, bad.fire_retry_at, bad.fire_failing_since) == (
            0,
            "",
            None,
            None,
        )
        assert len(events_of(bad, EventKind.TASK_BREACHED)) == 1
        tick()
        assert healthz(client)[0] == 200


@pytest.mark.django_db
def test_a_failing_timer_of_a_finished_task_does_not_keep_healthz_red(
    make_map, users, monkeypatch, client, client_as
):
    with time_machine.travel(T0, tick=False) as clock:
        (task,) = file_crises(make_map, users, 1)
        fail_breach_of(monkeypatch, {task.pk})
        clock.move_to(T0 + timedelta(minutes=31))
        sla_sweep()
        task.refresh_from_db()
        assert task.fire_attempts == 1
        task_complete(task=task, actor=users["finance"], note="records")
        clock.move_to(T0 + timedelta(minutes=33))
        tick()
        status, body = healthz(client)
        assert status == 200, body


@pytest.mark.django_db
def test_the_heartbeat_is_written_only_after_a_successful_sweep(
    make_map, users, monkeypatch, client, client_as
):
    with time_machine.travel(T0, tick=False) as clock:
        file_crises(make_map, users, 1)
        tick()
        assert Heartbeat.objects.get(name="tick").at == T0
        assert healthz(client)[0] == 200

        def claim_fails(*args, **kwargs):
            raise Injected("could not claim timers")

        monkeypatch.setattr(sweep_services, "_claim_batch", claim_fails)
        clock.move_to(T0 + timedelta(seconds=2))
        tick()  # today: the heartbeat was written first and the exception escaped the task
        assert Heartbeat.objects.get(name="tick").at == T0
        failed = Heartbeat.objects.get(name="tick.failed")
        assert failed.at == T0 + timedelta(seconds=2)
        assert "crisis.services.sweep.sla_sweep: Injected: could not claim timers" in failed.detail
        status, body = healthz(client)
        assert status == 503
        assert body["status"] == "unhealthy"
        assert body["checks"]["tick"]["ok"] is True  # the heartbeat alone is not stale yet…
        sweeps = body["checks"]["sweeps"]  # …but the failing sweep is named
        assert sweeps["ok"] is False
        assert sweeps["error"] == "the last sweep failed" and "detail" not in sweeps
        staff_sweeps = healthz(client_as("hradmin"))[1]["checks"]["sweeps"]
        assert "could not claim timers" in staff_sweeps["detail"]

        monkeypatch.undo()
        clock.move_to(T0 + timedelta(seconds=4))
        tick()
        assert Heartbeat.objects.get(name="tick").at == T0 + timedelta(seconds=4)
        status, body = healthz(client)
        assert status == 200 and body["checks"]["sweeps"] == {"ok": True}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_with_a_poisoned_row_fire_the_rest_once(make_map, users, monkeypatch):
    """Two sweeps at once on PostgreSQL (SKIP LOCKED, compare-and-set): every healthy timer
    breaches exactly once and the poisoned one is tried once and recorded once."""
    tasks = file_crises(make_map, users, 30)
    past = timezone.now() - timedelta(seconds=5)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(
        warn_at=past, due_at=past, timer_state=TimerState.WARNED
    )
    bad = tasks[13]
    attempts = fail_breach_of(monkeypatch, {bad.pk})
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(sla_sweep(batch=4))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r["breach"] for r in results) == 29
    assert attempts == [bad.pk]
    for task in tasks:
        expected = 0 if task.pk == bad.pk else 1
        assert len(events_of(task, EventKind.TASK_BREACHED)) == expected
    bad.refresh_from_db()
    assert bad.fire_attempts == 1 and bad.timer_state == TimerState.WARNED


# --- Item 3: nothing silently skipped after downtime -----------------------------------------


@pytest.mark.django_db
def test_a_warning_missed_during_an_outage_fires_late_and_says_so(make_map, users):
    with time_machine.travel(T0, tick=False) as clock:
        on_time, late = file_crises(make_map, users, 2)
        Task.objects.filter(pk=late.pk).update(
            warn_at=T0 + timedelta(minutes=10), due_at=T0 + timedelta(minutes=30)
        )
        Task.objects.filter(pk=on_time.pk).update(
            warn_at=T0 + timedelta(minutes=13), due_at=T0 + timedelta(minutes=40)
        )
        clock.move_to(T0 + timedelta(minutes=13))  # the tick was down from 9 to 13 minutes
        assert sla_sweep() == {"warning": 2, "breach": 0, "escalation": 0}
        (warning,) = events_of(late, EventKind.TASK_WARNING)
        assert warning.data["late"] is True and warning.data["late_seconds"] == 180
        (punctual,) = events_of(on_time, EventKind.TASK_WARNING)
        assert "late" not in punctual.data
        note = Notification.objects.get(kind="crisis.warning", data__task_id=late.pk)
        assert note.rendered("en").body.endswith("(This warning is late: Keel was unavailable.)")
        assert "迟发" in note.rendered("zh-hans").body
        plain = Notification.objects.get(kind="crisis.warning", data__task_id=on_time.pk)
        assert "late" not in plain.rendered("en").body
        assert "迟发" not in plain.rendered("zh-hans").body
        event = OutboxMessage.objects.get(dedupe_key=f"event:task.warning:{late.pk}")
        assert event.payload["data"]["late"] is True


@pytest.mark.django_db
def test_a_warning_whose_deadline_also_passed_is_superseded_by_the_breach(make_map, users):
    with time_machine.travel(T0, tick=False) as clock:
        (task,) = file_crises(make_map, users, 1)
        clock.move_to(T0 + timedelta(minutes=31))  # down from before 24 to after 30 minutes
        assert sla_sweep() == {"warning": 0, "breach": 1, "escalation": 0}
        assert events_of(task, EventKind.TASK_WARNING) == []
        (superseded,) = events_of(task, EventKind.WARNING_SUPERSEDED)
        (breach,) = events_of(task, EventKind.TASK_BREACHED)
        assert superseded.at == breach.at == T0 + timedelta(minutes=31)
        assert superseded.id < breach.id
        warn_at = datetime.fromisoformat(superseded.data["warn_at"])
        assert warn_at == T0 + timedelta(minutes=24)
        for username in ("finance", "manager"):  # assignee and filer
            note = Notification.objects.get(
                kind="crisis.breach", recipient__username=username, data__task_id=task.pk
            )
            assert "no warning could be sent before the deadline" in note.rendered("en").body
            assert "未能在截止前发出提醒" in note.rendered("zh-hans").body
        event = OutboxMessage.objects.get(dedupe_key=f"event:task.breached:{task.pk}")
        assert event.payload["data"]["warning_sent"] is False
        # Later sweeps add nothing.
        clock.move_to(T0 + timedelta(minutes=32))
        sla_sweep()
        assert len(events_of(task, EventKind.WARNING_SUPERSEDED)) == 1

    # The timeline says it in the reader's language.
    from crisis.presenters import event_text

    labels = {"finance-records": "Finance records"}
    with translation.override("en"):
        text = event_text(superseded, task_labels=labels, people={}, now=timezone.now())
        assert text.startswith("No warning could be sent for Finance records before its deadline")
        assert "superseded" in text
        late_text = event_text(
            TimelineEvent(kind=EventKind.TASK_WARNING, data={"duty": "finance-records", "late": 1}),
            task_labels=labels,
            people={},
            now=timezone.now(),
        )
        assert late_text.startswith("Warning (sent late")
    with translation.override("zh-hans"):
        text = event_text(superseded, task_labels=labels, people={}, now=timezone.now())
        assert "提醒" in text and "No warning" not in text


@pytest.mark.django_db
def test_after_an_outage_every_warning_is_accounted_for(make_map, users):
    """The issue's count: after downtime no warning is missing — each either fired (late) or is
    superseded on the timeline by its breach."""
    with time_machine.travel(T0, tick=False) as clock:
        tasks = file_crises(make_map, users, 12)
        for i, task in enumerate(tasks):  # warnings 1…12 minutes in, deadlines spread around
            warn_at = T0 + timedelta(minutes=1 + i)
            Task.objects.filter(pk=task.pk).update(
                warn_at=warn_at, due_at=warn_at + timedelta(minutes=3 + (i % 4) * 2)
            )
        clock.move_to(T0 + timedelta(minutes=10))  # one sweep after ten minutes of downtime
        counts = sla_sweep()
        warned = {e.task_id for e in TimelineEvent.objects.filter(kind=EventKind.TASK_WARNING)}
        superseded = {
            e.task_id for e in TimelineEvent.objects.filter(kind=EventKind.WARNING_SUPERSEDED)
        }
        assert warned.isdisjoint(superseded)
        due_now = [t.pk for t in tasks if Task.objects.get(pk=t.pk).warn_at <= timezone.now()]
        assert warned | superseded == set(due_now)
        assert counts["warning"] == len(warned) and counts["breach"] == len(superseded)
        assert len(superseded) > 0 and len(warned) > 0
