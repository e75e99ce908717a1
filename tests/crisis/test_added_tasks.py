"""Tasks added to a running crisis run on the map's engine: clock, breach, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from crisis.choices import TaskKind, TaskStatus, TimerState
from crisis.models import Crisis
from crisis.services.added_tasks import task_add
from crisis.services.sweep import sla_sweep
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Employee, Notification

pytestmark = pytest.mark.django_db(transaction=False)

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _employee(username: str) -> Employee:
    return Employee.objects.get(user__username=username)


def test_an_added_task_is_timed_notified_and_escalated(file_emergency, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        tasks_before = crisis.tasks.count()
        all_info_before = Crisis.objects.get(pk=crisis.pk).all_info_at
        task = task_add(
            crisis=crisis,
            kind=TaskKind.ADHOC,
            assignee=_employee("legal"),
            action="Call the landlord about the CCTV recordings",
            deadline_minutes=20,
            actor=users["manager"],
        )
        assert crisis.tasks.count() == tasks_before + 1
        assert (task.kind, task.duty_id, task.status) == ("adhoc", None, TaskStatus.OPEN)
        assert task.due_at == T0 + timedelta(minutes=20)
        assert task.warn_at == T0 + timedelta(minutes=16)  # default warn ratio 0.8
        assert crisis.timeline.filter(task=task, kind="task_created").exists()
        assert Notification.objects.filter(
            recipient=users["legal"], kind="crisis.task", data__task_id=task.pk
        ).exists()
        clock.move_to(T0 + timedelta(minutes=21))
        sla_sweep()
    task.refresh_from_db()
    assert task.timer_state == TimerState.BREACHED
    assert task.breached_at is not None
    # the first step of the default chain is the assignee's manager
    assert crisis.timeline.filter(task=task, kind="task_escalated").exists()
    # an added task is not an information milestone of the map
    assert Crisis.objects.get(pk=crisis.pk).all_info_at == all_info_before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "  "}, "action"),
        ({"action": "x" * 501}, "action"),
        ({"deadline_minutes": 0}, "deadline_minutes"),
        ({"deadline_minutes": 30 * 24 * 60 + 1}, "deadline_minutes"),
        ({"deadline_minutes": True}, "deadline_minutes"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(file_emergency, users, kwargs, field):
    crisis = file_emergency()
    count = crisis.tasks.count()
    arguments = {
        "crisis": crisis,
        "kind": TaskKind.ADHOC,
        "assignee": _employee("legal"),
        "action": "Check the door log",
        "deadline_minutes": 30,
        "actor": users["manager"],
    } | kwargs
    with pytest.raises(ValidationFailed) as refused:
        task_add(**arguments)
    assert field in refused.value.errors
    assert crisis.tasks.count() == count


def test_the_map_kind_cannot_be_added_and_staff_cannot_add(file_emergency, users):
    crisis = file_emergency()
    with pytest.raises(ValidationFailed):
        task_add(
            crisis=crisis,
            kind=TaskKind.DUTY,
            assignee=_employee("legal"),
            action="x",
            deadline_minutes=5,
            actor=users["manager"],
        )
    with pytest.raises(PermissionDenied):
        task_add(
            crisis=crisis,
            kind=TaskKind.ADHOC,
            assignee=_employee("legal"),
            action="x",
            deadline_minutes=5,
            actor=users["finance"],
        )
