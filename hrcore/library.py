"""The standard library: content every Keel installation starts with (scenarios and their maps,
trigger rules, the position catalogue, the competency framework, simulations), kept as YAML files
in each app's ``fixtures_library/`` folder and installed by ``keel_bootstrap`` and ``seed_demo``.

This module holds the loader every app uses (``read`` plus small typed checks, so a broken file
fails with the file and the key named, before anything is written) and the organisation part of
the install: the position catalogue, the group's root unit and the first HR admin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import Role, UnitKind
from .errors import ValidationFailed
from .models import OrgUnit, Position

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "fixtures_library"
# Apps whose permissions HR admins get (they configure everything Keel owns in the admin).
KEEL_APPS = ("hrcore", "responsibilities", "crisis", "competency", "integrations", "auditlog")


class LibraryError(ValidationFailed):
    """A library file is missing, is not valid YAML or lacks a key (a packaging fault)."""

    code = "library_invalid"


def path_of(app_label: str, name: str) -> Path:
    return ROOT / app_label / FOLDER / name


# libyaml's parser under PyYAML's safe constructor (the same objects as ``yaml.safe_load``, about
# seven times faster: the library's 146 kB took 0.15 CPU-s in pure Python at every bootstrap).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _read_cached(path: str, mtime: float) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SAFE_LOADER)


def read(app_label: str, name: str) -> Any:
    """The parsed content of ``<app>/fixtures_library/<name>`` (YAML; safe loader only)."""
    path = path_of(app_label, name)
    try:
        return _read_cached(str(path), path.stat().st_mtime)
    except FileNotFoundError as exc:
        raise LibraryError(f"Library file {app_label}/{FOLDER}/{name} is missing.") from exc
    except yaml.YAMLError as exc:
        raise LibraryError(f"Library file {app_label}/{FOLDER}/{name} is not valid YAML: {exc}")


def files(app_label: str, folder: str) -> list[str]:
    """Names (relative to the app's library folder) of the YAML files in ``folder``, sorted."""
    base = ROOT / app_label / FOLDER
    return sorted(str(p.relative_to(base)) for p in (base / folder).glob("*.yaml"))


def require(record: Any, keys: Iterable[str], where: str) -> Mapping[str, Any]:
    """``record`` as a mapping that has every key in ``keys`` (else a LibraryError naming them)."""
    if not isinstance(record, Mapping):
        raise LibraryError(f"{where}: expected a mapping, got {type(record).__name__}.")
    missing = [k for k in keys if k not in record]
    if missing:
        raise LibraryError(f"{where}: missing {', '.join(missing)}.")
    return record


def items(document: Any, key: str, where: str) -> list[Mapping[str, Any]]:
    """The list under ``key`` of a library document."""
    value = require(document, [key], where)[key]
    if not isinstance(value, list):
        raise LibraryError(f"{where}: “{key}” must be a list.")
    return value


def digest(value: Any) -> str:
    """A stable fingerprint of library content (to tell whether a newer library changed it)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Positions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionSpec:
    code: str
    name_zh: str
    name_en: str
    grade: int
    is_managerial: bool
    decides_crises: bool
    description_zh: str
    description_en: str

    @classmethod
    def parse(cls, record: Any, where: str) -> PositionSpec:
        r = require(record, ["code", "name_zh", "name_en", "grade"], where)
        return cls(
            code=str(r["code"]),
            name_zh=str(r["name_zh"]),
            name_en=str(r["name_en"]),
            grade=int(r["grade"]),
            is_managerial=bool(r.get("is_managerial", False)),
            decides_crises=bool(r.get("decides_crises", False)),
            description_zh=str(r.get("description_zh", "")),
            description_en=str(r.get("description_en", "")),
        )


def position_specs() -> list[PositionSpec]:
    document = read("hrcore", "positions.yaml")
    return [
        PositionSpec.parse(record, f"positions.yaml #{i}")
        for i, record in enumerate(items(document, "positions", "positions.yaml"))
    ]


@transaction.atomic
def positions_install() -> int:
    """Create the catalogue's positions that do not exist yet (existing ones are the group's to
    rename or regrade; they are never overwritten). Returns how many were created."""
    created = 0
    for spec in position_specs():
        _position, was_new = Position.objects.get_or_create(
            code=spec.code,
            defaults={
                "title_zh": spec.name_zh,
                "title_en": spec.name_en,
                "grade": spec.grade,
                "is_managerial": spec.is_managerial,
                "decides_crises": spec.decides_crises,
                "description_zh": spec.description_zh,
                "description_en": spec.description_en,
            },
        )
        created += int(was_new)
    return created


# --- The group and the first HR admin ------------------------------------------------------


def group_root() -> OrgUnit | None:
    """The organisation's root unit (the group), if there is one."""
    return OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()


@transaction.atomic
def group_ensure(*, code: str, name_zh: str, name_en: str) -> tuple[OrgUnit, bool]:
    """The group's root unit: the existing root if there is one (whatever its code), else a new
    one. Returns (unit, created)."""
    root = group_root()
    if root is not None:
        return root, False
    if not code or not (name_zh or name_en):
        raise ValidationFailed(_("Give the group a code and a name."))
    from .services.org import org_unit_save

    unit = org_unit_save(
        code=code, name_zh=name_zh or name_en, name_en=name_en or name_zh, kind=UnitKind.GROUP
    )
    return unit, True


def grant_hr_admin_permissions() -> None:
    """HR admins configure everything Keel owns in the admin."""
    group, _created = Group.objects.get_or_create(name=Role.HR_ADMIN)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=KEEL_APPS))


def roles_ensure() -> None:
    """The role groups exist (roles are Django groups)."""
    for role in Role.values:
        Group.objects.get_or_create(name=role)


@transaction.atomic
def hr_admin_ensure(
    *,
    username: str,
    email: str,
    password: str | None,
    unit: OrgUnit,
    name_zh: str = "",
    name_en: str = "",
) -> tuple[Any, bool]:
    """The first HR admin: a staff account in the HR-admin role, with an employee record in the
    group's root unit. An existing account is given the role but keeps its password. Their
    second factor is enrolled by themselves at first log-in (``RequireMfaMiddleware`` sends an
    HR admin without TOTP to the enrolment page before anything else). Returns (user, created)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from .services.org import employee_create

    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationFailed(
            _("Give the HR admin a user name."), errors={"username": _("This field is required.")}
        )
    roles_ensure()
    grant_hr_admin_permissions()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        if not password:
            raise ValidationFailed(
                _("Give the new HR admin a password."),
                errors={"password": _("This field is required.")},
            )
        candidate = User(username=username, email=email or "")
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), errors={"password": exc.messages})
        position = Position.objects.filter(code="hr-manager").first()
        employee = employee_create(
            username=username,
            password=password,
            name_zh=name_zh or username,
            name_en=name_en or username,
            unit=unit,
            position=position,
            grade=position.grade if position else 1,
            email=email or "",
            roles=[Role.HR_ADMIN],
        )
        user = employee.user
    user.groups.add(Group.objects.get(name=Role.HR_ADMIN))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user, created
