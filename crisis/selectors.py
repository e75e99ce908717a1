"""Reads of crises and tasks that depend on who is asking (pages, API and admin use these)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from guardian.models import UserObjectPermission

from hrcore.choices import DepartmentFunction, Role, UnitKind
from hrcore.i18n import is_chinese
from hrcore.models import Employee, OrgUnit
from hrcore.selectors import (
    AssigneeKey,
    employee_of,
    has_role,
    is_hr_admin,
    resolve_assignees,
    unit_by_code,
)

from .choices import (
    EXECUTIVE_POSITION,
    TASK_ACTIVE_STATES,
    TIMER_TICKING_STATES,
    CrisisStatus,
    EventKind,
    TaskStatus,
    TimerState,
)
from .models import Crisis, CrisisParticipant, Decision, Task, TimelineEvent

GRANT_CODENAMES = ("view_crisis", "participate_crisis")


@dataclass(frozen=True)
class DutyAssignment:
    """Who gets a duty of a map filed for a unit: the resolved holder, or — when nobody holds
    the role (``gap_reason``) — the first resolvable escalation target (``fallback_step``)."""

    duty: object  # responsibilities.models.Duty
    employee: Employee | None
    gap_reason: str | None = None
    fallback_step: str | None = None


def _duty_key(duty) -> AssigneeKey:
    return (
        duty.assignee_function or "",
        duty.assignee_position.code if duty.assignee_position_id else "",
    )


def _step_key(step: str) -> AssigneeKey | None:
    """The (function, position) an escalation step names when the duty has no assignee yet:
    "manager" needs an assignee to have a manager, so it resolves to nobody here."""
    if step == "executive":
        return ("", EXECUTIVE_POSITION)
    if step.startswith("position:"):
        return ("", step.split(":", 1)[1])
    return None


def duty_assignments(*, unit: OrgUnit, duties: Iterable, at: datetime) -> list[DutyAssignment]:
    """Assign every duty of a map for a crisis in ``unit`` in one pass (``resolve_assignees``:
    the org path, holders, absences and delegates are loaded once, not once per duty). Same
    rules as resolving each duty with ``resolve_assignee`` and, for a duty nobody holds, its
    escalation chain then the executive. ``duties`` need ``assignee_position`` loaded."""
    duties = list(duties)
    wanted: list[AssigneeKey] = []
    for duty in duties:
        wanted.append(_duty_key(duty))
        wanted.extend(k for k in map(_step_key, [*(duty.escalation or []), "executive"]) if k)
    resolved = resolve_assignees(unit=unit, wanted=wanted, at=at)
    assignments: list[DutyAssignment] = []
    for duty in duties:
        outcome = resolved[_duty_key(duty)]
        if not isinstance(outcome, Exception):
            assignments.append(DutyAssignment(duty, outcome.employee))
            continue
        fallback, fallback_step = None, None
        for step in [*(duty.escalation or []), "executive"]:
            key = _step_key(step)
            target = resolved.get(key) if key else None
            if target is not None and not isinstance(target, Exception):
                fallback, fallback_step = target.employee, step
                break
        assignments.append(DutyAssignment(duty, fallback, outcome.message, fallback_step))
    return assignments


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
    qs = Crisis.objects.select_related("scenario", "unit", "map", "filed_by")
    q = crisis_visibility_q(user)
    return qs if q is None else qs.filter(q)


def tasks_visible_to(user: AbstractBaseUser) -> QuerySet[Task]:
    """Tasks of the crises the user sees (the crisis page shows every department's task)."""
    if not user.is_authenticated:
        return Task.objects.none()
    return Task.objects.filter(crisis__in=crises_visible_to(user).values("pk")).select_related(
        "crisis", "assignee", "assignee__user", "duty"
    )


def my_open_tasks(user: AbstractBaseUser) -> QuerySet[Task]:
    """The tasks assigned to the user that still need something from them."""
    employee = employee_of(user)
    if employee is None:
        return Task.objects.none()
    return (
        Task.objects.filter(
            assignee=employee, status__in=TASK_ACTIVE_STATES, crisis__status=CrisisStatus.OPEN
        )
        .select_related("crisis", "duty", "crisis__scenario")
        .order_by("due_at", "id")
    )


def crisis_tasks(crisis: Crisis) -> QuerySet[Task]:
    return (
        crisis.tasks.select_related("assignee", "assignee__user", "assignee__unit", "duty")
        .prefetch_related("deliverables")
        .order_by("order", "id")
    )


def crises_with_tasks(qs: QuerySet[Crisis]) -> QuerySet[Crisis]:
    """Prefetch tasks with assignees in one extra query (the API list and dashboard)."""
    return qs.prefetch_related(
        Prefetch(
            "tasks",
            queryset=Task.objects.select_related("assignee", "assignee__user", "duty").order_by(
                "order", "id"
            ),
        )
    )


def with_tasks_prefetched(crisis: Crisis, tasks: list[Task]) -> Crisis:
    """``crisis`` with ``tasks`` in its prefetch cache, as ``crises_with_tasks`` would load them:
    for rendering a crisis whose tasks are already in memory (the answer to a filing)."""
    prefetched = Task.objects.filter(crisis=crisis).order_by("order", "id")
    prefetched._result_cache, prefetched._prefetch_done = list(tasks), True
    crisis._prefetched_objects_cache = {"tasks": prefetched}
    return crisis


def timeline_of(crisis: Crisis) -> QuerySet[TimelineEvent]:
    return crisis.timeline.select_related("actor", "task").order_by("at", "id")


def decisions_of(crisis: Crisis) -> QuerySet[Decision]:
    return crisis.decisions.select_related("made_by", "made_by__employee").order_by("-made_at")


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


def can_decide(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Executives who see the crisis decide on it."""
    return has_role(user, Role.EXECUTIVE) and crises_visible_to(user).filter(pk=crisis.pk).exists()


def may_hold_decision(employee: Employee | None, task: Task) -> bool:
    """Who may hold and complete a crisis's decision task ("only deciders decide"): an executive
    whose scope covers the crisis's unit, or the person the decision duty names for this crisis
    now — its position or function resolved from the crisis's unit as at filing, or that
    holder's absence delegate. Anyone else (a manager, however senior in the crisis) may not,
    so a decision task can neither be completed by nor handed to them."""
    from hrcore.errors import KeelError
    from hrcore.selectors import resolve_assignee

    if employee is None or not employee.is_active:
        return False
    crisis = task.crisis
    if has_role(employee.user, Role.EXECUTIVE) and crisis.unit.path.startswith(
        executive_scope(employee).path
    ):
        return True
    duty = task.duty
    try:
        resolution = resolve_assignee(
            unit=crisis.unit,
            function=duty.assignee_function or None,
            position=duty.assignee_position.code if duty.assignee_position_id else None,
        )
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


# --- Least privilege inside a crisis ----------------------------------------------------------


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
    from .need_to_know import sources_for_items

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
        sources |= sources_for_items(task.duty.information_items)
    return CrisisAccess(
        full=False,
        own_task_ids=own,
        detail_task_ids=frozenset(d for d in detail if d is not None),
        dossier_sources=sources,
    )


# --- Page reads (CP appends page-specific read functions below this line) -------------------


def _page_task_prefetch() -> Prefetch:
    return Prefetch(
        "tasks",
        queryset=Task.objects.select_related(
            "assignee", "assignee__unit", "duty", "duty__assignee_position"
        ).order_by("order", "id"),
    )


def crisis_for_page(user: AbstractBaseUser, pk: int) -> Crisis | None:
    """The crisis a page shows, if the user may see it."""
    return crises_visible_to(user).select_related("customer").filter(pk=pk).first()


def filing_choices(user: AbstractBaseUser) -> tuple[list, list[OrgUnit]]:
    """Scenarios that have a published map somewhere, and the units one may file for."""
    from responsibilities.models import Scenario

    if not user.is_authenticated:
        return [], []
    scenarios = list(Scenario.objects.filter(maps__status="published").distinct().order_by("code"))
    units = list(OrgUnit.objects.order_by("path"))
    return scenarios, units


def filter_choices(user: AbstractBaseUser) -> tuple[list, list[OrgUnit]]:
    """Every scenario and unit, for the list and dashboard filters."""
    from responsibilities.models import Scenario

    if not user.is_authenticated:
        return [], []
    return list(Scenario.objects.order_by("code")), list(OrgUnit.objects.order_by("path"))


def customers_for_filing(user: AbstractBaseUser) -> list:
    """Customers offered in the filing form's suggestion list."""
    from integrations.selectors import customers_visible_to

    return list(customers_visible_to(user).order_by("-overdue_days", "external_id")[:300])


def customer_external_id(user: AbstractBaseUser, text: str) -> str | None:
    """What the manager typed (an external id, "<id> · <name>" from the list, or an exact
    name) → the customer's external id; unknown text is passed on and the service says so.
    Names are looked up among the customers the user may see only (a name must not reveal the
    id of a customer outside their scope)."""
    from integrations.selectors import customers_visible_to

    text = (text or "").strip()
    if not text:
        return None
    candidate = text.split(" · ", 1)[0].strip()
    visible = customers_visible_to(user)
    if visible.filter(external_id=candidate).exists():
        return candidate
    by_name = visible.filter(Q(name_zh=text) | Q(name_en=text)).first()
    return by_name.external_id if by_name else candidate


def subsidiary_of(unit: OrgUnit) -> OrgUnit | None:
    """The subsidiary a unit belongs to (the unit itself when it is one); None for the group and
    its own departments (e.g. the executive office)."""
    return (
        OrgUnit.objects.filter(pk__in=unit.ancestor_ids(), kind=UnitKind.SUBSIDIARY)
        .order_by("-path")
        .first()
    )


def customer_for_filing(user: AbstractBaseUser | None, external_id: str, *, unit: OrgUnit | None):
    """The customer a new crisis may name, or None — and the service then answers exactly as
    for an id that does not exist, so a refusal does not reveal that the customer exists.

    * A person (page, API token) names only a customer they may see
      (``integrations.selectors.customers_visible_to``: managers their unit's subtree, support
      departments their subsidiary, executives/HR/partner systems every customer).
    * Every filing, automatic paths included (trigger rules and partner webhooks, which file
      with no person as actor or as a partner's service account): when the crisis's unit is
      known the customer must belong to that unit's scope — the unit's subsidiary, or the whole
      group for a crisis filed at group level (the group or one of its own departments). Triggers and webhooks file in the customer's own
      unit, so they always qualify; a partner naming another subsidiary's customer does not.
    """
    from integrations.models import Customer
    from integrations.selectors import customers_visible_to

    base = Customer.objects.all() if user is None else customers_visible_to(user)
    customer = base.select_related("unit").filter(external_id=external_id).first()
    if customer is None or unit is None:
        return customer
    scope = subsidiary_of(unit)
    if scope is None:
        return customer  # a group-level crisis may concern any customer of the group
    return customer if customer.unit.path.startswith(scope.path) else None


def _page_filters(qs: QuerySet[Crisis], filters: dict) -> QuerySet[Crisis]:
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("scenario"):
        qs = qs.filter(scenario__code=filters["scenario"])
    if filters.get("severity"):
        qs = qs.filter(severity=filters["severity"])
    if filters.get("unit"):
        unit = unit_by_code(filters["unit"])
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if filters.get("q"):
        text = filters["q"].strip().lstrip("#")
        q = Q(title__icontains=text) | Q(description__icontains=text)
        if text.isdigit():
            q |= Q(pk=int(text))
        qs = qs.filter(q)
    return qs


def crises_for_list(user: AbstractBaseUser, *, filters: dict) -> QuerySet[Crisis]:
    """The crisis list page: filtered, with tasks and the decision count, in a constant number
    of queries however many crises there are."""
    from django.db.models import Count

    qs = _page_filters(crises_visible_to(user).select_related("customer"), filters)
    return (
        qs.annotate(decision_count=Count("decisions", distinct=True))
        .prefetch_related(_page_task_prefetch())
        .order_by("-filed_at", "-id")
    )


LIST_PAGE_SIZE = 50


def crisis_list_count(user: AbstractBaseUser, *, filters: dict) -> int:
    """How many crises the list page's filters match (for its pages; an indexed count)."""
    return _page_filters(crises_visible_to(user), filters).order_by().count()


DASHBOARD_PAGE_SIZE = 25


def _dashboard_scope(user: AbstractBaseUser, filters: dict) -> QuerySet[Crisis]:
    return _page_filters(crises_visible_to(user), {**filters, "status": CrisisStatus.OPEN})


def dashboard_board(
    user: AbstractBaseUser, *, filters: dict, now
) -> tuple[dict[str, int], QuerySet[Crisis]]:
    """The executive board: the totals of the whole filtered set (open crises, crises with a
    breached task, crises awaiting an executive decision) from one aggregate query over the
    flags kept on the crisis row, and the crises in the board's order — awaiting a decision
    first, then with a breached task, then with a warning, then by filing time — which is the
    partial index ``crisis_board_order``. The queryset is lazy: slice it to a page; the page's
    tasks come in one more query, so the count stays constant however many crises match."""
    from django.db.models import Count, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    scope = _dashboard_scope(user, filters)  # resolves a unit filter once for both queries
    totals = scope.order_by().aggregate(
        open=Count("pk"),
        breached=Count("pk", filter=Q(urgency=0)),
        awaiting_decision=Count("pk", filter=Q(decision_pending=True)),
    )
    decision_count = (
        Decision.objects.filter(crisis=OuterRef("pk"))
        .order_by()
        .values("crisis")
        .annotate(n=Count("pk"))
        .values("n")
    )
    crises = (
        scope.select_related("customer")
        .annotate(decision_count=Coalesce(Subquery(decision_count, output_field=IntegerField()), 0))
        .prefetch_related(_page_task_prefetch())
        .order_by(F("decision_pending").desc(), "urgency", "filed_at", "id")
    )
    return totals, crises


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


def competency_choices() -> list[tuple[str, str]]:
    """(code, name) of the competencies a closure can name as "weaknesses found": the rateable
    ones of the published frameworks, each code once."""
    from competency.selectors import rateable_competencies

    seen: dict[str, str] = {}
    for row in rateable_competencies():
        seen.setdefault(row["code"], row["name"])
    return list(seen.items())


def deliverable_for_download(user: AbstractBaseUser, pk: int):
    """A deliverable whose file the user may download: anyone who sees the crisis page in full
    (``crisis_access``); staff who only hold a task get their own task's files and those of the
    tasks their duty waits for."""
    from .models import Deliverable

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


# What a task contributes to the metrics, read as plain rows (no model instances).
_DEPARTMENT_FIELDS = (
    "duty__assignee_position__title_zh",
    "duty__assignee_position__title_en",
    "duty__assignee_function",
    "duty_code",
)


def _department(title_zh: str | None, title_en: str | None, function: str | None, code: str) -> str:
    """The department a task counts for in the metrics — the one definition, used by the
    dashboard and the closure alike: the duty's position title (``Duty.assignee_label``, in the
    viewer's language), else its department function, else the duty code."""
    if title_zh or title_en:
        return (title_zh or title_en) if is_chinese() else (title_en or title_zh)
    if function:
        return str(DepartmentFunction(function).label)
    return code


def crisis_task_facts(crisis_id: int) -> list:
    """The tasks of one crisis as ``crisis.metrics.TaskFact`` (one query)."""
    from .metrics import TaskFact

    rows = Task.objects.filter(crisis_id=crisis_id).values_list(
        *_DEPARTMENT_FIELDS, "deliverable_kind", "status", "due_at", "completed_at", "breached_at"
    )
    return [
        TaskFact(
            department=_department(*department),
            deliverable=deliverable,
            status=status,
            due_at=due_at,
            completed_at=completed_at,
            breached=breached_at is not None,
        )
        for *department, deliverable, status, due_at, completed_at, breached_at in rows
    ]


def _breach_conditions(now) -> tuple[Q, Q]:
    """``crisis.metrics.task_breached`` as database conditions: (timed, breached). A task is timed
    once its clock started and it was not cancelled; it is breached when the engine fired its
    breach, it was completed after its due time, or it is still not done past it."""
    timed = Q(due_at__isnull=False) & ~Q(status=TaskStatus.CANCELLED)
    late = timed & (
        Q(breached_at__isnull=False)
        | Q(completed_at__isnull=False, completed_at__gt=F("due_at"))
        | Q(completed_at__isnull=True, due_at__lt=now)
    )
    return timed, late


def metric_facts(user: AbstractBaseUser, *, days: int, now) -> tuple[list, list]:
    """The dashboard's metrics window (crises filed in the last ``days`` calendar days of the
    active time zone, in the user's scope, not cancelled): each crisis as a
    ``crisis.metrics.CrisisFact`` from its stored milestones, and the breach counts per
    department aggregated by the database — two queries, slim rows, however many crises."""
    from datetime import datetime, time

    from django.db.models import Count
    from django.utils import timezone

    from .metrics import CrisisFact, breach_rates_ranked, milestone_durations, period_window

    start, _end = period_window(
        days=days, now=now, local_date=lambda dt: timezone.localtime(dt).date()
    )
    since = timezone.make_aware(datetime.combine(start, time.min))
    scope = (
        crises_visible_to(user)
        .filter(filed_at__gte=since, filed_at__lte=now)
        .exclude(status=CrisisStatus.CANCELLED)
    )
    facts = [
        CrisisFact(
            filed_at=filed_at,
            durations=milestone_durations(
                filed_at=filed_at,
                first_response_at=first_response_at,
                all_info_at=all_info_at,
                decided_at=decided_at,
                resolved_at=closed_at,
            ),
        )
        for filed_at, first_response_at, all_info_at, decided_at, closed_at in scope.values_list(
            "filed_at", "first_response_at", "all_info_at", "decided_at", "closed_at"
        )
    ]
    timed, late = _breach_conditions(now)
    counts = (
        Task.objects.filter(crisis__in=scope.values("pk"))
        .order_by()
        .values(*_DEPARTMENT_FIELDS)
        .annotate(timed=Count("pk", filter=timed), late=Count("pk", filter=late))
        .values_list(*_DEPARTMENT_FIELDS, "late", "timed")
    )
    rates = breach_rates_ranked(
        (_department(*department), breached, total) for *department, breached, total in counts
    )
    return facts, rates


def comments_by_task(crisis: Crisis) -> dict[int, list]:
    """Comments of every task of a crisis in one query, each with ``author_name``."""
    from collections import defaultdict

    from .models import TaskComment

    grouped: dict[int, list] = defaultdict(list)
    for comment in TaskComment.objects.filter(task__crisis=crisis).select_related(
        "author", "author__employee"
    ):
        employee = getattr(comment.author, "employee", None)
        comment.author_name = employee.name if employee else comment.author.get_username()
        grouped[comment.task_id].append(comment)
    return grouped


def crisis_tasks_for_page(crisis: Crisis) -> QuerySet[Task]:
    """The crisis page's task board: assignees, duties with their positions, deliverables."""
    return (
        crisis.tasks.select_related(
            "assignee", "assignee__user", "assignee__unit", "duty", "duty__assignee_position"
        )
        .prefetch_related("deliverables")
        .order_by("order", "id")
    )


# --- Reads other apps make of crises (integrations: offboarding, dossier retries, webhooks) ---


def open_crisis_ids(*, customer=None) -> QuerySet:
    """Ids of the open crises, newest first; only the customer's when one is given."""
    qs = Crisis.objects.filter(status=CrisisStatus.OPEN)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs.order_by("-id").values_list("id", flat=True)


def open_tasks_of(employee: Employee) -> QuerySet[Task]:
    """The employee's tasks not yet done in open crises (what a leaving employee hands over)."""
    from .choices import TASK_OPEN_STATES

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


def crisis_by_id(crisis_id: int) -> Crisis | None:
    """A crisis with what dossiers and response plans read of it (no visibility check)."""
    return (
        Crisis.objects.select_related("scenario", "customer", "unit", "filed_by")
        .filter(pk=crisis_id)
        .first()
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


def crisis_filed_with_key(user: AbstractBaseUser, stored_key: str) -> Crisis | None:
    """The crisis filed with this idempotency key, when ``user`` may see it (a form's second
    submit)."""
    return crises_visible_to(user).filter(idempotency_key=stored_key).first()


def timers_failing_health(*, now: datetime | None = None) -> dict:
    """The ``timers`` check of /healthz: timers whose firing has failed for longer than
    ``KEEL_TIMER_FAILING_SECONDS`` (default one minute) and still has something to fire."""
    now = now or timezone.now()
    limit = float(getattr(settings, "KEEL_TIMER_FAILING_SECONDS", 60))
    failing = Task.objects.filter(
        fire_failing_since__lte=now - timedelta(seconds=limit),
        timer_state__in=(TimerState.RUNNING, TimerState.WARNED, TimerState.BREACHED),
    ).order_by("fire_failing_since", "id")
    rows = list(failing.values("id", "fire_error", "fire_attempts", "fire_failing_since")[:20])
    if not rows:
        return {"ok": True}
    return {
        "ok": False,
        "error": f"timers failing to fire for over {limit:g} s",
        "timer_ids": [row["id"] for row in rows],
        "count": failing.count(),
        "oldest_since": rows[0]["fire_failing_since"].isoformat(),
        "detail": rows[0]["fire_error"][:300],
        "attempts": rows[0]["fire_attempts"],
    }


def _window_medians(scope: QuerySet[Crisis], column: str, day) -> tuple[dict, timedelta | None]:
    """The median of ``column - filed_at`` per local day and over the whole window, computed by
    the database (window functions: the one or two middle rows of each partition, so Python
    reads at most two rows per day, however many crises reached the milestone)."""
    from django.db import connection
    from django.db.models import Count, DurationField, ExpressionWrapper, Window
    from django.db.models.functions import RowNumber

    duration = ExpressionWrapper(F(column) - F("filed_at"), output_field=DurationField())
    inner = (
        scope.filter(**{f"{column}__isnull": False})
        .order_by()
        .annotate(
            m_day=day,
            m_d=duration,
        )
        .annotate(
            rn_day=Window(RowNumber(), partition_by=[F("m_day")], order_by=[F("m_d"), F("pk")]),
            n_day=Window(Count("pk"), partition_by=[F("m_day")]),
            rn_all=Window(RowNumber(), order_by=[F("m_d"), F("pk")]),
            n_all=Window(Count("pk")),
        )
        .values_list("m_day", "m_d", "rn_day", "n_day", "rn_all", "n_all")
    )
    sql, params = inner.query.sql_with_params()
    middle = (
        f"SELECT * FROM ({sql}) m WHERE 2 * rn_day IN (n_day, n_day + 1, n_day + 2)"
        " OR 2 * rn_all IN (n_all, n_all + 1, n_all + 2)"
    )
    per_day: dict = {}
    overall: list[timedelta] = []
    with connection.cursor() as cursor:
        cursor.execute(middle, params)
        rows = cursor.fetchall()
    for m_day, m_d, rn_day, n_day, rn_all, n_all in rows:
        if not isinstance(m_d, timedelta):
            m_d = timedelta(microseconds=int(m_d))
        if isinstance(m_day, str):
            m_day = datetime.fromisoformat(m_day).date()
        if 2 * rn_day in (n_day, n_day + 1, n_day + 2):
            per_day.setdefault(m_day, []).append(m_d)
        if 2 * rn_all in (n_all, n_all + 1, n_all + 2):
            overall.append(m_d)
    days = {d: max(sum(v, timedelta()) / len(v), timedelta(0)) for d, v in per_day.items()}
    total = max(sum(overall, timedelta()) / len(overall), timedelta(0)) if overall else None
    return days, total


def _breach_counts_by_duty(scope: QuerySet[Crisis], now) -> list[tuple[str, int, int]]:
    """(department, late, timed) of the window's tasks: counted per duty by the database over
    the task table alone (an integer GROUP BY, no join), then named per department from the
    handful of duties involved — duties are bounded by the maps, not by the crises."""
    from django.db.models import Count

    from responsibilities.models import Duty

    timed, late = _breach_conditions(now)
    per_duty = list(
        Task.objects.filter(crisis__in=scope.values("pk"))
        .order_by()
        .values("duty_id", "duty_code")
        .annotate(timed=Count("pk", filter=timed), late=Count("pk", filter=late))
        .values_list("duty_id", "duty_code", "late", "timed")
    )
    duties = {
        row[0]: row[1:]
        for row in Duty.objects.filter(pk__in={d for d, *_ in per_duty if d}).values_list(
            "pk",
            "assignee_position__title_zh",
            "assignee_position__title_en",
            "assignee_function",
        )
    }
    return [
        (_department(*duties.get(duty_id, (None, None, None)), code), breached, total)
        for duty_id, code, breached, total in per_duty
    ]


def dashboard_metrics(user: AbstractBaseUser, *, days: int, now):
    """The dashboard's metrics panel as ``crisis.metrics.PeriodMetrics``, aggregated by the
    database (issue 12): crises filed per local day, and for each milestone how many reached it,
    its mean and its median — overall and per day — plus the breach counts per department.
    A constant number of queries returning at most a few rows per day: no crisis of the window
    is loaded into Python."""
    from datetime import time

    from django.db.models import Avg, Count, DurationField, ExpressionWrapper
    from django.db.models.functions import TruncDate

    from .metrics import (
        METRIC_KEYS,
        DayPoint,
        MetricSummary,
        PeriodMetrics,
        breach_rates_ranked,
        period_window,
    )

    tz = timezone.get_current_timezone()
    start, end = period_window(
        days=days, now=now, local_date=lambda dt: timezone.localtime(dt).date()
    )
    since = timezone.make_aware(datetime.combine(start, time.min))
    scope = (
        crises_visible_to(user)
        .filter(filed_at__gte=since, filed_at__lte=now)
        .exclude(status=CrisisStatus.CANCELLED)
        .order_by()
    )
    day = TruncDate("filed_at", tzinfo=tz)
    columns = {
        "first_response": "first_response_at",
        "all_information": "all_info_at",
        "decision": "decided_at",
        "resolution": "closed_at",
    }
    durations = {
        key: ExpressionWrapper(F(col) - F("filed_at"), output_field=DurationField())
        for key, col in columns.items()
    }
    aggregates = scope.aggregate(
        crises=Count("pk"),
        **{f"{key}_n": Count(col) for key, col in columns.items()},
        **{f"{key}_mean": Avg(expr) for key, expr in durations.items()},
    )
    filed = {
        (d if not isinstance(d, str) else datetime.fromisoformat(d).date()): n
        for d, n in scope.annotate(m_day=day)
        .values("m_day")
        .annotate(n=Count("pk"))
        .values_list("m_day", "n")
    }
    medians = {key: _window_medians(scope, col, day) for key, col in columns.items()}

    def minutes(value: timedelta | None) -> float | None:
        return None if value is None else round(value.total_seconds() / 60, 1)

    summaries = {}
    for key in METRIC_KEYS:
        n = aggregates[f"{key}_n"]
        mean = aggregates[f"{key}_mean"]
        if mean is not None and not isinstance(mean, timedelta):
            mean = timedelta(microseconds=float(mean))
        summaries[key] = MetricSummary(
            key,
            n,
            minutes(medians[key][1]) if n else None,
            minutes(max(mean, timedelta(0))) if n and mean is not None else None,
        )
    daily = []
    for offset in range(days):
        d = start + timedelta(days=offset)
        daily.append(
            DayPoint(
                day=d,
                filed=filed.get(d, 0),
                median_minutes={key: minutes(medians[key][0].get(d)) for key in METRIC_KEYS},
            )
        )
    rates = breach_rates_ranked(_breach_counts_by_duty(scope, now))
    return PeriodMetrics(
        days=days,
        start=start,
        end=end,
        crises=aggregates["crises"],
        summaries=summaries,
        daily=daily,
        breach_rates=rates,
        tasks_timed=sum(r.total for r in rates),
        tasks_breached=sum(r.breached for r in rates),
    )


def crisis_page_version(user: AbstractBaseUser, pk: int) -> tuple[str, int] | None:
    """A cheap version stamp of what the crisis page's polled partials show — the crisis's
    status and its last timeline event id (every change a partial shows appends an event:
    task states, comments, deliverables, decisions, clocks, timers firing) — or None when the
    user may not see the crisis (the view then answers its own 404). One indexed query, no
    rendering: the partials answer ``304 Not Modified`` while it is unchanged."""
    from django.db.models import Max

    row = (
        crises_visible_to(user)
        .filter(pk=pk)
        .order_by()
        .annotate(last_event=Max("timeline__id"))
        .values_list("status", "last_event")
        .first()
    )
    if row is None:
        return None
    return row[0], row[1] or 0


def next_timer_due() -> datetime | None:
    """When the timer loop must next sweep: the earliest warning, breach or escalation time of
    a ticking timer, or the retry time of a failing one — one statement of five ``ORDER BY …
    LIMIT 1`` probes, each walking one of the sweep's partial indexes, so the cost stays flat
    however many timers are pending (the loop runs it at every wake)."""
    from django.db import connection
    from django.utils.dateparse import parse_datetime

    table = connection.ops.quote_name(Task._meta.db_table)
    ticking = ", ".join(f"'{state}'" for state in TIMER_TICKING_STATES)

    def first(column: str, where: str) -> str:
        return f"(SELECT {column} FROM {table} WHERE {where} ORDER BY {column} LIMIT 1)"

    probes = [
        first("warn_at", "timer_state = 'running' AND fire_retry_at IS NULL"),
        first("due_at", "timer_state = 'running' AND fire_retry_at IS NULL"),
        first("due_at", "timer_state = 'warned' AND fire_retry_at IS NULL"),
        first(
            "escalate_at",
            "timer_state = 'breached' AND escalate_at IS NOT NULL AND fire_retry_at IS NULL",
        ),
        first(
            "fire_retry_at",
            f"fire_failing_since IS NOT NULL AND fire_retry_at IS NOT NULL "
            f"AND timer_state IN ({ticking})",
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(probes))
        row = cursor.fetchone()
    moments = []
    for value in row or ():
        if isinstance(value, str):  # SQLite: text or naive datetimes, stored in UTC
            value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        if value is not None:
            moments.append(value)
    return min(moments, default=None)
