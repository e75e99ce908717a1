"""People around crises: duty assignments, candidates, participants, a person's open tasks and roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from hrcore.errors import KeelError
from hrcore.models import Employee, OrgUnit
from hrcore.selectors import (
    RESOLVED_PEOPLE_WITH,
    AssigneeKey,
    crisis_executive_key,
    resolve_assignee,
    resolve_assignees,
    resolve_assignees_in_units,
)

from ..choices import (
    TASK_OPEN_STATES,
    CrisisStatus,
)
from ..models import Crisis, CrisisParticipant, Task
from .access import crises_visible_to


@dataclass(frozen=True)
class DutyAssignment:
    """Who gets a duty of a map filed for a unit: the resolved holder, or — when nobody holds
    the role (``gap_reason``) — the first resolvable escalation target (``fallback_step``)."""

    duty: object  # responsibilities.models.Duty
    employee: Employee | None
    gap_reason: str | None = None
    fallback_step: str | None = None


def _step_key(step: str, executive: AssigneeKey) -> AssigneeKey | None:
    """The (function, position) an escalation step names when the duty has no assignee yet:
    "manager" needs an assignee to have a manager, so it resolves to nobody here; "executive"
    is the organisation's (``hrcore.selectors.crisis_executive_key``)."""
    if step == "executive":
        return executive
    if step.startswith("position:"):
        return ("", step.split(":", 1)[1])
    return None


def duty_assignments(
    *,
    unit: OrgUnit,
    duties: Iterable,
    at: datetime,
    people_with: tuple[str, ...] = RESOLVED_PEOPLE_WITH,
) -> list[DutyAssignment]:
    """Assign every duty of a map for a crisis in ``unit`` in one pass (``resolve_assignees``:
    the org path, holders, absences and delegates are loaded once, not once per duty). Same
    rules as resolving each duty with ``resolve_assignee`` and, for a duty nobody holds, its
    escalation chain then the executive. ``duties`` need ``assignee_position`` loaded;
    ``people_with``: what is loaded with the people assigned (``resolve_assignees``)."""
    duties = list(duties)
    executive = crisis_executive_key()
    wanted: list[AssigneeKey] = []
    for duty in duties:
        wanted.append(duty.assignee_key)
        for step in [*(duty.escalation or []), "executive"]:
            key = _step_key(step, executive)
            if key:
                wanted.append(key)
    resolved = resolve_assignees(
        unit=unit, wanted=wanted, at=at, people_with=people_with, with_levels=False
    )
    assignments: list[DutyAssignment] = []
    for duty in duties:
        outcome = resolved[duty.assignee_key]
        if not isinstance(outcome, Exception):
            assignments.append(DutyAssignment(duty, outcome.employee))
            continue
        fallback, fallback_step = None, None
        for step in [*(duty.escalation or []), "executive"]:
            key = _step_key(step, executive)
            target = resolved.get(key) if key else None
            if target is not None and not isinstance(target, Exception):
                fallback, fallback_step = target.employee, step
                break
        assignments.append(DutyAssignment(duty, fallback, outcome.message, fallback_step))
    return assignments


def crisis_participant_users(crisis: Crisis) -> list:
    """Every user taking part (filer, assignees, escalation contacts, invited) — decisions are
    pushed to all of them."""
    users = {}
    if crisis.filed_by_id:
        users[crisis.filed_by_id] = crisis.filed_by
    for participant in crisis.participants.select_related("employee__user"):
        users[participant.employee.user_id] = participant.employee.user
    for task in crisis.tasks.select_related("assignee__user").exclude(assignee=None):
        users[task.assignee.user_id] = task.assignee.user
    return [u for u in users.values() if u.is_active]


def employee_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {e.pk: e.name for e in Employee.objects.filter(pk__in=ids)}


def employee_by_id(pk: int) -> Employee | None:
    return Employee.objects.filter(pk=pk, is_active=True).select_related("unit", "user").first()


def reassign_candidates(crisis: Crisis, task: Task | None = None) -> list[Employee]:
    """People a task can be handed to: active employees of the group, by unit."""
    return list(
        Employee.objects.filter(is_active=True)
        .select_related("unit", "position")
        .order_by("unit__path", "-grade", "id")
    )


def crisis_people(crisis: Crisis) -> list[Employee]:
    """Everyone who took part: the filer, assignees and participants (for credits at closure)."""
    q = Q(crisis_tasks__crisis=crisis) | Q(crisis_participations__crisis=crisis)
    if crisis.filed_by_id:
        q |= Q(user_id=crisis.filed_by_id)
    return list(
        Employee.objects.filter(q).distinct().select_related("unit", "position").order_by("id")
    )


def open_tasks_of(employee: Employee) -> QuerySet[Task]:
    """The employee's tasks not yet done in open crises (what a leaving employee hands over)."""

    return Task.objects.filter(
        assignee=employee, status__in=TASK_OPEN_STATES, crisis__status=CrisisStatus.OPEN
    ).select_related("crisis")


def open_roles_of(employee: Employee) -> list[CrisisParticipant]:
    """The employee's participations in open crises."""
    return list(
        CrisisParticipant.objects.filter(
            employee=employee, crisis__status=CrisisStatus.OPEN
        ).select_related("crisis")
    )


def crisis_unit_people(crisis: Crisis) -> list[Employee]:
    """Who may be needed at the crisis's site: the active people of the crisis's unit and the
    assignees of its tasks, assignees first (for the dossier's "who is on site today");
    ``is_assignee`` says which are assignees."""
    assignee_ids = set(
        crisis.tasks.filter(assignee__isnull=False).values_list("assignee_id", flat=True)
    )
    people = (
        Employee.objects.filter(Q(pk__in=assignee_ids) | Q(unit_id=crisis.unit_id, is_active=True))
        .select_related("user")
        .order_by("id")
    )
    people = sorted(people, key=lambda e: (e.pk not in assignee_ids, e.pk))
    for person in people:
        person.is_assignee = person.pk in assignee_ids
    return people


def _employed():
    return Employee.objects.filter(is_active=True, user__is_active=True)


def resolve_escalation_target(
    step: str, *, task: Task, crisis: Crisis, at: datetime
) -> Employee | None:
    """The person an escalation step of ``task`` points at now, or None when it cannot be
    resolved ("executive": the organisation's, ``hrcore.selectors.crisis_executive_key``)."""
    try:
        if step == "manager":
            if task.assignee_id and task.assignee.manager_id:
                # A manager who has left cannot be told: unresolved, so the chain falls back.
                return (
                    _employed().select_related("user").filter(pk=task.assignee.manager_id).first()
                )
            return None
        if step == "executive":
            function, position = crisis_executive_key()
            return resolve_assignee(
                unit=crisis.unit, function=function or None, position=position or None, at=at
            ).employee
        if step.startswith("position:"):
            return resolve_assignee(
                unit=crisis.unit, position=step.split(":", 1)[1], at=at
            ).employee
    except KeelError:
        return None
    return None


def resolve_escalation_targets(
    steps: Iterable[tuple[Task, str]], *, at: datetime
) -> dict[tuple[int, str], Employee | None]:
    """``resolve_escalation_target`` for many (task, step) pairs at once — the sweep firing a
    batch of breaches with chains: the managers in one query, the executive's key once, every
    unit's holders in one pass (``resolve_assignees_in_units``), so a handful of queries
    whatever the number of pairs. Keyed by (task id, step); the same rules, the same None
    where one step cannot be resolved. The tasks come with their crisis (and its unit)."""
    steps = list(steps)
    out: dict[tuple[int, str], Employee | None] = {}
    manager_ids = {
        task.assignee.manager_id
        for task, step in steps
        if step == "manager" and task.assignee_id and task.assignee.manager_id
    }
    managers = _employed().select_related("user").in_bulk(manager_ids) if manager_ids else {}
    executive = crisis_executive_key() if any(s == "executive" for _t, s in steps) else None
    wanted: dict[tuple[int, str], AssigneeKey] = {}
    units: dict[int, OrgUnit] = {}
    for task, step in steps:
        key = None
        if step == "executive":
            key = executive
        elif step.startswith("position:"):
            key = ("", step.split(":", 1)[1])
        if key is not None:
            wanted[(task.pk, step)] = key
            units.setdefault(task.crisis.unit_id, task.crisis.unit)
    resolved = (
        resolve_assignees_in_units(units=units.values(), wanted=set(wanted.values()), at=at)
        if wanted
        else {}
    )
    for task, step in steps:
        target = None
        if step == "manager":
            if task.assignee_id and task.assignee.manager_id:
                target = managers.get(task.assignee.manager_id)
        elif (task.pk, step) in wanted:
            result = resolved[task.crisis.unit_id][wanted[(task.pk, step)]]
            target = None if isinstance(result, KeelError) else result.employee
        out[(task.pk, step)] = target
    return out


# --- A person's page (issue 17 §5): their crisis duties, open tasks and history -------------


@dataclass(frozen=True)
class CrisisRecord:
    """A person's part in crises the reader may see: open tasks and their history."""

    open_tasks: list[Task]
    history: list[CrisisParticipant]
    history_total: int


def crisis_record_of(
    user: AbstractBaseUser, employee: Employee, *, limit: int = 10
) -> CrisisRecord:
    """``employee``'s open tasks and the crises they took part in (newest first, ``limit`` of
    each), only from crises ``user`` may see — the page never shows a crisis its reader could
    not open. Three queries whatever the number of rows (plus those of the visibility rule)."""
    visible = crises_visible_to(user).values("pk")
    open_tasks = list(
        Task.objects.filter(
            assignee=employee,
            status__in=TASK_OPEN_STATES,
            crisis__status=CrisisStatus.OPEN,
            crisis_id__in=visible,
        )
        .select_related("crisis", "duty")
        .order_by("due_at", "pk")[:limit]
    )
    parts = CrisisParticipant.objects.filter(employee=employee, crisis_id__in=visible)
    history = list(
        parts.select_related("crisis__scenario", "crisis__unit").order_by(
            "-crisis__filed_at", "-crisis_id"
        )[:limit]
    )
    return CrisisRecord(open_tasks=open_tasks, history=history, history_total=parts.count())
