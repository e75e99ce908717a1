"""Crisis duties count on the assignee's performance record (issue 17 §1): done on time or late,
once per task; a drill's duties count as drill results, not as crisis duties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from crisis.models import Crisis, Task
from crisis.services.drills import drill_results_record, drill_stop
from crisis.services.filing import crisis_file
from crisis.services.tasks import task_complete
from hrcore.models import OutboxMessage, PerformanceEvent
from hrcore.services.performance import PERFORMANCE_CHANNEL

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _task(crisis, code) -> Task:
    return Task.objects.select_related("assignee__user", "crisis").get(
        crisis=crisis, duty_code=code
    )


def test_duties_done_on_time_and_late(crisis_world, users):
    crisis = crisis_file(
        scenario="debt-collection-emergency", title="Collectors", actor=users["manager"]
    )
    on_time = _task(crisis, "finance-records")
    task_complete(task=on_time, actor=users["finance"], note="records")
    late = _task(crisis, "legal-support")
    Task.objects.filter(pk=late.pk).update(due_at=late.created_at - timedelta(minutes=1))
    task_complete(task=_task(crisis, "legal-support"), actor=users["legal"], note="advice")
    rows = list(
        PerformanceEvent.objects.filter(kind="crisis_duty")
        .order_by("id")
        .values_list("employee__user__username", "variant", "points", "source_key")
    )
    assert rows == [
        ("finance", "on_time", 1, f"crisis_duty:{on_time.pk}"),
        ("legal", "late", -1, f"crisis_duty:{late.pk}"),
    ]
    assert (
        OutboxMessage.objects.filter(
            channel=PERFORMANCE_CHANNEL, dedupe_key__startswith="performance:crisis_duty:"
        ).count()
        == 2
    )


def test_a_drill_duty_counts_as_a_drill_result(crisis_world, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(
            scenario="debt-collection-emergency",
            title="演练：催收人员到访",
            actor=users["hradmin"],
            drill=True,
            drill_speed=1,
        )
        task = _task(crisis, "finance-records")
        Task.objects.filter(pk=task.pk).update(deliverable_kind="confirmation")
        task.deliverable_kind = "confirmation"
        clock.move_to(T0 + timedelta(minutes=1))
        task_complete(task=task, actor=task.assignee.user, note="Done in the drill")
        drill_stop(crisis=crisis, actor=users["hradmin"])
        drill_results_record(Crisis.objects.get(pk=crisis.pk), actor=users["hradmin"])  # again
    assert not PerformanceEvent.objects.filter(kind="crisis_duty").exists()
    assert list(
        PerformanceEvent.objects.filter(kind="drill").values_list(
            "employee_id", "variant", "points", "source_key"
        )
    ) == [(task.assignee_id, "on_time", 1, f"drill:{crisis.pk}:task:{task.pk}")]
