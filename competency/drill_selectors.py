"""Drills as practice (issue 16 §5): what the crisis engine's finished drills say about each
participant, read only. A drill counts as a practice of the scenario's role for everyone who
held a duty in it (a task assigned to them); it is passed when each of their tasks was done
within its deadline. Tasks a stopped drill cancelled before their deadline are not judged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crisis.choices import CrisisStatus, TaskStatus
from crisis.models import Task
from crisis.task_state import task_late


@dataclass(frozen=True)
class DrillAttempt:
    """One participant's part in one finished drill."""

    crisis_id: int
    scenario_code: str
    at: datetime  # when the drill ended
    passed: bool


def drill_attempts(
    employee_ids: Iterable[int], *, scenario_codes: Iterable[str] | None = None
) -> dict[int, list[DrillAttempt]]:
    """Per employee, their finished drills (oldest first), optionally of some scenarios only.
    One query whatever the number of people and drills."""
    employee_ids = set(employee_ids)
    if not employee_ids:
        return {}
    tasks = Task.objects.filter(
        assignee_id__in=employee_ids,
        crisis__is_drill=True,
        crisis__closed_at__isnull=False,
    ).exclude(crisis__status=CrisisStatus.OPEN)
    if scenario_codes is not None:
        tasks = tasks.filter(crisis__scenario__code__in=list(scenario_codes))
    judged: dict[tuple[int, int], list[bool]] = {}
    ended: dict[int, tuple[str, datetime]] = {}
    for task in tasks.select_related("crisis__scenario").only(
        "assignee_id",
        "status",
        "completed_at",
        "due_at",
        "breached_at",
        "crisis__closed_at",
        "crisis__scenario__code",
    ):
        late = task_late(task, task.crisis.closed_at)
        if task.status == TaskStatus.CANCELLED and not late:
            continue  # stopped before it was due: not judged
        ended[task.crisis_id] = (task.crisis.scenario.code, task.crisis.closed_at)
        judged.setdefault((task.assignee_id, task.crisis_id), []).append(
            task.status == TaskStatus.DONE and not late
        )
    out: dict[int, list[DrillAttempt]] = {}
    for (employee_id, crisis_id), results in judged.items():
        code, at = ended[crisis_id]
        out.setdefault(employee_id, []).append(DrillAttempt(crisis_id, code, at, all(results)))
    for attempts in out.values():
        attempts.sort(key=lambda a: (a.at, a.crisis_id))
    return out
