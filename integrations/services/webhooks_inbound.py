"""Inbound partner webhooks: verifying, deduplicating, dispatching by event, and pruning the record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisis.selectors.crises import open_crisis_ids
from crisis.services.filing import crisis_file
from customers.models import Customer
from hrcore import jsonsafe
from hrcore.choices import Language
from hrcore.claims import insert_once
from hrcore.errors import KeelError, NotFound, ValidationFailed
from hrcore.i18n import pick
from hrcore.selectors import employee_of
from hrcore.text import single_line

from .. import signing
from ..choices import (
    DossierReason,
    InboundStatus,
    PartnerKind,
)
from ..crypto import CredentialUnreadable
from ..models import (
    InboundDelivery,
    Partner,
)
from .commissions import order_mark_paid, order_reverse
from .complaints import complaint_record
from .credit import customer_credit_update
from .dossiers import dossier_request
from .master_data import (
    MASTER_DATA_EVENTS,
    ledger_duplicate,
    ledger_rejection,
    master_data_apply,
)

EMERGENCY_SCENARIO = "debt-collection-emergency"


# --- Inbound webhooks ----------------------------------------------------------------------


@dataclass
class WebhookResult:
    status: int
    body: dict


def _reject(status: int, code: str, detail: str) -> WebhookResult:
    return WebhookResult(status, {"status": status, "code": code, "detail": detail})


def _customer_from(payload: dict) -> Customer:
    external_id = payload.get("customer")
    if not isinstance(external_id, str) or not external_id:
        raise ValidationFailed(
            _("The event names no customer."), errors={"customer": _("Required.")}
        )
    customer = Customer.objects.filter(external_id=external_id).first()
    if customer is None:
        raise NotFound(_("Unknown customer “%(id)s”.") % {"id": external_id})
    return customer


def _handle_credit_event(partner: Partner, payload: dict) -> dict:
    customer = _customer_from(payload)
    credit = payload.get("credit") if isinstance(payload.get("credit"), dict) else payload
    overdue_days = credit.get("overdue_days")
    if overdue_days is None or credit.get("outstanding_amount") is None:
        raise ValidationFailed(
            _("The event lacks the credit profile."),
            errors={"overdue_days": _("Required."), "outstanding_amount": _("Required.")},
        )
    customer, triggered = customer_credit_update(
        customer=customer,
        outstanding_amount=credit["outstanding_amount"],
        overdue_days=overdue_days,
        overdue_since=credit.get("overdue_since"),
        actor=partner.service_user,
    )
    dossier_request(customer=customer, reason=DossierReason.WEBHOOK)
    for crisis_id in open_crisis_ids(customer=customer):
        dossier_request(crisis_id=crisis_id, reason=DossierReason.WEBHOOK)
    return {
        "customer": customer.external_id,
        "overdue_days": customer.overdue_days,
        "credit_status": customer.credit_status,
        "triggered": len(triggered),
    }


def _filing_language(actor) -> str:
    """The language a crisis filed on someone's behalf is titled in: the filer's, else the
    group's working language (zh-Hans)."""
    employee = employee_of(actor) if actor is not None else None
    return employee.language if employee is not None else Language.ZH_HANS


def _collectors_title(customer: Customer, where: str, *, language: str) -> str:
    """The title of a "collectors on site" crisis, in one language."""
    with translation.override(language):
        values = {"customer": pick(customer, "name", language), "where": where}
        if where:
            return _("Collectors on site: %(customer)s @ %(where)s") % values
        return _("Collectors on site: %(customer)s") % values


def _handle_collectors(partner: Partner, payload: dict, delivery_id: str) -> dict:
    customer = _customer_from(payload)
    actor = partner.service_user
    if actor is None:
        owner = customer.account_owner
        actor = owner.user if owner else None
    where = single_line(str(payload.get("location") or ""))[:200]
    description = str(payload.get("description") or "")[:4000]
    title = single_line(_collectors_title(customer, where, language=_filing_language(actor)))
    crisis = crisis_file(
        scenario=EMERGENCY_SCENARIO,
        title=title[:200],
        description=description,
        unit=customer.unit,
        customer_external_id=customer.external_id,
        severity="critical",
        actor=actor,
        source="webhook",
        idempotency_key=f"webhook:{partner.slug}:{delivery_id}",
    )
    return {"crisis_id": crisis.pk, "customer": customer.external_id}


def _handle_complaint(partner: Partner, payload: dict) -> dict:
    customer = _customer_from(payload)
    complaint = complaint_record(
        customer=customer,
        external_id=str(payload.get("id") or ""),
        severity=str(payload.get("severity") or "medium"),
        summary_zh=str(payload.get("summary_zh") or ""),
        summary_en=str(payload.get("summary_en") or ""),
        actor=partner.service_user,
    )
    return {"complaint": complaint.external_id, "employee_id": complaint.employee_id}


# Orders are the CRM's and finance's: no other partner (HR, payroll, attendance…) may pay or
# reverse one, and so move a commission.
ORDER_PARTNER_KINDS = {PartnerKind.CRM, PartnerKind.FINANCE}


def _require_order_partner(partner: Partner) -> None:
    if partner.kind not in ORDER_PARTNER_KINDS:
        raise ValidationFailed(
            _("Only the CRM or the finance system sends order events."),
            errors={"event": _("Not an event this partner may send.")},
            code="wrong_partner",
        )


def _handle_order_paid(partner: Partner, payload: dict) -> dict:
    _require_order_partner(partner)
    customer = _customer_from(payload)
    commission = order_mark_paid(
        customer=customer,
        external_id=str(payload.get("order") or ""),
        amount=payload.get("amount"),
        product_line=str(payload.get("product_line") or ""),
        actor=partner.service_user,
    )
    return {"commission_id": commission.pk if commission else None}


def _handle_order_reversed(partner: Partner, event: str, payload: dict) -> dict:
    _require_order_partner(partner)
    reversal = order_reverse(
        customer=_customer_from(payload),
        external_id=str(payload.get("order") or ""),
        reason="refunded" if event == "order.refunded" else "cancelled",
        actor=partner.service_user,
    )
    return {"reversal_id": reversal.pk if reversal else None}


INBOUND_EVENTS = {
    "payment.recorded",
    "customer.overdue",
    "collectors.on_site",
    "complaint.created",
    "order.paid",
    "order.refunded",
    "order.cancelled",
    *MASTER_DATA_EVENTS,
}


def _master_data_refusal(exc: KeelError) -> WebhookResult:
    """A refused HR/CRM event: the status of its error, the reason in the request's language
    and in both (``reason``), as the event ledger keeps it."""
    status = 422 if isinstance(exc, ValidationFailed) else exc.status
    body = {"status": status, "code": exc.code, "detail": exc.message, "errors": exc.errors}
    if getattr(exc, "texts", None):
        body["reason"] = exc.texts
    return WebhookResult(status, body)


def _master_data_duplicate(partner, event: str, payload: dict, delivery_id: str) -> WebhookResult:
    error = ledger_duplicate(partner=partner, event=event, payload=payload, delivery_id=delivery_id)
    return _master_data_refusal(error)


def webhook_receive(*, partner_slug: str, body: bytes, headers, now: float | None = None):
    """Verify, dedupe and process one inbound webhook. Returns a status and a JSON body; never
    raises for bad input. Processing errors roll back everything, including the dedupe row, so
    the partner's retry (same delivery id) is processed — no event is lost.

    The signature covers timestamp, delivery id and body with the partner's own secret, so a
    captured request cannot be replayed under a new id nor sent to another partner's URL; and a
    body already accepted from this partner within the window is refused under any id."""
    partner = Partner.objects.filter(slug=partner_slug).select_related("service_user").first()
    if partner is None or not partner.enabled:
        return _reject(404, "unknown_partner", _("Unknown or disabled partner."))
    try:
        secret = partner.webhook_secret
    except CredentialUnreadable:
        # Loud (logged by crypto) and retryable: the partner retries once the key is restored.
        return _reject(
            503,
            "secret_unreadable",
            _("This partner's webhook secret cannot be decrypted; an administrator must fix it."),
        )
    if not secret:
        return _reject(403, "no_secret", _("This partner has no webhook secret configured."))
    delivery_id = (headers.get(signing.DELIVERY_HEADER) or "").strip()
    window = webhook_window_seconds()
    try:
        signing.verify(
            secret,
            body=body,
            timestamp=headers.get(signing.TIMESTAMP_HEADER),
            delivery_id=delivery_id,
            signature=headers.get(signing.SIGNATURE_HEADER),
            now=now,
            window=window,
        )
    except signing.SignatureError as exc:
        return _reject(401, exc.code, exc.reason)
    if len(delivery_id) > 100:
        return _reject(400, "delivery_id_missing", _("X-Keel-Delivery is missing or too long."))
    try:
        # NUL characters are removed (PostgreSQL refuses them), so the event is not lost to a 500
        # repeated on every retry; too deep a document is refused with the reason.
        payload = jsonsafe.loads(body, strip_nul=True)
    except jsonsafe.JSONRejected as exc:
        detail = (
            _("The JSON is nested deeper than %(depth)s levels.") % {"depth": jsonsafe.MAX_DEPTH}
            if exc.code == "too_deep"
            else _("The body is not JSON.")
        )
        return _reject(400, "malformed", detail)
    if not isinstance(payload, dict):
        return _reject(400, "malformed", _("The body must be a JSON object."))
    delivery_id = delivery_id.replace("\x00", "")
    event = str(payload.get("event") or headers.get(signing.EVENT_HEADER) or "").replace("\x00", "")
    digest = signing.body_digest(body)
    if InboundDelivery.objects.filter(partner=partner, delivery_id=delivery_id).exists():
        if event in MASTER_DATA_EVENTS:  # recorded in the event ledger, visible to HR admins
            return _master_data_duplicate(partner, event, payload, delivery_id)
        return _reject(409, "replayed", _("This delivery id was already received."))
    if event not in INBOUND_EVENTS:
        _record_inbound(partner, delivery_id, event, payload, InboundStatus.REJECTED, "unknown")
        return _reject(
            400, "unknown_event", _("Unknown event “%(event)s”.") % {"event": event[:64]}
        )
    received_at = datetime.fromtimestamp(now, tz=UTC) if now is not None else timezone.now()
    try:
        with transaction.atomic():
            # One inbound webhook of a partner at a time past this point, so two copies of one
            # body sent at the same moment cannot both pass the body check below.
            Partner.objects.select_for_update().filter(pk=partner.pk).first()
            if _body_seen(partner, digest, received_at - timedelta(seconds=window)):
                if event in MASTER_DATA_EVENTS:
                    return _master_data_duplicate(partner, event, payload, delivery_id)
                return _reject(
                    409,
                    "duplicate_body",
                    _(
                        "This body was already accepted from this partner within the last "
                        "%(seconds)s seconds; a new delivery id does not make it a new event."
                    )
                    % {"seconds": window},
                )
            inbound = InboundDelivery.objects.create(
                partner=partner,
                delivery_id=delivery_id,
                event=event,
                payload=payload,
                body_sha256=digest,
                received_at=received_at,
            )
            if event in ("payment.recorded", "customer.overdue"):
                result = _handle_credit_event(partner, payload)
            elif event == "collectors.on_site":
                result = _handle_collectors(partner, payload, delivery_id)
            elif event == "complaint.created":
                result = _handle_complaint(partner, payload)
            elif event in MASTER_DATA_EVENTS:
                result = master_data_apply(
                    partner=partner, event=event, payload=payload, delivery_id=delivery_id
                )
            elif event in ("order.refunded", "order.cancelled"):
                result = _handle_order_reversed(partner, event, payload)
            else:
                result = _handle_order_paid(partner, payload)
            inbound.status, inbound.result = InboundStatus.PROCESSED, result
            inbound.save(update_fields=["status", "result"])
    except IntegrityError:
        return _reject(409, "replayed", _("This delivery id was already received."))
    except KeelError as exc:
        if event not in MASTER_DATA_EVENTS:
            if not isinstance(exc, ValidationFailed | NotFound):
                raise
            return _refused(partner, delivery_id, event, payload, exc)
        # Nothing of the event was applied; the rejection is in the event ledger (not in the
        # delivery record, so the partner may resend the same delivery once it is fixed).
        ledger_rejection(
            partner=partner, event=event, payload=payload, delivery_id=delivery_id, error=exc
        )
        return _master_data_refusal(exc)
    return WebhookResult(200, {"status": 200, "delivery_id": delivery_id, "result": result})


def _refused(partner, delivery_id, event, payload, exc) -> WebhookResult:
    _record_inbound(partner, delivery_id, event, payload, InboundStatus.REJECTED, exc.message)
    status = 422 if isinstance(exc, ValidationFailed) else 404
    return WebhookResult(
        status,
        {"status": status, "code": exc.code, "detail": exc.message, "errors": exc.errors},
    )


def webhook_window_seconds() -> int:
    """How old a signed timestamp may be, and how long an accepted body is remembered."""
    return int(getattr(settings, "KEEL_WEBHOOK_WINDOW_SECONDS", signing.DEFAULT_WINDOW_SECONDS))


def _body_seen(partner: Partner, digest: str, since: datetime) -> bool:
    """Whether this partner's same body was accepted (not refused) since ``since``."""
    return (
        InboundDelivery.objects.filter(partner=partner, body_sha256=digest, received_at__gte=since)
        .exclude(status=InboundStatus.REJECTED)
        .exists()
    )


def _record_inbound(partner, delivery_id, event, payload, status, error) -> None:
    insert_once(
        InboundDelivery,
        partner=partner,
        delivery_id=delivery_id,
        event=event[:64],
        payload=payload,
        status=status,
        error=str(error)[:2000],
    )


# --- Housekeeping --------------------------------------------------------------------------


def inbound_deliveries_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Prune inbound webhook deliveries older than ``KEEL_RETENTION_INBOUND_DELIVERIES_DAYS``
    (30): a replay that old is refused by the signature's timestamp window anyway. Deliveries
    that filed or touched a crisis that is still open stay."""
    from django.conf import settings

    from hrcore.services.housekeeping import crisis_id_of, open_crisis_ids, prune_rows

    now = now or timezone.now()
    days = float(getattr(settings, "KEEL_RETENTION_INBOUND_DELIVERIES_DAYS", 30))
    protected = open_crisis_ids()
    return {
        "inbound_deliveries": prune_rows(
            InboundDelivery.objects.filter(received_at__lt=now - timedelta(days=days)),
            fields=("result", "payload"),
            keep=lambda result, payload: (
                crisis_id_of(result) in protected or crisis_id_of(payload) in protected
            ),
        )
    }
