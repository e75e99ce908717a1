"""Who may see and act on a crisis: visibility scopes, guardian grants, decide/manage rights, need-to-know access."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from guardian.models import UserObjectPermission

from hrcore.choices import Role, UnitKind
from hrcore.errors import KeelError
from hrcore.models import Employee, OrgUnit
from hrcore.selectors import employee_of, has_role, is_hr_admin, resolve_assignee

from ..choices import (
    EventKind,
)
from ..models import Crisis, CrisisParticipant, Deliverable, Task, TimelineEvent
from ..need_to_know import sources_for_items

GRANT_CODENAMES = ("view_crisis", "participate_crisis")


def executive_scope(employee: Employee) -> OrgUnit:
    """The unit an executive oversees: the parent of their executive office (a VP in the group's
    executive office oversees the group; a general manager their subsidiary)."""
    unit = employee.unit
    if unit.kind == UnitKind.DEPARTMENT and unit.parent_id is not None:
        return unit.parent
    return unit


def _granted_crisis_ids(user: AbstractBaseUser):
    """Ids of crises shared with ``user`` through a django-guardian object grant."""
    content_type = ContentType.objects.get_for_model(Crisis)
    return (
        UserObjectPermission.objects.filter(
            user=user, content_type=content_type, permission__codename__in=GRANT_CODENAMES
        )
        .annotate(crisis_pk=Cast("object_pk", BigIntegerField()))
        .values("crisis_pk")
    )


def _legacy_visibility_q(user: AbstractBaseUser) -> Q | None:
    """The visibility rule as one OR of alternatives (kept as the reference the tests compare
    ``crisis_visibility_q`` with; too slow for pages: the OR of EXISTS and a path LIKE defeats
    every index of a crisis query)."""
    if is_hr_admin(user):
        return None
    q = Q(filed_by=user) | Q(pk__in=_granted_crisis_ids(user))
    employee = employee_of(user)
    if employee is not None:
        q |= Q(
            Exists(CrisisParticipant.objects.filter(crisis=OuterRef("pk"), employee=employee))
        ) | Q(Exists(Task.objects.filter(crisis=OuterRef("pk"), assignee=employee)))
        if has_role(user, Role.EXECUTIVE):
            q |= Q(unit__path__startswith=executive_scope(employee).path)
        if has_role(user, Role.MANAGER):
            q |= Q(unit__path__startswith=employee.unit.path)
    return q


def _scope_unit_ids(user: AbstractBaseUser, employee: Employee | None) -> list[int] | None:
    """Ids of the units whose crises the user sees by role (an executive's scope, a manager's
    subtree), in one query; ``None`` when that is every unit of the group."""
    if employee is None:
        return []
    paths = []
    if has_role(user, Role.EXECUTIVE):
        paths.append(executive_scope(employee).path)
    if has_role(user, Role.MANAGER):
        paths.append(employee.unit.path)
    if not paths:
        return []
    rows = list(OrgUnit.objects.values_list("pk", "path"))
    ids = [pk for pk, path in rows if any(path.startswith(p) for p in paths)]
    return None if len(ids) == len(rows) else ids


def _personal_crisis_ids(user: AbstractBaseUser, employee: Employee | None) -> list[int]:
    """Ids of the crises the user takes part in whatever their role — filed, granted, invited,
    holding a task — as one UNION query."""
    ids = Crisis.objects.filter(filed_by=user).order_by().values_list("pk", flat=True)
    parts = [_granted_crisis_ids(user).order_by().values_list("crisis_pk", flat=True)]
    if employee is not None:
        parts.append(
            CrisisParticipant.objects.filter(employee=employee)
            .order_by()
            .values_list("crisis_id", flat=True)
        )
        parts.append(
            Task.objects.filter(assignee=employee).order_by().values_list("crisis_id", flat=True)
        )
    return sorted({int(value) for value in ids.union(*parts) if value is not None})


def crisis_visibility_q(user: AbstractBaseUser) -> Q | None:
    """The Q that scopes crises for ``user``; None means "everything" (HR admins, and an
    executive whose scope is the whole group).

    Built for the indexes (issue 12): a list of unit ids for the role scope (executives,
    managers) and a list of crisis ids for everything personal (filed, granted, invited,
    assigned), from two small queries — instead of an OR of EXISTS subqueries and a path LIKE
    that made every crisis query scan the table. Same crises as ``_legacy_visibility_q``."""
    if is_hr_admin(user):
        return None
    employee = employee_of(user)
    units = _scope_unit_ids(user, employee)
    if units is None:
        return None
    personal = _personal_crisis_ids(user, employee)
    if units and personal:
        return Q(unit_id__in=units) | Q(pk__in=personal)
    if units:
        return Q(unit_id__in=units)
    return Q(pk__in=personal)


def crises_visible_to(user: AbstractBaseUser) -> QuerySet[Crisis]:
    """Managers: their unit's subtree + crises they filed or take part in. Staff: crises where they
    have a task (or take part). Executives: their scope. HR admins: all. Plus one-off
    django-guardian grants (``view_crisis`` / ``participate_crisis`` on the crisis)."""
    if not user.is_authenticated:
        return Crisis.objects.none()
    return crises_with_visibility(crisis_visibility_q(user))


def crises_with_visibility(q: Q | None) -> QuerySet[Crisis]:
    """``crises_visible_to`` from a visibility already worked out (``crisis_visibility_q``), for
    a selector that needs the rule itself too."""
    qs = Crisis.objects.select_related("scenario", "unit", "map", "filed_by")
    return qs if q is None else qs.filter(q)


def tasks_visible_to(user: AbstractBaseUser) -> QuerySet[Task]:
    """Tasks of the crises the user sees (the crisis page shows every department's task)."""
    if not user.is_authenticated:
        return Task.objects.none()
    return Task.objects.filter(crisis__in=crises_visible_to(user).values("pk")).select_related(
        "crisis", "assignee", "assignee__user", "duty"
    )


def can_decide(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Executives who see the crisis decide on it."""
    return has_role(user, Role.EXECUTIVE) and crises_visible_to(user).filter(pk=crisis.pk).exists()


def may_hold_decision(employee: Employee | None, task: Task) -> bool:
    """Who may hold and complete a crisis's decision task ("only deciders decide"): an executive
    whose scope covers the crisis's unit, or the person the decision duty names for this crisis
    now — its position or function resolved from the crisis's unit as at filing, or that
    holder's absence delegate. Anyone else (a manager, however senior in the crisis) may not,
    so a decision task can neither be completed by nor handed to them."""

    if employee is None or not employee.is_active:
        return False
    crisis = task.crisis
    if has_role(employee.user, Role.EXECUTIVE) and crisis.unit.path.startswith(
        executive_scope(employee).path
    ):
        return True
    duty = task.duty
    if duty is None:  # tasks added while the crisis runs are never the map's decision duty
        return False
    function, position = duty.assignee_key
    try:
        resolution = resolve_assignee(unit=crisis.unit, function=function, position=position)
    except KeelError:
        return False
    return employee.pk in (resolution.employee.pk, resolution.holder.pk)


def can_manage(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Who may reassign, cancel tasks, pause clocks and close: the filer, managers and executives
    who see the crisis, and HR admins."""
    if is_hr_admin(user):
        return True
    if crisis.filed_by_id == user.pk:
        return True
    if has_role(user, Role.MANAGER, Role.EXECUTIVE):
        return crises_visible_to(user).filter(pk=crisis.pk).exists()
    return False


@dataclass(frozen=True)
class CrisisAccess:
    """What one viewer may read of a crisis they see. ``full``: everything. Otherwise the crisis
    summary, every task's headline (duty, assignee, state, due time), the decisions and the
    timeline, plus the details (deliverables, files, comments) of ``detail_task_ids`` and the
    dossier sources in ``dossier_sources``; the response plan without the amounts at stake
    unless the finance sources are among them."""

    full: bool
    own_task_ids: frozenset[int] = frozenset()
    detail_task_ids: frozenset[int] = frozenset()
    dossier_sources: frozenset[str] = frozenset()

    def sees_task_details(self, task_id: int) -> bool:
        return self.full or task_id in self.detail_task_ids

    def sees_source(self, source: str) -> bool:
        return self.full or source in self.dossier_sources

    @property
    def sees_amounts(self) -> bool:
        return self.full or bool(self.dossier_sources & AMOUNT_SOURCES)


# The response plan's "amounts at stake" come from these sources.
AMOUNT_SOURCES = frozenset({"credit", "invoices", "payments"})


NO_ACCESS = CrisisAccess(full=False)


def _granted_this_crisis(user: AbstractBaseUser, crisis: Crisis) -> bool:
    content_type = ContentType.objects.get_for_model(Crisis)
    return UserObjectPermission.objects.filter(
        user=user,
        content_type=content_type,
        object_pk=str(crisis.pk),
        permission__codename="view_crisis",
    ).exists()


def crisis_access(user: AbstractBaseUser, crisis: Crisis) -> CrisisAccess:
    """Need to know inside a crisis the user sees (callers check visibility first).

    Everything: HR admins, the filer, executives whose scope covers the crisis's unit, managers
    of the crisis's unit (or a unit above it), and people a manager invited to the crisis (a
    deliberate one-off share). Everyone else who sees it — staff holding a task, escalation
    contacts — sees their own tasks in full, the deliverables of the tasks their duties wait
    for (a duty's ``after``: its inputs), the tasks escalated to them, and the dossier sources
    their duties' information items name (``crisis.need_to_know``)."""

    if not user.is_authenticated:
        return NO_ACCESS
    if is_hr_admin(user) or crisis.filed_by_id == user.pk:
        return CrisisAccess(full=True)
    employee = employee_of(user)
    if employee is not None:
        unit_path = crisis.unit.path
        if has_role(user, Role.EXECUTIVE) and unit_path.startswith(executive_scope(employee).path):
            return CrisisAccess(full=True)
        if has_role(user, Role.MANAGER) and unit_path.startswith(employee.unit.path):
            return CrisisAccess(full=True)
    if _granted_this_crisis(user, crisis):
        return CrisisAccess(full=True)
    if employee is None:
        return NO_ACCESS
    tasks = list(
        crisis.tasks.filter(Q(assignee=employee) | Q(delegated_from=employee)).select_related(
            "duty"
        )
    )
    own = frozenset(t.pk for t in tasks)
    inputs = {code for t in tasks for code in (t.after or [])}
    escalated = TimelineEvent.objects.filter(
        crisis=crisis, kind=EventKind.TASK_ESCALATED, data__target_id=employee.pk
    ).values_list("task_id", flat=True)
    detail = set(own) | set(escalated)
    if inputs:
        detail |= set(crisis.tasks.filter(duty_code__in=inputs).values_list("pk", flat=True))
    sources: frozenset[str] = frozenset()
    for task in tasks:
        if task.duty_id:
            sources |= sources_for_items(task.duty.information_items)
    return CrisisAccess(
        full=False,
        own_task_ids=own,
        detail_task_ids=frozenset(d for d in detail if d is not None),
        dossier_sources=sources,
    )


def deliverable_for_download(user: AbstractBaseUser, pk: int):
    """A deliverable whose file the user may download, by the crisis page's need to know
    (``crisis_access``): anyone who sees the crisis in full gets every file; anyone else who sees
    the crisis gets the files of their own tasks, of the tasks their duties wait for and of the
    tasks escalated to them — nobody else's. None when the user may not have it."""

    deliverable = (
        Deliverable.objects.select_related("task", "task__crisis", "task__crisis__unit")
        .filter(pk=pk)
        .first()
    )
    if deliverable is None:
        return None
    if not crises_visible_to(user).filter(pk=deliverable.task.crisis_id).exists():
        return None
    if not crisis_access(user, deliverable.task.crisis).sees_task_details(deliverable.task_id):
        return None
    return deliverable
