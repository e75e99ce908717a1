"""The partner figures of labour cost and return per customer: finance's revenue and gross
margin, and the attendance system's field visits at customers' sites, asked for one period over
real HTTP, the two partners at once. A partner that is not configured or fails leaves its part
out and says so (``SourceStatus``); it never fails the report."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import adapters
from .crypto import CredentialUnreadable
from .services.partners import partner_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceStatus:
    """How one partner answered: ``ok``, ``unconfigured`` or ``failed`` (with the reason)."""

    state: str
    partner: str = ""
    error: str = ""

    def to_json(self) -> dict:
        return {"state": self.state, "partner": self.partner, "error": self.error}


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
    return (config, ask), SourceStatus("ok", partner.slug)


def _run(job):
    (config, ask), status = job
    try:
        return ask(adapters.adapter_for(config)), status
    except adapters.AdapterError as exc:
        logger.warning("ROI source %s failed: %s", status.partner, exc.reason)
        return None, SourceStatus("failed", status.partner, exc.reason)


def partner_figures(*, since: date, until: date, customer: str = "") -> PartnerFigures:
    """Ask finance and attendance (both at once) for ``since``…``until``; ``customer``: one."""
    figures = PartnerFigures()
    jobs = {
        "finance": _call("finance", lambda a: a.revenue(since, until, customer)),
        "attendance": _call("attendance", lambda a: a.customer_visits(since, until, customer)),
    }
    runnable = {k: j for k, j in jobs.items() if j[0] is not None}
    for kind, job in jobs.items():
        if kind not in runnable:
            setattr(figures, kind, job[1])
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = {k: pool.submit(_run, j) for k, j in runnable.items()}
        for kind, future in results.items():
            value, status = future.result()
            setattr(figures, kind, status)
            if value is None:
                continue
            if kind == "finance":
                figures.revenue = {r.customer: r.revenue for r in value}
                figures.gross_margin = {r.customer: r.gross_margin for r in value}
            else:
                figures.visits = list(value)
    return figures
