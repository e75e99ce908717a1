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
from hrcore.selectors import employee_of, has_role, is_hr_admin, unit_by_code
from hrcore.services import AssigneeKey, resolve_assignees

from .choices import (
    EXECUTIVE_POSITION,
    TASK_ACTIVE_STATES,
    TIMER_TICKING_STATES,
    CrisisStatus,
    DeliverableKind,
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


def crisis_visibility_q(user: AbstractBaseUser) -> Q | None:
    """The Q that scopes crises for ``user``; None means "everything" (HR admins)."""
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
    name) → the customer's external id; unknown text is passed on and the service says so."""
    from integrations.models import Customer

    text = (text or "").strip()
    if not text:
        return None
    candidate = text.split(" · ", 1)[0].strip()
    if Customer.objects.filter(external_id=candidate).exists():
        return candidate
    by_name = Customer.objects.filter(Q(name_zh=text) | Q(name_en=text)).first()
    return by_name.external_id if by_name else candidate


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


DASHBOARD_PAGE_SIZE = 25


def _dashboard_scope(user: AbstractBaseUser, filters: dict) -> QuerySet[Crisis]:
    return _page_filters(crises_visible_to(user), {**filters, "status": CrisisStatus.OPEN})


def _dashboard_flags(now) -> dict:
    """Per-crisis flags computed by the database, with the same rules as the board's task colours
    (``crisis.views.task_state``): a task counts while it is open or acknowledged and its clock is
    not paused; it is breached once its breach fired or its due time passed, warned likewise."""
    from django.db.models import Case, Value, When

    live = Task.objects.filter(
        crisis=OuterRef("pk"), status__in=TASK_ACTIVE_STATES, paused_at__isnull=True
    ).exclude(timer_state=TimerState.PAUSED)
    flags = {
        "decision_pending": Exists(
            Task.objects.filter(
                crisis=OuterRef("pk"),
                deliverable_kind=DeliverableKind.DECISION,
                status__in=TASK_ACTIVE_STATES,
            )
        ),
        "has_breach": Exists(live.filter(Q(timer_state=TimerState.BREACHED) | Q(due_at__lte=now))),
        "has_warning": Exists(live.filter(Q(timer_state=TimerState.WARNED) | Q(warn_at__lte=now))),
    }
    # 0 = a breached task, 1 = a warning, 2 = on track (the board's "worst" colour).
    flags["urgency"] = Case(
        When(flags["has_breach"], then=Value(0)),
        When(flags["has_warning"], then=Value(1)),
        default=Value(2),
    )
    return flags


def dashboard_board(
    user: AbstractBaseUser, *, filters: dict, now
) -> tuple[dict[str, int], QuerySet[Crisis]]:
    """The executive board: the totals of the whole filtered set (open crises, crises with a
    breached task, crises awaiting an executive decision) from one aggregate query, and the
    crises ordered by the database — awaiting a decision first, then with a breached task, then
    with a warning, then by filing time. The queryset is lazy: slice it to a page; the page's
    tasks come in one more query, so the count stays constant however many crises match."""
    from django.db.models import Count, F, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    scope = _dashboard_scope(user, filters)  # resolves a unit filter once for both queries
    flags = _dashboard_flags(now)
    totals = scope.annotate(
        decision_pending=flags["decision_pending"], has_breach=flags["has_breach"]
    ).aggregate(
        open=Count("pk"),
        breached=Count("pk", filter=Q(has_breach=True)),
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
        .annotate(**flags)
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
        .select_related("unit")
        .order_by("unit__path", "-grade", "id")
    )


def crisis_people(crisis: Crisis) -> list[Employee]:
    """Everyone who took part: the filer, assignees and participants (for credits at closure)."""
    q = Q(crisis_tasks__crisis=crisis) | Q(crisis_participations__crisis=crisis)
    if crisis.filed_by_id:
        q |= Q(user_id=crisis.filed_by_id)
    return list(Employee.objects.filter(q).distinct().select_related("unit").order_by("id"))


def competency_choices() -> list[tuple[str, str]]:
    """(code, name) of the competencies a closure can name as "weaknesses found": the rateable
    ones of the published frameworks, each code once."""
    from competency.selectors import rateable_competencies

    seen: dict[str, str] = {}
    for row in rateable_competencies():
        seen.setdefault(row["code"], row["name"])
    return list(seen.items())


def deliverable_for_download(user: AbstractBaseUser, pk: int):
    """A deliverable whose file the user may download: anyone who sees the crisis page except
    staff who only have their own task (they get their own department's files)."""
    from .models import Deliverable

    deliverable = Deliverable.objects.select_related("task", "task__crisis").filter(pk=pk).first()
    if deliverable is None:
        return None
    if not crises_visible_to(user).filter(pk=deliverable.task.crisis_id).exists():
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
        "last_error": rows[0]["fire_error"][:300],
        "attempts": rows[0]["fire_attempts"],
    }


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
