"""Reads that depend on who is asking."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import sla
from .choices import DepartmentFunction, Role, UnitKind
from .errors import AssigneeNotFound, KeelError, ValidationFailed
from .models import (
    Absence,
    BusinessCalendar,
    Employee,
    Notification,
    OrgUnit,
    Position,
)
from .prepared import prepared_rows
from .search_keys import query_key


def role_names(user: AbstractBaseUser) -> set[str]:
    """The role group names of a user, cached on the user object for the request."""
    cached = getattr(user, "_keel_roles", None)
    if cached is None:
        cached = (
            {name for (name,) in _rows(_ROLES_SQL, [user.pk])} if user.is_authenticated else set()
        )
        user._keel_roles = cached
    return cached


# ``user.groups.values_list("name")`` as a fixed statement: asked on nearly every request (a
# filing asks it in its permission check), and building it through the ORM cost several times
# running it.
_ROLES_SQL = (
    f"SELECT g.name FROM {Group._meta.db_table} g"
    f" INNER JOIN {get_user_model().groups.through._meta.db_table} ug ON ug.group_id = g.id"
    " WHERE ug.user_id = %s"
)


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


def employee_with_unit(user: AbstractBaseUser) -> Employee | None:
    """``employee_of`` with the employee's unit loaded in the same query (and kept on the user
    for the request, as ``user.employee`` keeps it)."""
    if not user.is_authenticated:
        return None
    accessor = Employee.user.field.remote_field  # the user → employee side
    if accessor.is_cached(user):
        return employee_of(user)
    found = prepared_rows(
        "hrcore.employee_with_unit",
        lambda user_id: Employee.objects.select_related("unit").filter(user_id=user_id),
        user.pk,
    )
    employee = found[0] if found else None
    if employee is None:
        accessor.set_cached_value(user, None)  # ``user.employee`` raises, as before, unasked
    else:
        user.employee = employee  # kept on both sides
    return employee


def unit_subtree_q(unit: OrgUnit, field: str = "unit") -> Q:
    """A Q selecting rows whose ``field`` unit lies in ``unit``'s subtree."""
    return Q(**{f"{field}__path__startswith": unit.path})


def unit_by_code(code: str) -> OrgUnit | None:
    """The org unit with this code, or None (also for an empty code). Unit codes are public
    inside the group (see ``org_units_visible_to``), so this does not depend on who asks."""
    if not code:
        return None
    found = prepared_rows(
        "hrcore.unit_by_code", lambda c: OrgUnit.objects.filter(code=c).order_by("pk")[:1], code
    )
    return found[0] if found else None


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


# --- Resolver ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """Who answers for a function/position in a unit, and how we got there (``unit``: the
    level of the walk where the holder was found; None when the caller did not ask for it)."""

    employee: Employee
    holder: Employee
    unit: OrgUnit | None
    via_delegate: bool
    walked_up: bool


def _rows(sql: str, params: list) -> list[tuple]:
    """Rows of a fixed statement of the resolver. Filing runs the resolver on every crisis, and
    building these few plain-valued statements through the ORM cost more than running them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marks(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def _active_absences(employee_ids: Iterable[int], at: datetime) -> dict[int, _Away]:
    """Employee id → the absence running at ``at`` (the latest-starting one), as plain values:
    the delegate's id and whether the delegate is still employed (all the walk needs)."""
    ids = list(employee_ids)
    if not ids:
        return {}
    moment = connection.ops.adapt_datetimefield_value(at)
    rows = _rows(
        f"SELECT a.employee_id, a.delegate_id, d.is_active FROM {Absence._meta.db_table} a"
        f" LEFT OUTER JOIN {Employee._meta.db_table} d ON d.id = a.delegate_id"
        f" WHERE a.employee_id IN ({_marks(ids)}) AND a.starts_at <= %s AND a.ends_at > %s"
        " ORDER BY a.starts_at",
        [*ids, moment, moment],
    )
    return {
        employee_id: _Away(delegate_id, bool(delegate_active))
        for employee_id, delegate_id, delegate_active in rows
    }


def resolve_assignee(
    *,
    unit: OrgUnit,
    function: str | None = None,
    position: str | None = None,
    at: datetime | None = None,
) -> Resolution:
    """Return the person responsible for ``function`` (a department function) or ``position`` (a
    position code) for a matter in ``unit`` — ``resolve_assignees`` for one pair, its error
    raised.

    Walk from ``unit`` up to the root; at each level look in that unit's whole subtree (so a
    subsidiary finds its own finance department before the group's). Within a level prefer the
    unit's head, then the highest grade. An absent holder hands over to their delegate.
    """
    key = (function or "", position or "")
    result = resolve_assignees(unit=unit, wanted=[key], at=at)[key]
    if isinstance(result, KeelError):
        raise result
    return result


AssigneeKey = tuple[str, str]  # (department function or "", position code or "")
RESOLVED_PEOPLE_WITH = ("unit", "position", "user")


def resolve_assignees(
    *,
    unit: OrgUnit,
    wanted: Iterable[AssigneeKey],
    at: datetime | None = None,
    people_with: tuple[str, ...] = RESOLVED_PEOPLE_WITH,
    with_levels: bool = True,
) -> dict[AssigneeKey, Resolution | KeelError]:
    """``resolve_assignee`` for many (function, position) pairs of one unit in one pass: the
    unit's path, every candidate holder, the unit heads among them and the active absences of
    holders and delegates are each loaded once (a handful of queries whatever the number of
    pairs), then each pair is resolved in memory with exactly the rules ``resolve_assignee`` documents. Each key maps
    to its Resolution or to the error ``resolve_assignee`` would raise (returned, not raised).
    ``with_levels=False``: the Resolutions' ``unit`` is None (one query fewer)."""
    return resolve_assignees_in_units(
        units=[unit], wanted=wanted, at=at, people_with=people_with, with_levels=with_levels
    )[unit.pk]


def resolve_assignees_in_units(
    *,
    units: Iterable[OrgUnit],
    wanted: Iterable[AssigneeKey],
    at: datetime | None = None,
    passed_over: dict[tuple[int, AssigneeKey], int] | None = None,
    ignore_absences: bool = False,
    people_with: tuple[str, ...] = RESOLVED_PEOPLE_WITH,
    with_levels: bool = True,
) -> dict[int, dict[AssigneeKey, Resolution | KeelError]]:
    """``resolve_assignees`` for several units at once (by unit id), with the same queries as
    for one: every unit's ancestors in one query, the candidate pool and the absences once.

    Two variations serve the coverage of responsibility maps: ``passed_over`` names, per
    (unit id, key), one holder the walk skips as if they were away with no delegate (who
    answers when the holder cannot: the deputy); ``ignore_absences`` resolves as if nobody
    were away (the holder a role belongs to). ``people_with``: what is loaded with the people
    found (``select_related``; by default their unit, position and user); ``with_levels``: the
    units at whose level each holder was found are loaded as the Resolutions' ``unit`` (else
    None: the walk needs only their paths, which the units' materialised paths give)."""
    at = at or timezone.now()
    units = list(units)
    passed_over = passed_over or {}
    checked: dict[AssigneeKey, KeelError] = {}
    keys: list[AssigneeKey] = []
    for key in dict.fromkeys(wanted):
        function, position = key
        if bool(function) == bool(position):
            checked[key] = ValidationFailed(
                _("Give exactly one of a department function or a position.")
            )
        elif function and function not in DepartmentFunction.values:
            checked[key] = ValidationFailed(
                _("Unknown department function “%(function)s”.") % {"function": function}
            )
        else:
            keys.append(key)
    out: dict[int, dict[AssigneeKey, Resolution | KeelError]] = {u.pk: dict(checked) for u in units}
    if not keys or not units:
        return out
    functions = {f for f, _p in keys if f}
    positions = {p for _f, p in keys if p}
    # Plain tuples, not model instances: the pool is every holder in the group; only the few
    # people chosen are loaded as employees at the end.
    matches, params = [], [True]
    if functions:
        matches.append(f"(u.kind = %s AND u.function IN ({_marks(list(functions))}))")
        params += [UnitKind.DEPARTMENT.value, *functions]
    if positions:
        matches.append(f"p.code IN ({_marks(list(positions))})")
        params += list(positions)
    units_table = OrgUnit._meta.db_table
    candidates = [
        _Candidate(pk, grade, path, depth, kind, function, position, bool(heads))
        for pk, grade, path, depth, kind, function, position, heads in _rows(
            "SELECT e.id, e.grade, u.path, u.depth, u.kind, u.function, p.code,"
            f" EXISTS(SELECT 1 FROM {units_table} h WHERE h.head_id = e.id)"
            f" FROM {Employee._meta.db_table} e"
            f" INNER JOIN {units_table} u ON u.id = e.unit_id"
            f" LEFT OUTER JOIN {Position._meta.db_table} p ON p.id = e.position_id"
            f" WHERE e.is_active = %s AND ({' OR '.join(matches)})",
            params,
        )
    ]
    head_ids = {c.pk for c in candidates if c.heads}
    absences = _AbsenceBook(at, ignore=ignore_absences)
    absences.load(c.pk for c in candidates)
    holders_of: dict[AssigneeKey, list[_Candidate]] = {}
    for key in keys:
        function, position = key
        if function:
            holders_of[key] = [
                c for c in candidates if c.kind == UnitKind.DEPARTMENT and c.function == function
            ]
        else:
            holders_of[key] = [c for c in candidates if c.position == position]
    found: dict[tuple[int, AssigneeKey], tuple[int, int, int, bool, bool]] = {}
    for unit in units:
        ancestors = _ancestor_paths(unit)
        for key in keys:
            skip = passed_over.get((unit.pk, key))
            holders = holders_of[key]
            if skip is not None:
                holders = [c for c in holders if c.pk != skip]
            hit = _resolve_in_memory(
                holders=holders, ancestors=ancestors, head_ids=head_ids, absences=absences
            )
            if hit is not None:
                found[(unit.pk, key)] = hit
            else:
                function, position = key
                label = DepartmentFunction(function).label if function else position
                out[unit.pk][key] = AssigneeNotFound(
                    _("Nobody holds “%(who)s” in %(unit)s or any unit above it.")
                    % {"who": label, "unit": unit.name}
                )
    people_ids = sorted(
        {pk for employee_pk, holder_pk, *_rest in found.values() for pk in (employee_pk, holder_pk)}
    )
    people = (
        {
            e.pk: e
            for e in prepared_rows(
                f"hrcore.resolved_people:{','.join(people_with)}",
                lambda ids: Employee.objects.select_related(*people_with).filter(pk__in=ids),
                people_ids,
            )
        }
        if people_ids
        else {}
    )
    levels: dict[int, OrgUnit] = {}
    if with_levels:
        levels = {u.pk: u for u in units}
        missing = {level for _e, _h, level, *_rest in found.values()} - set(levels)
        if missing:
            levels.update(OrgUnit.objects.in_bulk(missing))
    for (unit_pk, key), (employee_pk, holder_pk, level, via, walked) in found.items():
        out[unit_pk][key] = Resolution(
            people[employee_pk], people[holder_pk], levels.get(level), via, walked
        )
    return out


def _ancestor_paths(unit: OrgUnit) -> list[tuple[int, str]]:
    """(id, materialised path) of ``unit`` and each unit above it, nearest first: the path of
    an ancestor is the head of the unit's own path ("/1/4/9/" → "/1/4/9/", "/1/4/", "/1/")."""
    ids = [x for x in unit.path.strip("/").split("/") if x]
    return [(int(ids[end - 1]), "/" + "/".join(ids[:end]) + "/") for end in range(len(ids), 0, -1)]


@dataclass(frozen=True)
class _Candidate:
    pk: int
    grade: int
    path: str
    depth: int
    kind: str
    function: str
    position: str | None
    heads: bool  # heads some unit (preferred within a level)


@dataclass(frozen=True)
class _Away:
    """An employee's running absence: who stands in (``delegate``, an employee id) and whether
    that person is still employed."""

    delegate: int | None
    delegate_active: bool


class _AbsenceBook:
    """Active absences at ``at`` by employee id, loaded in batches and kept (the latest-starting
    absence of an employee wins, as in ``_active_absences``)."""

    def __init__(self, at: datetime, *, ignore: bool = False) -> None:
        self.at = at
        self.ignore = ignore  # resolve as if nobody were away
        self.known: set[int] = set()
        self.by_employee: dict[int, _Away] = {}

    def load(self, employee_ids: Iterable[int]) -> None:
        missing = set(employee_ids) - self.known
        if missing and not self.ignore:
            self.by_employee.update(_active_absences(missing, self.at))
            self.known |= missing

    def of(self, employee_id: int) -> _Away | None:
        self.load([employee_id])
        return self.by_employee.get(employee_id)

    def follow_delegates(self, employee_id: int, limit: int = 5) -> int | None:
        """The id of the first present person along the chain of delegates of the absent
        ``employee_id`` (delegates can be away too); delegates' absences load in one query per
        step of the chain for every delegate seen so far."""
        self.load(a.delegate for a in self.by_employee.values() if a.delegate)
        seen: set[int] = {employee_id}
        current = self.by_employee[employee_id]
        for _step in range(limit):
            delegate = current.delegate
            if delegate is None or delegate in seen or not current.delegate_active:
                return None
            seen.add(delegate)
            nxt = self.of(delegate)
            if nxt is None:
                return delegate
            current = nxt
        return None


def present_stand_in(employee: Employee, at: datetime) -> tuple[Employee | None, bool]:
    """``employee`` when present at ``at``; else the first present delegate along the chain of
    their absences' delegates (as the resolver walks it) with True; (None, True) when nobody
    is."""
    book = _AbsenceBook(at)
    if book.of(employee.pk) is None:
        return employee, False
    delegate_id = book.follow_delegates(employee.pk)
    if delegate_id is None:
        return None, True
    return Employee.objects.filter(pk=delegate_id).first(), True


def _resolve_in_memory(
    *,
    holders: list[_Candidate],
    ancestors: list[tuple[int, str]],
    head_ids: set[int],
    absences: _AbsenceBook,
) -> tuple[int, int, int, bool, bool] | None:
    """The walk of ``resolve_assignee`` over preloaded rows and the (id, path) of the unit and
    its ancestors: (employee id, holder id, level unit id, via delegate, walked up), or None
    when nobody is found."""
    for level, (ancestor, ancestor_path) in enumerate(ancestors):
        pool = [c for c in holders if c.path.startswith(ancestor_path)]
        if not pool:
            continue
        pool.sort(key=lambda c: (c.pk not in head_ids, -c.grade, c.depth, c.pk))
        for holder in pool:
            if absences.of(holder.pk) is None:
                return (holder.pk, holder.pk, ancestor, False, level > 0)
            delegate = absences.follow_delegates(holder.pk)
            if delegate is not None:
                return (delegate, holder.pk, ancestor, True, level > 0)
    return None


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
    rows = _rows(
        f"SELECT code FROM {Position._meta.db_table} WHERE decides_crises = %s"
        " ORDER BY grade DESC, code ASC LIMIT 1",
        [True],
    )
    return ("", rows[0][0]) if rows else (DepartmentFunction.EXECUTIVE.value, "")


# --- People's pages (issue 17 §5; the sections are hrcore.person_page's) -------------------

# How deep a reporting line is followed (a cycle is refused on save; this only bounds the walk).
_MAX_LEVELS = 20


@dataclass(frozen=True)
class PersonPageAccess:
    """Why the reader may see a person's page, and so which sections they get."""

    is_self: bool = False
    is_supervisor: bool = False
    is_hr: bool = False
    is_executive: bool = False
    is_finance: bool = False

    @property
    def allowed(self) -> bool:
        return self.is_self or self.is_supervisor or self.is_hr or self.is_executive

    @property
    def sees_sensitive(self) -> bool:
        """Pay (commissions): the person, their supervisor chain, HR admins and finance."""
        return self.is_self or self.is_supervisor or self.is_hr or self.is_finance

    @property
    def decides_complaints(self) -> bool:
        """The outcome of a complaint against the person (a company's or a walk-in consumer's):
        their supervisor chain and HR admins — never the person, HR admin or not."""
        return not self.is_self and (self.is_supervisor or self.is_hr)


def team_ids(employee: Employee) -> set[int]:
    """Everyone below ``employee`` in the reporting lines (reports, their reports, …): one
    query per level."""
    found: set[int] = set()
    frontier = {employee.pk}
    for _level in range(_MAX_LEVELS):
        frontier = (
            set(Employee.objects.filter(manager_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        if not frontier:
            break
        found |= frontier
    found.discard(employee.pk)
    return found


def _sees_everyone(user: AbstractBaseUser) -> bool:
    return bool(user.is_superuser or has_role(user, Role.HR_ADMIN, Role.EXECUTIVE))


def _team_q(me: Employee, user: AbstractBaseUser) -> Q:
    q = Q(pk=me.pk) | Q(pk__in=team_ids(me))
    if has_role(user, Role.MANAGER):
        q |= Q(unit__path__startswith=me.unit.path)
    return q


def people_visible_to(user: AbstractBaseUser) -> QuerySet[Employee]:
    """The people whose page the reader may open: everyone for HR admins and executives; for
    anyone else themselves and their team (managers: everyone of their unit and below)."""
    base = Employee.objects.select_related("unit", "position", "manager", "user")
    if not user.is_authenticated:
        return base.none()
    if _sees_everyone(user):
        return base
    me = employee_of(user)
    if me is None:
        return base.none()
    return base.filter(_team_q(me, user))


def person_page_access(user: AbstractBaseUser, person: Employee) -> PersonPageAccess:
    """What the reader is to ``person``; ``.allowed`` False means the page is not theirs to see."""
    if not user.is_authenticated:
        return PersonPageAccess()
    me = employee_of(user)
    is_self = me is not None and me.pk == person.pk
    is_supervisor = False
    if me is not None and not is_self:
        is_supervisor = person.pk in team_ids(me) or (
            has_role(user, Role.MANAGER) and person.unit.path.startswith(me.unit.path)
        )
    return PersonPageAccess(
        is_self=is_self,
        is_supervisor=is_supervisor,
        is_hr=bool(user.is_superuser or has_role(user, Role.HR_ADMIN)),
        is_executive=has_role(user, Role.EXECUTIVE),
        is_finance=bool(me is not None and me.unit.function == DepartmentFunction.FINANCE),
    )


def people_matching(people: QuerySet[Employee], query: str) -> QuerySet[Employee]:
    """People whose name (Chinese or English), its pinyin or initials, or HR id contains
    ``query``, or whose user name is ``query``, case-insensitive; every one for an empty
    query."""
    query = (query or "").strip()
    if not query:
        return people
    q = (
        Q(name_zh__icontains=query)
        | Q(name_en__icontains=query)
        | Q(external_id__icontains=query)
        | Q(user__username__iexact=query)
    )
    key = query_key(query)
    if key:
        q |= Q(search_key__icontains=key)
    return people.filter(q)


def person_by_id(pk: int) -> Employee | None:
    """An employee with unit, position and manager (callers check ``person_page_access``)."""
    return (
        Employee.objects.select_related("unit", "position", "manager", "user").filter(pk=pk).first()
    )


def direct_reports(employee: Employee) -> list[Employee]:
    """The people who report to ``employee`` now, with their positions, in one query."""
    return list(
        employee.reports.filter(is_active=True)
        .select_related("position", "unit")
        .order_by("-grade", "name_en", "pk")
    )
