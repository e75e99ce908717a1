"""Closing a crisis: outcome, milestone durations, review findings and credited responders."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, ValidationFailed
from hrcore.models import Employee
from hrcore.services.outbox import outbox_enqueue
from hrcore.text import check_length

from .. import events, metrics
from ..choices import (
    TASK_OPEN_STATES,
    CrisisStatus,
    TaskStatus,
    TimerState,
)
from ..hooks import closure_recognition
from ..models import (
    OUTCOME_MAX_LENGTH,
    Crisis,
)
from ..selectors.people import crisis_people
from ..task_state import task_late
from .board import crisis_board_flags_refresh
from .common import event_message, lock_managed
from .drill_results import drill_results_record
from .obligations import obligations_stop_drill
from .progress import all_info_refresh

logger = logging.getLogger(__name__)


def _crisis_metrics(crisis: Crisis) -> metrics.Durations:
    return metrics.milestone_durations(
        filed_at=crisis.filed_at,
        first_response_at=crisis.first_response_at,
        all_info_at=crisis.all_info_at,
        decided_at=crisis.decided_at,
        resolved_at=crisis.closed_at,
    )


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _closure_credits(
    crisis: Crisis, credited: list[Employee] | None, *, people: dict[int, Employee]
) -> tuple[list[Employee], dict[str, list[str]]]:
    """Who earns a star: the closer's choice, each of whom took part; by default the filer and
    everyone who delivered on time."""
    if credited is None:
        return credited_employees(crisis), {}
    chosen: dict[int, Employee] = {}
    strangers = []
    for employee in credited:
        if employee is None or employee.pk not in people:
            strangers.append(getattr(employee, "name", "") or "?")
        else:
            chosen[employee.pk] = people[employee.pk]
    if strangers:
        message = _("%(names)s did not take part in this crisis.") % {"names": ", ".join(strangers)}
        return [], {"credited": [message]}
    return list(chosen.values()), {}


def _closure_findings(
    crisis: Crisis, findings: list[dict] | None, *, people: dict[int, Employee]
) -> tuple[list[dict], dict[str, list[str]]]:
    """The weaknesses the closer found, validated: a person who took part and a competency the
    competency app knows (in that person's framework, else a published one)."""
    recognition = closure_recognition()
    valid: list[dict] = []
    errors: dict[str, list[str]] = {}
    for index, finding in enumerate(findings or []):
        finding = finding or {}
        try:
            employee = people.get(int(finding.get("employee_id")))
        except (TypeError, ValueError):
            employee = None
        code = str(finding.get("competency") or "").strip()
        note = str(finding.get("note") or "").strip()
        if employee is None:
            errors[f"findings[{index}].employee_id"] = [
                _("Name someone who took part in this crisis.")
            ]
        if not code:
            errors[f"findings[{index}].competency"] = [_("Name the competency.")]
        elif employee is not None and (
            recognition is None or not recognition.competency_known(code, employee)
        ):
            errors[f"findings[{index}].competency"] = [
                _("Unknown competency “%(code)s”.") % {"code": code}
            ]
        if len(note) > 1000:
            errors[f"findings[{index}].note"] = [_("At most 1000 characters.")]
        if employee is not None and f"findings[{index}].competency" not in errors:
            valid.append(
                {
                    "employee_id": employee.pk,
                    "competency": code,
                    "note": note or f"crisis #{crisis.pk}",
                }
            )
    return valid, errors


def _breach_findings(crisis: Crisis) -> list[dict]:
    """A finding per competency of each duty whose deadline was missed. Codes the competency app
    does not know (maps and competency models are edited separately, and the demo closes crises
    before any framework exists) are left out rather than refusing the closure."""
    recognition = closure_recognition()
    if recognition is None:
        return []
    found = []
    for task in (
        crisis.tasks.exclude(breached_at=None)
        .exclude(assignee=None)
        .select_related("duty", "assignee")
        .order_by("order", "id")
    ):
        for code in (task.duty.competencies if task.duty_id else None) or []:
            if not recognition.competency_known(code, task.assignee):
                logger.info("crisis %s: finding on unknown competency %s skipped", crisis.pk, code)
                continue
            found.append(
                {
                    "employee_id": task.assignee_id,
                    "competency": code,
                    "note": f"{task.duty_code}: deadline missed in crisis #{crisis.pk}",
                }
            )
    return found


@transaction.atomic
def crisis_close(
    *,
    crisis: Crisis,
    outcome: str,
    lessons: str = "",
    actor,
    status: str = CrisisStatus.RESOLVED,
    credited: list[Employee] | None = None,
    findings: list[dict] | None = None,
) -> Crisis:
    """Resolve (or cancel) the crisis with its outcome and lessons; compute the metrics from the
    timeline; award a resilience star to each person ``credited`` (default:
    ``credited_employees``); record the weaknesses ``findings`` (``{"employee_id", "competency",
    "note"}``) plus one per competency of each breached duty as competency review evidence.

    Everything is validated before anything is written (people must have taken part, competencies
    must exist) and written in this one transaction: a refusal leaves the crisis open with no star
    and no finding. A cancelled crisis earns no star and records no finding."""
    crisis = lock_managed(
        crisis,
        actor,
        refusal=_("Only the crisis owner, managers and executives can close it."),
        related=("unit",),
    )
    if crisis.status != CrisisStatus.OPEN:
        raise Conflict(_("The crisis is already closed."), code="crisis_closed")
    outcome = (outcome or "").strip()
    errors: dict = {}
    if status not in (CrisisStatus.RESOLVED, CrisisStatus.CANCELLED):
        errors["status"] = _("Close as resolved or cancelled.")
    if not outcome:
        errors["outcome"] = _("Record the outcome.")
    lessons = (lessons or "").strip()
    check_length(errors, "outcome", outcome, OUTCOME_MAX_LENGTH)
    check_length(errors, "lessons", lessons, OUTCOME_MAX_LENGTH)
    resolved = status == CrisisStatus.RESOLVED
    if not resolved and (credited or findings):
        errors["status"] = _("A cancelled crisis earns no stars and records no weaknesses.")
    elif crisis.is_drill and (credited or findings):
        errors["status"] = _(
            "A drill earns no stars and records no review findings: its results go to the drill"
            " report."
        )
    people = {e.pk: e for e in crisis_people(crisis)}
    stars_for, credit_errors = _closure_credits(crisis, credited, people=people)
    closer_findings, finding_errors = _closure_findings(crisis, findings, people=people)
    errors.update(credit_errors)
    errors.update(finding_errors)
    if errors:
        raise ValidationFailed(_("The crisis cannot be closed."), errors=errors)
    # A drill's evidence goes through the drill route (crisis_finish → drill results), never
    # as resilience stars or real review findings.
    recognised = resolved and not crisis.is_drill
    if not recognised:
        stars_for = []
    review = [*closer_findings, *_breach_findings(crisis)] if recognised else []
    crisis = crisis_finish(
        crisis,
        status=status,
        outcome=outcome,
        lessons=lessons,
        actor=actor,
        credited_ids=[e.pk for e in stars_for],
        findings=closer_findings if recognised else [],
    )
    if recognised:
        _recognise(crisis, stars_for=stars_for, findings=review, actor=actor)
    return crisis


@transaction.atomic
def crisis_finish(
    crisis: Crisis,
    *,
    status: str,
    outcome: str,
    actor,
    lessons: str = "",
    reason: str = "crisis closed",
    credited_ids: list[int] | None = None,
    findings: list[dict] | None = None,
    event_data: dict | None = None,
) -> Crisis:
    """The writes every closure shares, on a crisis the caller locked and checked (closing it,
    stopping a drill): open tasks cancelled with their timers stopped (``reason`` on the
    timeline), a drill's statutory clocks stopped, the outcome, the milestone metrics, the
    drill's results as competency evidence, the crisis.closed event."""
    now = timezone.now()
    open_tasks = list(
        crisis.tasks.filter(status__in=TASK_OPEN_STATES).select_related("crisis", "duty")
    )
    for task in open_tasks:
        task.status = TaskStatus.CANCELLED
        task.timer_state = TimerState.STOPPED
        task.escalate_at = None
        task.save(update_fields=["status", "timer_state", "escalate_at"])
        events.task_cancelled_event(task=task, actor=actor, reason=reason)
    if open_tasks:
        all_info_refresh(crisis)
    if crisis.is_drill:  # a drill's legal clocks are make-believe: none may breach on the record
        obligations_stop_drill(crisis, actor=actor, reason=reason, at=now)
    crisis.status = status
    crisis.outcome = outcome
    crisis.lessons = lessons
    crisis.closed_at = now
    crisis.closed_by = actor
    events.crisis_closed_event(
        crisis=crisis, actor=actor, credited_ids=credited_ids or [], findings=findings or []
    )
    durations = _crisis_metrics(crisis)
    crisis.first_response_seconds = _seconds(durations.first_response)
    crisis.all_info_seconds = _seconds(durations.all_information)
    crisis.decision_seconds = _seconds(durations.decision)
    crisis.resolution_seconds = _seconds(durations.resolution)
    crisis.breach_count = crisis.tasks.exclude(breached_at=None).count()
    crisis.save()
    if crisis.is_drill:  # a drill's timings and decisions become competency evidence (issue 16)
        drill_results_record(crisis, actor=actor)
    outbox_enqueue(
        **event_message(
            crisis,
            "crisis.closed",
            {
                "status": crisis.status,
                "outcome": crisis.outcome,
                "metrics": {
                    "first_response_seconds": crisis.first_response_seconds,
                    "all_info_seconds": crisis.all_info_seconds,
                    "decision_seconds": crisis.decision_seconds,
                    "resolution_seconds": crisis.resolution_seconds,
                    "breach_count": crisis.breach_count,
                },
                **(event_data or {}),
            },
            key=crisis.pk,
        )
    )
    crisis_board_flags_refresh([crisis.pk])
    return crisis


def credited_employees(crisis: Crisis, now=None) -> list[Employee]:
    """Who earns a resilience star by default: the filer and everyone who delivered on time —
    minus anyone who missed a deadline of this crisis (breach fired, delivered late, or still
    open past the due time): the closer may still tick them, the form does not pre-select them."""
    now = now or timezone.now()
    tasks = list(crisis.tasks.select_related("assignee"))
    late_ids = {t.assignee_id for t in tasks if t.assignee_id and task_late(t, now)}
    people: dict[int, Employee] = {}
    if crisis.filed_by_id:
        filer = Employee.objects.filter(user_id=crisis.filed_by_id).first()
        if filer is not None:
            people[filer.pk] = filer
    for task in tasks:
        if task.status == TaskStatus.DONE and task.assignee is not None:
            people[task.assignee.pk] = task.assignee
    return [e for pk, e in people.items() if pk not in late_ids]


def _recognise(crisis: Crisis, *, stars_for: list[Employee], findings: list[dict], actor) -> None:
    """Stars and review findings of a resolved crisis, validated beforehand; written in the
    closure's transaction (a failure here rolls the closure back, nothing is half-recorded)."""
    recognition = closure_recognition()
    if recognition is None:
        return
    for employee in stars_for:
        recognition.star_award(employee=employee, crisis=crisis, actor=actor)
    if findings:
        recognition.findings_record(crisis=crisis, findings=findings, actor=actor)
