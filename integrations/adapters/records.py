"""Typed records validated from partner payloads through one mechanism (``Record.from_payload``,
driven by each dataclass's field types); anything off-contract is a MalformedPayload."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

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


def _whole(payload, key, where, *, minimum: int | None = None) -> int:
    value = _req(payload, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedPayload(f"{where}: “{key}” must be a {_whole_kind(minimum)}")
    if minimum is not None and value < minimum:
        raise MalformedPayload(f"{where}: “{key}” must be a {_whole_kind(minimum)}")
    return value


def _whole_kind(minimum: int | None) -> str:
    return "non-negative whole number" if minimum == 0 else "whole number"


def _bool(payload, key, where) -> bool:
    value = _req(payload, key, where)
    if not isinstance(value, bool):
        raise MalformedPayload(f"{where}: “{key}” must be true or false")
    return value


def spec(
    *,
    key: str | None = None,
    optional: bool = False,
    default: Any = "",
    choices: tuple[str, ...] | None = None,
    minimum: int | None = None,
) -> dict:
    """How one record field is read from the payload (dataclass field metadata): under another
    ``key``, ``optional`` with a ``default``, restricted to ``choices``, at least ``minimum``."""
    return {
        "key": key,
        "optional": optional,
        "default": default,
        "choices": choices,
        "minimum": minimum,
    }


def _read(payload, name: str, hint, meta: dict, where: str):
    """One field of a record from the payload, by its type: the one parser of every record."""
    key = meta.get("key") or name
    origin, args = get_origin(hint), get_args(hint)
    optional = meta.get("optional", False)
    if origin in (UnionType, Union) and type(None) in args:
        hint, optional = next(a for a in args if a is not type(None)), True
        origin, args = get_origin(hint), get_args(hint)
    if hint is str:
        value = _str(payload, key, where, required=not optional, default=meta.get("default", ""))
        if meta.get("choices") and value not in meta["choices"]:
            raise MalformedPayload(f"{where}: unknown {key} {value!r}")
        return value
    if hint is Decimal:
        return _decimal(payload, key, where)
    if hint is datetime:
        return _datetime(payload, key, where, required=not optional)
    if hint is date:
        return _date(payload, key, where, required=not optional)
    if hint is bool:
        return _bool(payload, key, where)
    if hint is int:
        return _whole(payload, key, where, minimum=meta.get("minimum"))
    if origin is list and args == (str,):
        return _str_list(payload, key, where)
    if origin is list and isinstance(args[0], type) and issubclass(args[0], Record):
        return many(args[0], payload, key, where)
    if isinstance(hint, type) and issubclass(hint, Record):  # one nested record
        if optional and (not isinstance(payload, dict) or payload.get(key) is None):
            return None
        return hint.from_payload(_req(payload, key, where))
    raise TypeError(f"no reader for {hint!r}")  # a programming error, not a partner's


class Record:
    """A typed record validated from a partner payload, and its JSON-friendly dict (dates as
    ISO text, amounts as strings) for storing in a dossier.

    Every record is read by one mechanism, ``from_payload``: each dataclass field by its type
    (text, amount, date, date-time, whole number, true/false, list of text, list of records),
    with the field's ``spec`` metadata for another key, optional fields, choices and minimums;
    ``check`` adds a rule across fields. ``WHERE`` names the record in error messages."""

    WHERE: ClassVar[str] = "record"
    # Fields read before the others (the first problem reported is the most telling one).
    FIRST: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_payload(cls, p):
        hints = get_type_hints(cls)
        ordered = sorted(fields(cls), key=lambda f: f.name not in cls.FIRST)
        values = {
            f.name: _read(p, f.name, hints[f.name], dict(f.metadata), cls.WHERE) for f in ordered
        }
        cls.check(values)
        return cls(**values)

    @classmethod
    def check(cls, values: dict) -> None:
        """A rule across fields (raise ``MalformedPayload``); none by default."""

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


CNY = spec(optional=True, default="CNY")
OPTIONAL = spec(optional=True)
UNSTATED = spec(optional=True, default=None)  # None when the payload does not have the field


@dataclass(frozen=True)
class Payment(Record):
    """A payment received from the customer."""

    WHERE = "payment"
    reference: str
    paid_on: date
    amount: Decimal
    currency: str = field(metadata=CNY)
    invoice: str = field(metadata=OPTIONAL)
    method: str = field(default="", metadata=OPTIONAL)


@dataclass(frozen=True)
class Invoice(Record):
    """An invoice issued to the customer."""

    WHERE = "invoice"
    FIRST = ("status",)
    number: str
    issued_on: date
    due_on: date
    amount: Decimal
    currency: str = field(metadata=CNY)
    status: str = field(metadata=spec(choices=("paid", "unpaid")))
    paid_on: date | None = None

    def days_overdue(self, today: date) -> int:
        return max((today - self.due_on).days, 0) if self.status == "unpaid" else 0


@dataclass(frozen=True)
class CreditProfile(Record):
    """The customer's standing as finance sees it."""

    WHERE = "credit profile"
    FIRST = ("overdue_days",)
    external_id: str
    outstanding_amount: Decimal
    currency: str = field(metadata=CNY)
    overdue_days: int = field(metadata=spec(minimum=0))
    overdue_since: date | None = field(metadata=OPTIONAL)


@dataclass(frozen=True)
class LegalBasis(Record):
    WHERE = "legal basis"
    law_zh: str
    law_en: str
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class LegalGuide(Record):
    """Legal's response guide for a scenario and dispute type: what to say, never say, and why."""

    WHERE = "legal guide"
    FIRST = ("legal_basis",)
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


@dataclass(frozen=True)
class Contact(Record):
    """A logged contact with the customer; ``risk`` flags a worrying one."""

    WHERE = "contact"
    FIRST = ("risk",)
    at: datetime
    channel: str = field(metadata=OPTIONAL)
    by: str = field(metadata=OPTIONAL)
    note_zh: str = field(metadata=OPTIONAL)
    note_en: str = field(metadata=OPTIONAL)
    risk: bool = field()


@dataclass(frozen=True)
class CrmCustomer(Record):
    """The customer as the CRM knows it: the account owner is an HR id or a Keel user name;
    ``last_contact`` is the newest logged contact (its risk flag feeds the early warning)."""

    WHERE = "customer"
    external_id: str
    name_zh: str
    name_en: str
    owner: str = field(metadata=OPTIONAL)
    unit: str = field(metadata=OPTIONAL)
    last_contact: Contact | None = None


@dataclass(frozen=True)
class HrEmployee(Record):
    """A person in the HR system of record: external id, names, unit and position codes, the
    manager's external id, e-mail, mobile and IM ids; ``status`` active or left."""

    WHERE = "employee"
    external_id: str
    name_zh: str
    name_en: str
    unit: str
    position: str
    # None: the HR system does not say (Keel's value stays); "": none (Keel's is cleared).
    manager: str | None = field(metadata=UNSTATED)
    email: str | None = field(metadata=UNSTATED)
    mobile: str | None = field(metadata=UNSTATED)
    dingtalk_id: str | None = field(metadata=UNSTATED)
    wecom_id: str | None = field(metadata=UNSTATED)
    feishu_id: str | None = field(metadata=UNSTATED)
    username: str = field(metadata=OPTIONAL)
    status: str = field(metadata=spec(optional=True, default="active", choices=("active", "left")))


@dataclass(frozen=True)
class HrUnit(Record):
    """An organisation unit in the HR system: code, names, parent code, the head's external id."""

    WHERE = "unit"
    code: str
    name_zh: str
    name_en: str
    parent: str | None = field(metadata=UNSTATED)
    head: str | None = field(metadata=UNSTATED)
    kind: str = field(metadata=OPTIONAL)
    function: str = field(metadata=OPTIONAL)


@dataclass(frozen=True)
class HrRoster(Record):
    """The whole roster at one moment, for the periodic reconciliation pull."""

    WHERE = "roster"
    as_of: datetime
    employees: list[HrEmployee]
    units: list[HrUnit] = field(default_factory=list)


@dataclass(frozen=True)
class Complaint(Record):
    """A customer complaint logged in the CRM, attributed to an employee."""

    WHERE = "complaint"
    id: str
    at: datetime
    employee: str = field(metadata=OPTIONAL)
    severity: str = field(metadata=spec(optional=True, default="medium"))
    summary_zh: str = field(metadata=OPTIONAL)
    summary_en: str = field(metadata=OPTIONAL)
    status: str = field(metadata=spec(optional=True, default="open"))


@dataclass(frozen=True)
class Order(Record):
    """A sales order; ``paid`` orders earn the owner a commission."""

    WHERE = "order"
    id: str
    ordered_on: date
    amount: Decimal
    currency: str = field(metadata=CNY)
    status: str = field()
    owner: str = field(metadata=OPTIONAL)


ATTENDANCE_STATUSES = ("on_site", "remote", "business_trip", "leave", "absent")
WORKING_STATUSES = ("on_site", "remote", "business_trip")


@dataclass(frozen=True)
class AttendanceRecord(Record):
    """One employee's attendance today, as the attendance system reports it."""

    WHERE = "attendance"
    FIRST = ("status", "checked_in_at")
    username: str
    day: date = field(metadata=spec(key="date"))
    status: str = field(metadata=spec(choices=ATTENDANCE_STATUSES))
    checked_in_at: datetime | None = None
    location_zh: str = field(default="", metadata=OPTIONAL)
    location_en: str = field(default="", metadata=OPTIONAL)

    @property
    def on_site(self) -> bool:
        """Physically at a workplace today (who can meet people at the door)."""
        return self.status == "on_site"

    @property
    def working(self) -> bool:
        """Reachable for work today (on site, remote or travelling)."""
        return self.status in WORKING_STATUSES

    @classmethod
    def check(cls, values: dict) -> None:
        if values["status"] == "on_site" and values["checked_in_at"] is None:
            raise MalformedPayload(f"{cls.WHERE}: on site without “checked_in_at”")


@dataclass(frozen=True)
class PerformanceEvent(Record):
    """An event recorded against an employee in the performance / OKR system."""

    WHERE = "performance event"
    FIRST = ("points",)
    id: str
    employee: str
    kind: str
    reference: str
    points: int
    recorded_at: datetime


@dataclass(frozen=True)
class PerformanceGoal(Record):
    """A goal (OKR) of an employee in the performance / OKR system, with its progress."""

    WHERE = "performance goal"
    id: str
    title_zh: str = field(metadata=OPTIONAL)
    title_en: str = field(metadata=OPTIONAL)
    period: str = field(metadata=OPTIONAL)
    progress: int = field(metadata=spec(minimum=0))
    status: str = field(metadata=OPTIONAL)
    due_on: date | None = field(default=None, metadata=UNSTATED)

    @classmethod
    def check(cls, values: dict) -> None:
        if values["progress"] > 100:
            raise MalformedPayload(f"{cls.WHERE}: “progress” is a percentage (0–100)")


@dataclass(frozen=True)
class PerformanceReview(Record):
    """A performance review of an employee (period, rating, reviewer, summary)."""

    WHERE = "performance review"
    id: str
    period: str = field(metadata=OPTIONAL)
    rating: str
    reviewer: str = field(metadata=OPTIONAL)
    summary_zh: str = field(metadata=OPTIONAL)
    summary_en: str = field(metadata=OPTIONAL)
    reviewed_on: date | None = field(default=None, metadata=UNSTATED)


@dataclass(frozen=True)
class CustomerRevenue(Record):
    """Finance's revenue from one customer over a period and its gross margin (revenue less the
    cost of sales), before the labour Keel counts."""

    WHERE = "customer revenue"
    customer: str
    since: date
    until: date
    revenue: Decimal
    gross_margin: Decimal
    currency: str = field(metadata=CNY)


@dataclass(frozen=True)
class CustomerVisit(Record):
    """A field check-in at a customer's site (外勤打卡): who, which customer, from when to when."""

    WHERE = "customer visit"
    username: str
    customer: str
    checked_in_at: datetime
    checked_out_at: datetime

    @classmethod
    def check(cls, values: dict) -> None:
        if values["checked_out_at"] < values["checked_in_at"]:
            raise MalformedPayload(f"{cls.WHERE}: checked out before checking in")


def many(cls, payload, key: str, where: str) -> list:
    """Validate ``payload[key]`` as a list of ``cls`` records."""
    return [cls.from_payload(item) for item in _list(payload, key, where)]
