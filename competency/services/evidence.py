"""The evidence ledger: recorded evidence and manager ratings."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.selectors import employee_of, is_hr_admin

from ..choices import (
    EvidenceKind,
)
from ..models import (
    Evidence,
    SimulationRun,
)
from ..selectors import (
    competency_for_code,
    scale_values,
)
from .assignments import gap_pushes_for
from .guards import _as_employee

NOTE_MAX_LENGTH = 2000  # evidence notes: a remark, not a report


# --- evidence ledger --------------------------------------------------------------------------


@transaction.atomic
def evidence_record(
    *,
    employee: Employee | int,
    competency_code: str,
    level: int,
    kind: str,
    actor,
    source: str = "",
    note: str = "",
    score: float | None = None,
    observed_at: datetime | None = None,
    source_key: str | None = None,
    run: SimulationRun | None = None,
    push: bool = True,
) -> tuple[Evidence, bool]:
    """Append one evidence row (never updated); idempotent per ``source_key``.

    Returns ``(row, created)``. A replayed key with different content is a conflict.
    """
    employee = _as_employee(employee)
    errors: dict[str, list[str]] = {}
    if kind not in EvidenceKind.values:
        errors["kind"] = [_("Unknown evidence kind.")]
    competency = competency_for_code(competency_code, employee)
    if competency is None:
        errors["competency"] = [_("Unknown competency “%(code)s”.") % {"code": competency_code}]
    else:
        values = scale_values(competency.framework)
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = -1
        if level not in values:
            errors["level"] = [
                _("Level must be one of %(levels)s.") % {"levels": ", ".join(map(str, values))}
            ]
    if score is not None and not (0 <= float(score) <= 100):
        errors["score"] = [_("A score lies between 0 and 100.")]
    if len(note or "") > NOTE_MAX_LENGTH:
        errors["note"] = [_("A note has at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]
    observed_at = observed_at or timezone.now()
    if observed_at > timezone.now() + timedelta(minutes=5):
        errors["observed_at"] = [_("Evidence cannot come from the future.")]
    if errors:
        raise ValidationFailed(_("The evidence is not valid."), errors=errors)
    if source_key:
        existing = Evidence.objects.filter(source_key=source_key).first()
        if existing is not None:
            if (
                existing.employee_id != employee.pk
                or existing.competency_code != competency_code
                or existing.level != level
            ):
                raise Conflict(_("This key was already used for different evidence."))
            return existing, False
    try:
        with transaction.atomic():
            row = Evidence.objects.create(
                employee=employee,
                competency=competency,
                competency_code=competency_code,
                level=level,
                score=score,
                kind=kind,
                source=source[:200],
                source_key=source_key or None,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                observed_at=observed_at,
                note=note,
                run=run,
            )
    except IntegrityError as exc:  # a concurrent writer used the same key first
        existing = Evidence.objects.filter(source_key=source_key).first()
        if existing is None:
            raise Conflict(_("The evidence could not be recorded.")) from exc
        return existing, False
    if push:
        gap_pushes_for(employee=employee, now=timezone.now())
    return row, True


def manager_rating_record(
    *, employee: Employee, competency_code: str, level: int, actor, note: str = ""
) -> Evidence:
    """A manager rates a direct report (HR admins may rate anyone): one ledger row."""
    me = employee_of(actor) if actor is not None else None
    if not (is_hr_admin(actor) or (me is not None and employee.manager_id == me.pk)):
        raise PermissionDenied(_("Only the person's manager or an HR admin can rate them."))
    row, _created = evidence_record(
        employee=employee,
        competency_code=competency_code,
        level=level,
        kind=EvidenceKind.MANAGER_RATING,
        source=f"rating by {actor.username}",
        note=note,
        actor=actor,
    )
    return row
