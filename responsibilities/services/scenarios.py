"""Writes to the scenario catalogue."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from hrcore.audit import AuditAction, audit
from hrcore.errors import ValidationFailed
from hrcore.text import check_length

from ..choices import Severity
from ..models import Scenario
from .common import MAX_TEXT, MAX_TITLE, SLUG_RE, first_problem, require_hr_admin


@transaction.atomic
def scenario_create(
    *,
    code: str,
    name_zh: str,
    name_en: str,
    description_zh: str = "",
    description_en: str = "",
    default_severity: str = Severity.MEDIUM,
    trigger_notes_zh: str = "",
    trigger_notes_en: str = "",
    actor,
) -> Scenario:
    """Add a scenario to the catalogue."""
    require_hr_admin(actor)
    errors: dict[str, str] = {}
    code = (code or "").strip()
    if not code:
        errors["code"] = _("This field is required.")
    elif not SLUG_RE.match(code) or len(code) > 64:
        errors["code"] = _("Use at most 64 letters, digits, hyphens or underscores.")
    elif Scenario.objects.filter(code=code).exists():
        errors["code"] = _("A scenario with code “%(code)s” already exists.") % {"code": code}
    if not (name_zh or "").strip() and not (name_en or "").strip():
        errors["name_en"] = _("Give the scenario a name in at least one language.")
    for key, value in (("name_zh", name_zh), ("name_en", name_en)):
        check_length(errors, key, value, MAX_TITLE)
    for key, value in (
        ("description_zh", description_zh),
        ("description_en", description_en),
        ("trigger_notes_zh", trigger_notes_zh),
        ("trigger_notes_en", trigger_notes_en),
    ):
        check_length(errors, key, value, MAX_TEXT)
    if default_severity not in Severity.values:
        errors["default_severity"] = _("Unknown severity “%(value)s”. Use one of: %(choices)s.") % {
            "value": default_severity,
            "choices": ", ".join(Severity.values),
        }
    if errors:
        raise ValidationFailed(
            first_problem(_("The scenario is not valid."), errors), errors=errors
        )
    scenario = Scenario.objects.create(
        code=code,
        name_zh=(name_zh or "").strip(),
        name_en=(name_en or "").strip(),
        description_zh=description_zh or "",
        description_en=description_en or "",
        default_severity=default_severity,
        trigger_notes_zh=trigger_notes_zh or "",
        trigger_notes_en=trigger_notes_en or "",
    )
    audit(scenario, AuditAction.CREATE, changes={"code": [None, code]}, actor=actor)
    return scenario
