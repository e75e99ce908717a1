"""Crisis reads for pages and the API: one crisis, its tasks, timeline, decisions, lists and versions."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from hrcore.selectors import employee_of, unit_by_code

from ..choices import (
    TASK_ACTIVE_STATES,
    CrisisStatus,
)
from ..models import Crisis, Decision, Task, TaskComment, TimelineEvent, WalkInConsumer
from .access import crises_visible_to


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


# The columns of the crisis API's list, read as plain values (issue 12 §2): a page of 50 crises
# with their tasks built as model instances and walked by nested serializers cost most of the
# request; ``crisis.api.representation`` makes the same JSON from these rows.
CRISIS_ROW_FIELDS = (
    "id",
    "status",
    "scenario__code",
    "map_version",
    "title",
    "description",
    "unit__code",
    "customer__external_id",
    "severity",
    "source",
    "filed_by__username",
    "filed_at",
    "closed_at",
    "outcome",
    "lessons",
    "first_response_seconds",
    "all_info_seconds",
    "decision_seconds",
    "resolution_seconds",
    "breach_count",
    "is_drill",
    "drill_speed",
)
WALK_IN_ROW_FIELDS = (
    "crisis_id",
    "name",
    "phone",
    "purchase",
    "responsible__user__username",
    "supervisor__user__username",
)
TASK_ROW_FIELDS = (
    "id",
    "crisis_id",
    "kind",
    "duty_id",
    "duty_code",
    "action",
    "duty__action_zh",
    "duty__action_en",
    "follow_up_of_id",
    "deliverable_kind",
    "assignee_id",
    "assignee__user__username",
    "assignee__name_zh",
    "assignee__name_en",
    "assignee_gap",
    "status",
    "timer_state",
    "after",
    "deadline_minutes",
    "started_at",
    "warn_at",
    "due_at",
    "acknowledged_at",
    "completed_at",
    "paused_at",
    "paused_seconds",
    "escalation_step",
    "breached_at",
)


def crisis_rows(qs: QuerySet[Crisis]) -> QuerySet:
    """``qs`` (filtered, ordered, possibly sliced) as named rows of ``CRISIS_ROW_FIELDS``: one
    query, no model instances. The walk-in consumer and its two employees are a query of their
    own (``walk_in_rows_of``): joined here they made ten tables, and PostgreSQL spent ~3 ms
    planning the join order of every page."""
    return qs.values_list(*CRISIS_ROW_FIELDS, named=True)


def walk_in_rows_of(crisis_ids: list[int]) -> dict[int, tuple]:
    """The walk-in consumers of ``crisis_ids`` as named rows of ``WALK_IN_ROW_FIELDS``, by crisis
    id (most crises have none): one query."""
    if not crisis_ids:
        return {}
    rows = WalkInConsumer.objects.filter(crisis_id__in=crisis_ids).values_list(
        *WALK_IN_ROW_FIELDS, named=True
    )
    return {row.crisis_id: row for row in rows}


def task_rows_of(crisis_ids: list[int]) -> dict[int, list]:
    """The tasks of ``crisis_ids`` as named rows of ``TASK_ROW_FIELDS`` in map order (as
    ``crises_with_tasks`` prefetches them), by crisis id: one query."""
    by_crisis: dict[int, list] = defaultdict(list)
    if not crisis_ids:
        return by_crisis
    rows = (
        Task.objects.filter(crisis_id__in=crisis_ids)
        .order_by("order", "id")
        .values_list(*TASK_ROW_FIELDS, named=True)
    )
    for row in rows:
        by_crisis[row.crisis_id].append(row)
    return by_crisis


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


def page_task_prefetch() -> Prefetch:
    return Prefetch(
        "tasks",
        queryset=Task.objects.select_related(
            "assignee", "assignee__unit", "duty", "duty__assignee_position"
        ).order_by("order", "id"),
    )


def crisis_for_page(user: AbstractBaseUser, pk: int) -> Crisis | None:
    """The crisis a page shows, if the user may see it."""
    return crises_visible_to(user).select_related("customer").filter(pk=pk).first()


def _status_literal(status: str) -> RawSQL | str:
    """A status of ``CrisisStatus`` written into the statement rather than bound as a parameter:
    a prepared statement's generic plan can then use the partial indexes whose condition names
    it (``crisis_board_order``: ``status = 'open'``). Bound, PostgreSQL could not prove that
    condition for a plan of any status, so it planned the board's query anew on every request
    (2.2 ms of joins). Any other value stays a parameter (and matches nothing)."""
    if status in CrisisStatus.values and status.isidentifier():
        return RawSQL(f"'{status}'", ())
    return status


def page_filters(qs: QuerySet[Crisis], filters: dict) -> QuerySet[Crisis]:
    # Drills (issue 16) have their own page: lists and boards show real crises unless asked.
    qs = qs.filter(is_drill=bool(filters.get("drill")))
    if filters.get("status"):
        qs = qs.filter(status=_status_literal(filters["status"]))
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


def crises_for_list(user: AbstractBaseUser, *, filters: dict) -> tuple[QuerySet[Crisis], int]:
    """The crisis list page: its crises, filtered, with tasks and the decision count (a constant
    number of queries however many crises there are), and how many the filters match (for its
    pages; an indexed count). The viewer's visibility is worked out once for both."""
    base = page_filters(crises_visible_to(user), filters)
    rows = (
        base.select_related("customer")
        .annotate(decision_count=Count("decisions", distinct=True))
        .prefetch_related(page_task_prefetch())
        .order_by("-filed_at", "-id")
    )
    return rows, base.order_by().count()


LIST_PAGE_SIZE = 50


def comments_by_task(crisis: Crisis) -> dict[int, list]:
    """Comments of every task of a crisis in one query, each with ``author_name``."""

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


def open_crisis_ids(*, customer=None) -> QuerySet:
    """Ids of the open crises, newest first; only the customer's when one is given."""
    qs = Crisis.objects.filter(status=CrisisStatus.OPEN)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs.order_by("-id").values_list("id", flat=True)


def crisis_by_id(crisis_id: int) -> Crisis | None:
    """A crisis with what dossiers and response plans read of it (no visibility check)."""
    return (
        Crisis.objects.select_related("scenario", "customer", "unit", "filed_by")
        .filter(pk=crisis_id)
        .first()
    )


def crisis_page_version(user: AbstractBaseUser, pk: int) -> tuple[str, int] | None:
    """A cheap version stamp of what the crisis page's polled partials show — the crisis's
    status and its last timeline event id (every change a partial shows appends an event:
    task states, comments, deliverables, decisions, clocks, timers firing) — or None when the
    user may not see the crisis (the view then answers its own 404). One indexed query, no
    rendering: the partials answer ``304 Not Modified`` while it is unchanged."""

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
