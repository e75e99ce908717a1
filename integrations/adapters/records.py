"""Typed records validated from partner payloads; anything off-contract is a MalformedPayload."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .base import MalformedPayload


def _req(payload: Any, key: str, where: str):
    if not isinstance(payload, dict):
        raise MalformedPayload(f"{where}: expected an object, got {type(payload).__name__}")
    if key not in payload or payload[key] is None:
        raise MalformedPayload(f"{where}: missing field “{key}”")
    return payload[key]


def _str(payload, key, where, *, required=True, default="") -> str:
    if not required and (not isinstance(payload, dict) or payload.get(key) is None):
        return default
    value = _req(payload, key, where)
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}: “{key}” must be text")
    return value


def _decimal(payload, key, where) -> Decimal:
    value = _req(payload, key, where)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MalformedPayload(f"{where}: “{key}” must be an amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise MalformedPayload(f"{where}: “{key}” is not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MalformedPayload(f"{where}: “{key}” is not a finite amount")
    return amount


def _date(payload, key, where, *, required=True) -> date | None:
    if not required and (not isinstance(payload, dict) or payload.get(key) is None):
        return None
    value = _req(payload, key, where)
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise MalformedPayload(f"{where}: “{key}” is not a date: {value!r}") from exc


def _datetime(payload, key, where, *, required=True) -> datetime | None:
    if not required and (not isinstance(payload, dict) or payload.get(key) is None):
        return None
    value = _req(payload, key, where)
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise MalformedPayload(f"{where}: “{key}” is not a date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise MalformedPayload(f"{where}: “{key}” has no time zone")
    return parsed


def _list(payload, key, where) -> list:
    value = _req(payload, key, where)
    if not isinstance(value, list):
        raise MalformedPayload(f"{where}: “{key}” must be a list")
    return value


def _str_list(payload, key, where) -> list[str]:
    items = _list(payload, key, where) if isinstance(payload, dict) and key in payload else []
    if not all(isinstance(i, str) for i in items):
        raise MalformedPayload(f"{where}: “{key}” must be a list of text")
    return items


class Record:
    """JSON-friendly dict (dates as ISO text, amounts as strings) for storing in a dossier."""

    def to_json(self) -> dict:
        def conv(v):
            if isinstance(v, (date, datetime)):
                return v.isoformat()
            if isinstance(v, Decimal):
                return f"{v:.2f}"
            if isinstance(v, list):
                return [conv(i) for i in v]
            if isinstance(v, dict):
                return {k: conv(i) for k, i in v.items()}
            return v

        return {k: conv(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Payment(Record):
    """A payment received from the customer."""

    reference: str
    paid_on: date
    amount: Decimal
    currency: str
    invoice: str
    method: str = ""

    @classmethod
    def from_payload(cls, p) -> Payment:
        w = "payment"
        return cls(
            reference=_str(p, "reference", w),
            paid_on=_date(p, "paid_on", w),
            amount=_decimal(p, "amount", w),
            currency=_str(p, "currency", w, required=False, default="CNY"),
            invoice=_str(p, "invoice", w, required=False),
            method=_str(p, "method", w, required=False),
        )


@dataclass(frozen=True)
class Invoice(Record):
    """An invoice issued to the customer."""

    number: str
    issued_on: date
    due_on: date
    amount: Decimal
    currency: str
    status: str
    paid_on: date | None = None

    @classmethod
    def from_payload(cls, p) -> Invoice:
        w = "invoice"
        status = _str(p, "status", w)
        if status not in ("paid", "unpaid"):
            raise MalformedPayload(f"{w}: unknown status {status!r}")
        return cls(
            number=_str(p, "number", w),
            issued_on=_date(p, "issued_on", w),
            due_on=_date(p, "due_on", w),
            amount=_decimal(p, "amount", w),
            currency=_str(p, "currency", w, required=False, default="CNY"),
            status=status,
            paid_on=_date(p, "paid_on", w, required=False),
        )

    def days_overdue(self, today: date) -> int:
        return max((today - self.due_on).days, 0) if self.status == "unpaid" else 0


@dataclass(frozen=True)
class CreditProfile(Record):
    """The customer's standing as finance sees it."""

    external_id: str
    outstanding_amount: Decimal
    currency: str
    overdue_days: int
    overdue_since: date | None

    @classmethod
    def from_payload(cls, p) -> CreditProfile:
        w = "credit profile"
        days = _req(p, "overdue_days", w)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise MalformedPayload(f"{w}: “overdue_days” must be a non-negative whole number")
        return cls(
            external_id=_str(p, "external_id", w),
            outstanding_amount=_decimal(p, "outstanding_amount", w),
            currency=_str(p, "currency", w, required=False, default="CNY"),
            overdue_days=days,
            overdue_since=_date(p, "overdue_since", w, required=False),
        )


@dataclass(frozen=True)
class LegalBasis(Record):
    law_zh: str
    law_en: str
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class LegalGuide(Record):
    """Legal's response guide for a scenario and dispute type: what to say, never say, and why."""

    scenario: str
    dispute_type: str
    title_zh: str
    title_en: str
    say_zh: list[str]
    say_en: list[str]
    never_say_zh: list[str]
    never_say_en: list[str]
    legal_basis: list[LegalBasis] = field(default_factory=list)
    steps_zh: list[str] = field(default_factory=list)
    steps_en: list[str] = field(default_factory=list)

    @classmethod
    def from_payload(cls, p) -> LegalGuide:
        w = "legal guide"
        basis = []
        for item in _list(p, "legal_basis", w):
            wb = "legal basis"
            basis.append(
                LegalBasis(
                    law_zh=_str(item, "law_zh", wb),
                    law_en=_str(item, "law_en", wb),
                    text_zh=_str(item, "text_zh", wb),
                    text_en=_str(item, "text_en", wb),
                )
            )
        return cls(
            scenario=_str(p, "scenario", w),
            dispute_type=_str(p, "dispute_type", w),
            title_zh=_str(p, "title_zh", w),
            title_en=_str(p, "title_en", w),
            say_zh=_str_list(p, "say_zh", w),
            say_en=_str_list(p, "say_en", w),
            never_say_zh=_str_list(p, "never_say_zh", w),
            never_say_en=_str_list(p, "never_say_en", w),
            legal_basis=basis,
            steps_zh=_str_list(p, "steps_zh", w),
            steps_en=_str_list(p, "steps_en", w),
        )


@dataclass(frozen=True)
class CrmCustomer(Record):
    """The customer as the CRM knows it (the account owner is a Keel user name)."""

    external_id: str
    name_zh: str
    name_en: str
    owner: str
    unit: str

    @classmethod
    def from_payload(cls, p) -> CrmCustomer:
        w = "customer"
        return cls(
            external_id=_str(p, "external_id", w),
            name_zh=_str(p, "name_zh", w),
            name_en=_str(p, "name_en", w),
            owner=_str(p, "owner", w, required=False),
            unit=_str(p, "unit", w, required=False),
        )


@dataclass(frozen=True)
class Contact(Record):
    """A logged contact with the customer; ``risk`` flags a worrying one."""

    at: datetime
    channel: str
    by: str
    note_zh: str
    note_en: str
    risk: bool

    @classmethod
    def from_payload(cls, p) -> Contact:
        w = "contact"
        risk = _req(p, "risk", w)
        if not isinstance(risk, bool):
            raise MalformedPayload(f"{w}: “risk” must be true or false")
        return cls(
            at=_datetime(p, "at", w),
            channel=_str(p, "channel", w, required=False),
            by=_str(p, "by", w, required=False),
            note_zh=_str(p, "note_zh", w, required=False),
            note_en=_str(p, "note_en", w, required=False),
            risk=risk,
        )


@dataclass(frozen=True)
class Complaint(Record):
    """A customer complaint logged in the CRM, attributed to an employee."""

    id: str
    at: datetime
    employee: str
    severity: str
    summary_zh: str
    summary_en: str
    status: str

    @classmethod
    def from_payload(cls, p) -> Complaint:
        w = "complaint"
        return cls(
            id=_str(p, "id", w),
            at=_datetime(p, "at", w),
            employee=_str(p, "employee", w, required=False),
            severity=_str(p, "severity", w, required=False, default="medium"),
            summary_zh=_str(p, "summary_zh", w, required=False),
            summary_en=_str(p, "summary_en", w, required=False),
            status=_str(p, "status", w, required=False, default="open"),
        )


@dataclass(frozen=True)
class Order(Record):
    """A sales order; ``paid`` orders earn the owner a commission."""

    id: str
    ordered_on: date
    amount: Decimal
    currency: str
    status: str
    owner: str

    @classmethod
    def from_payload(cls, p) -> Order:
        w = "order"
        return cls(
            id=_str(p, "id", w),
            ordered_on=_date(p, "ordered_on", w),
            amount=_decimal(p, "amount", w),
            currency=_str(p, "currency", w, required=False, default="CNY"),
            status=_str(p, "status", w),
            owner=_str(p, "owner", w, required=False),
        )


ATTENDANCE_STATUSES = ("on_site", "remote", "business_trip", "leave", "absent")
WORKING_STATUSES = ("on_site", "remote", "business_trip")


@dataclass(frozen=True)
class AttendanceRecord(Record):
    """One employee's attendance today, as the attendance system reports it."""

    username: str
    day: date
    status: str
    checked_in_at: datetime | None = None
    location_zh: str = ""
    location_en: str = ""

    @property
    def on_site(self) -> bool:
        """Physically at a workplace today (who can meet people at the door)."""
        return self.status == "on_site"

    @property
    def working(self) -> bool:
        """Reachable for work today (on site, remote or travelling)."""
        return self.status in WORKING_STATUSES

    @classmethod
    def from_payload(cls, p) -> AttendanceRecord:
        w = "attendance"
        status = _str(p, "status", w)
        if status not in ATTENDANCE_STATUSES:
            raise MalformedPayload(f"{w}: unknown status {status!r}")
        checked_in = _datetime(p, "checked_in_at", w, required=False)
        if status == "on_site" and checked_in is None:
            raise MalformedPayload(f"{w}: on site without “checked_in_at”")
        return cls(
            username=_str(p, "username", w),
            day=_date(p, "date", w),
            status=status,
            checked_in_at=checked_in,
            location_zh=_str(p, "location_zh", w, required=False),
            location_en=_str(p, "location_en", w, required=False),
        )


@dataclass(frozen=True)
class PerformanceEvent(Record):
    """An event recorded against an employee in the performance / OKR system."""

    id: str
    employee: str
    kind: str
    reference: str
    points: int
    recorded_at: datetime

    @classmethod
    def from_payload(cls, p) -> PerformanceEvent:
        w = "performance event"
        points = _req(p, "points", w)
        if isinstance(points, bool) or not isinstance(points, int):
            raise MalformedPayload(f"{w}: “points” must be a whole number")
        return cls(
            id=_str(p, "id", w),
            employee=_str(p, "employee", w),
            kind=_str(p, "kind", w),
            reference=_str(p, "reference", w),
            points=points,
            recorded_at=_datetime(p, "recorded_at", w),
        )


def many(cls, payload, key: str, where: str) -> list:
    """Validate ``payload[key]`` as a list of ``cls`` records."""
    return [cls.from_payload(item) for item in _list(payload, key, where)]
