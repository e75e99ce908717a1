"""HR and CRM master data arriving as signed partner webhooks (issue 14 §4–5), and the event
ledger that records what became of every event.

The webhook plumbing (signature, timestamp window, replay and body checks, one transaction per
event) is ``webhooks_inbound.webhook_receive``'s; this module applies one verified event inside
that transaction and writes its ledger row (``MasterDataEvent``). A rejected event rolls back
whole and is recorded afterwards, with the reason in both languages; a duplicate (an event id
already applied) is refused and recorded as a duplicate.

Events (``"event"`` in the body; ``"id"`` the event id, default the ``X-Keel-Delivery`` id;
``"occurred_at"`` optional, an older event about a subject than one already applied is refused
as stale):

* HR partner: ``employee.hired``, ``employee.transferred`` (``"employee"``: the person's whole
  record, see ``adapters.HrEmployee``), ``employee.left`` (``"employee": {"external_id"}``),
  ``employee.absent`` (``"employee": {"external_id"}``, ``"absence": {"kind": "leave" |
  "business_trip", "starts_at", "ends_at"`` (date-times, or dates: whole days in the person's
  time zone), ``"delegate"``, ``"id"``, ``"cancelled"}``), ``org_unit.changed`` (``"unit"``: see
  ``adapters.HrUnit``, plus ``kind``/``function`` to create one);
* CRM partner: ``customer.created``, ``customer.updated`` (``"customer"``: external id, names,
  unit, owner, ``last_contact``), ``owner.changed`` (``"customer"``: its id, ``"owner"``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.services import LastContact, customer_from_crm
from hrcore.errors import Conflict, KeelError, ValidationFailed
from hrcore.i18n import keel_error
from hrcore.services import master_data as hr

from .. import adapters
from ..choices import MasterDataOrigin, MasterDataStatus, PartnerKind
from ..models import MasterDataEvent, Partner
from .departures import absence_follow_up, departure_follow_up

logger = logging.getLogger(__name__)

HR_EVENTS = (
    "employee.hired",
    "employee.transferred",
    "employee.left",
    "employee.absent",
    "org_unit.changed",
)
CRM_EVENTS = ("customer.created", "customer.updated", "owner.changed")
MASTER_DATA_EVENTS = frozenset(HR_EVENTS + CRM_EVENTS)


def event_id_of(payload: dict, delivery_id: str) -> str:
    value = payload.get("id")
    return str(value)[:100] if isinstance(value, str | int) and str(value) else delivery_id


def subject_of(event: str, payload: dict) -> str:
    """The HR id, unit code or customer id an event is about (for the ledger and staleness)."""
    for key, field in (("employee", "external_id"), ("unit", "code"), ("customer", "external_id")):
        value = payload.get(key)
        if isinstance(value, dict):
            value = value.get(field)
        if isinstance(value, str) and value:
            return value[:100]
    return str(payload.get("subject") or "")[:100]


def _occurred_at(payload: dict) -> datetime | None:
    value = payload.get("occurred_at")
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("“occurred_at” must be a date-time with a time zone."),
            errors={"occurred_at": "ISO 8601"},
            code="malformed",
        )
    return parsed


def _malformed(exc: adapters.AdapterError) -> KeelError:
    return keel_error(
        ValidationFailed,
        gettext_lazy("The event does not follow the contract: %(reason)s"),
        code="malformed",
        reason=exc.reason,
    )


# --- The ledger ----------------------------------------------------------------------------


def _texts(exc: KeelError) -> dict[str, str]:
    return getattr(exc, "texts", None) or {"zh-hans": exc.message, "en": exc.message}


def ledger_record(
    *,
    partner: Partner | None,
    event: str,
    event_id: str,
    payload: dict,
    status: str,
    error: KeelError | None = None,
    result: dict | None = None,
    origin: str = MasterDataOrigin.WEBHOOK,
) -> MasterDataEvent:
    """One ledger row (in its own transaction when called after a rollback)."""
    texts = _texts(error) if error is not None else {}
    try:
        occurred = _occurred_at(payload)
    except KeelError:
        occurred = None
    return MasterDataEvent.objects.create(
        partner=partner,
        origin=origin,
        event_id=event_id[:100],
        event=event[:64],
        subject=subject_of(event, payload),
        status=status,
        reason_code=(error.code if error is not None else "")[:64],
        reason_zh=texts.get("zh-hans", ""),
        reason_en=texts.get("en", ""),
        payload=payload,
        result=result or {},
        occurred_at=occurred,
    )


def ledger_duplicate(*, partner: Partner, event: str, payload: dict, delivery_id: str) -> KeelError:
    """Record a duplicate of an applied event (once: a replayed copy does not grow the ledger)
    and return the refusal to answer with."""
    event_id = event_id_of(payload, delivery_id)
    error = ledger_duplicate_error(event_id)
    recorded = MasterDataEvent.objects.filter(
        partner=partner, event_id=event_id, status=MasterDataStatus.DUPLICATE
    ).exists()
    if not recorded:
        ledger_rejection(
            partner=partner, event=event, payload=payload, delivery_id=delivery_id, error=error
        )
    return error


def ledger_rejection(
    *, partner: Partner, event: str, payload: dict, delivery_id: str, error: KeelError
) -> None:
    with transaction.atomic():
        ledger_record(
            partner=partner,
            event=event,
            event_id=event_id_of(payload, delivery_id),
            payload=payload,
            status=(
                MasterDataStatus.DUPLICATE
                if error.code == "duplicate"
                else MasterDataStatus.REJECTED
            ),
            error=error,
        )


# --- Applying one event --------------------------------------------------------------------


def master_data_apply(*, partner: Partner, event: str, payload: dict, delivery_id: str) -> dict:
    """Apply one verified master-data event inside the caller's transaction and write its
    ledger row; raise a ``KeelError`` (with ``texts``) to refuse it."""
    wanted = PartnerKind.HR if event in HR_EVENTS else PartnerKind.CRM
    if partner.kind != wanted:
        raise keel_error(
            Conflict,
            gettext_lazy("Only a partner of kind “%(kind)s” may send %(event)s."),
            code="wrong_partner",
            kind=wanted,
            event=event,
        )
    event_id = event_id_of(payload, delivery_id)
    if MasterDataEvent.objects.filter(
        partner=partner, event_id=event_id, status=MasterDataStatus.APPLIED
    ).exists():
        raise ledger_duplicate_error(event_id)
    occurred = _occurred_at(payload)
    subject = subject_of(event, payload)
    if occurred is not None and subject:
        newer = (
            MasterDataEvent.objects.filter(
                partner=partner,
                subject=subject,
                status=MasterDataStatus.APPLIED,
                occurred_at__gt=occurred,
            )
            .order_by("-occurred_at")
            .first()
        )
        if newer is not None:
            raise keel_error(
                Conflict,
                gettext_lazy(
                    "A newer event about “%(subject)s” (%(event)s of %(at)s) was already "
                    "applied; this older one is not applied."
                ),
                code="stale",
                subject=subject,
                event=newer.event,
                at=newer.occurred_at.isoformat(timespec="seconds"),
            )
    actor = partner.service_user
    handler = _HANDLERS[event]
    result = handler(payload, actor=actor)
    ledger_record(
        partner=partner,
        event=event,
        event_id=event_id,
        payload=payload,
        status=MasterDataStatus.APPLIED,
        result=result,
    )
    return result


def ledger_duplicate_error(event_id: str) -> KeelError:
    return keel_error(
        Conflict,
        gettext_lazy("Event “%(id)s” was already applied; it is not applied again."),
        code="duplicate",
        id=event_id,
    )


def person_fields(record: adapters.HrEmployee) -> hr.PersonFields:
    return hr.PersonFields(
        external_id=record.external_id,
        name_zh=record.name_zh,
        name_en=record.name_en,
        unit=record.unit,
        position=record.position,
        manager=record.manager,
        email=record.email,
        mobile=record.mobile,
        dingtalk_user_id=record.dingtalk_id,
        wecom_user_id=record.wecom_id,
        feishu_open_id=record.feishu_id,
        username=record.username or None,
    )


def _person_record(payload: dict) -> adapters.HrEmployee:
    try:
        return adapters.HrEmployee.from_payload(payload.get("employee"))
    except adapters.AdapterError as exc:
        raise _malformed(exc) from exc


def _external_id(payload: dict) -> str:
    person = payload.get("employee")
    value = person.get("external_id") if isinstance(person, dict) else None
    if not isinstance(value, str) or not value:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("The event names no employee (employee.external_id)."),
            errors={"employee": "external_id"},
            code="malformed",
        )
    return value


def _hired(payload: dict, *, actor) -> dict:
    employee = hr.employee_hire(person=person_fields(_person_record(payload)), actor=actor)
    return {"employee_id": employee.pk, "username": employee.user.username}


def _transferred(payload: dict, *, actor) -> dict:
    employee, changes = hr.employee_update(
        person=person_fields(_person_record(payload)), actor=actor
    )
    return {"employee_id": employee.pk, "changed": sorted(changes)}


def _left(payload: dict, *, actor) -> dict:
    departure = hr.employee_leave(external_id=_external_id(payload), actor=actor)
    return {
        "employee_id": departure.employee.pk,
        "tokens_revoked": departure.tokens_revoked,
        "units_headed": departure.units_headed,
        **departure_follow_up(departure=departure, actor=actor),
    }


def _moment(value, name: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """A date-time with a zone, or a date: the start of that day (``end``: of the next day)."""
    if isinstance(value, str):
        try:
            if len(value) == 10:
                day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
                return datetime.combine(day, time.min, tzinfo=tz)
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
        except ValueError:
            pass
    raise keel_error(
        ValidationFailed,
        gettext_lazy("“%(name)s” must be a date (YYYY-MM-DD) or a date-time with a time zone."),
        errors={name: "ISO 8601"},
        code="malformed",
        name=name,
    )


def _absent(payload: dict, *, actor) -> dict:
    external_id = _external_id(payload)
    absence = payload.get("absence") if isinstance(payload.get("absence"), dict) else {}
    cancelled = absence.get("cancelled") is True
    employee = hr.employee_by_external_id(external_id)
    tz = ZoneInfo(employee.time_zone) if employee is not None else ZoneInfo("Asia/Shanghai")
    if cancelled:
        starts = ends = timezone.now()
    else:
        starts = _moment(absence.get("starts_at"), "starts_at", tz, end=False)
        ends = _moment(absence.get("ends_at"), "ends_at", tz, end=True)
    delegate = absence.get("delegate")
    saved = hr.absence_from_hr(
        external_id=external_id,
        kind=str(absence.get("kind") or ""),
        starts_at=starts,
        ends_at=ends,
        delegate=delegate if isinstance(delegate, str) else None,
        absence_id=str(absence.get("id") or "")[:64],
        cancelled=cancelled,
        actor=actor,
    )
    if saved is None:
        return {"cancelled": True}
    return {
        "absence_id": saved.pk,
        "starts_at": saved.starts_at.isoformat(),
        "ends_at": saved.ends_at.isoformat(),
        "delegate_id": saved.delegate_id,
        "tasks_to_delegate": absence_follow_up(absence=saved, actor=actor),
    }


def _unit_changed(payload: dict, *, actor) -> dict:
    try:
        record = adapters.HrUnit.from_payload(payload.get("unit"))
    except adapters.AdapterError as exc:
        raise _malformed(exc) from exc
    unit, created, changes = hr.org_unit_from_hr(
        code=record.code,
        name_zh=record.name_zh,
        name_en=record.name_en,
        parent=record.parent,
        head=record.head,
        kind=record.kind or None,
        function=record.function or None,
        actor=actor,
    )
    return {"unit_id": unit.pk, "created": created, "changed": sorted(changes)}


def _customer_fields(payload: dict) -> dict:
    body = payload.get("customer")
    if not isinstance(body, dict) or not isinstance(body.get("external_id"), str):
        raise keel_error(
            ValidationFailed,
            gettext_lazy("The event names no customer (customer.external_id)."),
            errors={"customer": "external_id"},
            code="malformed",
        )
    fields: dict = {"external_id": body["external_id"]}
    for name in ("name_zh", "name_en", "unit", "owner"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise keel_error(
                ValidationFailed,
                gettext_lazy("“%(name)s” must be text."),
                errors={name: "text"},
                code="malformed",
                name=name,
            )
        fields[name] = value
    if body.get("last_contact") is not None:
        try:
            contact = adapters.Contact.from_payload(body["last_contact"])
        except adapters.AdapterError as exc:
            raise _malformed(exc) from exc
        fields["last_contact"] = LastContact(
            at=contact.at, risk=contact.risk, note_zh=contact.note_zh, note_en=contact.note_en
        )
    return fields


def _customer_result(customer, created: bool, changes: dict) -> dict:
    return {
        "customer": customer.external_id,
        "created": created,
        "changed": sorted(changes),
        "last_contact_risk": customer.last_contact_risk,
    }


def _customer_created(payload: dict, *, actor) -> dict:
    customer, created, changes = customer_from_crm(
        **_customer_fields(payload), create=True, actor=actor
    )
    return _customer_result(customer, created, changes)


def _customer_updated(payload: dict, *, actor) -> dict:
    customer, created, changes = customer_from_crm(
        **_customer_fields(payload), create=False, actor=actor
    )
    return _customer_result(customer, created, changes)


def _owner_changed(payload: dict, *, actor) -> dict:
    reference = payload.get("customer")
    external_id = reference.get("external_id") if isinstance(reference, dict) else reference
    owner = payload.get("owner")
    if not isinstance(external_id, str) or not isinstance(owner, str):
        raise keel_error(
            ValidationFailed,
            gettext_lazy("owner.changed needs “customer” and “owner”."),
            errors={"customer": "external_id", "owner": "text"},
            code="malformed",
        )
    customer, created, changes = customer_from_crm(
        external_id=external_id, owner=owner, create=False, actor=actor
    )
    return _customer_result(customer, created, changes)


_HANDLERS = {
    "employee.hired": _hired,
    "employee.transferred": _transferred,
    "employee.left": _left,
    "employee.absent": _absent,
    "org_unit.changed": _unit_changed,
    "customer.created": _customer_created,
    "customer.updated": _customer_updated,
    "owner.changed": _owner_changed,
}


def master_data_events_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Prune ledger rows older than ``KEEL_RETENTION_MASTER_DATA_EVENTS_DAYS`` (365): a replay
    that old is refused by the signature's timestamp window anyway."""
    from django.conf import settings

    from hrcore.services.housekeeping import prune_rows

    days = float(getattr(settings, "KEEL_RETENTION_MASTER_DATA_EVENTS_DAYS", 365))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return {
        "master_data_events": prune_rows(
            MasterDataEvent.objects.filter(received_at__lt=cutoff),
            fields=(),
            keep=lambda: False,
        )
    }
