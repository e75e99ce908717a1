"""Webhook subscriptions of the partner API and the outbound event fan-out and signed delivery."""

from __future__ import annotations

import ipaddress
import json
import secrets
import uuid
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from crisis.selectors.crises import crisis_by_id
from hrcore.errors import NotFound, PermissionDenied, ValidationFailed
from hrcore.models import OutboxMessage
from hrcore.selectors import is_hr_admin
from hrcore.services.outbox import (
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
    outbox_enqueue,
)

from .. import signing
from ..adapters.base import tls_context
from ..choices import (
    EVERY_EVENT,
    OUTBOUND_EVENTS,
    WEBHOOK_CHANNEL,
    DossierReason,
)
from ..crypto import encrypt
from ..models import (
    Dossier,
    Partner,
    WebhookSubscription,
)
from .dossiers import dossier_request
from .partners import SECRET_SET, audit_partner_change, secret_change

# --- Webhook subscriptions (the partner API) ---------------------------------------------------

WEBHOOK_SECRET_BYTES = 32


def _new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)


def webhook_url_error(url: str) -> str:
    """Why ``url`` cannot receive Keel's webhooks ("" when it can): an absolute https URL; plain
    http only to a loopback host with DEBUG or ``KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP`` (the
    sandbox, a local test server)."""
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import URLValidator

    if not isinstance(url, str) or not url.strip():
        return _("Give the URL Keel should post events to.")
    if len(url) > 500:
        return _("The URL is too long (at most 500 characters).")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        return _("Enter a valid https:// URL.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return _("Enter a valid https:// URL.")
    if parts.username or parts.password:
        return _("The URL must not contain a user name or password.")
    if parts.scheme == "https":
        return ""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    allowed = settings.DEBUG or getattr(settings, "KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP", False)
    if loopback and allowed:
        return ""
    return _("The URL must use https:// (plain http:// only to this machine in development).")


def webhook_events_error(events) -> str:
    """Why ``events`` is not a list of known outbound event names ("" when it is)."""
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        return _("Give a list of event names.")
    unknown = sorted({e for e in events if e not in OUTBOUND_EVENTS and e != EVERY_EVENT})
    if unknown:
        return _("Unknown event: %(events)s. Known events: %(known)s, or “*” for every event.") % {
            "events": ", ".join(f"“{e[:64]}”" for e in unknown[:5]),
            "known": ", ".join(OUTBOUND_EVENTS),
        }
    if len(set(events)) != len(events):
        return _("Name each event once.")
    return ""


def _require_subscription_manager(actor) -> None:
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins may manage webhook subscriptions."))


def _subscription_partner(partner: Partner | str) -> Partner:
    if isinstance(partner, Partner):
        return partner
    found = Partner.objects.filter(slug=partner).first() if isinstance(partner, str) else None
    if found is None:
        raise ValidationFailed(
            _("The subscription is not valid."), errors={"partner": _("No such partner.")}
        )
    return found


def _check_subscription(*, url: str | None, events) -> None:
    errors = {}
    if url is not None and (problem := webhook_url_error(url)):
        errors["url"] = [problem]
    if events is not None and (problem := webhook_events_error(events)):
        errors["events"] = [problem]
    if errors:
        raise ValidationFailed(_("The subscription is not valid."), errors=errors)


def _locked_subscription(subscription: WebhookSubscription) -> WebhookSubscription:
    locked = WebhookSubscription.objects.select_for_update().filter(pk=subscription.pk).first()
    if locked is None:
        raise NotFound(_("No such webhook subscription."))
    return locked


@transaction.atomic
def webhook_subscription_create(
    *, partner: Partner | str, url: str, events: list[str] | None = None, actor
) -> tuple[WebhookSubscription, str]:
    """A new active subscription with a fresh signing secret, returned here in clear once (it is
    stored encrypted and never shown again). Audited without the secret."""
    _require_subscription_manager(actor)
    events = list(events or [])
    partner_obj = None
    try:
        partner_obj = _subscription_partner(partner)
    except ValidationFailed as exc:
        partner_error = exc.errors
    else:
        partner_error = {}
    try:
        _check_subscription(url=url, events=events)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, errors={**partner_error, **exc.errors}) from None
    if partner_error:
        raise ValidationFailed(_("The subscription is not valid."), errors=partner_error)
    secret = _new_webhook_secret()
    sub = WebhookSubscription.objects.create(
        partner=partner_obj, url=url, events=events, active=True, secret_encrypted=encrypt(secret)
    )
    changes = {
        "partner": ["", str(partner_obj.pk)],
        "url": ["", url],
        "events": ["", str(events)],
        "active": ["", "True"],
        "secret": ["(none)", SECRET_SET],
    }
    audit_partner_change(sub, created=True, changes=changes, actor=actor)
    return sub, secret


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    actor,
    partner: Partner | str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given (``None`` keeps it); audited field by field."""
    _require_subscription_manager(actor)
    _check_subscription(url=url, events=events)
    new_partner = _subscription_partner(partner) if partner is not None else None
    sub = _locked_subscription(subscription)
    updates = {
        "partner": new_partner.pk if new_partner is not None else None,
        "url": url,
        "events": list(events) if events is not None else None,
        "active": active,
    }
    changes = {}
    for name, new in updates.items():
        if new is None:
            continue
        attr = "partner_id" if name == "partner" else name
        old = getattr(sub, attr)
        if old != new:
            changes[name] = [str(old), str(new)]
            setattr(sub, attr, new)
    if changes:
        sub.save()
        audit_partner_change(sub, created=False, changes=changes, actor=actor)
    return sub


@transaction.atomic
def webhook_subscription_deactivate(
    *, subscription: WebhookSubscription, actor
) -> WebhookSubscription:
    """Stop delivering to the subscription; the record and its delivery log stay."""
    return webhook_subscription_update(subscription=subscription, actor=actor, active=False)


@transaction.atomic
def webhook_subscription_rotate_secret(
    *, subscription: WebhookSubscription, actor
) -> tuple[WebhookSubscription, str]:
    """A new signing secret, returned in clear once: every delivery from now on (retries of
    earlier events included) is signed with it. Audited as "changed", never the value."""
    _require_subscription_manager(actor)
    sub = _locked_subscription(subscription)
    secret = _new_webhook_secret()
    change = secret_change(sub.secret_encrypted, secret) or []
    sub.secret_encrypted = encrypt(secret)
    sub.save(update_fields=["secret_encrypted"])
    audit_partner_change(sub, created=False, changes={"secret": change}, actor=actor)
    return sub, secret


# --- Outbound events -----------------------------------------------------------------------


def event_fan_out(message: OutboxMessage) -> None:
    """The "event" outbox channel: one signed delivery per interested subscription (each its own
    outbox row, so each retries independently); on crisis.filed also request the dossier."""
    payload = message.payload or {}
    event = payload.get("event")
    if not event:
        raise PermanentDeliveryError("event message without an event name")
    if event == "crisis.filed" and payload.get("crisis_id"):
        crisis_id = int(payload["crisis_id"])
        if not Dossier.objects.filter(crisis_id=crisis_id).exists() and crisis_by_id(crisis_id):
            dossier_request(crisis_id=crisis_id, reason=DossierReason.FILED)
    from ..warroom import war_room_event

    # Issue 13: crisis events are posted in the crisis's war rooms too (their own outbox rows).
    war_room_event(
        event=event,
        crisis_id=payload.get("crisis_id"),
        data=payload.get("data") or {},
        key=message.dedupe_key,
        drill=bool(payload.get("drill")),
    )
    body = {
        "event": event,
        "crisis_id": payload.get("crisis_id"),
        "data": payload.get("data") or {},
        "occurred_at": message.created_at.isoformat(),
    }
    if payload.get("drill"):  # a drill's events tell partners so (issue 16)
        body["drill"] = True
    for sub in WebhookSubscription.objects.filter(active=True, partner__enabled=True):
        if not sub.wants(event):
            continue
        outbox_enqueue(
            channel=WEBHOOK_CHANNEL,
            dedupe_key=f"webhook:{sub.pk}:{message.dedupe_key}"[:200],
            payload={
                "subscription_id": sub.pk,
                "event": event,
                "delivery_id": f"keel-{message.pk}-{sub.pk}",
                "body": body,
            },
        )


def webhook_deliver(message: OutboxMessage) -> Receipt:
    """The "webhook" outbox channel: POST the signed event; 2xx delivered, 4xx permanent, else
    raise so the outbox retries with backoff. Every attempt, with the subscriber's HTTP status,
    is a row of the outbox's delivery ledger (``ledgered`` in ``integrations.apps``): the
    delivery log HR admins and the partner API read."""
    payload = message.payload
    sub = WebhookSubscription.objects.filter(pk=payload.get("subscription_id"), active=True).first()
    if sub is None:
        raise PermanentDeliveryError("the subscription is gone or inactive")
    raw = json.dumps(payload["body"], ensure_ascii=False, sort_keys=True).encode()
    headers = signing.signed_headers(
        sub.secret, raw, delivery_id=payload["delivery_id"], event=payload["event"]
    )
    response = httpx.post(
        sub.url,
        content=raw,
        headers=headers,
        timeout=httpx.Timeout(settings.KEEL_WEBHOOK_TIMEOUT_SECONDS),
        verify=tls_context(),
    )
    status = response.status_code
    if 200 <= status < 300:
        return Receipt(response_status=status)
    if 400 <= status < 500 and status not in (408, 429):
        raise PermanentDeliveryError(
            f"subscriber refused with HTTP {status}: {response.text[:500]}",
            response_status=status,
        )
    raise TransientDeliveryError(
        f"subscriber answered HTTP {status}: {response.text[:500]}", response_status=status
    )


def webhook_send_test(*, subscription: WebhookSubscription, actor) -> OutboxMessage | None:
    """The "send test event" button: a signed ``test.ping`` through the normal delivery path."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins may send test events."))
    token = uuid.uuid4().hex[:12]
    return outbox_enqueue(
        channel=WEBHOOK_CHANNEL,
        dedupe_key=f"webhook-test:{subscription.pk}:{token}",
        payload={
            "subscription_id": subscription.pk,
            "event": "test.ping",
            "delivery_id": f"keel-test-{token}",
            "body": {"event": "test.ping", "crisis_id": None, "data": {"sent_by": actor.username}},
        },
    )
