"""What the start page shows each reader: the work waiting for them (issue 18, item 5).

A read-only composition of the apps' selectors. Every list is fetched with a bounded, fixed
number of queries whatever its length (rows are capped; related rows are joined, not looked up
per row). Coverage gaps are resolved once per distinct (scope, function/position) with the
same resolver the crisis engine uses when it files a crisis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from crisis.selectors.access import crises_visible_to, tasks_visible_to
from crisis.selectors.crises import my_open_tasks

from .errors import KeelError
from .selectors import employee_of, has_role, unit_subtree_q

ROWS = 25


@dataclass(frozen=True)
class CoverageGap:
    map_title: str
    map_pk: int
    duty_code: str
    who: str
    kind: str  # "vacant" | "absent"
    detail: str


def coverage_gaps(*, at: datetime | None = None, limit: int = ROWS) -> list[CoverageGap]:
    """Duties of published maps whose holder is missing (vacant) or away (absent: a delegate
    or someone further up answers instead)."""
    from responsibilities.choices import MapStatus
    from responsibilities.models import Duty

    from .selectors import resolve_assignee

    duties = (
        Duty.objects.filter(map__status=MapStatus.PUBLISHED)
        .select_related("map", "map__scenario", "map__scope", "assignee_position")
        .order_by("map__scenario__code", "order", "pk")
    )
    seen: dict[tuple, tuple[str, str] | None] = {}
    gaps: list[CoverageGap] = []
    for duty in duties:
        function = duty.assignee_function or None
        position = duty.assignee_position.code if duty.assignee_position_id else None
        if not function and not position:
            continue
        key = (duty.map.scope_id, function, position)
        if key not in seen:
            try:
                found = resolve_assignee(
                    unit=duty.map.scope, function=function, position=position, at=at
                )
            except KeelError as exc:
                seen[key] = ("vacant", exc.message)
            else:
                seen[key] = ("absent", found.holder.name) if found.via_delegate else None
        if seen[key] is None:
            continue
        kind, detail = seen[key]
        gaps.append(
            CoverageGap(duty.map.title, duty.map_id, duty.code, duty.assignee_label, kind, detail)
        )
        if len(gaps) >= limit:
            break
    return gaps


def home_for(user: AbstractBaseUser, *, now: datetime) -> dict:
    from competency import selectors as training
    from competency.choices import VersionStatus
    from competency.models import SimulationVersion
    from crisis.choices import TASK_OPEN_STATES, CrisisStatus, DeliverableKind, TaskStatus
    from crisis.presenters import task_state
    from responsibilities.choices import MapStatus
    from responsibilities.models import ResponsibilityMap

    employee = employee_of(user)
    context: dict = {"employee": employee, "can_file": employee is not None}
    tasks = list(my_open_tasks(user)[:ROWS])
    context["my_tasks"] = [{"task": t, "state": task_state(t, now)} for t in tasks]
    context["training_due"] = list(
        training.own_open_assignments(user)
        .filter(completed_at__isnull=True)
        .order_by("due_at")[:ROWS]
    )
    if employee is not None and has_role(user, "manager"):
        context["unit_crises"] = list(
            crises_visible_to(user)
            .filter(unit_subtree_q(employee.unit, "unit"), status=CrisisStatus.OPEN)
            .select_related("scenario", "unit")
            .order_by("-filed_at")[:ROWS]
        )
    if has_role(user, "executive"):
        # Decisions still to take, those waiting for their inputs (finance, legal) included.
        context["pending_decisions"] = list(
            tasks_visible_to(user)
            .filter(
                deliverable_kind=DeliverableKind.DECISION,
                status__in=TASK_OPEN_STATES,
                crisis__status=CrisisStatus.OPEN,
            )
            .order_by("due_at", "pk")[:ROWS]
        )
        context["waiting_status"] = TaskStatus.WAITING
    if has_role(user, "hr_admin"):
        context["coverage_gaps"] = coverage_gaps(at=now)
        context["map_drafts"] = list(
            ResponsibilityMap.objects.filter(status=MapStatus.DRAFT)
            .select_related("scenario")
            .order_by("-pk")[:ROWS]
        )
        context["simulation_drafts"] = list(
            SimulationVersion.objects.filter(status=VersionStatus.DRAFT)
            .select_related("simulation")
            .order_by("-pk")[:ROWS]
        )
    return context
