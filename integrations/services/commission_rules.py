"""Commission rules: HR admins set rates by grade, product line and period (no overlaps for the
same grade and product line), and preview a change's effect on last month's paid orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.audit import AuditAction, audit
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.selectors import is_hr_admin

from .. import commission as arithmetic
from ..models import CommissionRule, Order

MAX_RATE = Decimal("0.5000")


def as_rule(row: CommissionRule) -> arithmetic.Rule:
    return arithmetic.Rule(
        grade=row.grade,
        product_line=row.product_line,
        rate=row.rate,
        start=row.effective_from,
        end=row.effective_to,
        id=row.pk,
    )


def rules_for(grades) -> list[arithmetic.Rule]:
    """The configured rules of the grades (one query)."""
    return [as_rule(r) for r in CommissionRule.objects.filter(grade__in=set(grades))]


def rule_check(
    *,
    grade,
    product_line: str,
    rate,
    effective_from: date | None,
    effective_to: date | None,
    rule_id: int | None = None,
) -> arithmetic.Rule:
    """A valid proposed rule, or ``ValidationFailed`` (400) naming the problem: a grade from 1,
    a rate from 0 to 50 %, a start before the end, no overlap with another rule of the grade and
    product line."""
    errors: dict[str, str] = {}
    try:
        grade = int(grade)
        if grade < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["grade"] = _("A whole number from 1.")
    try:
        rate = Decimal(str(rate)).quantize(Decimal("0.0001"))
        if not rate.is_finite() or not Decimal("0") <= rate <= MAX_RATE:
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        errors["rate"] = _("A rate from 0 to 0.5 (50 %).")
    if effective_from is None:
        errors["effective_from"] = _("Required.")
    elif effective_to is not None and effective_to <= effective_from:
        errors["effective_to"] = _("After the start date.")
    product_line = (product_line or "").strip()[:64]
    if errors:
        raise ValidationFailed(_("The commission rule is not valid."), errors=errors)
    proposed = arithmetic.Rule(grade, product_line, rate, effective_from, effective_to, rule_id)
    others = CommissionRule.objects.filter(grade=grade, product_line=product_line)
    if rule_id:
        others = others.exclude(pk=rule_id)
    for other in others:
        if arithmetic.overlaps(proposed, as_rule(other)):
            raise ValidationFailed(
                _(
                    "The rule overlaps the rule of grade %(grade)s and the same product line in "
                    "force from %(start)s to %(end)s."
                )
                % {
                    "grade": grade,
                    "start": other.effective_from.isoformat(),
                    "end": other.effective_to.isoformat() if other.effective_to else "…",
                },
                errors={"effective_from": _("Overlaps another rule.")},
            )
    return proposed


@transaction.atomic
def rule_save(*, actor, rule_id: int | None = None, **values) -> CommissionRule:
    """Create (or change) a commission rule; HR admins only."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins set commission rules."))
    proposed = rule_check(rule_id=rule_id, **values)
    # Lock the grade's rules, then check again: two saves at once cannot both pass the overlap
    # check (on PostgreSQL; SQLite serialises writers anyway).
    list(CommissionRule.objects.select_for_update().filter(grade=proposed.grade))
    proposed = rule_check(rule_id=rule_id, **values)
    row = CommissionRule.objects.filter(pk=rule_id).first() if rule_id else CommissionRule()
    if row is None:
        raise ValidationFailed(_("No such commission rule."))
    row.grade, row.product_line, row.rate = proposed.grade, proposed.product_line, proposed.rate
    row.effective_from, row.effective_to = proposed.start, proposed.end
    row.created_by = row.created_by or actor
    row.save()
    audit(
        row,
        AuditAction.CREATE if not rule_id else AuditAction.UPDATE,
        changes={"rate": ["", str(row.rate)]},
        actor=actor,
    )
    return row


def last_month_orders(today: date | None = None) -> list[arithmetic.PaidOrder]:
    """Last month's paid orders with an owner (one query)."""
    start, end = arithmetic.previous_month(today or timezone.localdate())
    rows = Order.objects.filter(
        status="paid",
        owner__isnull=False,
        paid_at__date__gte=start,
        paid_at__date__lt=end,
    ).values_list("owner_id", "owner__grade", "product_line", "amount", "paid_at")
    return [
        arithmetic.PaidOrder(owner, grade, line, amount, timezone.localdate(paid_at))
        for owner, grade, line, amount, paid_at in rows
    ]


def rule_preview(*, actor, rule_id: int | None = None, today: date | None = None, **values):
    """What last month's paid orders would have earned under the proposed rule, against the rules
    in force: per person and in total. Nothing is written."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins set commission rules."))
    proposed = rule_check(rule_id=rule_id, **values)
    orders = last_month_orders(today)
    current = rules_for({o.grade for o in orders} | {proposed.grade})
    return arithmetic.preview(orders, current, proposed)
