"""Walk-in complaints (issue 17 §6): choices for naming the employee responsible, and the
complaints counting on a person's record with their outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, Sum

from hrcore.models import Employee
from hrcore.performance_models import PerformanceEvent
from hrcore.selectors import employee_of, employees_visible_to

from ..choices import ComplaintOutcome
from ..models import Crisis, WalkInConsumer
from .access import crises_visible_to
from .filing import subsidiary_of

RESPONSIBLE_CHOICES_LIMIT = 300
WALK_IN_SOURCE_PREFIX = "walk-in-complaint:"


def walk_in_source_key(crisis_pk: int) -> str:
    """The performance event's source: a crisis id, never a company complaint's external id
    (those are ``complaint:<id>``); its compensation is ``<key>:reversed``."""
    return f"{WALK_IN_SOURCE_PREFIX}{crisis_pk}"


def responsible_choices(user: AbstractBaseUser) -> list[Employee]:
    """Employees offered in the filing form's suggestion list: the active people of the filer's
    subsidiary (their own unit's subtree when they belong to none), by name."""
    employee = employee_of(user)
    if employee is None:
        return []
    scope = subsidiary_of(employee.unit) or employee.unit
    return list(
        employees_visible_to(user)
        .filter(unit__path__startswith=scope.path)
        .order_by("name_en", "pk")[:RESPONSIBLE_CHOICES_LIMIT]
    )


def responsible_username(user: AbstractBaseUser, text: str) -> str:
    """What the filer typed ("<user name> · <name>" from the list, a user name or an exact
    name) → a user name; unknown text is passed on and the service says so."""
    text = (text or "").strip()
    if not text:
        return ""
    candidate = text.split(" · ", 1)[0].strip()
    visible = employees_visible_to(user)
    if visible.filter(user__username=candidate).exists():
        return candidate
    by_name = list(
        visible.filter(Q(name_zh=text) | Q(name_en=text)).values_list("user__username", flat=True)[
            :2
        ]
    )
    return by_name[0] if len(by_name) == 1 else candidate


def walk_in_of(crisis: Crisis) -> WalkInConsumer | None:
    """The walk-in consumer a complaint concerns, with the responsible employee and supervisor."""
    return (
        WalkInConsumer.objects.filter(crisis=crisis)
        .select_related("responsible__user", "supervisor__user")
        .first()
    )


def walk_in_for_crisis(crisis_pk: int) -> WalkInConsumer | None:
    """The walk-in complaint of a crisis with its crisis, employee and supervisor (callers check
    who may see or decide it)."""
    return (
        WalkInConsumer.objects.filter(crisis_id=crisis_pk)
        .select_related("crisis", "responsible__user", "responsible__unit", "supervisor__user")
        .first()
    )


@dataclass
class PersonWalkIns:
    """The walk-in complaints counting on a person's record (drills are practice, left out)."""

    open: list[WalkInConsumer]  # newest first
    decided: list[WalkInConsumer]  # most recently decided first
    counting: int  # not dismissed
    open_count: int
    decided_count: int
    points: int  # net: a dismissed complaint's compensating event cancels its points
    visible_crisis_ids: set[int] = field(default_factory=set)


def walk_ins_against(user: AbstractBaseUser, employee: Employee, *, limit: int) -> PersonWalkIns:
    """``employee``'s walk-in complaints: the open ones and the ``limit`` last decided ones,
    each with ``.points`` (the points its performance event counted, 0 if none), the counts and
    the net points; a crisis is linked only where ``user`` may open it. Six queries."""
    rows = WalkInConsumer.objects.filter(responsible=employee, crisis__is_drill=False)
    totals = rows.aggregate(
        counting=Count("pk", filter=~Q(outcome=ComplaintOutcome.DISMISSED)),
        open=Count("pk", filter=Q(outcome=ComplaintOutcome.OPEN)),
        decided=Count("pk", filter=~Q(outcome=ComplaintOutcome.OPEN)),
    )
    recent = rows.select_related("crisis", "decided_by")
    open_rows = list(
        recent.filter(outcome=ComplaintOutcome.OPEN).order_by("-recorded_at", "-pk")[:limit]
    )
    decided = list(
        recent.exclude(outcome=ComplaintOutcome.OPEN).order_by("-decided_at", "-pk")[:limit]
    )
    shown = open_rows + decided
    keys = {walk_in_source_key(w.crisis_id): w for w in shown}
    points = dict(
        PerformanceEvent.objects.filter(source_key__in=keys).values_list("source_key", "points")
    )
    for key, walk_in in keys.items():
        walk_in.points = points.get(key, 0)
    net = PerformanceEvent.objects.filter(
        employee=employee, source_key__startswith=WALK_IN_SOURCE_PREFIX
    ).aggregate(points=Sum("points"))["points"]
    visible = set(
        crises_visible_to(user)
        .filter(pk__in={w.crisis_id for w in shown})
        .values_list("pk", flat=True)
    )
    return PersonWalkIns(
        open=open_rows,
        decided=decided,
        counting=totals["counting"] or 0,
        open_count=totals["open"] or 0,
        decided_count=totals["decided"] or 0,
        points=net or 0,
        visible_crisis_ids=visible,
    )
