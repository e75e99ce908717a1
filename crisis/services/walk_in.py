"""Complaints as they happen in a store (issue 17 §6): a customer complaint about a walk-in
consumer — no company record, only their name, phone and what they bought — naming the employee
responsible. Filed like any crisis (``filing.crisis_file``) in the same transaction as the
consumer's row; the named employee and their supervisor take part in the crisis and are told.
The complaint counts on the named employee's performance record exactly like a complaint about a
company customer (seed 003: "客户投诉能自动流转至对应负责人及其上级,并关联绩效考核"), and the
map's supervisor review goes to that employee's own supervisor."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hrcore.contact import validate_mobile
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Employee, OrgUnit
from hrcore.notification_kinds import person
from hrcore.selectors import employees_visible_to, person_page_access
from hrcore.services.notifications import notification_send
from hrcore.services.performance import performance_event_record, performance_event_reverse
from hrcore.text import has_line_break

from .. import events
from ..choices import (
    ComplaintOutcome,
    CrisisSource,
    DeliverableKind,
    ParticipantRole,
    TaskStatus,
)
from ..models import (
    WALK_IN_NAME_MAX_LENGTH,
    WALK_IN_PURCHASE_MAX_LENGTH,
    Crisis,
    CrisisParticipant,
    Task,
    WalkInConsumer,
)
from ..selectors.walk_in import walk_in_source_key
from .board import crisis_board_flags_refresh
from .common import crisis_link, drill_marked
from .complaint_outcomes import complaint_outcome_decide, complaint_outcome_notify
from .filing import crisis_file

# The scenario whose crises may concern a walk-in consumer.
WALK_IN_SCENARIO = "customer-complaint"
# What people type between the digits of a phone number ("138 0013-8000", "(021) …").
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
# The map's duty where the supervisor reviews the case with the employee (the scenario library's
# customer-complaint); the map routes it by position (the unit's department manager), which for
# a walk-in complaint is the named employee's own supervisor.
SUPERVISOR_REVIEW_DUTY = "supervisor-review"


def walk_in_phone(text: str) -> str:
    """A phone number as typed → as stored: separators dropped, then checked like every mobile
    number Keel keeps (``hrcore.contact.validate_mobile``); raises ``ValidationError``."""
    phone = _PHONE_SEPARATORS.sub("", text or "")
    if not phone:
        raise ValidationError(_("Required."), code="required")
    validate_mobile(phone)
    return phone


def _responsible(actor, username: str) -> Employee | None:
    """The named employee: active and visible to the filer (``employees_visible_to``)."""
    if not username:
        return None
    people = (
        employees_visible_to(actor)
        if actor is not None
        else Employee.objects.filter(is_active=True)  # an automatic path: every active person
    )
    return people.filter(user__username=username).select_related("user", "manager__user").first()


def _check_line(errors: dict, field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = _("Required.")
    elif len(value) > limit:
        errors[field] = _("At most %(n)s characters.") % {"n": limit}
    elif has_line_break(value):
        errors[field] = _("One line, without line breaks.")
    return value


@transaction.atomic
def walk_in_complaint_file(
    *,
    title: str,
    consumer_name: str,
    consumer_phone: str,
    consumer_purchase: str,
    responsible: str,
    actor,
    description: str = "",
    unit: OrgUnit | None = None,
    severity: str | None = None,
    scenario: str = WALK_IN_SCENARIO,
    customer_external_id: str | None = None,
    source: str = CrisisSource.WEB,
    idempotency_key: str | None = None,
) -> Crisis:
    """File a customer complaint about a walk-in consumer. ``responsible`` is the user name of
    the employee responsible (active, visible to the filer). The consumer is never a company
    customer: naming one as well is refused, so no company's credit or debt reaches the
    complaint's dossier or response plan. Bad input raises ``ValidationFailed`` naming the field;
    nothing is written then. A replayed ``idempotency_key`` returns the crisis filed first."""

    errors: dict[str, str] = {}
    if scenario != WALK_IN_SCENARIO:
        errors["scenario"] = _("Only a customer complaint can concern a walk-in consumer.")
    if customer_external_id:
        errors["customer"] = _(
            "A walk-in consumer has no company record: leave the customer empty."
        )
    name = _check_line(errors, "consumer_name", consumer_name, WALK_IN_NAME_MAX_LENGTH)
    purchase = _check_line(
        errors, "consumer_purchase", consumer_purchase, WALK_IN_PURCHASE_MAX_LENGTH
    )
    phone = ""
    try:
        phone = walk_in_phone(consumer_phone)
    except ValidationError as exc:
        errors["consumer_phone"] = exc.messages[0]
    employee = _responsible(actor, (responsible or "").strip())
    if not (responsible or "").strip():
        errors["responsible"] = _("Required.")
    elif employee is None:
        errors["responsible"] = _("No active employee “%(username)s”.") % {
            "username": (responsible or "").strip()[:150]
        }
    if errors:
        raise ValidationFailed(_("The complaint cannot be filed."), errors=errors)

    crisis = crisis_file(
        scenario=scenario,
        title=title,
        description=description,
        unit=unit,
        severity=severity,
        actor=actor,
        source=source,
        idempotency_key=idempotency_key,
    )
    if WalkInConsumer.objects.filter(crisis=crisis).exists():
        return crisis  # a replay of the same filing
    supervisor = employee.manager if employee.manager_id else None
    walk_in = WalkInConsumer.objects.create(
        crisis=crisis,
        name=name,
        phone=phone,
        purchase=purchase,
        responsible=employee,
        supervisor=supervisor,
    )
    crisis.walk_in = walk_in
    people = [(employee, ParticipantRole.RESPONSIBLE, "responsible")]
    if supervisor is not None and supervisor.is_active and supervisor.pk != employee.pk:
        people.append((supervisor, ParticipantRole.ESCALATION, "supervisor"))
    # Taking part lets them open the crisis; a filer naming themselves keeps the filer's role.
    CrisisParticipant.objects.bulk_create(
        [CrisisParticipant(crisis=crisis, employee=p, role=role) for p, role, _r in people],
        ignore_conflicts=True,
    )
    _supervisor_review_to(crisis, supervisor, actor=actor)
    if not crisis.is_drill:  # a drill's complaint is practice, not a fact about the person
        performance_event_record(
            employee=employee,
            kind="complaint",
            variant=crisis.severity,
            source_key=walk_in_source_key(crisis.pk),
            summary=(f"门店客户投诉:{crisis.title}", f"Walk-in complaint: {crisis.title}"),
            link=crisis_link(crisis.pk),
        )
    for recipient, _role, as_whom in people:
        notification_send(
            recipient=recipient.user,
            kind="crisis.walk_in_complaint",
            params=drill_marked(
                crisis,
                {
                    "crisis_title": crisis.title,
                    "consumer": name,
                    "purchase": purchase,
                    "responsible": person(employee),
                    "as": as_whom,
                },
            ),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk},
            dedupe_key=f"crisis:{crisis.pk}:walk-in:{as_whom}",
        )
    return crisis


def _supervisor_review_to(crisis: Crisis, supervisor: Employee | None, *, actor) -> None:
    """The map's supervisor review, still waiting for its prerequisites, goes to the named
    employee's supervisor rather than to whoever the position resolved to. Only a waiting task
    that is not a decision moves; without an active supervisor the map's choice
    stands. Company complaints are not filed here, so their routing is the map's."""
    if supervisor is None or not supervisor.is_active:
        return
    task = (
        Task.objects.select_for_update()
        .filter(
            crisis=crisis,
            duty_code=SUPERVISOR_REVIEW_DUTY,
            status=TaskStatus.WAITING,
        )
        .exclude(deliverable_kind=DeliverableKind.DECISION)  # a decision stays with deciders
        .first()
    )
    if task is None or task.assignee_id == supervisor.pk:
        return
    previous, gap = task.assignee_id, task.assignee_gap
    task.assignee, task.assignee_gap = supervisor, False
    task.save(update_fields=["assignee", "assignee_gap"])
    events.task_reassigned_event(
        task=task,
        actor=actor,
        from_id=previous,
        to_id=supervisor.pk,
        delegated=False,
        reason="walk-in complaint: the responsible employee's supervisor",
    )
    if gap:
        crisis_board_flags_refresh([crisis.pk])


def may_decide_walk_in(user: AbstractBaseUser, walk_in: WalkInConsumer) -> bool:
    """Like a company complaint: the responsible employee's supervisor chain and HR admins
    decide its outcome — never the employee."""
    if walk_in.responsible is None:
        return False
    return person_page_access(user, walk_in.responsible).decides_complaints


@transaction.atomic
def walk_in_complaint_outcome_record(
    *, walk_in: WalkInConsumer, outcome: str, actor: AbstractBaseUser, note: str = ""
) -> WalkInConsumer:
    """Decide an open walk-in complaint as a company complaint is decided: resolved or upheld
    keep its points on the responsible employee's record; dismissed (a reason is required) takes
    them back with a compensating performance event (``performance_event_reverse``), sent to the
    partner like the first. The employee and their supervisor are told (not the decider).
    Deciding it the same way again changes nothing; decided otherwise is a conflict."""
    walk_in = (
        WalkInConsumer.objects.select_for_update(of=("self",))
        .select_related("crisis", "responsible__user", "responsible__unit", "supervisor__user")
        .get(pk=walk_in.pk)
    )
    if not may_decide_walk_in(actor, walk_in):
        raise PermissionDenied(
            _("Only the responsible employee's supervisor or HR decide a complaint.")
        )
    note = complaint_outcome_decide(walk_in, outcome=outcome, note=note, actor=actor)
    if note is None:
        return walk_in
    crisis = walk_in.crisis
    events.complaint_decided_event(crisis=crisis, actor=actor, outcome=outcome, note=note)
    if outcome == ComplaintOutcome.DISMISSED:  # a drill recorded nothing: nothing to take back
        performance_event_reverse(
            source_key=walk_in_source_key(crisis.pk),
            summary=(
                f"门店客户投诉不成立:{crisis.title}",
                f"Walk-in complaint dismissed: {crisis.title}",
            ),
        )
    complaint_outcome_notify(
        employee=walk_in.responsible,
        supervisor=walk_in.supervisor,
        actor=actor,
        outcome=outcome,
        note=note,
        about={"consumer": walk_in.name},
        link=crisis_link(crisis.pk),
        dedupe_key=f"crisis:{crisis.pk}:walk-in",
        drill=crisis.is_drill,
    )
    return walk_in
