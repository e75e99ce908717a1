"""Approved commissions to payroll: a CSV in the payroll system's shape and the payroll partner
(one pay line per commission, idempotent by its reference); a line accepted marks it paid."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.report import csv_safe
from hrcore.audit import AuditAction, audit
from hrcore.errors import Conflict, PermissionDenied
from hrcore.selectors import is_hr_admin

from .. import adapters
from ..choices import CommissionStatus
from ..models import Commission
from ..selectors import is_finance
from .partners import partner_for

CSV_COLUMNS = ("employee_number", "name", "period", "amount", "currency", "reference")


def reference_of(commission: Commission) -> str:
    return f"KEEL-COM-{commission.pk}"


def pay_line(commission: Commission) -> adapters.PayLine:
    employee = commission.employee
    return adapters.PayLine(
        reference=reference_of(commission),
        employee_number=employee.external_id or f"KEEL-{employee.pk}",
        name=employee.name_zh or employee.name_en,
        period=commission.period,
        amount=commission.amount,
        currency=commission.currency,
    )


def _require(actor) -> None:
    if not (is_finance(actor) or is_hr_admin(actor)):
        raise PermissionDenied(_("Finance and HR export commissions to payroll."))


def payable():
    return (
        Commission.objects.filter(status=CommissionStatus.APPROVED)
        .select_related("employee")
        .order_by("id")
    )


def payroll_csv(*, actor) -> str:
    """The approved commissions not yet paid, one row each, cells safe from formulas."""
    _require(actor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for commission in payable():
        line = pay_line(commission)
        # The amount is a number Keel formats (a reversal's minus sign included); every text
        # cell is made safe from spreadsheet formulas.
        writer.writerow(
            [
                str(line.amount) if column == "amount" else csv_safe(str(getattr(line, column)))
                for column in CSV_COLUMNS
            ]
        )
    return out.getvalue()


@dataclass
class PushResult:
    paid: int = 0
    failed: int = 0
    error: str = ""


def payroll_push(*, actor) -> PushResult:
    """Send every approved commission to the payroll partner; each accepted line marks its
    commission paid (with the partner's id). A failure stops the run; what was sent stays paid
    and a retry sends the rest (the partner answers a repeated reference with its first
    recording)."""
    _require(actor)
    partner = partner_for("payroll")
    if partner is None:
        raise Conflict(_("No payroll partner is configured."))
    adapter = adapters.adapter_for(partner.config())
    result = PushResult()
    for commission in list(payable()):
        try:
            receipt = adapter.submit(pay_line(commission))
        except adapters.AdapterError as exc:
            result.failed += 1
            result.error = str(exc)[:300]
            break
        with transaction.atomic():
            row = Commission.objects.select_for_update().get(pk=commission.pk)
            if row.status != CommissionStatus.APPROVED:
                continue
            row.status = CommissionStatus.PAID
            row.payroll_reference, row.exported_at = receipt.id, timezone.now()
            row.save(update_fields=["status", "payroll_reference", "exported_at"])
            audit(row, AuditAction.UPDATE, changes={"status": ["approved", "paid"]}, actor=actor)
        result.paid += 1
    return result
