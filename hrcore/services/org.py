"""Organisation writes: units, employees, absences and a user's preferences."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import DepartmentFunction, UnitKind
from ..errors import ValidationFailed
from ..hooks import org_changed
from ..models import (
    Absence,
    Employee,
    OrgUnit,
    Position,
)
from ..search_keys import search_key
from .tokens import api_tokens_revoke_for_user

User = get_user_model()


# --- Organisation units --------------------------------------------------------------------


def validate_unit(*, unit_id: int | None, kind: str, function: str, parent: OrgUnit | None) -> None:
    errors: dict[str, str] = {}
    if kind not in UnitKind.values:
        errors["kind"] = _("Unknown unit kind “%(kind)s”.") % {"kind": kind}
    if kind == UnitKind.DEPARTMENT:
        if function not in DepartmentFunction.values:
            errors["function"] = _(
                "Unknown department function “%(function)s”. Use one of: %(choices)s."
            ) % {
                "function": function,
                "choices": ", ".join(DepartmentFunction.values),
            }
    elif function:
        errors["function"] = _("Only departments have a function.")
    if kind == UnitKind.GROUP and parent is not None:
        errors["parent"] = _("The group is the root of the tree and has no parent unit.")
    if kind != UnitKind.GROUP and parent is None:
        errors["parent"] = _("Every subsidiary and department needs a parent unit.")
    if parent is not None and unit_id is not None and unit_id in parent.ancestor_ids():
        errors["parent"] = _("A unit cannot be placed under itself or one of its own sub-units.")
    if errors:
        raise ValidationFailed(_("The organisation unit is not valid."), errors=errors)


def _refresh_paths(unit: OrgUnit) -> None:
    """Recompute the materialised path of ``unit`` and all units below it."""
    parent_path = unit.parent.path if unit.parent_id else "/"
    old_path = unit.path
    unit.path = f"{parent_path}{unit.pk}/"
    unit.depth = unit.path.count("/") - 2
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    if old_path and old_path != unit.path:
        for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            child.path = unit.path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["path", "depth"])


@transaction.atomic
def org_unit_save(
    *,
    unit: OrgUnit | None = None,
    actor: User | None = None,
    org_change: bool = True,
    **fields: object,
) -> OrgUnit:
    """Create (``unit=None``) or edit a unit; refuses cycles and functions outside departments.
    ``org_change=False``: the caller tells the ``on_org_changed`` listeners itself (once, with
    its own kind of change)."""
    unit = unit or OrgUnit()
    for name, value in fields.items():
        setattr(unit, name, value)
    parent = OrgUnit.objects.filter(pk=unit.parent_id).first() if unit.parent_id else None
    validate_unit(unit_id=unit.pk, kind=unit.kind, function=unit.function or "", parent=parent)
    if not unit.code:
        raise ValidationFailed(
            _("The unit needs a code."), errors={"code": _("This field is required.")}
        )
    if OrgUnit.objects.filter(code=unit.code).exclude(pk=unit.pk).exists():
        raise ValidationFailed(
            _("A unit with code “%(code)s” already exists.") % {"code": unit.code},
            errors={"code": _("Already used.")},
        )
    unit.save()
    _refresh_paths(unit)
    if org_change:
        org_changed(kind="org_unit.saved", unit_ids=[unit.pk])
    return unit


@transaction.atomic
def org_unit_delete(*, unit: OrgUnit, actor: User | None = None) -> None:
    """Delete a unit (the admin); the ``on_org_changed`` listeners are told."""
    unit_id = unit.pk
    unit.delete()
    org_changed(kind="org_unit.deleted", unit_ids=[unit_id])


# --- Employees -----------------------------------------------------------------------------


def _time_zone_errors(time_zone: str) -> dict[str, str]:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return {"time_zone": _("Unknown time zone “%(tz)s”.") % {"tz": time_zone}}
    return {}


def validate_employee(employee: Employee) -> None:
    errors: dict[str, str] = _time_zone_errors(employee.time_zone)
    if employee.manager_id:
        manager = Employee.objects.select_related("unit").get(pk=employee.manager_id)
        if employee.pk and manager.pk == employee.pk:
            errors["manager"] = _("An employee cannot be their own manager.")
        elif employee.pk:
            seen = {employee.pk}
            cursor: Employee | None = manager
            while cursor is not None:
                if cursor.pk in seen:
                    errors["manager"] = _(
                        "This manager would create a cycle in the reporting line."
                    )
                    break
                seen.add(cursor.pk)
                cursor = cursor.manager
        unit = OrgUnit.objects.get(pk=employee.unit_id)
        if manager.unit.ancestor_ids()[-1] != unit.ancestor_ids()[-1]:
            errors["manager"] = _("The manager must belong to the same group.")
    if errors:
        raise ValidationFailed(_("The employee record is not valid."), errors=errors)


@transaction.atomic
def employee_save(
    *, employee: Employee, actor: User | None = None, org_change: bool = True
) -> Employee:
    """Validate (reporting-line cycles, time zone, same group) and save an employee. When they
    leave (no longer employed), their API tokens are revoked. ``org_change=False``: a change of
    preferences only, or a caller that tells the ``on_org_changed`` listeners itself."""
    validate_employee(employee)
    employee.search_key = search_key(employee.name_zh)
    was_active = (
        Employee.objects.filter(pk=employee.pk).values_list("is_active", flat=True).first()
        if employee.pk
        else None
    )
    employee.save()
    if was_active and not employee.is_active and employee.user_id:
        api_tokens_revoke_for_user(user=employee.user, actor=actor, reason="employee left")
    if org_change:
        org_changed(kind="employee.saved", employee_ids=[employee.pk], unit_ids=[employee.unit_id])
    return employee


@transaction.atomic
def employee_delete(*, employee: Employee, actor: User | None = None) -> None:
    """Delete an employee record (the admin's inline); their API tokens are revoked first."""
    if employee.user_id:
        api_tokens_revoke_for_user(user=employee.user, actor=actor, reason="employee deleted")
    unit_id = employee.unit_id
    employee.delete()
    org_changed(kind="employee.deleted", unit_ids=[unit_id])


def account_create(
    *, username: str, email: str, first_name: str, password: str | None, roles: Iterable[str]
) -> User:
    """The user account of a new employee with its roles (groups); no password: it cannot log
    in with one (single sign-on, or set later)."""
    user = User(username=username, email=email, first_name=first_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@transaction.atomic
def employee_create(
    *,
    username: str,
    password: str | None,
    name_zh: str,
    name_en: str,
    unit: OrgUnit,
    position: Position | None = None,
    manager: Employee | None = None,
    grade: int = 1,
    email: str = "",
    roles: Iterable[str] = (),
    language: str = "zh-hans",
    time_zone: str = "Asia/Shanghai",
    phone: str = "",
    actor: User | None = None,
) -> Employee:
    """Create a user account and its employee record in one step."""
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(
            _("The user name “%(username)s” is taken.") % {"username": username},
            errors={"username": _("Already used.")},
        )
    user = account_create(
        username=username, email=email, first_name=name_en, password=password, roles=roles
    )
    employee = Employee(
        user=user,
        name_zh=name_zh,
        name_en=name_en,
        unit=unit,
        position=position,
        manager=manager,
        grade=grade,
        language=language,
        time_zone=time_zone,
        phone=phone,
    )
    return employee_save(employee=employee, actor=actor)


def validate_absence(absence: Absence) -> None:
    """An absence ends after it starts and its delegate is someone else."""
    errors: dict[str, str] = {}
    if absence.starts_at and absence.ends_at and absence.ends_at <= absence.starts_at:
        errors["ends_at"] = _("The absence must end after it starts.")
    if absence.delegate_id is not None and absence.delegate_id == absence.employee_id:
        errors["delegate"] = _("A delegate must be someone other than the absent employee.")
    if errors:
        raise ValidationFailed(_("The absence is not valid."), errors=errors)


@transaction.atomic
def absence_save(
    *, absence: Absence, actor: User | None = None, org_change: bool = True
) -> Absence:
    """Validate and save a new or changed absence (``org_change`` as for ``employee_save``)."""
    validate_absence(absence)
    absence.save()
    if org_change:
        org_changed(kind="absence.saved", employee_ids=[absence.employee_id, absence.delegate_id])
    return absence


@transaction.atomic
def absence_delete(*, absence: Absence, actor: User | None = None) -> None:
    employee_ids = [absence.employee_id, absence.delegate_id]
    absence.delete()
    org_changed(kind="absence.deleted", employee_ids=employee_ids)


@transaction.atomic
def absence_record(
    *,
    employee: Employee,
    starts_at: datetime,
    ends_at: datetime,
    delegate: Employee | None = None,
    reason: str = "",
    actor: User | None = None,
) -> Absence:
    """Record an absence; the delegate must be someone else."""
    absence = Absence(
        employee=employee, starts_at=starts_at, ends_at=ends_at, delegate=delegate, reason=reason
    )
    return absence_save(absence=absence, actor=actor)


def user_preferences_update(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> None:
    """Store the UI language and time zone the user chose: those two columns only. The rest of
    the record is not the user's to change here, so it is neither validated again (reporting
    line, group) nor written back as this request read it, over an HR admin's edit made since."""
    employee = getattr(user, "employee", None)
    if employee is None:
        return
    fields = []
    if language is not None:
        employee.language = language
        fields.append("language")
    if time_zone is not None:
        if errors := _time_zone_errors(time_zone):
            raise ValidationFailed(_("The employee record is not valid."), errors=errors)
        employee.time_zone = time_zone
        fields.append("time_zone")
    if fields:
        employee.save(update_fields=fields)
