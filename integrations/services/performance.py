"""The performance/OKR partner, both ways (issue 17 §1): the outbox delivers each performance
event Keel recorded (``hrcore.services.performance``) through the partner's adapter, and goals and
reviews are pulled back per person (periodically, and by HR's refresh button)."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from hrcore.errors import Conflict
from hrcore.models import Employee, OutboxMessage
from hrcore.services.outbox import PermanentDeliveryError
from hrcore.services.performance import (
    performance_event_mark_sent,
    performance_pull_failed,
    performance_pulled_store,
)

from .. import adapters
from .partners import partner_for

logger = logging.getLogger(__name__)


def _adapter():
    partner = partner_for("performance")
    return None if partner is None else adapters.adapter_for(partner.config())


def performance_event_deliver(message: OutboxMessage) -> str:
    """The outbox handler of ``hrcore.services.performance.PERFORMANCE_CHANNEL``. The adapter
    sends an idempotency key naming the event, so a retry after a timeout (the partner may have
    recorded it before the answer was lost) is answered with the first recording, never a second
    one. A refusal is permanent; a timeout or a 5xx is retried by the outbox with backoff."""
    adapter = _adapter()
    if adapter is None:
        raise PermanentDeliveryError("no performance partner is configured")
    payload = message.payload
    try:
        recorded = adapter.record_event(
            employee=payload["employee"],
            kind=payload["kind"],
            reference=payload["reference"],
            points=payload["points"],
        )
    except adapters.PermanentError as exc:
        raise PermanentDeliveryError(str(exc)) from exc
    performance_event_mark_sent(event_id=payload["event_id"], partner_reference=recorded.id)
    return recorded.id


def performance_delivery_id(message: OutboxMessage) -> str:
    return f"keel:performance:{message.payload['reference']}"


def performance_pull(employee: Employee) -> tuple[int, int]:
    """Pull one person's goals and reviews from the partner into Keel (what the partner no longer
    holds goes). A failure keeps what was pulled before, is recorded for the page and raised as
    a conflict with the partner's reason."""
    adapter = _adapter()
    if adapter is None:
        raise Conflict(_("No performance partner is connected."))
    username = employee.user.get_username()
    try:
        goals, reviews = adapter.goals(username), adapter.reviews(username)
    except adapters.AdapterError as exc:
        performance_pull_failed(employee=employee, error=exc.reason)
        raise Conflict(
            _("The performance partner did not answer: %(reason)s") % {"reason": exc.reason}
        ) from exc
    return performance_pulled_store(
        employee=employee,
        goals=[
            {
                "external_id": g.id,
                "title_zh": g.title_zh,
                "title_en": g.title_en,
                "period": g.period,
                "progress": g.progress,
                "status": g.status,
                "due_on": g.due_on,
            }
            for g in goals
        ],
        reviews=[
            {
                "external_id": r.id,
                "period": r.period,
                "rating": r.rating,
                "reviewer": r.reviewer,
                "summary_zh": r.summary_zh,
                "summary_en": r.summary_en,
                "reviewed_on": r.reviewed_on,
            }
            for r in reviews
        ],
    )


def performance_pull_all() -> dict:
    """Every employed person's goals and reviews (the periodic pull); one person's failure is
    recorded on their page and does not stop the others."""
    if partner_for("performance") is None:
        return {"pulled": 0, "failed": 0}
    pulled = failed = 0
    for employee in Employee.objects.filter(is_active=True).select_related("user").order_by("id"):
        try:
            performance_pull(employee)
        except Conflict:
            failed += 1
        else:
            pulled += 1
    return {"pulled": pulled, "failed": failed}
