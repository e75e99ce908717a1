"""The partner figures of labour cost and return per customer: finance's revenue and gross
margin, and the attendance system's field visits at customers' sites, asked for one period over
real HTTP, the two partners at once. A partner that is not configured or fails leaves its part
out and says so (``SourceStatus``); it never fails the report.

Each partner's answer is kept in the cache (one entry per partner, period and customer) and
reused for ``KEEL_ROI_PARTNER_CACHE_SECONDS``: the ROI page no longer asks the partners on every
load. A copy stays ``STALE_KEEP_SECONDS`` longer, so a partner that fails when asked again (on
expiry or by "Refresh") shows its last figures marked stale, with their time, instead of none."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from . import adapters
from .crypto import CredentialUnreadable
from .services.partners import partner_for

logger = logging.getLogger(__name__)


# How long a partner's last answer is kept beyond its freshness, to show (marked stale) when the
# partner fails; a week covers a partner down over a weekend.
STALE_KEEP_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class SourceStatus:
    """How one partner answered: ``ok`` (figures as of ``as_of``: now, or the cached answer
    still fresh), ``stale`` (it failed now — ``error`` says why — and its last figures, as of
    ``as_of``, are shown), ``failed`` (with the reason, nothing kept) or ``unconfigured``."""

    state: str
    partner: str = ""
    error: str = ""
    as_of: datetime | None = None

    @property
    def stale(self) -> bool:
        return self.state == "stale"

    def to_json(self) -> dict:
        return {
            "state": self.state,
            "partner": self.partner,
            "error": self.error,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "stale": self.stale,
        }


@dataclass
class PartnerFigures:
    """Finance's revenue and gross margin by customer (None: finance did not answer) and the
    attendance system's visits as (customer, username, check-in, check-out)."""

    revenue: dict[str, Decimal] | None = None
    gross_margin: dict[str, Decimal] | None = None
    visits: list[adapters.CustomerVisit] = field(default_factory=list)
    finance: SourceStatus = SourceStatus("unconfigured")
    attendance: SourceStatus = SourceStatus("unconfigured")

    def sources(self) -> dict:
        return {"finance": self.finance.to_json(), "attendance": self.attendance.to_json()}


def _call(kind: str, ask):
    """(result, status) of asking the enabled partner of ``kind`` (config read before the
    threads start: adapters get plain values, never model instances)."""
    partner = partner_for(kind)
    if partner is None:
        return None, SourceStatus("unconfigured")
    try:
        config = partner.config()
    except CredentialUnreadable as exc:
        return None, SourceStatus("failed", partner.slug, str(exc))
    # The partner's last edit is part of the cache key: repointed or fixed, it is asked again.
    return (config, ask, f"{partner.slug}@{partner.updated_at.timestamp():.0f}"), SourceStatus(
        "ok", partner.slug
    )


def _run(job):
    (config, ask, _version), status = job
    try:
        return ask(adapters.adapter_for(config)), status
    except adapters.AdapterError as exc:
        logger.warning("ROI source %s failed: %s", status.partner, exc.reason)
        return None, SourceStatus("failed", status.partner, exc.reason)
    except Exception as exc:  # a partner's surprise never fails the report (logged in full)
        logger.exception("ROI source %s failed unexpectedly", status.partner)
        return None, SourceStatus("failed", status.partner, type(exc).__name__)


def cache_seconds() -> int:
    """How long a partner's answer is reused (``KEEL_ROI_PARTNER_CACHE_SECONDS``; 0: asked on
    every load, a copy still kept to show when the partner fails)."""
    return max(0, int(getattr(settings, "KEEL_ROI_PARTNER_CACHE_SECONDS", 900)))


def _key(kind: str, partner: str, since: date, until: date, customer: str) -> str:
    return f"keel:roi:{kind}:{partner}:{since.isoformat()}:{until.isoformat()}:{customer}"


def _cached(key: str) -> tuple[datetime, list] | None:
    try:
        entry = cache.get(key)
    except Exception:  # an entry from an older release that no longer unpickles: a miss
        logger.warning("ROI cache entry %s unreadable", key, exc_info=True)
        return None
    if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], datetime)):
        return None
    return entry


def _failure(key: str) -> tuple[datetime, str] | None:
    """When asking the partner again last failed, and why (None: it did not)."""
    try:
        entry = cache.get(f"{key}:failed")
    except Exception:
        return None
    if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], datetime)):
        return None
    return entry


def _apply(figures: PartnerFigures, kind: str, value: list) -> None:
    if kind == "finance":
        figures.revenue = {r.customer: r.revenue for r in value}
        figures.gross_margin = {r.customer: r.gross_margin for r in value}
    else:
        figures.visits = list(value)


def partner_figures(
    *,
    since: date,
    until: date,
    customer: str = "",
    refresh: bool = False,
    now: datetime | None = None,
) -> PartnerFigures:
    """Finance's and attendance's figures for ``since``…``until`` (``customer``: one): each
    partner's cached answer while it is fresh, otherwise asked now (both at once) — always
    asked with ``refresh``. A partner that fails falls back on its last answer, marked stale."""
    now = now or timezone.now()
    fresh_for = cache_seconds()
    figures = PartnerFigures()
    asks = {
        "finance": lambda a: a.revenue(since, until, customer),
        "attendance": lambda a: a.customer_visits(since, until, customer),
    }
    pending = {}
    for kind, ask in asks.items():
        job, status = _call(kind, ask)
        if job is None:
            setattr(figures, kind, status)
            continue
        key = _key(kind, job[2], since, until, customer)
        cached = _cached(key)
        if cached is not None and not refresh and (now - cached[0]).total_seconds() < fresh_for:
            _apply(figures, kind, cached[1])
            failed = _failure(key)  # a refresh failed since: still the last figures, but stale
            if failed is not None and failed[0] >= cached[0]:
                setattr(figures, kind, SourceStatus("stale", status.partner, failed[1], cached[0]))
            else:
                setattr(figures, kind, SourceStatus("ok", status.partner, as_of=cached[0]))
            continue
        pending[kind] = ((job, status), key, cached)
    if not pending:
        return figures
    with ThreadPoolExecutor(max_workers=len(pending)) as pool:
        results = {k: pool.submit(_run, p[0]) for k, p in pending.items()}
        answers = {k: future.result() for k, future in results.items()}
    for kind, (value, status) in answers.items():
        _job, key, cached = pending[kind]
        if value is not None:
            value = list(value)
            try:
                cache.set(key, (now, value), timeout=fresh_for + STALE_KEEP_SECONDS)
                cache.delete(f"{key}:failed")
            except Exception:  # the cache down: the figures are still shown, asked next time
                logger.warning("ROI cache unavailable", exc_info=True)
            _apply(figures, kind, value)
            setattr(figures, kind, SourceStatus("ok", status.partner, as_of=now))
        elif cached is not None:
            _apply(figures, kind, cached[1])
            setattr(figures, kind, SourceStatus("stale", status.partner, status.error, cached[0]))
            try:  # the next loads say so too, until the partner answers again
                cache.set(f"{key}:failed", (now, status.error), timeout=max(fresh_for, 60))
            except Exception:
                logger.warning("ROI cache unavailable", exc_info=True)
        else:
            setattr(figures, kind, status)
    return figures
