"""Every write of the integrations app: partners, customers' credit profiles, dossiers, response
plans, inbound and outbound webhooks, and the HR↔CRM actions (handover, complaints, commission)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import httpx
from auditlog.models import LogEntry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisis.choices import TASK_OPEN_STATES
from crisis.models import Task
from crisis.selectors.access import can_manage, crises_visible_to
from crisis.selectors.crises import crisis_by_id, open_crisis_ids
from crisis.selectors.people import (
    crisis_participant_users,
    crisis_unit_people,
    open_roles_of,
    open_tasks_of,
)
from crisis.services.filing import crisis_file
from crisis.services.tasks import tasks_hand_over
from crisis.services.triggers import triggers_evaluate_customer
from hrcore import jsonsafe
from hrcore.choices import Language
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.i18n import pick
from hrcore.models import Employee, OutboxMessage
from hrcore.selectors import employee_of, has_role, is_hr_admin
from hrcore.services import PermanentDeliveryError, notification_send, outbox_enqueue
from hrcore.text import single_line

from . import adapters, crypto, signing
from .choices import (
    CRISIS_SOURCES,
    CUSTOMER_SOURCES,
    DOSSIER_SOURCES,
    EVERY_EVENT,
    OUTBOUND_EVENTS,
    CommissionStatus,
    DeliveryStatus,
    DossierReason,
    DossierStatus,
    InboundStatus,
    PartnerKind,
    PlanOrigin,
    SourceStatus,
    credit_status_for,
)
from .commission import commission_amount, rate_for_grade
from .crypto import CredentialUnreadable, encrypt
from .models import (
    Commission,
    Complaint,
    Customer,
    Dossier,
    DossierSource,
    Handover,
    InboundDelivery,
    Order,
    Partner,
    ResponsePlan,
    WebhookDelivery,
    WebhookSubscription,
)
from .plan import compose
from .presence import presence_rows

logger = logging.getLogger(__name__)

DEBT_SCENARIOS = ("debt-collection", "debt-collection-emergency")
EMERGENCY_SCENARIO = "debt-collection-emergency"


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


def _secret_change(old_encrypted: str, new_plain: str | None) -> list[str] | None:
    """How a secret changed, for the audit log: never the value, in clear or encrypted."""
    if new_plain is None:
        return None
    if not new_plain:
        return ["(set)", SECRET_CLEARED] if old_encrypted else None
    return ["(set)" if old_encrypted else "(none)", SECRET_CHANGED if old_encrypted else SECRET_SET]


def _audit_partner_change(obj, *, created: bool, changes: dict, actor) -> None:
    """One audit entry per change of partner settings or secrets: who, when, which fields."""
    if not changes and not created:
        return
    LogEntry.objects.log_create(
        obj,
        action=LogEntry.Action.CREATE if created else LogEntry.Action.UPDATE,
        changes=changes,
        force_log=True,
        actor=actor if getattr(actor, "pk", None) else None,
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
        change = _secret_change(old_encrypted, new_plain)
        if change:
            changes[name] = change
    if token is not None:
        partner.credentials_encrypted = encrypt(token)
    if webhook_secret is not None:
        partner.webhook_secret_encrypted = encrypt(webhook_secret)
    partner.updated_at = timezone.now()
    partner.save()
    _audit_partner_change(partner, created=created, changes=changes, actor=actor)
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
        changes["secret"] = _secret_change(sub.secret_encrypted, secret) or []
        sub.secret_encrypted = encrypt(secret)
    sub.save()
    _audit_partner_change(sub, created=created, changes=changes, actor=actor)
    return sub


# --- Webhook subscriptions (the partner API) ---------------------------------------------------

WEBHOOK_SECRET_BYTES = 32
MAX_SUBSCRIPTION_EVENTS = len(OUTBOUND_EVENTS) + 1


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
    _audit_partner_change(sub, created=True, changes=changes, actor=actor)
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
        _audit_partner_change(sub, created=False, changes=changes, actor=actor)
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
    change = _secret_change(sub.secret_encrypted, secret) or []
    sub.secret_encrypted = encrypt(secret)
    sub.save(update_fields=["secret_encrypted"])
    _audit_partner_change(sub, created=False, changes={"secret": change}, actor=actor)
    return sub, secret


@dataclass
class ReencryptReport:
    reencrypted: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


def credentials_reencrypt() -> ReencryptReport:
    """Re-encrypt every stored partner credential with the current SECRET_KEY (after a rotation
    the old key can then leave SECRET_KEY_FALLBACKS). Each row is its own transaction; a value no
    key can decrypt is reported, never overwritten."""
    report = ReencryptReport()
    targets = [
        (Partner, ("credentials_encrypted", "webhook_secret_encrypted")),
        (WebhookSubscription, ("secret_encrypted",)),
    ]
    for model, columns in targets:
        for obj in model.objects.order_by("pk"):
            updates = {}
            for column in columns:
                value = getattr(obj, column)
                if crypto.is_current(value):
                    report.current += bool(value)
                    continue
                try:
                    updates[column] = crypto.reencrypt(value, what=f"{obj} {column}")
                except CredentialUnreadable:
                    report.unreadable.append(f"{model._meta.model_name} {obj.pk} ({obj}): {column}")
            if updates:
                # compare-and-set: a value re-entered meanwhile is left alone
                same = {column: getattr(obj, column) for column in updates}
                if model.objects.filter(pk=obj.pk, **same).update(**updates):
                    report.reencrypted += len(updates)
    return report


def partner_for(kind: str) -> Partner | None:
    return Partner.objects.filter(kind=kind, enabled=True).order_by("id").first()


# --- Customers -----------------------------------------------------------------------------


def _evaluate_triggers(customer: Customer) -> list:
    """Let the crisis engine look at the updated profile; never breaks our own write."""
    try:
        with transaction.atomic():
            return list(triggers_evaluate_customer(customer=customer) or [])
    except Exception:
        logger.exception("crisis triggers failed for customer %s", customer.external_id)
        return []


@transaction.atomic
def customer_credit_update(
    *,
    customer: Customer,
    outstanding_amount: Decimal | str | None = None,
    overdue_days: int | None = None,
    overdue_since: date | str | None = None,
    currency: str | None = None,
    last_contact_at: datetime | None = None,
    last_contact_risk: bool | None = None,
    last_contact_note: str | None = None,
    actor=None,
    evaluate: bool = True,
) -> tuple[Customer, list]:
    """Keep the customer's credit profile current, then run the crisis engine's triggers."""
    errors = {}
    if outstanding_amount is not None:
        try:
            outstanding_amount = Decimal(str(outstanding_amount))
            if outstanding_amount < 0 or not outstanding_amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors["outstanding_amount"] = _("Not a valid amount.")
    if overdue_days is not None and (
        isinstance(overdue_days, bool) or not isinstance(overdue_days, int) or overdue_days < 0
    ):
        errors["overdue_days"] = _("Days overdue must be a whole number ≥ 0.")
    if isinstance(overdue_since, str):
        try:
            overdue_since = date.fromisoformat(overdue_since)
        except ValueError:
            errors["overdue_since"] = _("Not a date (YYYY-MM-DD).")
    if errors:
        raise ValidationFailed(_("The credit profile update is not valid."), errors=errors)
    changed = []
    for name, value in (
        ("outstanding_amount", outstanding_amount),
        ("overdue_days", overdue_days),
        ("currency", currency),
        ("last_contact_at", last_contact_at),
        ("last_contact_risk", last_contact_risk),
        ("last_contact_note", last_contact_note),
    ):
        if value is not None and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if overdue_days is not None:
        since = overdue_since if overdue_days else None
        if since is None and overdue_days:
            since = customer.overdue_since or (timezone.localdate() - timedelta(days=overdue_days))
        if customer.overdue_since != since:
            customer.overdue_since = since
            changed.append("overdue_since")
    status = credit_status_for(customer.overdue_days)
    if customer.credit_status != status:
        customer.credit_status = status
        changed.append("credit_status")
    if changed:
        customer.updated_at = timezone.now()
        customer.save(update_fields=[*set(changed), "updated_at"])
    results = _evaluate_triggers(customer) if evaluate else []
    return customer, results


# --- Dossiers ------------------------------------------------------------------------------


def _crisis(crisis_id: int):
    return crisis_by_id(crisis_id)


def dossier_sources_for(
    *, scenario: str, customer: Customer | None, crisis: bool = False
) -> list[str]:
    sources = list(CUSTOMER_SOURCES) if customer is not None else []
    if scenario:
        sources.append("legal_guide")
    if crisis:
        sources.extend(CRISIS_SOURCES)
    return sources


def _enqueue_build(dossier_id: int) -> None:
    from .tasks import dossier_build

    try:
        dossier_build.delay(dossier_id)
    except Exception:  # broker down: the retry sweep rebuilds dossiers left "building"
        logger.warning("could not queue dossier %s; the sweep will pick it up", dossier_id)


@transaction.atomic
def dossier_request(
    *,
    crisis_id: int | None = None,
    customer: Customer | None = None,
    reason: str = DossierReason.MANUAL,
    actor=None,
    dedupe_seconds: int = 5,
) -> Dossier:
    """Ask for a fresh dossier; it is assembled in the background (never in the web request).
    A request while an identical one is still building within ``dedupe_seconds`` returns it."""
    scenario = ""
    if crisis_id is not None:
        crisis = _crisis(crisis_id)
        if crisis is None:
            raise NotFound(_("No such crisis."))
        customer = crisis.customer
        scenario = crisis.scenario.code
    elif customer is None:
        raise ValidationFailed(_("A dossier is about a crisis or a customer."))
    elif customer.overdue_days > 0:
        scenario = "debt-collection"
    subject = Q(crisis_id=crisis_id) if crisis_id else Q(crisis_id__isnull=True, customer=customer)
    recent = (
        Dossier.objects.filter(subject, status=DossierStatus.BUILDING)
        .filter(requested_at__gte=timezone.now() - timedelta(seconds=dedupe_seconds))
        .first()
    )
    if recent is not None:
        return recent
    dossier = Dossier.objects.create(
        crisis_id=crisis_id,
        customer=customer,
        scenario=scenario,
        reason=reason,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    DossierSource.objects.bulk_create(
        [
            DossierSource(dossier=dossier, source=s)
            for s in dossier_sources_for(
                scenario=scenario, customer=customer, crisis=crisis_id is not None
            )
        ]
    )
    transaction.on_commit(lambda: _enqueue_build(dossier.pk))
    return dossier


@dataclass
class _Job:
    source: str
    config: adapters.PartnerConfig | None
    external_id: str
    scenario: str
    people: list[dict] = field(default_factory=list)  # attendance: who to look up
    config_error: str = ""  # why the partner cannot be called (e.g. an unreadable token)


@dataclass
class _Outcome:
    source: str
    partner: str
    data: object = None
    error: str = ""
    ok: bool = False
    started: float = 0.0
    finished: float = 0.0


def _fetch(job: _Job) -> _Outcome:
    """Runs in a worker thread: adapters only, no ORM."""
    outcome = _Outcome(job.source, job.config.slug if job.config else "", started=time.monotonic())
    try:
        if job.config_error:
            raise adapters.PermanentError(job.config_error)
        if job.config is None:
            raise adapters.PermanentError(
                f"no enabled {DOSSIER_SOURCES[job.source]} partner is configured"
            )
        adapter = adapters.adapter_for(job.config)
        if job.source == "credit":
            outcome.data = adapter.credit_profile(job.external_id).to_json()
        elif job.source == "payments":
            outcome.data = [p.to_json() for p in adapter.payment_history(job.external_id)]
        elif job.source == "invoices":
            outcome.data = [i.to_json() for i in adapter.unpaid_invoices(job.external_id)]
        elif job.source == "legal_guide":
            outcome.data = adapter.guide(job.scenario, "overdue-payment").to_json()
        elif job.source == "contacts":
            outcome.data = [c.to_json() for c in adapter.contacts(job.external_id)]
        elif job.source == "complaints":
            outcome.data = [c.to_json() for c in adapter.complaints(job.external_id)]
        elif job.source == "orders":
            outcome.data = [o.to_json() for o in adapter.orders(job.external_id)]
        elif job.source == "attendance":
            records = adapter.today([p["username"] for p in job.people])
            outcome.data = presence_rows(
                job.people, {name: r.to_json() for name, r in records.items()}
            )
        outcome.ok = True
    except adapters.AdapterError as exc:
        outcome.error = exc.reason
    except Exception as exc:  # a bug in one source must not sink the others
        logger.exception("dossier source %s failed unexpectedly", job.source)
        outcome.error = f"unexpected error: {type(exc).__name__}: {exc}"
    outcome.finished = time.monotonic()
    return outcome


def _people_on_call(crisis_id: int | None) -> list[dict]:
    """The crisis unit's people and its tasks' assignees, read before the pull threads start
    (the adapters get plain values, never model instances)."""
    crisis = _crisis(crisis_id) if crisis_id else None
    if crisis is None:
        return []
    return [
        {
            "username": e.user.username,
            "name_zh": e.name_zh,
            "name_en": e.name_en,
            "assignee": e.is_assignee,
        }
        for e in crisis_unit_people(crisis)
    ]


def _previous_source(dossier: Dossier, source: str) -> DossierSource | None:
    subject = (
        Q(dossier__crisis_id=dossier.crisis_id)
        if dossier.crisis_id
        else Q(dossier__crisis_id__isnull=True, dossier__customer_id=dossier.customer_id)
    )
    return (
        DossierSource.objects.filter(subject, source=source, dossier__id__lt=dossier.pk)
        .filter(status__in=[SourceStatus.FRESH, SourceStatus.STALE])
        .order_by("-dossier_id")
        .first()
    )


def _partner_configs() -> tuple[dict[str, adapters.PartnerConfig], dict[str, str]]:
    """The enabled partners' configurations by kind, and by kind why a partner cannot be used
    (its stored token no key can decrypt: a loud error on the source, never an empty token)."""
    configs: dict[str, adapters.PartnerConfig] = {}
    unreadable: dict[str, str] = {}
    for partner in Partner.objects.filter(enabled=True).order_by("-id"):
        try:
            configs[partner.kind] = partner.config()
        except CredentialUnreadable as exc:
            configs.pop(partner.kind, None)
            unreadable[partner.kind] = str(exc)
        else:
            unreadable.pop(partner.kind, None)
    return configs, unreadable


def dossier_assemble(*, dossier_id: int) -> Dossier:
    """Pull every source of the dossier concurrently (one thread per source) and record each
    source's outcome; a failed source keeps the last good data as "stale" and never blocks."""
    dossier = Dossier.objects.select_related("customer").get(pk=dossier_id)
    if dossier.status == DossierStatus.COMPLETE:
        return dossier  # idempotent: a redelivered task does nothing
    partners, unreadable = _partner_configs()
    external_id = dossier.customer.external_id if dossier.customer_id else ""
    sources = list(dossier.sources.all())
    people = (
        _people_on_call(dossier.crisis_id) if any(s.source == "attendance" for s in sources) else []
    )
    jobs = [
        _Job(
            s.source,
            partners.get(DOSSIER_SOURCES[s.source]),
            external_id,
            dossier.scenario,
            people if s.source == "attendance" else [],
            unreadable.get(DOSSIER_SOURCES[s.source], ""),
        )
        for s in sources
    ]
    Dossier.objects.filter(pk=dossier.pk).update(started_at=timezone.now())
    started = time.monotonic()
    if jobs:
        with ThreadPoolExecutor(max_workers=min(len(jobs), 8)) as pool:
            outcomes = list(pool.map(_fetch, jobs))
    else:
        outcomes = []
    finished_at = timezone.now()
    elapsed = time.monotonic() - started
    with transaction.atomic():
        for outcome in outcomes:
            duration = int((outcome.finished - outcome.started) * 1000)
            row = DossierSource.objects.get(dossier=dossier, source=outcome.source)
            row.partner_slug, row.duration_ms = outcome.partner, duration
            if outcome.ok:
                row.status, row.data, row.error = SourceStatus.FRESH, outcome.data, ""
                row.fetched_at = finished_at
            else:
                previous = _previous_source(dossier, outcome.source)
                row.error = outcome.error[:2000]
                if previous is not None:
                    row.status, row.data, row.fetched_at = (
                        SourceStatus.STALE,
                        previous.data,
                        previous.fetched_at,
                    )
                else:
                    row.status, row.data, row.fetched_at = SourceStatus.FAILED, None, None
            row.save()
        content = {o.source: o.data for o in outcomes if o.ok}
        dossier.content_hash = hashlib.sha256(
            json.dumps(content, sort_keys=True, default=str).encode()
        ).hexdigest()
        dossier.status = DossierStatus.COMPLETE
        dossier.completed_at = finished_at
        dossier.started_at = finished_at - timedelta(seconds=elapsed)
        dossier.save(update_fields=["content_hash", "status", "completed_at", "started_at"])
        if dossier.customer_id:
            _apply_fresh_profile(dossier, content)
        if dossier.crisis_id:
            response_plan_generate(crisis_id=dossier.crisis_id, dossier=dossier)
    return dossier


def _apply_fresh_profile(dossier: Dossier, content: dict) -> None:
    """Fresh finance/CRM data keeps the customer's credit profile current."""
    credit = content.get("credit")
    contacts = content.get("contacts") or []
    last = max(contacts, key=lambda c: c["at"]) if contacts else None
    if credit is None and last is None:
        return
    kwargs: dict = {}
    if credit is not None:
        kwargs.update(
            outstanding_amount=credit["outstanding_amount"],
            overdue_days=credit["overdue_days"],
            overdue_since=credit.get("overdue_since"),
            currency=credit.get("currency") or "CNY",
        )
    if last is not None:
        kwargs.update(
            last_contact_at=datetime.fromisoformat(last["at"]),
            last_contact_risk=bool(last["risk"]),
            last_contact_note="\n".join(n for n in (last["note_zh"], last["note_en"]) if n),
        )
    customer_credit_update(customer=dossier.customer, **kwargs)


def latest_dossier(*, crisis_id: int | None = None, customer: Customer | None = None):
    """The newest complete dossier of a subject, and whether a newer one is being built."""
    qs = (
        Dossier.objects.filter(crisis_id=crisis_id)
        if crisis_id
        else Dossier.objects.filter(crisis_id__isnull=True, customer=customer)
    )
    complete = qs.filter(status=DossierStatus.COMPLETE).order_by("-id").first()
    building = qs.filter(status=DossierStatus.BUILDING).exists()
    return complete, building


def dossier_sweep_stuck(*, older_than_seconds: int = 120) -> int:
    """Re-queue dossiers still "building" long after their request (a lost task)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Dossier.objects.filter(status=DossierStatus.BUILDING, requested_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )
    for pk in ids:
        _enqueue_build(pk)
    return len(ids)


def dossier_retry_failed(*, max_retries: int = 5) -> int:
    """Open crises whose latest dossier has failed or stale sources get a new pull, with
    exponential backoff (30 s, 60 s, 120 s …) and a bound on the number of retries."""
    now = timezone.now()
    open_ids = list(open_crisis_ids()[:500])
    count = 0
    for crisis_id in open_ids:
        latest = Dossier.objects.filter(crisis_id=crisis_id).order_by("-id").first()
        if latest is None or latest.status != DossierStatus.COMPLETE:
            continue
        if not latest.sources.filter(status__in=[SourceStatus.FAILED, SourceStatus.STALE]).exists():
            continue
        retries = Dossier.objects.filter(
            crisis_id=crisis_id,
            reason=DossierReason.RETRY,
            requested_at__gte=now - timedelta(hours=1),
        ).count()
        if retries >= max_retries:
            continue
        if latest.completed_at and now - latest.completed_at < timedelta(seconds=30 * 2**retries):
            continue
        dossier_request(crisis_id=crisis_id, reason=DossierReason.RETRY)
        count += 1
    return count


# --- Response plans ------------------------------------------------------------------------


def _task_summaries(crisis) -> list[dict]:
    rows = []
    tasks = crisis.tasks.select_related("assignee", "duty").order_by("order", "id")
    for task in tasks:
        duty = getattr(task, "duty", None)
        rows.append(
            {
                "action_zh": getattr(duty, "action_zh", "") or task.duty_code,
                "action_en": getattr(duty, "action_en", "") or task.duty_code,
                "assignee_zh": task.assignee.name_zh if task.assignee_id else "",
                "assignee_en": task.assignee.name_en if task.assignee_id else "",
                "due_at": task.due_at.isoformat() if task.due_at else None,
                "status": task.status,
            }
        )
    return rows


def _dossier_content(dossier: Dossier | None) -> dict:
    if dossier is None:
        return {}
    return {
        s.source: s.data
        for s in dossier.sources.all()
        if s.status in (SourceStatus.FRESH, SourceStatus.STALE)
    }


@transaction.atomic
def response_plan_generate(
    *, crisis_id: int, dossier: Dossier | None = None, actor=None, force: bool = False
) -> ResponsePlan | None:
    """A new generated version when what the plan says would change: new dossier data or the
    crisis's tasks moved on. The manager's edits to the wording are carried into it."""
    crisis = _crisis(crisis_id)
    if crisis is None:
        raise NotFound(_("No such crisis."))
    if dossier is None:
        dossier, _building = latest_dossier(crisis_id=crisis_id)
    latest = ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()
    customer = crisis.customer
    fields = compose(
        sources=_dossier_content(dossier),
        tasks=_task_summaries(crisis),
        customer={"name_zh": customer.name_zh, "name_en": customer.name_en} if customer else None,
        today=timezone.localdate(),
    )
    if latest is not None and latest.origin == PlanOrigin.EDITED:
        base = (
            ResponsePlan.objects.filter(
                crisis_id=crisis_id, origin=PlanOrigin.GENERATED, version__lt=latest.version
            )
            .order_by("-version")
            .first()
        )
        for name in PLAN_TEXT_FIELDS:
            if base is None or getattr(latest, name) != getattr(base, name):
                fields[name] = getattr(latest, name)
    if (
        latest is not None
        and not force
        and all(getattr(latest, name) == fields[name] for name in PLAN_FIELDS)
    ):
        return None
    version = (latest.version if latest else 0) + 1
    return ResponsePlan.objects.create(
        crisis_id=crisis_id, version=version, dossier=dossier, author=actor, **fields
    )


def response_plans_refresh(*, limit: int = 200) -> int:
    """Regenerate the plans of open crises whose tasks moved on (next steps, owners, deadlines)."""
    crisis_ids = list(
        open_crisis_ids().filter(pk__in=ResponsePlan.objects.values("crisis_id"))[:limit]
    )
    created = 0
    for crisis_id in crisis_ids:
        with transaction.atomic():
            created += response_plan_generate(crisis_id=crisis_id) is not None
    return created


def _can_edit_plan(user, crisis) -> bool:
    return bool(can_manage(user, crisis))


def _require_plan_manager(crisis_id: int, actor, denied: str):
    """The crisis whose response plan ``actor`` edits or shares: 404 when it does not exist or
    is not visible to them, ``denied`` (403) when they may not manage it."""
    crisis = _crisis(crisis_id)
    if crisis is None or not crises_visible_to(actor).filter(pk=crisis_id).exists():
        raise NotFound(_("No such crisis."))
    if not _can_edit_plan(actor, crisis):
        raise PermissionDenied(denied)
    return crisis


PLAN_TEXT_FIELDS = (
    "say_zh",
    "say_en",
    "never_say_zh",
    "never_say_en",
    "legal_basis_zh",
    "legal_basis_en",
)
PLAN_FIELDS = (*PLAN_TEXT_FIELDS, "amounts", "next_steps")


@transaction.atomic
def response_plan_edit(*, crisis_id: int, actor, **texts: str) -> ResponsePlan:
    """The manager's edit before sharing: a new version, origin "edited"."""
    _require_plan_manager(
        crisis_id, actor, _("Only the crisis's manager may edit the response plan.")
    )
    latest = ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()
    if latest is None:
        raise Conflict(_("There is no response plan yet; it appears once the dossier is in."))
    unknown = set(texts) - set(PLAN_TEXT_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown plan fields."), errors={k: _("Unknown.") for k in unknown}
        )
    plan = ResponsePlan.objects.create(
        crisis_id=crisis_id,
        version=latest.version + 1,
        origin=PlanOrigin.EDITED,
        dossier=latest.dossier,
        amounts=latest.amounts,
        next_steps=latest.next_steps,
        author=actor,
        **{f: texts.get(f, getattr(latest, f)) for f in PLAN_TEXT_FIELDS},
    )
    return plan


@transaction.atomic
def response_plan_share(*, crisis_id: int, actor) -> ResponsePlan:
    """Mark the latest version shared and tell the crisis's participants."""
    crisis = _require_plan_manager(
        crisis_id, actor, _("Only the crisis's manager may share the response plan.")
    )
    plan = ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()
    if plan is None:
        raise Conflict(_("There is no response plan yet."))
    if plan.shared_at is None:
        plan.shared_at = timezone.now()
        plan.save(update_fields=["shared_at"])
        recipients = [u for u in crisis_participant_users(crisis) if u.pk != actor.pk]
        for user in recipients:
            notification_send(
                recipient=user,
                kind="response_plan_shared",
                subject=(
                    f"应对方案 v{plan.version} 已共享：{crisis.title}",
                    f"Response plan v{plan.version} shared: {crisis.title}",
                ),
                link=f"/crises/{crisis.pk}/",
                dedupe_key=f"plan-shared:{plan.pk}:{user.pk}",
            )
    return plan


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


def _handle_order_paid(partner: Partner, payload: dict) -> dict:
    customer = _customer_from(payload)
    commission = order_mark_paid(
        customer=customer,
        external_id=str(payload.get("order") or ""),
        amount=payload.get("amount"),
        actor=partner.service_user,
    )
    return {"commission_id": commission.pk if commission else None}


INBOUND_EVENTS = {
    "payment.recorded",
    "customer.overdue",
    "collectors.on_site",
    "complaint.created",
    "order.paid",
}


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
            else:
                result = _handle_order_paid(partner, payload)
            inbound.status, inbound.result = InboundStatus.PROCESSED, result
            inbound.save(update_fields=["status", "result"])
    except IntegrityError:
        return _reject(409, "replayed", _("This delivery id was already received."))
    except (ValidationFailed, NotFound) as exc:
        _record_inbound(partner, delivery_id, event, payload, InboundStatus.REJECTED, exc.message)
        return WebhookResult(
            422 if isinstance(exc, ValidationFailed) else 404,
            {
                "status": 422 if isinstance(exc, ValidationFailed) else 404,
                "code": exc.code,
                "detail": exc.message,
                "errors": exc.errors,
            },
        )
    return WebhookResult(200, {"status": 200, "delivery_id": delivery_id, "result": result})


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
    try:
        with transaction.atomic():
            InboundDelivery.objects.create(
                partner=partner,
                delivery_id=delivery_id,
                event=event[:64],
                payload=payload,
                status=status,
                error=str(error)[:2000],
            )
    except IntegrityError:
        pass


# --- Outbound events -----------------------------------------------------------------------

WEBHOOK_CHANNEL = "webhook"


def event_fan_out(message: OutboxMessage) -> None:
    """The "event" outbox channel: one signed delivery per interested subscription (each its own
    outbox row, so each retries independently); on crisis.filed also request the dossier."""
    payload = message.payload or {}
    event = payload.get("event")
    if not event:
        raise PermanentDeliveryError("event message without an event name")
    if event == "crisis.filed" and payload.get("crisis_id"):
        crisis_id = int(payload["crisis_id"])
        if not Dossier.objects.filter(crisis_id=crisis_id).exists() and _crisis(crisis_id):
            dossier_request(crisis_id=crisis_id, reason=DossierReason.FILED)
    body = {
        "event": event,
        "crisis_id": payload.get("crisis_id"),
        "data": payload.get("data") or {},
        "occurred_at": message.created_at.isoformat(),
    }
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


def webhook_deliver(message: OutboxMessage) -> None:
    """The "webhook" outbox channel: POST the signed event; 2xx delivered, 4xx permanent, else
    raise so the outbox retries with backoff. Every attempt is logged for HR admins."""
    from hrcore.services import OUTBOX_MAX_ATTEMPTS

    payload = message.payload
    sub = WebhookSubscription.objects.filter(pk=payload.get("subscription_id"), active=True).first()
    if sub is None:
        raise PermanentDeliveryError("the subscription is gone or inactive")
    raw = json.dumps(payload["body"], ensure_ascii=False, sort_keys=True).encode()
    headers = signing.signed_headers(
        sub.secret, raw, delivery_id=payload["delivery_id"], event=payload["event"]
    )
    log = WebhookDelivery(
        subscription=sub,
        event=payload["event"],
        delivery_id=payload["delivery_id"],
        attempt=message.attempts,
        payload=payload["body"],
    )
    started = time.monotonic()
    try:
        response = httpx.post(
            sub.url,
            content=raw,
            headers=headers,
            timeout=httpx.Timeout(settings.KEEL_WEBHOOK_TIMEOUT_SECONDS),
        )
    except httpx.HTTPError as exc:
        log.error = f"{type(exc).__name__}: {exc}"[:2000]
        log.status = (
            DeliveryStatus.DEAD
            if message.attempts >= OUTBOX_MAX_ATTEMPTS
            else DeliveryStatus.FAILED
        )
        log.duration_ms = int((time.monotonic() - started) * 1000)
        log.save()
        raise
    log.duration_ms = int((time.monotonic() - started) * 1000)
    log.response_status = response.status_code
    if 200 <= response.status_code < 300:
        log.status = DeliveryStatus.DELIVERED
        log.save()
        return
    log.error = response.text[:500]
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        log.status = DeliveryStatus.DEAD
        log.save()
        raise PermanentDeliveryError(f"subscriber refused with HTTP {response.status_code}")
    log.status = (
        DeliveryStatus.DEAD if message.attempts >= OUTBOX_MAX_ATTEMPTS else DeliveryStatus.FAILED
    )
    log.save()
    raise RuntimeError(f"subscriber answered HTTP {response.status_code}")


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


# --- Periodic pull -------------------------------------------------------------------------


def customers_pull() -> dict:
    """Pull every customer's credit profile from finance (the webhooks' safety net)."""
    partner = partner_for(PartnerKind.FINANCE)
    if partner is None:
        return {"updated": 0, "error": "no finance partner"}
    try:
        profiles = adapters.adapter_for(partner.config()).credit_profiles()
    except CredentialUnreadable as exc:
        return {"updated": 0, "error": str(exc)}
    except adapters.AdapterError as exc:
        logger.warning("customer pull failed: %s", exc.reason)
        return {"updated": 0, "error": exc.reason}
    by_id = {p.external_id: p for p in profiles}
    updated = 0
    for customer in Customer.objects.filter(external_id__in=list(by_id)):
        p = by_id[customer.external_id]
        if (
            customer.outstanding_amount != p.outstanding_amount
            or customer.overdue_days != p.overdue_days
        ):
            customer_credit_update(
                customer=customer,
                outstanding_amount=p.outstanding_amount,
                overdue_days=p.overdue_days,
                overdue_since=p.overdue_since,
            )
            updated += 1
    return {"updated": updated, "error": ""}


# --- HR ↔ CRM: offboarding and handover ----------------------------------------------------


def successor_suggestions(*, employee: Employee, limit: int = 3) -> list[Employee]:
    """Colleagues in the same unit (then the same subsidiary), least loaded first, similar grade."""
    candidates = Employee.objects.filter(is_active=True).exclude(pk=employee.pk)
    same_unit = candidates.filter(unit=employee.unit)
    pool = (
        same_unit
        if same_unit.exists()
        else candidates.filter(unit__path__startswith=employee.unit.path.rsplit("/", 2)[0] + "/")
    )
    pool = pool.select_related("unit", "position", "user").annotate(
        customer_load=Count("customers", distinct=True),
        task_load=Count(
            "crisis_tasks",
            filter=Q(crisis_tasks__status__in=TASK_OPEN_STATES),
            distinct=True,
        ),
    )
    ranked = sorted(
        pool,
        key=lambda e: (
            e.customer_load + e.task_load,
            abs(e.grade - employee.grade),
            e.pk,
        ),
    )
    return ranked[:limit]


def offboarding_preview(*, employee: Employee) -> dict:
    """Everything a leaving employee holds, and who could take it over."""
    return {
        "employee": employee,
        "customers": list(Customer.objects.filter(account_owner=employee).select_related("unit")),
        "tasks": list(open_tasks_of(employee)),
        "crisis_roles": open_roles_of(employee),
        "suggestions": successor_suggestions(employee=employee),
    }


def _can_hand_over(actor, employee: Employee) -> bool:
    if is_hr_admin(actor):
        return True
    mine = getattr(actor, "employee", None)
    return bool(mine and employee.manager_id == mine.pk)


def _log_change(obj, field: str, old, new, actor, note: str) -> None:
    """Bulk updates bypass auditlog's signals, so each change is written explicitly."""
    LogEntry.objects.log_create(
        obj,
        action=LogEntry.Action.UPDATE,
        changes={field: [str(old), str(new)]},
        force_log=True,
        actor=actor,
        additional_data={"reason": note},
    )


@transaction.atomic
def handover_execute(
    *,
    employee: Employee,
    successor: Employee,
    actor,
    window_hours: int = 72,
    note: str = "",
) -> Handover:
    """Hand a leaving employee's customers and open crisis tasks to the successor, in one
    audited action that can be reverted within ``window_hours``."""
    if not _can_hand_over(actor, employee):
        raise PermissionDenied(_("Only HR admins or the employee's manager may hand over."))
    if successor.pk == employee.pk:
        raise ValidationFailed(
            _("The successor must be someone else."), errors={"successor": _("Same person.")}
        )
    if not successor.is_active:
        raise ValidationFailed(
            _("The successor has left the company."), errors={"successor": _("Not employed.")}
        )
    customers = list(Customer.objects.select_for_update().filter(account_owner=employee))
    tasks = list(open_tasks_of(employee))
    if not customers and not tasks:
        raise Conflict(_("%(name)s holds no customers or open tasks.") % {"name": employee.name})
    now = timezone.now()
    handover = Handover.objects.create(
        employee=employee,
        successor=successor,
        customer_ids=[c.pk for c in customers],
        task_ids=[t.pk for t in tasks],
        executed_by=actor,
        executed_at=now,
        revertible_until=now + timedelta(hours=window_hours),
        note=note,
    )
    reason = f"handover #{handover.pk}"
    Customer.objects.filter(pk__in=handover.customer_ids).update(
        account_owner=successor, updated_at=now
    )
    for c in customers:
        _log_change(c, "account_owner", employee, successor, actor, reason)
    if tasks:
        # Through the crisis engine: timeline event, participant, assignment notification.
        for t in tasks_hand_over(tasks=tasks, successor=successor, actor=actor, reason=reason):
            _log_change(t, "assignee", employee, successor, actor, reason)
    LogEntry.objects.log_create(
        handover, action=LogEntry.Action.CREATE, changes={}, force_log=True, actor=actor
    )
    notification_send(
        recipient=successor.user,
        kind="handover_received",
        subject=(
            f"您已接手 {employee.name_zh} 的 {len(customers)} 个客户与 {len(tasks)} 项任务",
            f"You took over {len(customers)} customers and {len(tasks)} tasks from "
            f"{employee.name_en}",
        ),
        link="/integrations/customers/",
        dedupe_key=f"handover:{handover.pk}",
    )
    return handover


@transaction.atomic
def handover_revert(*, handover: Handover, actor) -> Handover:
    """Undo a handover within its window; only items still with the successor move back."""
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    if not _can_hand_over(actor, handover.employee):
        raise PermissionDenied(_("Only HR admins or the employee's manager may revert."))
    if handover.reverted_at is not None:
        raise Conflict(_("This handover was already reverted."))
    now = timezone.now()
    if now > handover.revertible_until:
        raise Conflict(_("The window to revert this handover has closed."))
    reason = f"revert handover #{handover.pk}"
    customers = list(
        Customer.objects.filter(pk__in=handover.customer_ids, account_owner=handover.successor)
    )
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        account_owner=handover.employee, updated_at=now
    )
    for c in customers:
        _log_change(c, "account_owner", handover.successor, handover.employee, actor, reason)
    if handover.task_ids:
        tasks = list(Task.objects.filter(pk__in=handover.task_ids, assignee=handover.successor))
        for t in tasks_hand_over(
            tasks=tasks, successor=handover.employee, actor=actor, reason=reason
        ):
            _log_change(t, "assignee", handover.successor, handover.employee, actor, reason)
    handover.reverted_at, handover.reverted_by = now, actor
    handover.save(update_fields=["reverted_at", "reverted_by"])
    return handover


# --- HR ↔ CRM: complaints and commission ---------------------------------------------------

COMPLAINT_POINTS = {"low": -1, "medium": -2, "high": -3, "critical": -5}


@transaction.atomic
def complaint_record(
    *,
    customer: Customer,
    external_id: str,
    severity: str = "medium",
    summary_zh: str = "",
    summary_en: str = "",
    actor=None,
) -> Complaint:
    """Record a complaint against the account owner's performance and route it to the owner and
    their supervisor (idempotent per external id)."""
    if not external_id:
        raise ValidationFailed(_("The complaint needs an id."), errors={"id": _("Required.")})
    if severity not in COMPLAINT_POINTS:
        raise ValidationFailed(
            _("Unknown severity."), errors={"severity": ", ".join(COMPLAINT_POINTS)}
        )
    existing = Complaint.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    owner = customer.account_owner
    supervisor = owner.manager if owner else None
    complaint = Complaint.objects.create(
        external_id=external_id,
        customer=customer,
        employee=owner,
        supervisor=supervisor,
        severity=severity,
        summary_zh=summary_zh,
        summary_en=summary_en,
        performance_points=COMPLAINT_POINTS[severity] if owner else 0,
    )
    for person, role in ((owner, "owner"), (supervisor, "supervisor")):
        if person is None:
            continue
        notification_send(
            recipient=person.user,
            kind="complaint",
            subject=(
                f"客户投诉：{customer.name_zh}（{severity}）",
                f"Customer complaint: {customer.name_en} ({severity})",
            ),
            body=(summary_zh, summary_en),
            link=f"/integrations/customers/{customer.external_id}/",
            dedupe_key=f"complaint:{complaint.pk}:{role}",
        )
    return complaint


def performance_points(employee: Employee) -> int:
    return sum(
        Complaint.objects.filter(employee=employee).values_list("performance_points", flat=True)
    )


@transaction.atomic
def order_mark_paid(
    *, customer: Customer, external_id: str, amount=None, actor=None
) -> Commission | None:
    """Record an order as paid; creates the owner's pending commission at their grade's rate
    (once per order)."""
    if not external_id:
        raise ValidationFailed(_("The order needs an id."), errors={"order": _("Required.")})
    order = Order.objects.select_for_update().filter(external_id=external_id).first()
    if order is None:
        try:
            value = Decimal(str(amount))
            if value <= 0 or not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, TypeError):
            raise ValidationFailed(
                _("The order amount is not valid."), errors={"amount": _("A positive amount.")}
            ) from None
        order = Order.objects.create(
            external_id=external_id, customer=customer, owner=customer.account_owner, amount=value
        )
    if order.status != "paid":
        order.status, order.paid_at = "paid", timezone.now()
        order.save(update_fields=["status", "paid_at"])
    if order.owner is None:
        return None
    existing = Commission.objects.filter(order=order).first()
    if existing is not None:
        return existing
    rate = rate_for_grade(order.owner.grade)
    return Commission.objects.create(
        order=order,
        employee=order.owner,
        grade=order.owner.grade,
        rate=rate,
        amount=commission_amount(order.amount, rate),
        currency=order.currency,
    )


def is_finance(user) -> bool:
    employee = getattr(user, "employee", None) if user.is_authenticated else None
    return bool(user.is_superuser or (employee and employee.unit.function == "finance"))


@transaction.atomic
def commission_approve(*, commission: Commission, actor, reject: bool = False) -> Commission:
    """Finance approves first, then HR; either may reject."""
    commission = Commission.objects.select_for_update().get(pk=commission.pk)
    now = timezone.now()
    if commission.status in (CommissionStatus.APPROVED, CommissionStatus.REJECTED):
        raise Conflict(_("This commission is already decided."))
    if commission.status == CommissionStatus.PENDING:
        if not is_finance(actor):
            raise PermissionDenied(_("Finance approves a commission first."))
        commission.finance_approved_by, commission.finance_approved_at = actor, now
        commission.status = (
            CommissionStatus.REJECTED if reject else CommissionStatus.FINANCE_APPROVED
        )
    else:
        if not is_hr_admin(actor):
            raise PermissionDenied(_("HR approves a commission after finance."))
        commission.hr_approved_by, commission.hr_approved_at = actor, now
        commission.status = CommissionStatus.REJECTED if reject else CommissionStatus.APPROVED
    commission.save()
    LogEntry.objects.log_create(
        commission,
        action=LogEntry.Action.UPDATE,
        changes={"status": ["", commission.status]},
        force_log=True,
        actor=actor,
    )
    return commission


def can_manage_people(user) -> bool:
    return is_hr_admin(user) or has_role(user, "manager")


# --- Housekeeping --------------------------------------------------------------------------


def inbound_deliveries_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Prune inbound webhook deliveries older than ``KEEL_RETENTION_INBOUND_DELIVERIES_DAYS``
    (30): a replay that old is refused by the signature's timestamp window anyway. Deliveries
    that filed or touched a crisis that is still open stay."""
    from django.conf import settings

    from hrcore.services import crisis_id_of, open_crisis_ids, prune_rows

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
