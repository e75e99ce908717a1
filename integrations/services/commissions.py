"""HR↔CRM commission: a paid order earns its owner a pending commission at the rule in force when
it was paid (the owner is told at once); finance then HR approve or refuse it; a refunded or
cancelled order reverses it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from hrcore.audit import AuditAction, audit
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.notification_kinds import both
from hrcore.selectors import is_hr_admin
from hrcore.services.notifications import notification_send
from hrcore.services.performance import performance_event_record, performance_event_reverse

from .. import commission as arithmetic
from ..choices import CommissionStatus
from ..models import Commission, Order
from ..selectors import is_finance
from .commission_rules import rules_for

STATEMENT_LINK = "/integrations/commissions/statement/"
REVERSAL_REASONS = ("refunded", "cancelled")


def _amount(amount) -> Decimal:
    try:
        value = Decimal(str(amount))
        if value <= 0 or not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(
            _("The order amount is not valid."), errors={"amount": _("A positive amount.")}
        ) from None
    return value


def _notify_created(commission: Commission) -> None:
    order = commission.order
    notification_send(
        recipient=commission.employee.user,
        kind="commission.created",
        params={
            "currency": commission.currency,
            "amount": str(commission.amount),
            "order": order.external_id,
            "customer": both(order.customer, "name"),
            "rate_percent": str((commission.rate * 100).quantize(Decimal("0.01"))),
            "grade": commission.grade,
        },
        link=STATEMENT_LINK,
        dedupe_key=f"commission:{commission.pk}:created",
    )


@transaction.atomic
def order_mark_paid(
    *, customer: Customer, external_id: str, amount=None, product_line: str = "", actor=None
) -> Commission | None:
    """Record an order as paid; creates the owner's pending commission at the rule in force on
    the day it was paid (the default grade table when no rule covers it), once per order, and
    tells the owner."""
    if not external_id:
        raise ValidationFailed(_("The order needs an id."), errors={"order": _("Required.")})
    orders = Order.objects.select_for_update().filter(external_id=external_id)
    if customer is not None:  # a partner reverses only an order of the customer it names
        orders = orders.filter(customer=customer)
    order = orders.first()
    if order is None:
        order = Order.objects.create(
            external_id=external_id,
            customer=customer,
            owner=customer.account_owner,
            amount=_amount(amount),
            product_line=(product_line or "").strip()[:64],
        )
    if order.status in REVERSAL_REASONS:
        raise ValidationFailed(
            _("This order was refunded or cancelled."), errors={"order": external_id}
        )
    if order.status != "paid":
        order.status, order.paid_at = "paid", timezone.now()
        order.save(update_fields=["status", "paid_at"])
    if order.owner is None:
        return None
    existing = Commission.objects.filter(order=order, reverses__isnull=True).first()
    if existing is not None:
        return existing
    owner = order.owner
    day = timezone.localdate(order.paid_at)
    rule = arithmetic.rule_in_force(
        rules_for([owner.grade]), grade=owner.grade, product_line=order.product_line, day=day
    )
    rate = rule.rate if rule else arithmetic.rate_for_grade(owner.grade)
    commission = Commission.objects.create(
        order=order,
        employee=owner,
        rule_id=rule.id if rule else None,
        grade=owner.grade,
        rate=rate,
        amount=arithmetic.commission_amount(order.amount, rate),
        currency=order.currency,
        period=day.strftime("%Y-%m"),
    )
    _notify_created(commission)
    return commission


@transaction.atomic
def order_reverse(*, external_id: str, reason: str, actor=None, customer=None) -> Commission | None:
    """A refunded or cancelled order: its commission is reversed by a reversal row (the negative
    amount) and its owner told. A commission not yet paid out becomes ``reversed``; one already
    paid keeps ``paid`` and its reversal (approved) is deducted by the next payroll export.
    Repeating it changes nothing."""
    if reason not in REVERSAL_REASONS:
        raise ValidationFailed(
            _("A reversal is for a refunded or cancelled order."), errors={"reason": reason}
        )
    orders = Order.objects.select_for_update().filter(external_id=external_id)
    if customer is not None:  # a partner reverses only an order of the customer it names
        orders = orders.filter(customer=customer)
    order = orders.first()
    if order is None:
        raise ValidationFailed(_("Unknown order."), errors={"order": external_id})
    if order.status != reason:
        order.status = reason
        order.save(update_fields=["status"])
    original = (
        Commission.objects.select_for_update()
        .select_related("employee__user", "order")
        .filter(order=order, reverses__isnull=True)
        .first()
    )
    if original is None or original.status == CommissionStatus.REJECTED:
        return None
    if Commission.objects.filter(reverses=original).exists():
        return original.reversal
    paid = original.status == CommissionStatus.PAID
    reversal = Commission.objects.create(
        order=order,
        employee=original.employee,
        reverses=original,
        grade=original.grade,
        rate=original.rate,
        amount=-original.amount,
        currency=original.currency,
        period=timezone.localdate().strftime("%Y-%m"),
        status=CommissionStatus.APPROVED if paid else CommissionStatus.REVERSED,
    )
    if not paid:
        original.status = CommissionStatus.REVERSED
        original.save(update_fields=["status"])
    audit(original, AuditAction.UPDATE, changes={"reversed": ["", reason]}, actor=actor)
    # An approval counted on the performance record: the reversal takes its points back (a
    # compensating event, once); a commission reversed before approval counted nothing.
    performance_event_reverse(
        source_key=f"commission:{original.pk}",
        summary=(
            f"佣金冲销:订单 {order.external_id}",
            f"Commission reversed: order {order.external_id}",
        ),
    )
    notification_send(
        recipient=original.employee.user,
        kind="commission.reversed",
        params={
            "order": order.external_id,
            "currency": reversal.currency,
            "amount": str(reversal.amount),
            "reason": reason,
        },
        link=STATEMENT_LINK,
        dedupe_key=f"commission:{original.pk}:reversed",
    )
    return reversal


@transaction.atomic
def commission_approve(
    *, commission: Commission, actor, reject: bool = False, reason: str = ""
) -> Commission:
    """Finance approves first (a person of a finance unit), then an HR admin; either may refuse
    with a reason. The wrong role is refused (403); a step already taken is a conflict (409)."""
    commission = (
        Commission.objects.select_for_update()
        .select_related("order", "employee__user")
        .get(pk=commission.pk)
    )
    reason = (reason or "").strip()[:500]
    if reject and not reason:
        raise ValidationFailed(
            _("Say why the commission is refused."), errors={"reason": _("Required.")}
        )
    now = timezone.now()
    if commission.status == CommissionStatus.PENDING:
        if not is_finance(actor):
            raise PermissionDenied(_("Finance approves a commission first."))
        commission.finance_approved_by, commission.finance_approved_at = actor, now
        commission.status = (
            CommissionStatus.REJECTED if reject else CommissionStatus.FINANCE_APPROVED
        )
    elif commission.status == CommissionStatus.FINANCE_APPROVED:
        if not is_hr_admin(actor):
            if is_finance(actor):
                raise Conflict(_("Finance has already approved this commission."))
            raise PermissionDenied(_("HR approves a commission after finance."))
        commission.hr_approved_by, commission.hr_approved_at = actor, now
        commission.status = CommissionStatus.REJECTED if reject else CommissionStatus.APPROVED
    else:
        if not (is_finance(actor) or is_hr_admin(actor)):
            raise PermissionDenied(_("Finance and HR approve commissions."))
        raise Conflict(_("This commission is already decided."))
    commission.rejected_reason = reason if reject else ""
    commission.save()
    audit(
        commission,
        AuditAction.UPDATE,
        changes={"status": ["", commission.status]},
        actor=actor,
        data={"reason": reason} if reason else None,
    )
    if commission.status == CommissionStatus.APPROVED and commission.reverses_id is None:
        performance_event_record(
            employee=commission.employee,
            kind="commission",
            source_key=f"commission:{commission.pk}",
            summary=(
                f"佣金获批:订单 {commission.order.external_id}",
                f"Commission approved: order {commission.order.external_id}",
            ),
            link=STATEMENT_LINK,
        )
    if reject:
        notification_send(
            recipient=commission.employee.user,
            kind="commission.rejected",
            params={"order": commission.order.external_id, "reason": reason},
            link=STATEMENT_LINK,
            dedupe_key=f"commission:{commission.pk}:rejected",
        )
    return commission
