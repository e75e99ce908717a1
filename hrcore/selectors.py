"""Reads that depend on who is asking."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from . import sla
from .choices import DepartmentFunction, Role, UnitKind
from .models import BusinessCalendar, Employee, Notification, OrgUnit, Position


def role_names(user: AbstractBaseUser) -> set[str]:
    """The role group names of a user, cached on the user object for the request."""
    cached = getattr(user, "_keel_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._keel_roles = cached
    return cached


def has_role(user: AbstractBaseUser, *roles: str) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or role_names(user) & set(roles)))


def is_hr_admin(user: AbstractBaseUser) -> bool:
    return has_role(user, Role.HR_ADMIN)


def employee_of(user: AbstractBaseUser) -> Employee | None:
    if not user.is_authenticated:
        return None
    try:
        return user.employee
    except Employee.DoesNotExist:
        return None


def unit_subtree_q(unit: OrgUnit, field: str = "unit") -> Q:
    """A Q selecting rows whose ``field`` unit lies in ``unit``'s subtree."""
    return Q(**{f"{field}__path__startswith": unit.path})


def unit_by_code(code: str) -> OrgUnit | None:
    """The org unit with this code, or None (also for an empty code). Unit codes are public
    inside the group (see ``org_units_visible_to``), so this does not depend on who asks."""
    return OrgUnit.objects.filter(code=code).first() if code else None


def group_unit() -> OrgUnit | None:
    """The group itself: the first unit of kind ``group`` (the root of the org chart)."""
    return OrgUnit.objects.filter(kind=UnitKind.GROUP).order_by("id").first()


def org_units_visible_to(user: AbstractBaseUser) -> QuerySet[OrgUnit]:
    """Every employee can read the whole organisation chart of the group; partners too."""
    if not user.is_authenticated:
        return OrgUnit.objects.none()
    return OrgUnit.objects.select_related("parent", "head")


def positions_visible_to(user: AbstractBaseUser) -> QuerySet[Position]:
    if not user.is_authenticated:
        return Position.objects.none()
    return Position.objects.all()


def employees_visible_to(user: AbstractBaseUser) -> QuerySet[Employee]:
    """Names, units and positions are public inside the group (an org chart); phone numbers are
    filtered out by the serializers for users who are not HR admins."""
    if not user.is_authenticated:
        return Employee.objects.none()
    return Employee.objects.filter(is_active=True).select_related(
        "unit", "position", "manager", "user"
    )


def org_chart(user: AbstractBaseUser) -> list[dict]:
    """The unit tree as nested dicts with each unit's people, in three queries."""
    units = list(org_units_visible_to(user).order_by("path"))
    people: dict[int, list[Employee]] = defaultdict(list)
    for employee in employees_visible_to(user).order_by("-grade", "name_en"):
        people[employee.unit_id].append(employee)
    nodes = {u.pk: {"unit": u, "people": people.get(u.pk, []), "children": []} for u in units}
    roots = []
    for unit in units:
        node = nodes[unit.pk]
        if unit.parent_id and unit.parent_id in nodes:
            nodes[unit.parent_id]["children"].append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: _chart_order(n["unit"]))
    return roots


_FUNCTION_ORDER = {f: i for i, f in enumerate(DepartmentFunction.values)}
_FUNCTION_ORDER[DepartmentFunction.EXECUTIVE] = -1  # the executive office leads each level


def _chart_order(unit: OrgUnit) -> tuple:
    """A unit's own departments first (executive office leading), then subsidiaries by code."""
    return (unit.kind != UnitKind.DEPARTMENT, _FUNCTION_ORDER.get(unit.function, 99), unit.code)


def unread_notification_count(user: AbstractBaseUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def api_tokens_of(user: AbstractBaseUser) -> QuerySet:
    """The user's own API tokens, newest first (shown on the preferences page; never the key)."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def calendar_for_unit(unit: OrgUnit) -> sla.Calendar:
    """The business calendar of ``unit`` or its nearest ancestor; Monday–Friday 9:00–18:00 in the
    unit's time zone when none is configured."""
    ids = unit.ancestor_ids()
    calendars = {
        c.unit_id: c
        for c in BusinessCalendar.objects.filter(unit_id__in=ids).prefetch_related("holidays")
    }
    for unit_id in ids:
        calendar = calendars.get(unit_id)
        if calendar is not None:
            return sla.calendar_from_rows(
                time_zone=calendar.time_zone,
                working_days=calendar.working_days,
                day_start=calendar.day_start,
                day_end=calendar.day_end,
                holidays=[(h.date, h.is_working_day) for h in calendar.holidays.all()],
            )
    return sla.Calendar(time_zone=unit.time_zone or settings.TIME_ZONE)


def crisis_executive_key() -> tuple[str, str]:
    """(department function, position code) of "the executive" crises escalate to, as the
    organisation defines it: the position marked ``decides_crises`` (the highest-graded one if
    several are), else the head of the nearest executive office."""
    code = (
        Position.objects.filter(decides_crises=True)
        .order_by("-grade", "code")
        .values_list("code", flat=True)
        .first()
    )
    return ("", code) if code else (DepartmentFunction.EXECUTIVE.value, "")
