"""The start page's crisis panels: the reader's open tasks, their unit's open crises (managers),
the decisions still to take (executives)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.choices import Role
from hrcore.home import ROWS, register_panel
from hrcore.models import Employee
from hrcore.selectors import unit_subtree_q

from .choices import TASK_OPEN_STATES, CrisisStatus, DeliverableKind, TaskStatus
from .presenters import task_what
from .selectors.access import crises_visible_to, tasks_visible_to
from .selectors.crises import my_open_tasks
from .task_state import task_state


def tasks_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    tasks = list(my_open_tasks(user)[:ROWS])
    return {
        "my_tasks": [
            # a drill's durations on its compressed clock (presenters.task_what)
            {"task": t, "state": task_state(t, now), "what": task_what(t) if t.duty_id else ""}
            for t in tasks
        ]
    }


def unit_crises_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    if employee is None:
        return {}
    return {
        "unit_crises": list(
            crises_visible_to(user)
            .filter(unit_subtree_q(employee.unit, "unit"), status=CrisisStatus.OPEN)
            .select_related("scenario", "unit")
            .order_by("-filed_at")[:ROWS]
        )
    }


def decisions_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    # Decisions still to take, those waiting for their inputs (finance, legal) included.
    return {
        "pending_decisions": list(
            tasks_visible_to(user)
            .filter(
                deliverable_kind=DeliverableKind.DECISION,
                status__in=TASK_OPEN_STATES,
                crisis__status=CrisisStatus.OPEN,
            )
            .order_by("due_at", "pk")[:ROWS]
        ),
        "waiting_status": TaskStatus.WAITING,
    }


def register() -> None:
    register_panel(tasks_panel)
    register_panel(unit_crises_panel, role=Role.MANAGER)
    register_panel(decisions_panel, role=Role.EXECUTIVE)
