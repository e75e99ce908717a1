"""Customer dossiers: requesting, assembling from partner sources in parallel, sweeping and retrying."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.selectors.crises import crisis_by_id, open_crisis_ids
from crisis.selectors.people import crisis_unit_people
from crisis.selectors.walk_in import walk_in_of
from customers.models import Customer
from hrcore.errors import NotFound, ValidationFailed

from .. import adapters
from ..choices import (
    CRISIS_SOURCES,
    CUSTOMER_SOURCES,
    DOSSIER_SOURCES,
    DossierReason,
    DossierStatus,
    SourceStatus,
)
from ..crypto import CredentialUnreadable
from ..models import (
    Dossier,
    DossierSource,
    Partner,
)
from ..presence import presence_rows
from .credit import customer_credit_update
from .plans import response_plan_generate

logger = logging.getLogger(__name__)


# --- Dossiers ------------------------------------------------------------------------------


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
    from ..tasks import dossier_build

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
        crisis = crisis_by_id(crisis_id)
        if crisis is None:
            raise NotFound(_("No such crisis."))
        if crisis.is_drill:
            snapshot = _drill_snapshot(crisis, actor=actor)
            if snapshot is not None:
                return snapshot
        # A walk-in consumer's complaint reads no company's finance or CRM records.
        customer = None if walk_in_of(crisis) is not None else crisis.customer
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


# --- A drill's dossier (issue 16): a frozen snapshot, never a partner write -----------------


def _last_real_dossier(crisis) -> Dossier | None:
    """The newest complete dossier of a real crisis (or of the customer alone) a drill can copy:
    the drill's customer's if it has one, else the last real crisis of its scenario in its unit."""
    real = Q(crisis__isnull=True) | Q(crisis__is_drill=False)
    dossiers = Dossier.objects.filter(real, status=DossierStatus.COMPLETE, snapshot_of=None)
    if crisis.customer_id:
        dossiers = dossiers.filter(customer_id=crisis.customer_id)
    else:
        dossiers = dossiers.filter(
            crisis__unit_id=crisis.unit_id, crisis__scenario_id=crisis.scenario_id
        )
    return dossiers.order_by("-completed_at", "-id").first()


def _drill_snapshot(crisis, *, actor=None) -> Dossier | None:
    """A drill's dossier: a copy of the last real one, marked as a snapshot (``snapshot_of``, and
    its date), assembled at once and never refreshed — a drill pulls nothing and writes nothing
    to the customer's profile. The same snapshot on every later request. None when there is no
    real dossier to copy: the drill's own dossier is then pulled read-only (``dossier_assemble``)."""
    existing = (
        Dossier.objects.filter(crisis_id=crisis.pk)
        .exclude(snapshot_of=None)
        .order_by("-id")
        .first()
    )
    if existing is not None:
        return existing
    source = _last_real_dossier(crisis)
    if source is None:
        return None
    now = timezone.now()
    snapshot = Dossier.objects.create(
        crisis_id=crisis.pk,
        customer_id=crisis.customer_id or source.customer_id,
        scenario=crisis.scenario.code,
        status=DossierStatus.COMPLETE,
        reason=DossierReason.DRILL,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        started_at=now,
        completed_at=now,
        content_hash=source.content_hash,
        snapshot_of=source,
    )
    DossierSource.objects.bulk_create(
        [
            DossierSource(
                dossier=snapshot,
                source=row.source,
                partner_slug=row.partner_slug,
                status=row.status,
                data=row.data,
                fetched_at=row.fetched_at,
                error=row.error,
            )
            for row in source.sources.order_by("id")
        ]
    )
    response_plan_generate(crisis_id=crisis.pk, dossier=snapshot)
    return snapshot


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
    crisis = crisis_by_id(crisis_id) if crisis_id else None
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


def _partner_configs(
    *, read_only: bool = False
) -> tuple[dict[str, adapters.PartnerConfig], dict[str, str]]:
    """The enabled partners' configurations by kind, and by kind why a partner cannot be used
    (its stored token no key can decrypt: a loud error on the source, never an empty token).
    ``read_only``: configurations that refuse every write (the pull threads of a drill)."""
    configs: dict[str, adapters.PartnerConfig] = {}
    unreadable: dict[str, str] = {}
    for partner in Partner.objects.filter(enabled=True).order_by("-id"):
        try:
            configs[partner.kind] = replace(partner.config(), read_only=read_only)
        except CredentialUnreadable as exc:
            configs.pop(partner.kind, None)
            unreadable[partner.kind] = str(exc)
        else:
            unreadable.pop(partner.kind, None)
    return configs, unreadable


def dossier_assemble(*, dossier_id: int) -> Dossier:
    """Pull every source of the dossier concurrently (one thread per source) and record each
    source's outcome; a failed source keeps the last good data as "stale" and never blocks."""
    dossier = Dossier.objects.select_related("customer", "crisis").get(pk=dossier_id)
    if dossier.status == DossierStatus.COMPLETE:
        return dossier  # idempotent: a redelivered task does nothing
    drill = bool(dossier.crisis_id and dossier.crisis.is_drill)
    if drill:  # a drill with no real dossier to copy: its pulls may only read (issue 16)
        with adapters.partner_writes_refused(f"drill #{dossier.crisis_id}"):
            return _assemble(dossier, drill=True)
    return _assemble(dossier, drill=False)


def _assemble(dossier: Dossier, *, drill: bool) -> Dossier:
    partners, unreadable = _partner_configs(read_only=drill)
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
        if dossier.customer_id and not drill:  # a drill never changes a real customer
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
        if latest is None or latest.status != DossierStatus.COMPLETE or latest.snapshot_of_id:
            continue  # a drill's frozen snapshot is never pulled again
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
