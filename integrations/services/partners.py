"""Partner records and their inbound subscriptions: validated saves with an audit trail of what changed (never a secret)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.audit import AuditAction, audit
from hrcore.errors import ValidationFailed

from .. import adapters
from ..choices import (
    PartnerKind,
)
from ..crypto import encrypt
from ..models import (
    ChannelProvider,
    Partner,
    WebhookSubscription,
)

# --- Partners ------------------------------------------------------------------------------


def partner_protocol_error(kind: str | None, protocol: str | None) -> str:
    """Why no adapter can talk to a partner of ``kind`` over ``protocol`` ("" when one can)."""
    if not kind or not protocol or (kind, protocol) in adapters.registered():
        return ""
    spoken = sorted(p for k, p in adapters.registered() if k == kind)
    return _("No adapter speaks “%(protocol)s” to %(kind)s partners; choose one of: %(known)s.") % {
        "protocol": protocol,
        "kind": kind,
        "known": ", ".join(spoken) or "—",
    }


SECRET_CHANGED = "(changed; value not logged)"
SECRET_SET = "(set; value not logged)"
SECRET_CLEARED = "(cleared)"


def secret_change(old_encrypted: str, new_plain: str | None) -> list[str] | None:
    """How a secret changed, for the audit log: never the value, in clear or encrypted."""
    if new_plain is None:
        return None
    if not new_plain:
        return ["(set)", SECRET_CLEARED] if old_encrypted else None
    return ["(set)" if old_encrypted else "(none)", SECRET_CHANGED if old_encrypted else SECRET_SET]


def audit_partner_change(obj, *, created: bool, changes: dict, actor) -> None:
    """One audit entry per change of partner settings or secrets: who, when, which fields."""
    if not changes and not created:
        return
    audit(
        obj,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        changes=changes,
        actor=actor,
    )


@transaction.atomic
def partner_save(
    *,
    partner: Partner | None = None,
    actor=None,
    token: str | None = None,
    webhook_secret: str | None = None,
    **fields,
) -> Partner:
    """Create or edit a partner; credentials are encrypted, ``None`` keeps the stored ones. Every
    change is in the audit log (actor, time, fields; secrets only as "changed")."""
    partner = partner or Partner()
    created = partner.pk is None
    before = {}
    if not created:
        stored = Partner.objects.filter(pk=partner.pk).values(*fields.keys()).first() or {}
        before = dict(stored)
    for name, value in fields.items():
        setattr(partner, name, value)
    errors = {}
    if partner.kind not in PartnerKind.values:
        errors["kind"] = _("Unknown partner kind.")
    protocol_error = partner_protocol_error(partner.kind, partner.protocol)
    if protocol_error:
        errors["protocol"] = protocol_error
    if not partner.base_url.startswith(("http://", "https://")):
        errors["base_url"] = _("The base URL must start with http:// or https://.")
    if not (0 < partner.timeout_seconds <= 60):
        errors["timeout_seconds"] = _("The timeout must be between 0 and 60 seconds.")
    if not (1 <= partner.max_attempts <= 10):
        errors["max_attempts"] = _("Attempts must be between 1 and 10.")
    if errors:
        raise ValidationFailed(_("The partner configuration is not valid."), errors=errors)
    changes: dict[str, list[str]] = {}
    for name, value in fields.items():
        new = getattr(partner, f"{name}_id", value) if name == "service_user" else value
        old = before.get(name) if not created else None
        if hasattr(new, "pk"):
            new = new.pk
        if created or old != new:
            changes[name] = [
                str(old) if old is not None else "",
                str(new) if new is not None else "",
            ]
    for name, old_encrypted, new_plain in (
        ("token", partner.credentials_encrypted, token),
        ("webhook_secret", partner.webhook_secret_encrypted, webhook_secret),
    ):
        change = secret_change(old_encrypted, new_plain)
        if change:
            changes[name] = change
    if token is not None:
        partner.credentials_encrypted = encrypt(token)
    if webhook_secret is not None:
        partner.webhook_secret_encrypted = encrypt(webhook_secret)
    partner.updated_at = timezone.now()
    partner.save()
    audit_partner_change(partner, created=created, changes=changes, actor=actor)
    adapters.reset_breakers()
    return partner


@transaction.atomic
def subscription_save(
    *,
    partner: Partner,
    url: str,
    events: list[str] | None = None,
    secret: str,
    subscription: WebhookSubscription | None = None,
    active: bool = True,
    actor=None,
) -> WebhookSubscription:
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed(
            _("The subscription is not valid."),
            errors={"url": _("The URL must start with http:// or https://.")},
        )
    sub = subscription or WebhookSubscription(partner=partner)
    created = sub.pk is None
    # The stored values (an admin form has already set the new ones on ``sub``).
    stored = (
        WebhookSubscription.objects.filter(pk=sub.pk)
        .values("partner_id", "url", "events", "active")
        .first()
        if not created
        else None
    ) or {}
    old = {
        "partner": stored.get("partner_id"),
        "url": stored.get("url"),
        "events": stored.get("events"),
        "active": stored.get("active"),
    }
    sub.partner = partner
    sub.url, sub.events, sub.active = url, list(events or []), active
    changes = {
        name: [str(old[name]) if old[name] is not None else "", str(new)]
        for name, new in (
            ("partner", partner.pk),
            ("url", url),
            ("events", sub.events),
            ("active", active),
        )
        if created or old[name] != new
    }
    if secret:
        changes["secret"] = secret_change(sub.secret_encrypted, secret) or []
        sub.secret_encrypted = encrypt(secret)
    sub.save()
    audit_partner_change(sub, created=created, changes=changes, actor=actor)
    return sub


def partner_for(kind: str) -> Partner | None:
    return Partner.objects.filter(kind=kind, enabled=True).order_by("id").first()


# --- Messaging providers -------------------------------------------------------------------


@transaction.atomic
def channel_provider_save(
    *,
    provider: ChannelProvider,
    actor,
    changes: dict[str, list[str]] | None = None,
    secret: str | None = None,
    callback_secret: str | None = None,
) -> ChannelProvider:
    """Save a messaging provider (the admin's form, validated there); a secret given is stored
    encrypted (``None`` or "" keeps the stored one) and audited only as "changed"; the circuit
    breakers start afresh with the new settings."""
    changes = dict(changes or {})
    created = provider._state.adding
    for name, attribute, plain in (
        ("secret", "token_encrypted", secret),
        ("callback_secret", "callback_secret_encrypted", callback_secret),
    ):
        if plain:
            changes[name] = secret_change(getattr(provider, attribute), plain) or []
            setattr(provider, attribute, encrypt(plain))
    provider.save()
    audit_partner_change(provider, created=created, changes=changes, actor=actor)
    adapters.reset_breakers()
    return provider
