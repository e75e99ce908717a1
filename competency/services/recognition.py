"""Recognition awards and crisis reviews turned into evidence."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.models import Crisis
from hrcore.errors import ValidationFailed
from hrcore.models import Employee
from hrcore.notification_kinds import both
from hrcore.services.notifications import notification_send
from hrcore.services.performance import performance_event_record

from ..choices import (
    AssignmentReason,
    EvidenceKind,
    RecognitionKind,
)
from ..models import (
    Evidence,
    RecognitionEntry,
)
from ..selectors import (
    competency_for_code,
    current_levels,
    profile_for,
    scale_values,
)
from .assignments import assignment_create, simulation_for_competency
from .evidence import evidence_record
from .guards import as_employee

# --- recognition and crisis reviews -----------------------------------------------------------


@transaction.atomic
def recognition_award(
    *,
    employee: Employee | int,
    kind: str,
    source_key: str,
    stars: int = 1,
    reason: tuple[str, str],
    actor: AbstractBaseUser | None = None,
) -> RecognitionEntry | None:
    """Add resilience stars once per (employee, source_key); None when already awarded."""
    employee = as_employee(employee)
    if kind not in RecognitionKind.values:
        raise ValidationFailed(
            _("Unknown recognition kind."),
            errors={"kind": [_("“%(kind)s” is not a recognition kind.") % {"kind": kind}]},
        )
    if not source_key:
        raise ValidationFailed(
            _("A source key is required."),
            errors={"source_key": [_("Give the key that identifies the source event.")]},
        )
    if int(stars) < 1 or int(stars) > 5:
        raise ValidationFailed(
            _("Between 1 and 5 stars."), errors={"stars": [_("Give 1 to 5 stars.")]}
        )
    if RecognitionEntry.objects.filter(employee=employee, source_key=source_key).exists():
        return None
    try:
        with transaction.atomic():
            entry = RecognitionEntry.objects.create(
                employee=employee,
                kind=kind,
                source_key=source_key[:200],
                stars=int(stars),
                reason_zh=(reason[0] or reason[1])[:300],
                reason_en=(reason[1] or reason[0])[:300],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return None
    performance_event_record(
        employee=employee,
        kind="star",
        source_key=f"star:{entry.pk}",
        summary=(entry.reason_zh, entry.reason_en),
        link=reverse("competency:recognition"),
        count=entry.stars,
    )
    notification_send(
        recipient=employee.user,
        kind="training.recognition",
        params={"stars": entry.stars, "reason": both(entry, "reason")},
        link=reverse("competency:recognition"),
        dedupe_key=f"competency:recognition:{entry.pk}",
        email=False,
    )
    return entry


def _crisis_scenario_code(crisis_id: int) -> str:
    """The scenario code of the reviewed crisis ("" when there is no such crisis)."""
    code = Crisis.objects.filter(pk=crisis_id).values_list("scenario__code", flat=True).first()
    return code or ""


@transaction.atomic
def crisis_review_record(*, crisis_id: int, findings: list[dict], actor) -> int:
    """Record the weaknesses a closed crisis revealed: one real-crisis-review evidence row per
    (crisis, employee, competency), one level below the required (or current) level, and a
    post-crisis simulation for each person. Idempotent; returns the number of new rows."""
    errors: dict[str, list[str]] = {}
    prepared = []
    for index, finding in enumerate(findings or []):
        employee = Employee.objects.filter(pk=finding.get("employee_id")).first()
        code = finding.get("competency") or ""
        competency = competency_for_code(code, employee) if employee else None
        if employee is None:
            errors[f"findings[{index}].employee_id"] = [_("Unknown employee.")]
        elif competency is None:
            errors[f"findings[{index}].competency"] = [_("Unknown competency.")]
        else:
            prepared.append((employee, competency, str(finding.get("note", ""))))
    if errors:
        raise ValidationFailed(_("The crisis review is not valid."), errors=errors)
    scenario_code = _crisis_scenario_code(crisis_id)
    created = 0
    now = timezone.now()
    for employee, competency, note in prepared:
        key = f"crisis:{crisis_id}:{employee.pk}:{competency.code}"
        if Evidence.objects.filter(source_key=key).exists():
            continue  # already reviewed: replaying the closure changes nothing
        values = scale_values(competency.framework)
        current = current_levels(employee).get(competency.code, {}).get("level")
        required = None
        profile = profile_for(employee)
        if profile is not None:
            requirement = profile.requirements.filter(competency__code=competency.code).first()
            required = requirement.required_level if requirement else None
        basis = min(x for x in (current, required) if x is not None) if (current or required) else 2
        level = max(min(values), basis - 1)
        _row, was_new = evidence_record(
            employee=employee,
            competency_code=competency.code,
            level=level,
            kind=EvidenceKind.CRISIS_REVIEW,
            source=f"crisis #{crisis_id}",
            source_key=key,
            note=note,
            actor=actor,
            observed_at=now,
            push=False,
        )
        created += int(was_new)
        simulation = simulation_for_competency(
            competency.code, [scenario_code] if scenario_code else []
        )
        if simulation is not None:
            assignment_create(
                employee=employee,
                simulation=simulation,
                reason=AssignmentReason.POST_CRISIS,
                source_key=f"post-crisis:{crisis_id}:{employee.pk}:{simulation.code}",
                actor=actor,
                due_at=now + timedelta(days=7),
                note=f"#{crisis_id} {competency.name_zh}",
                now=now,
            )
    return created
