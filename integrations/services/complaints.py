"""HR↔CRM complaints: recording a customer complaint against its account owner."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer
from hrcore.errors import ValidationFailed
from hrcore.notification_kinds import both
from hrcore.services.notifications import notification_send
from hrcore.services.performance import performance_event_record

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
