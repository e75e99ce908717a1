"""HR↔CRM complaints: recording a customer complaint against its account owner (its points count
on the owner's performance record from the moment it is recorded — seed 003: "客户投诉能自动流转至
对应负责人及其上级,并关联绩效考核"), and its outcome, decided by the owner's supervisor or HR."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crisis.services.complaint_outcomes import complaint_outcome_decide, complaint_outcome_notify
from customers.models import Customer
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.notification_kinds import both
from hrcore.selectors import person_page_access
from hrcore.services.notifications import notification_send
from hrcore.services.performance import performance_event_record, performance_event_reverse

from ..choices import ComplaintOutcome
from ..models import (
    Complaint,
)

# --- HR ↔ CRM: complaints and commission ---------------------------------------------------

COMPLAINT_POINTS = {"low": -1, "medium": -2, "high": -3, "critical": -5}


@transaction.atomic
def complaint_record(
    *,
    customer: Customer,
    external_id: str,
    severity: str = "medium",
    summary_zh: str = "",
    summary_en: str = "",
    actor=None,
) -> Complaint:
    """Record a complaint against the account owner's performance and route it to the owner and
    their supervisor (idempotent per external id)."""
    if not external_id:
        raise ValidationFailed(_("The complaint needs an id."), errors={"id": _("Required.")})
    if severity not in COMPLAINT_POINTS:
        raise ValidationFailed(
            _("Unknown severity."), errors={"severity": ", ".join(COMPLAINT_POINTS)}
        )
    existing = Complaint.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    owner = customer.account_owner
    supervisor = owner.manager if owner else None
    complaint = Complaint.objects.create(
        external_id=external_id,
        customer=customer,
        employee=owner,
        supervisor=supervisor,
        severity=severity,
        summary_zh=summary_zh,
        summary_en=summary_en,
        performance_points=COMPLAINT_POINTS[severity] if owner else 0,
    )
    event = performance_event_record(  # to the performance partner, once per complaint
        employee=owner,
        kind="complaint",
        variant=severity,
        source_key=f"complaint:{complaint.external_id}",
        summary=(f"客户投诉 {external_id}", f"Customer complaint {external_id}"),
        link=f"/integrations/customers/{customer.external_id}/",
    )
    if event is not None and event.points != complaint.performance_points:  # HR's rule counts
        complaint.performance_points = event.points
        complaint.save(update_fields=["performance_points"])
    for person, role in ((owner, "owner"), (supervisor, "supervisor")):
        if person is None:
            continue
        notification_send(
            recipient=person.user,
            kind="complaint",
            params={
                "customer": both(customer, "name"),
                "severity": severity,
                "summary": {"zh": summary_zh, "en": summary_en},
            },
            link=f"/integrations/customers/{customer.external_id}/",
            dedupe_key=f"complaint:{complaint.pk}:{role}",
        )
    return complaint


def may_decide_complaint(user, complaint: Complaint) -> bool:
    """The owner's supervisor chain and HR admins decide a complaint's outcome — never the owner."""
    if complaint.employee is None:
        return False
    return person_page_access(user, complaint.employee).decides_complaints


@transaction.atomic
def complaint_outcome_record(
    *, complaint: Complaint, outcome: str, actor, note: str = ""
) -> Complaint:
    """Decide an open complaint: resolved or upheld keep its points on the owner's record;
    dismissed (a reason is required) takes them back with a compensating performance event,
    sent to the partner like the first. The owner and their supervisor are told (not whoever
    decided). Deciding it the same way again changes nothing; a complaint already decided
    otherwise is a conflict."""
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("employee__user", "employee__unit", "supervisor__user", "customer")
        .get(pk=complaint.pk)
    )
    if not may_decide_complaint(actor, complaint):
        raise PermissionDenied(_("Only the owner's supervisor or HR decide a complaint."))
    note = complaint_outcome_decide(complaint, outcome=outcome, note=note, actor=actor)
    if note is None:
        return complaint
    if outcome == ComplaintOutcome.DISMISSED:
        performance_event_reverse(
            source_key=f"complaint:{complaint.external_id}",
            summary=(
                f"客户投诉不成立 {complaint.external_id}",
                f"Customer complaint dismissed {complaint.external_id}",
            ),
        )
    complaint_outcome_notify(
        employee=complaint.employee,
        supervisor=complaint.supervisor,
        actor=actor,
        outcome=outcome,
        note=note,
        about={"customer": both(complaint.customer, "name")},
        link=f"/integrations/customers/{complaint.customer.external_id}/",
        dedupe_key=f"complaint:{complaint.pk}",
    )
    return complaint
