"""Payroll systems: commissions (and their reversals) handed over as pay lines, once each.

The interface, its record and the keel-rest implementation the sandbox speaks. Like every
adapter: typed records, timeouts, retries on transient errors and the partner's circuit breaker
(through ``HttpClient``); never the ORM."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .base import register
from .interfaces import Adapter
from .records import Record


@dataclass(frozen=True)
class PayLine:
    """What Keel hands to payroll for one commission (negative for a reversal)."""

    reference: str  # Keel's id of the commission: the idempotency key
    employee_number: str
    name: str
    period: str  # YYYY-MM
    amount: Decimal
    currency: str

    def to_json(self) -> dict:
        return {
            "reference": self.reference,
            "employee_number": self.employee_number,
            "name": self.name,
            "period": self.period,
            "amount": str(self.amount),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class PayrollReceipt(Record):
    """The payroll system's acknowledgement of a pay line."""

    WHERE = "payroll receipt"
    FIRST = ("id",)
    id: str
    reference: str
    amount: Decimal
    recorded_at: datetime


class PayrollAdapter(Adapter):
    @abstractmethod
    def submit(self, line: PayLine) -> PayrollReceipt:
        """Record once: submitting the same reference again returns the first receipt."""


@register("payroll", "keel-rest")
class RestPayrollAdapter(PayrollAdapter):
    def submit(self, line: PayLine) -> PayrollReceipt:
        body = self.http.request(
            "POST",
            "payroll/lines",
            json=line.to_json(),
            headers={"Idempotency-Key": f"keel:commission:{line.reference}"},
        )
        return PayrollReceipt.from_payload(body)
