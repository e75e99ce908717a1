"""HR master data: people and units as the HR system of record reports them (issue 14 §4).

Each function is one all-or-nothing change (``transaction.atomic``): an unknown unit, position,
manager or person refuses the whole change with a reason (``ValidationFailed``/``NotFound``/
``Conflict`` with a stable ``code``), nothing is half-applied. Every change tells the
``hrcore.hooks.on_org_changed`` listeners after commit. The webhook plumbing, the event ledger
and what a departure means for crises and customers live in ``integrations`` (which may import
the crisis engine; hrcore may not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..audit import AuditAction, audit
from ..choices import AbsenceKind, DepartmentFunction, Role, UnitKind
from ..contact import validate_feishu_open_id, validate_im_user_id, validate_mobile
from ..errors import Conflict, ValidationFailed
from ..hooks import org_changed
from ..i18n import keel_error
from ..models import Absence, ApiToken, Employee, OrgUnit, Position
from .org import absence_save, account_create, employee_save, org_unit_save
from .sessions import user_sessions_end_all

User = get_user_model()


@dataclass(frozen=True)
class PersonFields:
    """A person as the HR system describes them. ``None`` means "not given" (a transfer may
    name only what changed); a hire needs names, unit and position."""

    external_id: str
    name_zh: str | None = None
    name_en: str | None = None
    unit: str | None = None  # unit code
    position: str | None = None  # position code
    manager: str | None = None  # the manager's external id ("" = no manager)
    email: str | None = None
    mobile: str | None = None
    dingtalk_user_id: str | None = None
    wecom_user_id: str | None = None
    feishu_open_id: str | None = None
    username: str | None = None
    extra: dict = field(default_factory=dict, hash=False, compare=False)


CONTACT_FIELDS = ("mobile", "dingtalk_user_id", "wecom_user_id", "feishu_open_id")
_VALIDATORS = {
    "mobile": validate_mobile,
    "dingtalk_user_id": validate_im_user_id,
    "wecom_user_id": validate_im_user_id,
    "feishu_open_id": validate_feishu_open_id,
}


# --- Lookups -------------------------------------------------------------------------------


def employee_by_external_id(external_id: str) -> Employee | None:
    if not external_id:
        return None
    return (
        Employee.objects.select_related("unit", "position", "manager", "user")
        .filter(external_id=external_id)
        .first()
    )


def unit_required(code: str) -> OrgUnit:
    """The unit with this code, or the refusal naming it (``unknown_unit``)."""
    unit = OrgUnit.objects.filter(code=code).first() if code else None
    if unit is None:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("Unknown unit “%(value)s”: Keel has no organisation unit with this code."),
            errors={"unit": _("Unknown unit.")},
            code="unknown_unit",
            value=code,
        )
    return unit


def _position(code: str) -> Position:
    position = Position.objects.filter(code=code).first() if code else None
    if position is None:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("Unknown position “%(value)s”: Keel has no position with this code."),
            errors={"position": _("Unknown position.")},
            code="unknown_position",
            value=code,
        )
    return position


def _known_person(external_id: str, *, what: str = "employee") -> Employee:
    """An employee by HR id, or a refusal naming why (unknown: the event came too early)."""
    employee = employee_by_external_id(external_id)
    if employee is None:
        raise keel_error(
            Conflict,
            gettext_lazy(
                "Unknown person “%(id)s”: Keel has no employee with this HR id; an event about "
                "them cannot be applied before their hire (resend it after employee.hired)."
            ),
            code="unknown_employee" if what == "employee" else f"unknown_{what}",
            id=external_id,
        )
    return employee


def _manager(external_id: str | None) -> Employee | None:
    if not external_id:
        return None
    manager = employee_by_external_id(external_id)
    if manager is None or not manager.is_active:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("Unknown manager “%(id)s”: no active employee has this HR id."),
            errors={"manager": _("Unknown manager.")},
            code="unknown_manager",
            id=external_id,
        )
    return manager


def _contact_errors(person: PersonFields) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, validator in _VALIDATORS.items():
        value = getattr(person, name)
        if value:
            try:
                validator(value)
            except ValidationError as exc:
                errors[name] = " ".join(str(m) for m in exc.messages)
    if person.email:
        try:
            validate_email(person.email)
        except ValidationError:
            errors["email"] = _("Not a valid e-mail address.")
    return errors


def _check(person: PersonFields, *, hire: bool) -> None:
    errors = _contact_errors(person)
    if hire:
        for name in ("name_zh", "name_en", "unit", "position"):
            if not (getattr(person, name) or "").strip():
                errors[name] = _("Required.")
    for name in ("name_zh", "name_en"):
        value = getattr(person, name)
        if value is not None and len(value) > 100:
            errors[name] = _("At most %(n)s characters.") % {"n": 100}
    if errors:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("The person's record from the HR system is not valid."),
            errors=errors,
            code="invalid_person",
        )


def _username_for(person: PersonFields) -> str:
    base = person.username or (person.email or "").split("@")[0] or person.external_id
    base = re.sub(r"[^\w.@+-]", "-", base.strip().lower())[:140] or "employee"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _apply(employee: Employee, person: PersonFields, changes: dict[str, list]) -> None:
    """Set every given field on ``employee``, recording ``{field: [old, new]}``."""

    def set_field(name: str, value) -> None:
        if name in ("unit", "position", "manager"):  # compare ids: a new record has none yet
            old_id = getattr(employee, f"{name}_id")
            if old_id == (value.pk if value is not None else None):
                return
            old = getattr(employee, name) if old_id else None
        else:
            old = getattr(employee, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(employee, name, value)

    for name in ("name_zh", "name_en", *CONTACT_FIELDS):
        value = getattr(person, name)
        if value is not None:
            set_field(name, value.strip())
    if person.unit is not None:
        set_field("unit", unit_required(person.unit))
    if person.position is not None:
        position = _position(person.position)
        set_field("position", position)
        set_field("grade", position.grade)
    if person.manager is not None:
        set_field("manager", _manager(person.manager))


def _plain(value) -> str:
    if isinstance(value, Employee | OrgUnit | Position):
        return getattr(value, "external_id", "") or getattr(value, "code", "") or str(value.pk)
    return "" if value is None else str(value)


def _roles_for(position: Position) -> list[str]:
    """A hire is staff; a managerial position also files crises (manager). Executive and HR
    admin roles are never granted by the HR feed: an HR admin grants them in Keel."""
    return [Role.STAFF, Role.MANAGER] if position.is_managerial else [Role.STAFF]


# --- Changes -------------------------------------------------------------------------------


@transaction.atomic
def employee_hire(*, person: PersonFields, actor=None, source: str = "webhook") -> Employee:
    """A new employee (account with no usable password, employee record, contact channels).
    A leaver hired again is re-activated with the new record."""
    _check(person, hire=True)
    existing = employee_by_external_id(person.external_id)
    if existing is not None and existing.is_active:
        raise keel_error(
            Conflict,
            gettext_lazy(
                "%(id)s is already employed; send employee.transferred to change their record."
            ),
            code="already_employed",
            id=person.external_id,
        )
    changes: dict[str, list] = {}
    employee = existing or Employee(external_id=person.external_id)
    _apply(employee, person, changes)  # unknown unit/position/manager: refused before any write
    if existing is not None:  # a leaver hired again
        employee.is_active = True
        changes["is_active"] = ["False", "True"]
        user = employee.user
        user.is_active = True
        if person.email is not None:
            user.email = person.email
        user.save(update_fields=["is_active", "email"])
    else:
        user = account_create(
            username=_username_for(person),
            email=person.email or "",
            first_name=person.name_en,
            password=None,
            roles=(),
        )
        employee.user = user
        employee.time_zone = employee.unit.time_zone  # a newcomer works in their unit's zone
        changes["external_id"] = ["", person.external_id]
    employee_save(employee=employee, actor=actor, org_change=False)
    for role in _roles_for(employee.position):
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    audit(
        employee,
        AuditAction.CREATE if existing is None else AuditAction.UPDATE,
        changes=changes,
        actor=actor,
        data={"reason": f"HR {source}: employee.hired"},
    )
    org_changed(
        kind="employee.hired",
        employee_ids=[employee.pk],
        unit_ids=[employee.unit_id],
        source=source,
    )
    return employee


@transaction.atomic
def employee_update(
    *, person: PersonFields, actor=None, source: str = "webhook", kind: str = "employee.transferred"
) -> tuple[Employee, dict[str, list]]:
    """A transfer (unit, position, manager) or any other change of an active employee's record;
    returns the employee and what changed."""
    _check(person, hire=False)
    employee = _known_person(person.external_id)
    if not employee.is_active:
        raise keel_error(
            Conflict,
            gettext_lazy("%(id)s has left; a change of their record is not applied."),
            code="not_employed",
            id=person.external_id,
        )
    old_unit = employee.unit_id
    changes: dict[str, list] = {}
    _apply(employee, person, changes)
    if person.email is not None and employee.user.email != person.email:
        changes["email"] = [employee.user.email, person.email]
        employee.user.email = person.email
        employee.user.save(update_fields=["email"])
    if changes:
        employee_save(employee=employee, actor=actor, org_change=False)
        if "position" in changes and employee.position.is_managerial:
            employee.user.groups.add(Group.objects.get_or_create(name=Role.MANAGER)[0])
        audit(
            employee,
            AuditAction.UPDATE,
            changes=changes,
            actor=actor,
            data={"reason": f"HR {source}: {kind}"},
        )
        org_changed(
            kind=kind,
            employee_ids=[employee.pk],
            unit_ids=[old_unit, employee.unit_id],
            source=source,
        )
    return employee, changes


@dataclass
class Departure:
    employee: Employee
    tokens_revoked: int
    units_headed: list[str]
    reports: list[int]


@transaction.atomic
def employee_leave(*, external_id: str, actor=None, source: str = "webhook") -> Departure:
    """The employee left: the record and the account are deactivated, every API token revoked,
    every session ended; the units they headed lose their head. Their customers and crisis
    tasks are the caller's (integrations: re-resolution by the maps and the handover)."""
    employee = _known_person(external_id)
    if not employee.is_active:
        raise keel_error(
            Conflict, gettext_lazy("%(id)s has already left."), code="already_left", id=external_id
        )

    live_tokens = ApiToken.objects.filter(user=employee.user, revoked_at__isnull=True).count()
    employee.is_active = False
    employee_save(employee=employee, actor=actor, org_change=False)  # revokes their API tokens
    user = employee.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sessions_end_all(user=user)
    headed = list(OrgUnit.objects.filter(head=employee))
    for unit in headed:
        org_unit_save(unit=unit, head=None, actor=actor, org_change=False)
    reports = list(
        Employee.objects.filter(manager=employee, is_active=True).values_list("pk", flat=True)
    )
    audit(
        employee,
        AuditAction.UPDATE,
        changes={"is_active": ["True", "False"]},
        actor=actor,
        data={"reason": f"HR {source}: employee.left"},
    )
    org_changed(
        kind="employee.left",
        employee_ids=[employee.pk],
        unit_ids=[employee.unit_id, *[u.pk for u in headed]],
        source=source,
    )
    return Departure(employee, live_tokens, [u.code for u in headed], reports)


@transaction.atomic
def absence_from_hr(
    *,
    external_id: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    delegate: str | None = None,
    absence_id: str = "",
    cancelled: bool = False,
    actor=None,
    source: str = "webhook",
) -> Absence | None:
    """Record (or, with the same ``absence_id``, change or cancel) an absence: while it lasts
    the resolver routes the person's duties to the delegate."""
    employee = _known_person(external_id)
    if not employee.is_active:
        raise keel_error(
            Conflict,
            gettext_lazy("%(id)s has left; an absence is not recorded."),
            code="not_employed",
            id=external_id,
        )
    existing = Absence.objects.filter(external_id=absence_id).first() if absence_id else None
    if existing is not None and existing.employee_id != employee.pk:
        raise keel_error(
            Conflict,
            gettext_lazy("The absence “%(id)s” belongs to someone else."),
            code="absence_mismatch",
            id=absence_id,
        )
    if cancelled:
        if existing is None:
            raise keel_error(
                Conflict,
                gettext_lazy("There is no absence “%(id)s” to cancel."),
                code="unknown_absence",
                id=absence_id or "—",
            )
        existing.delete()
        org_changed(kind="employee.absent", employee_ids=[employee.pk], source=source)
        return None
    if kind not in AbsenceKind.values:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("Unknown kind of absence “%(kind)s”: use leave or business_trip."),
            errors={"kind": _("Unknown kind.")},
            code="unknown_absence_kind",
            kind=kind,
        )
    delegate_employee = None
    if delegate:
        delegate_employee = employee_by_external_id(delegate)
        if delegate_employee is None or not delegate_employee.is_active:
            raise keel_error(
                ValidationFailed,
                gettext_lazy("Unknown delegate “%(id)s”: no active employee has this HR id."),
                errors={"delegate": _("Unknown delegate.")},
                code="unknown_delegate",
                id=delegate,
            )
    absence = existing or Absence(employee=employee, external_id=absence_id)
    absence.kind, absence.starts_at, absence.ends_at = kind, starts_at, ends_at
    absence.delegate = delegate_employee
    absence.reason = str(AbsenceKind(kind).label)[:200]
    absence_save(absence=absence, actor=actor, org_change=False)
    org_changed(
        kind="employee.absent",
        employee_ids=[employee.pk, absence.delegate_id],
        unit_ids=[employee.unit_id],
        source=source,
    )
    return absence


@transaction.atomic
def org_unit_from_hr(
    *,
    code: str,
    name_zh: str | None = None,
    name_en: str | None = None,
    parent: str | None = None,
    head: str | None = None,
    kind: str | None = None,
    function: str | None = None,
    actor=None,
    source: str = "webhook",
) -> tuple[OrgUnit, bool, dict[str, list]]:
    """Change a unit (names, parent, head) — or create it when the HR system names a new one
    with its kind (and function for a department) and a known parent. Returns (unit, created,
    changes)."""
    unit = OrgUnit.objects.filter(code=code).first() if code else None
    created = unit is None
    if created and not kind:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("Unknown unit “%(value)s”: to create it, give its kind (and parent)."),
            errors={"unit": _("Unknown unit.")},
            code="unknown_unit",
            value=code or "—",
        )
    fields: dict = {}
    if created:
        fields.update(code=code, kind=kind, function=function or "")
        if not (name_zh and name_en):
            raise keel_error(
                ValidationFailed,
                gettext_lazy("A new unit needs its names in Chinese and English."),
                errors={"name_zh": _("Required."), "name_en": _("Required.")},
                code="invalid_unit",
            )
    elif kind is not None and kind != unit.kind:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("The kind of unit “%(value)s” cannot change (it is %(kind)s)."),
            errors={"kind": _("Cannot change.")},
            code="invalid_unit",
            value=code,
            kind=unit.get_kind_display(),
        )
    if function is not None and not created and function != unit.function:
        fields["function"] = function
    for name, value in (("name_zh", name_zh), ("name_en", name_en)):
        if value is not None:
            fields[name] = value.strip()[:200]
    if parent is not None:
        fields["parent_id"] = unit_required(parent).pk if parent else None
    if head is not None:
        fields["head_id"] = _manager(head).pk if head else None
    if fields.get("kind", unit.kind if unit else "") == UnitKind.DEPARTMENT and (
        fields.get("function", unit.function if unit else "") not in DepartmentFunction.values
    ):
        raise keel_error(
            ValidationFailed,
            gettext_lazy("A department needs a known function (%(choices)s)."),
            errors={"function": _("Unknown function.")},
            code="invalid_unit",
            choices=", ".join(DepartmentFunction.values),
        )
    before = {n: getattr(unit, n) for n in fields} if unit else {}
    changes = {
        n: ["" if before.get(n) is None else str(before.get(n)), "" if v is None else str(v)]
        for n, v in fields.items()
        if created or before.get(n) != v
    }
    if not changes:
        return unit, False, {}
    saved = org_unit_save(unit=unit, actor=actor, org_change=False, **fields)
    audit(
        saved,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        changes=changes,
        actor=actor,
        data={"reason": f"HR {source}: org_unit.changed", "at": timezone.now().isoformat()},
    )
    org_changed(kind="org_unit.changed", unit_ids=[saved.pk], source=source)
    return saved, created, changes
