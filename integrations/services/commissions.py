"""HR↔CRM commission: orders marked paid and finance approving or rejecting commission."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.selectors import is_hr_admin

from ..choices import (
    CommissionStatus,
)
from ..commission import commission_amount, rate_for_grade
from ..models import (
    Commission,
    Customer,
    Order,
)
from ..selectors import is_finance


@transaction.atomic
def order_mark_paid(
    *, customer: Customer, external_id: str, amount=None, actor=None
) -> Commission | None:
    """Record an order as paid; creates the owner's pending commission at their grade's rate
    (once per order)."""
    if not external_id:
        raise ValidationFailed(_("The order needs an id."), errors={"order": _("Required.")})
    order = Order.objects.select_for_update().filter(external_id=external_id).first()
    if order is None:
        try:
            value = Decimal(str(amount))
            if value <= 0 or not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, TypeError):
            raise ValidationFailed(
                _("The order amount is not valid."), errors={"amount": _("A positive amount.")}
            ) from None
        order = Order.objects.create(
            external_id=external_id, customer=customer, owner=customer.account_owner, amount=value
        )
    if order.status != "paid":
        order.status, order.paid_at = "paid", timezone.now()
        order.save(update_fields=["status", "paid_at"])
    if order.owner is None:
        return None
    existing = Commission.objects.filter(order=order).first()
    if existing is not None:
        return existing
    rate = rate_for_grade(order.owner.grade)
    return Commission.objects.create(
        order=order,
        employee=order.owner,
        grade=order.owner.grade,
        rate=rate,
        amount=commission_amount(order.amount, rate),
        currency=order.currency,
    )


@transaction.atomic
def commission_approve(*, commission: Commission, actor, reject: bool = False) -> Commission:
    """Finance approves first, then HR; either may reject."""
    commission = Commission.objects.select_for_update().get(pk=commission.pk)
    now = timezone.now()
    if commission.status in (CommissionStatus.APPROVED, CommissionStatus.REJECTED):
        raise Conflict(_("This commission is already decided."))
    if commission.status == CommissionStatus.PENDING:
        if not is_finance(actor):
            raise PermissionDenied(_("Finance approves a commission first."))
        commission.finance_approved_by, commission.finance_approved_at = actor, now
        commission.status = (
            CommissionStatus.REJECTED if reject else CommissionStatus.FINANCE_APPROVED
        )
    else:
        if not is_hr_admin(actor):
            raise PermissionDenied(_("HR approves a commission after finance."))
        commission.hr_approved_by, commission.hr_approved_at = actor, now
        commission.status = CommissionStatus.REJECTED if reject else CommissionStatus.APPROVED
    commission.save()
    LogEntry.objects.log_create(
        commission,
        action=LogEntry.Action.UPDATE,
        changes={"status": ["", commission.status]},
        force_log=True,
        actor=actor,
    )
    return commission
