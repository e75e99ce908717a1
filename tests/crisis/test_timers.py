"""SLA timers: warning, breach and two-step escalation under time_machine, catch-up after
downtime, pause/resume, business hours across a weekend and a holiday, concurrent sweeps on
PostgreSQL, and one run through a real Celery worker + beat on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import timezone, translation

from crisis.choices import EventKind, TaskStatus, TimerState
from crisis.models import Task, TimelineEvent
from crisis.services.clocks import crisis_pause, crisis_resume, task_pause, task_resume
from crisis.services.closure import crisis_close
from crisis.services.filing import crisis_file
from crisis.services.participants import crisis_invite
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_complete
from hrcore.errors import NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Notification, OrgUnit, OutboxMessage
from hrcore.services.calendars import business_calendar_save

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # Friday
ROOT = Path(__file__).resolve().parents[2]

ONE_DUTY = [
    {
        "code": "finance-records",
        "function": "finance",
        "deliverable": "document",
        "deadline_minutes": 30,
        "escalation": ["manager", "executive"],
    }
]


def events_of(task, kind):
    return list(TimelineEvent.objects.filter(task=task, kind=kind).order_by("at", "id"))


def notified(username_or_user, kind, task):
    return Notification.objects.filter(
        recipient__username=getattr(username_or_user, "username", username_or_user),
        kind=kind,
        data__task_id=task.pk,
    ).count()


@pytest.mark.django_db
def test_warning_breach_and_two_step_escalation(make_map, users):
    make_map("timers", ONE_DUTY)
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="timers", title="Timers", actor=users["manager"])
        task = crisis.tasks.get()
        finance_manager = task.assignee.manager
        assert finance_manager is not None

        clock.move_to(T0 + timedelta(minutes=23, seconds=59))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}

        clock.move_to(T0 + timedelta(minutes=24))
        assert sla_sweep() == {"warning": 1, "breach": 0, "escalation": 0}
        task.refresh_from_db()
        assert task.timer_state == TimerState.WARNED
        assert task.warned_at == T0 + timedelta(minutes=24)
        assert notified("finance", "crisis.warning", task) == 1
        assert OutboxMessage.objects.filter(dedupe_key=f"event:task.warning:{task.pk}").exists()
        clock.move_to(T0 + timedelta(minutes=25))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}

        clock.move_to(T0 + timedelta(minutes=30))
        assert sla_sweep() == {"warning": 0, "breach": 1, "escalation": 0}
        task.refresh_from_db()
        assert task.timer_state == TimerState.BREACHED
        assert task.breached_at == T0 + timedelta(minutes=30)
        assert task.escalation_step == 1
        # Step 2 follows after half the 30-minute allowance.
        assert task.escalate_at == T0 + timedelta(minutes=45)
        step1 = events_of(task, EventKind.TASK_ESCALATED)
        assert [(e.data["step"], e.data["target"], e.data["target_id"]) for e in step1] == [
            (1, "manager", finance_manager.pk)
        ]
        assert notified(finance_manager.user, "crisis.escalation", task) == 1
        assert notified("finance", "crisis.breach", task) == 1
        assert notified("manager", "crisis.breach", task) == 1  # the filer

        clock.move_to(T0 + timedelta(minutes=44, seconds=59))
        assert sla_sweep()["escalation"] == 0
        clock.move_to(T0 + timedelta(minutes=45))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 1}
        steps = events_of(task, EventKind.TASK_ESCALATED)
        assert [(e.data["step"], e.data["target"]) for e in steps] == [
            (1, "manager"),
            (2, "executive"),
        ]
        assert steps[1].data["target_id"] == users["vp"].employee.pk
        assert notified("vp", "crisis.escalation", task) == 1
        task.refresh_from_db()
        assert task.escalation_step == 2 and task.escalate_at is None

        clock.move_to(T0 + timedelta(hours=5))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
        assert len(events_of(task, EventKind.TASK_WARNING)) == 1
        assert len(events_of(task, EventKind.TASK_BREACHED)) == 1
        # The escalation contacts now see the crisis.
        from crisis.selectors.access import crises_visible_to

        assert crises_visible_to(finance_manager.user).filter(pk=crisis.pk).exists()

        # Completing late stops the clock and marks the completion late.
        task_complete(task=task, actor=users["finance"], note="late records")
        task.refresh_from_db()
        assert task.timer_state == TimerState.STOPPED
        assert events_of(task, EventKind.TASK_COMPLETED)[0].data["late"] is True


@pytest.mark.django_db
def test_sweep_catches_up_after_downtime(make_map, users):
    make_map("timers", ONE_DUTY)
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="timers", title="Timers", actor=users["manager"])
        task = crisis.tasks.get()
        clock.move_to(T0 + timedelta(hours=3))  # the tick was down for three hours
        assert sla_sweep() == {"warning": 0, "breach": 1, "escalation": 1}
        task.refresh_from_db()
        assert task.timer_state == TimerState.BREACHED and task.escalation_step == 2
        assert [e.data["step"] for e in events_of(task, EventKind.TASK_ESCALATED)] == [1, 2]
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}


@pytest.mark.django_db
def test_done_and_closed_tasks_never_fire(make_map, users):
    make_map("timers", ONE_DUTY)
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="timers", title="Timers", actor=users["manager"])
        task_complete(task=crisis.tasks.get(), actor=users["finance"], note="on time")
        other = crisis_file(scenario="timers", title="Other", actor=users["manager"])
        crisis_close(crisis=other, outcome="false alarm", actor=users["manager"])
        clock.move_to(T0 + timedelta(hours=2))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}


@pytest.mark.django_db
def test_pause_does_not_count(make_map, users):
    make_map("timers", ONE_DUTY)
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="timers", title="Timers", actor=users["manager"])
        task = crisis.tasks.get()
        clock.move_to(T0 + timedelta(minutes=10))
        task_pause(task=task, reason="Waiting for the customer", actor=users["finance"])
        clock.move_to(T0 + timedelta(minutes=40))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
        task.refresh_from_db()
        assert task.timer_state == TimerState.PAUSED
        clock.move_to(T0 + timedelta(minutes=50))
        task_resume(task=task, actor=users["finance"])
        task.refresh_from_db()
        # 20 minutes were left at the pause (warning 14 minutes away).
        assert task.due_at == T0 + timedelta(minutes=70)
        assert task.warn_at == T0 + timedelta(minutes=64)
        assert task.paused_seconds == 40 * 60
        assert task.timer_state == TimerState.RUNNING
        clock.move_to(T0 + timedelta(minutes=63, seconds=59))
        assert sla_sweep()["warning"] == 0
        clock.move_to(T0 + timedelta(minutes=64))
        assert sla_sweep()["warning"] == 1
        clock.move_to(T0 + timedelta(minutes=70))
        assert sla_sweep()["breach"] == 1
        kinds = [e.kind for e in TimelineEvent.objects.filter(task=task).order_by("at", "id")]
        assert EventKind.TASK_PAUSED in kinds and EventKind.TASK_RESUMED in kinds
        # Pausing needs a reason and a running clock; others cannot pause.
        with pytest.raises(ValidationFailed):
            task_pause(task=task, reason="", actor=users["finance"])
        with pytest.raises(NotFound):  # legal has no part in this crisis: not even visible
            task_pause(task=task, reason="x", actor=users["legal"])
        crisis_invite(crisis=crisis, user=users["legal"], actor=users["manager"])
        with pytest.raises(PermissionDenied):  # invited to read, not to run the clock
            task_pause(task=task, reason="x", actor=users["legal"])
        task.refresh_from_db()
        assert task.timer_state == TimerState.BREACHED


TWO_AND_A_WAITING_DUTY = [
    {
        "code": "finance-records",
        "function": "finance",
        "deliverable": "document",
        "deadline_minutes": 30,
    },
    {
        "code": "legal-support",
        "function": "legal",
        "deliverable": "document",
        "deadline_minutes": 60,
    },
    {
        "code": "vp-decision",
        "position": "vice-president",
        "deliverable": "decision",
        "deadline_minutes": 60,
        "after": ["finance-records", "legal-support"],
    },
]


def _clocks(crisis) -> dict[str, tuple]:
    return {
        t.duty_code: (t.timer_state, t.paused_at, t.due_at, t.warn_at, t.paused_seconds)
        for t in crisis.tasks.all()
    }


@pytest.mark.django_db
def test_crisis_pause_and_resume_move_every_clock_with_one_event_each(make_map, users):
    make_map("all-clocks", TWO_AND_A_WAITING_DUTY)
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="all-clocks", title="All", actor=users["manager"])
        clock.move_to(T0 + timedelta(minutes=25))
        assert sla_sweep()["warning"] == 1  # finance is warned (80 % of 30 min)
        paused = crisis_pause(crisis=crisis, reason="Customer on leave", actor=users["manager"])
        assert [t.duty_code for t in paused] == ["finance-records", "legal-support"]
        clocks = _clocks(crisis)
        assert clocks["finance-records"][:2] == (TimerState.PAUSED, T0 + timedelta(minutes=25))
        assert clocks["legal-support"][:2] == (TimerState.PAUSED, T0 + timedelta(minutes=25))
        assert clocks["vp-decision"][0] == TimerState.IDLE  # waiting: no clock to pause
        paused_events = TimelineEvent.objects.filter(crisis=crisis, kind=EventKind.TASK_PAUSED)
        assert sorted(paused_events.values_list("data__duty", "data__reason")) == [
            ("finance-records", "Customer on leave"),
            ("legal-support", "Customer on leave"),
        ]
        clock.move_to(T0 + timedelta(minutes=100))
        assert sla_sweep() == {"warning": 0, "breach": 0, "escalation": 0}
        resumed = crisis_resume(crisis=crisis, actor=users["manager"])
        assert len(resumed) == 2
        clocks = _clocks(crisis)
        # 75 minutes paused: each deadline moves by it; finance stays warned.
        assert clocks["finance-records"] == (
            TimerState.WARNED,
            None,
            T0 + timedelta(minutes=105),
            T0 + timedelta(minutes=24),
            75 * 60,
        )
        assert clocks["legal-support"][:3] == (
            TimerState.RUNNING,
            None,
            T0 + timedelta(minutes=135),
        )
        assert TimelineEvent.objects.filter(crisis=crisis, kind=EventKind.TASK_RESUMED).count() == 2


@pytest.mark.django_db
def test_crisis_pause_refuses_when_nothing_runs_and_resume_when_nothing_is_paused(make_map, users):
    from hrcore.errors import Conflict

    make_map("all-clocks", TWO_AND_A_WAITING_DUTY)
    crisis = crisis_file(scenario="all-clocks", title="All", actor=users["manager"])
    with pytest.raises(Conflict) as exc:
        crisis_resume(crisis=crisis, actor=users["manager"])
    assert exc.value.code == "not_paused"
    crisis_pause(crisis=crisis, reason="Waiting", actor=users["manager"])
    events_before = TimelineEvent.objects.filter(crisis=crisis).count()
    with translation.override("en"), pytest.raises(Conflict) as exc:
        crisis_pause(crisis=crisis, reason="Again", actor=users["manager"])
    assert exc.value.code == "not_running"
    assert str(exc.value.message) == "No clock is running in this crisis: nothing to pause."
    with pytest.raises(ValidationFailed) as exc:
        crisis_pause(crisis=crisis, reason="  ", actor=users["manager"])
    assert set(exc.value.errors) == {"reason"}
    assert TimelineEvent.objects.filter(crisis=crisis).count() == events_before


@pytest.mark.django_db
def test_crisis_pause_by_an_assignee_is_refused_and_pauses_nothing(make_map, users):
    make_map("all-clocks", TWO_AND_A_WAITING_DUTY)
    crisis = crisis_file(scenario="all-clocks", title="All", actor=users["manager"])
    before = _clocks(crisis)
    with pytest.raises(PermissionDenied):  # finance may pause its own clock, not everyone's
        crisis_pause(crisis=crisis, reason="x", actor=users["finance"])
    with pytest.raises(NotFound):
        crisis_pause(crisis=crisis, reason="x", actor=users["staff"])
    assert _clocks(crisis) == before


@pytest.mark.django_db
def test_a_failure_half_way_through_crisis_pause_leaves_every_clock_running(
    make_map, users, monkeypatch
):
    from crisis import events

    make_map("all-clocks", TWO_AND_A_WAITING_DUTY)
    crisis = crisis_file(scenario="all-clocks", title="All", actor=users["manager"])
    before = _clocks(crisis)
    events_before = TimelineEvent.objects.filter(crisis=crisis).count()
    real = events.task_paused_event
    calls = []

    def second_one_fails(**kwargs):
        calls.append(kwargs["task"].duty_code)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(events, "task_paused_event", second_one_fails)
    with pytest.raises(RuntimeError):
        crisis_pause(crisis=crisis, reason="Waiting", actor=users["manager"])
    assert calls == ["finance-records", "legal-support"]  # the first one had been paused
    assert _clocks(crisis) == before
    assert not Task.objects.filter(crisis=crisis, timer_state=TimerState.PAUSED).exists()
    assert TimelineEvent.objects.filter(crisis=crisis).count() == events_before


@pytest.mark.django_db
def test_business_hours_across_a_weekend_and_a_holiday(make_map, users):
    make_map(
        "office-hours",
        [
            {
                "code": "legal-support",
                "function": "legal",
                "deliverable": "document",
                "deadline_minutes": 60,
                "warn_ratio": 0.5,
                "business_hours": True,
                "escalation": ["manager"],
            }
        ],
    )
    business_calendar_save(
        unit=OrgUnit.objects.get(code="sh"),
        time_zone="Asia/Shanghai",
        holidays=[(date(2026, 11, 23), "调休假", "Bridge holiday", False)],
    )
    filed = datetime(2026, 11, 20, 17, 30, tzinfo=SH)  # Friday 17:30
    with time_machine.travel(filed, tick=False) as clock:
        crisis = crisis_file(scenario="office-hours", title="After hours", actor=users["manager"])
        task = crisis.tasks.get()
        # 30 minutes on Friday, none on the weekend, Monday is a holiday, 30 on Tuesday.
        assert task.warn_at == datetime(2026, 11, 20, 18, 0, tzinfo=SH)
        assert task.due_at == datetime(2026, 11, 24, 9, 30, tzinfo=SH)
        clock.move_to(datetime(2026, 11, 21, 12, 0, tzinfo=SH))  # Saturday
        assert sla_sweep() == {"warning": 1, "breach": 0, "escalation": 0}
        clock.move_to(datetime(2026, 11, 23, 17, 0, tzinfo=SH))  # the holiday Monday
        assert sla_sweep()["breach"] == 0
        clock.move_to(datetime(2026, 11, 24, 9, 29, tzinfo=SH))
        assert sla_sweep()["breach"] == 0
        clock.move_to(datetime(2026, 11, 24, 9, 30, tzinfo=SH))
        assert sla_sweep()["breach"] == 1
    # The sz subsidiary has no calendar: Monday–Friday 9–18 without the holiday.
    with time_machine.travel(filed, tick=False):
        crisis2 = crisis_file(
            scenario="office-hours", title="After hours SZ", actor=users["manager2"]
        )
        assert crisis2.tasks.get().due_at == datetime(2026, 11, 23, 9, 30, tzinfo=SH)


def _due_tasks(make_map, users, n):
    make_map("timers", ONE_DUTY)
    crises = [
        crisis_file(scenario="timers", title=f"c{i}", actor=users["manager"]) for i in range(n)
    ]
    past = timezone.now() - timedelta(seconds=5)
    Task.objects.filter(crisis__in=crises).update(warn_at=past, due_at=past)
    return crises


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_timer_once(make_map, users):
    crises = _due_tasks(make_map, users, 40)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(sla_sweep(batch=7))
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
    assert sum(r["breach"] for r in results) == 40
    assert sum(r["escalation"] for r in results) == 0  # step 2 is 15 minutes later
    for crisis in crises:
        task = crisis.tasks.get()
        assert len(events_of(task, EventKind.TASK_BREACHED)) == 1
        assert len(events_of(task, EventKind.TASK_ESCALATED)) == 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith="event:task.breached:").count() == 40


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_real_celery_worker_and_beat_fire_a_timer_once_on_time(make_map, users, tmp_path):
    """A real `celery -A hrcore worker -B` on Redis: the tick (1 s) fires the breach once."""
    make_map("timers", ONE_DUTY)
    crisis = crisis_file(scenario="timers", title="Worker", actor=users["manager"])
    task = crisis.tasks.get()
    settings_db = connection.settings_dict
    db_url = (
        f"postgres://{settings_db['USER']}:{settings_db['PASSWORD']}@{settings_db['HOST']}:"
        f"{settings_db['PORT'] or 5432}/{settings_db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.local",
        "DATABASE_URL": db_url,
        "REDIS_URL": os.environ["REDIS_URL"],
        "KEEL_TICK_SECONDS": "1",
        "KEEL_DATA_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,  # no init_data_dir here: share the key
        "DB_CONN_MAX_AGE": "0",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hrcore",
            "worker",
            "-B",
            "-Q",
            "sla,default",
            "--concurrency=2",
            "--pool=threads",
            "-s",
            str(tmp_path / "beat-schedule"),
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Wait until the tick runs (heartbeat), then make the task due 2 s from now.
        from hrcore.models import Heartbeat

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not Heartbeat.objects.filter(name="tick").exists():
            time.sleep(0.3)
        assert Heartbeat.objects.filter(name="tick").exists(), "the tick never ran"
        due = timezone.now() + timedelta(seconds=2)
        Task.objects.filter(pk=task.pk).update(warn_at=due, due_at=due)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not events_of(task, EventKind.TASK_BREACHED):
            time.sleep(0.3)
        fired = events_of(task, EventKind.TASK_BREACHED)
        assert len(fired) == 1
        # Never early; how late (about one tick) is measured by bench/crisis_timers.py.
        assert fired[0].at >= due
        time.sleep(2.5)  # more ticks run: still exactly one breach
        assert len(events_of(task, EventKind.TASK_BREACHED)) == 1
        task.refresh_from_db()
        assert task.timer_state == TimerState.BREACHED
        assert task.status == TaskStatus.OPEN
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
