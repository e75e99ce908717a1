"""Reads of the performance record (issue 17 §1): the points a kind counts, who may see a
person's record, and the summary the person's pages show."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet, Sum

from .choices import Role
from .models import Employee
from .performance_models import (
    PERFORMANCE_DEFAULT_POINTS,
    PERFORMANCE_VARIANTS,
    PerformanceEvent,
    PerformanceGoal,
    PerformancePull,
    PerformanceReview,
    PerformanceRule,
    performance_label,
)
from .selectors import employee_of, has_role

MANAGER_CHAIN_LIMIT = 20  # a loop in bad org data must not hang a page


def performance_points_for(kind: str, variant: str = "") -> int:
    """The points one event of (kind, variant) counts now: the HR admins' rule, else the default."""
    points = (
        PerformanceRule.objects.filter(kind=kind, variant=variant)
        .values_list("points", flat=True)
        .first()
    )
    return PERFORMANCE_DEFAULT_POINTS.get((kind, variant), 0) if points is None else points


@dataclass
class RuleRow:
    kind: str
    variant: str
    points: int
    default: int
    updated_at: object = None
    updated_by: object = None
    value: object = None  # what the form shows (the typed value after a refused save)
    error: str = ""

    @property
    def label(self) -> str:
        return performance_label(self.kind, self.variant)

    @property
    def field(self) -> str:
        return f"points-{self.kind}-{self.variant or 'all'}"


def performance_rules() -> list[RuleRow]:
    """Every (kind, variant) in the page's order, with the points in force and the default."""
    stored = {(r.kind, r.variant): r for r in PerformanceRule.objects.select_related("updated_by")}
    rows = []
    for kind, variants in PERFORMANCE_VARIANTS.items():
        for variant in variants:
            default = PERFORMANCE_DEFAULT_POINTS.get((kind, variant), 0)
            rule = stored.get((kind, variant))
            rows.append(
                RuleRow(
                    str(kind),
                    variant,
                    rule.points if rule else default,
                    default,
                    rule.updated_at if rule else None,
                    rule.updated_by if rule else None,
                )
            )
    return rows


def _in_manager_chain(me: Employee, employee: Employee) -> bool:
    manager_id, seen = employee.manager_id, 0
    while manager_id is not None and seen < MANAGER_CHAIN_LIMIT:
        if manager_id == me.pk:
            return True
        manager_id = (
            Employee.objects.filter(pk=manager_id).values_list("manager_id", flat=True).first()
        )
        seen += 1
    return False


def can_see_performance(user: AbstractBaseUser, employee: Employee) -> bool:
    """The person, their supervisors up the chain (and a manager over their unit), HR admins."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, Role.HR_ADMIN):
        return True
    me = employee_of(user)
    if me is None:
        return False
    if me.pk == employee.pk or _in_manager_chain(me, employee):
        return True
    return has_role(user, Role.MANAGER) and employee.unit.path.startswith(me.unit.path)


def performance_events_of(employee: Employee) -> QuerySet[PerformanceEvent]:
    """The person's events, newest first (ids are stable: a dispute names one)."""
    return PerformanceEvent.objects.filter(employee=employee).order_by("-occurred_at", "-id")


@dataclass
class PerformanceSummary:
    employee: Employee
    total: int
    periods: list[tuple[str, int]]  # (YYYY-MM, points), newest first
    events: list[PerformanceEvent]
    goals: list[PerformanceGoal]
    reviews: list[PerformanceReview]
    pull: PerformancePull | None
    unsent: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def performance_summary(employee: Employee, *, recent: int = 50) -> PerformanceSummary:
    """Everything the person's performance page shows (and a link elsewhere can use): the points
    total and per month, the latest events, goals with progress and reviews. Six queries."""
    events = performance_events_of(employee)
    periods = list(
        events.order_by()
        .values("period")
        .annotate(points=Sum("points"))
        .order_by("-period")
        .values_list("period", "points")
    )
    by_kind = dict(
        events.order_by()
        .values("kind")
        .annotate(points=Sum("points"))
        .values_list("kind", "points")
    )
    latest = list(events[:recent])
    return PerformanceSummary(
        employee=employee,
        total=sum(points for _period, points in periods),
        periods=periods,
        events=latest,
        goals=list(PerformanceGoal.objects.filter(employee=employee).order_by("due_on", "id")),
        reviews=list(
            PerformanceReview.objects.filter(employee=employee).order_by("-reviewed_on", "-id")
        ),
        pull=PerformancePull.objects.filter(employee=employee).first(),
        unsent=sum(1 for e in latest if e.sent_at is None),
        by_kind=by_kind,
    )
