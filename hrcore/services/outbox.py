"""The transactional outbox: enqueueing, fan-out, the relay, channel handlers and the delivery ledger."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..audit import AuditAction, audit
from ..backoff import exponential_backoff
from ..choices import DeliveryResult, OutboxStatus
from ..claims import insert_once
from ..inserts import insert_objects
from ..models import (
    DeliveryAttempt,
    OutboxMessage,
)

logger = logging.getLogger(__name__)


def outbox_enqueue(*, channel: str, dedupe_key: str, payload: dict) -> OutboxMessage | None:
    """Write a must-deliver message once; kicks the relay after commit (the tick is the backstop)."""
    message = insert_once(OutboxMessage, channel=channel, dedupe_key=dedupe_key, payload=payload)
    if message is not None:
        transaction.on_commit(_kick_relay)
    return message


def outbox_enqueue_many(messages: list[dict]) -> int:
    """``outbox_enqueue`` for many messages (each a dict of ``channel``, ``dedupe_key``,
    ``payload``) in one INSERT: a key already queued is skipped, as there; one relay kick after
    commit. For a batch of firings (the timer sweep) that would otherwise pay a savepoint and
    an insert per message. Returns how many messages were offered."""
    if not messages:
        return 0
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(channel=m["channel"], dedupe_key=m["dedupe_key"], payload=m["payload"])
            for m in messages
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(_kick_relay)
    return len(messages)


FAN_OUT_CHANNEL = "fanout"


def outbox_fan_out(
    *, dedupe_key: str, messages: list[dict], crisis_id: int | None = None, keys: bool = True
) -> OutboxMessage:
    """One outbox row that the relay (in the worker) turns into ``messages`` — each a dict of
    ``channel``, ``dedupe_key``, ``payload`` delivered as its own outbox row, retried on its own.
    A business write that emits many messages pays one insert; the fan-out is idempotent (the
    children's dedupe keys), so a relay that dies half-way and runs again loses and doubles
    nothing. ``dedupe_key`` must be new (it names the new row that owns the messages): no
    savepoint guards the insert, a clash raises and rolls the business write back.
    ``crisis_id`` says which crisis the row belongs to (housekeeping keeps an open crisis's).
    ``keys=False``: the row's primary key is not read back (see ``insert_objects``)."""
    payload: dict = {"messages": messages}
    if crisis_id is not None:
        payload["crisis_id"] = crisis_id
    message = OutboxMessage(channel=FAN_OUT_CHANNEL, dedupe_key=dedupe_key, payload=payload)
    insert_objects([message], keys=keys)
    transaction.on_commit(_kick_relay)
    return message


def deliver_fan_out(message: OutboxMessage) -> None:
    children = message.payload.get("messages") or []
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=child["channel"], dedupe_key=child["dedupe_key"], payload=child["payload"]
            )
            for child in children
        ],
        ignore_conflicts=True,
    )


# Until when (``time.time()``) this process knows a trailing relay run is queued that will pick
# up anything committed before then: a busy process then skips the cache (two round trips to
# Redis per message otherwise) until the window's end. Process-local, advisory: forgetting it
# only costs the round trips.
_trailing_run_until = 0.0


def _kick_relay() -> None:
    """Queue a relay run, throttled per ``KEEL_OUTBOX_KICK_SECONDS`` (per cache): the first
    message of a window is relayed at once, and one trailing run at the end of the window picks
    up everything written during it — a burst (seeding, a filing that notifies forty people)
    costs two queued runs, not forty, and no message waits longer than the window. The trailing
    key holds the time its run is due: a process that has seen it asks the cache nothing more
    until shortly before then (a tenth of the window early, for clocks that differ a little)."""
    global _trailing_run_until
    from ..tasks import outbox_relay

    window = settings.KEEL_OUTBOX_KICK_SECONDS
    if getattr(cache, "is_down", False):
        return  # Redis (cache and broker) unreachable: the beat's relay delivers it later
    if window and time.time() < _trailing_run_until - window / 10:
        return  # the queued trailing run comes after this message's commit
    try:
        if not window or cache.add("keel:outbox-kick", 1, timeout=window):
            outbox_relay.delay()
            return
        due = time.time() + window
        if cache.add("keel:outbox-kick-trailing", due, timeout=window):
            outbox_relay.apply_async(countdown=window)
            _trailing_run_until = due
        else:
            queued = cache.get("keel:outbox-kick-trailing")
            if isinstance(queued, float):
                _trailing_run_until = queued
    except Exception:  # broker down: the periodic relay picks it up
        logger.warning("outbox relay kick failed; the beat's relay will pick it up", exc_info=True)


OutboxHandler = Callable[[OutboxMessage], None]
_OUTBOX_HANDLERS: dict[str, OutboxHandler] = {}


def register_outbox_handler(channel: str, handler: OutboxHandler) -> None:
    """Apps register how their channel is delivered (e-mail here, webhooks in integrations)."""
    _OUTBOX_HANDLERS[channel] = handler


class DeliveryError(Exception):
    """A delivery that did not succeed; ``response_status`` is the receiver's HTTP status when
    it answered one (recorded on the delivery ledger)."""

    def __init__(self, message: str = "", *, response_status: int | None = None):
        super().__init__(message)
        self.response_status = response_status


class PermanentDeliveryError(DeliveryError):
    """Delivery can never succeed (bad address, unknown subscription): stop retrying."""


class TransientDeliveryError(DeliveryError):
    """Delivery failed this time (the receiver was busy or down): the outbox retries."""


@dataclass(frozen=True)
class Receipt:
    """What a ledgered handler may return instead of the bare provider message id: that id and
    the receiver's HTTP status."""

    provider_id: str = ""
    response_status: int | None = None


OUTBOX_MAX_ATTEMPTS = 8


def outbox_backoff(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s … capped at one hour."""
    return exponential_backoff(attempts, first_seconds=10, max_seconds=3600)


def outbox_relay_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Deliver due outbox messages; each is claimed with a compare-and-set so two relays never
    send the same message. Returns how many were delivered."""
    now = now or timezone.now()
    delivered, fanned_out = _relay_pass(now=now, limit=limit)
    # A fan-out row wrote its children during the pass: deliver them in this run, not the next.
    for _extra_pass in range(2):
        if not fanned_out or delivered >= limit:
            break
        more, fanned_out = _relay_pass(now=timezone.now(), limit=limit - delivered)
        delivered += more
    return delivered


def _relay_pass(*, now: datetime, limit: int) -> tuple[int, bool]:
    delivered = 0
    fanned_out = False
    due_ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", "attempts")[:limit]
    )
    for message_id, attempts in due_ids:
        lease_until = now + timedelta(seconds=settings.KEEL_OUTBOX_LEASE_SECONDS)
        # Claim: bump attempts and push next_attempt_at out; only one relay wins the update.
        claimed = OutboxMessage.objects.filter(
            pk=message_id, status=OutboxStatus.PENDING, attempts=attempts
        ).update(attempts=attempts + 1, next_attempt_at=lease_until)
        if not claimed:
            continue
        message = OutboxMessage.objects.get(pk=message_id)
        handler = _OUTBOX_HANDLERS.get(message.channel)
        try:
            if handler is None:
                raise PermanentDeliveryError(f"no handler for channel {message.channel!r}")
            handler(message)
        except PermanentDeliveryError as exc:
            OutboxMessage.objects.filter(pk=message_id).update(
                status=OutboxStatus.DEAD, last_error=str(exc)[:2000]
            )
        except Exception as exc:  # transient: retry with backoff, give up after a bound
            status = (
                OutboxStatus.DEAD
                if message.attempts >= OUTBOX_MAX_ATTEMPTS
                else OutboxStatus.PENDING
            )
            OutboxMessage.objects.filter(pk=message_id).update(
                status=status,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                next_attempt_at=timezone.now() + outbox_backoff(message.attempts),
            )
        else:
            OutboxMessage.objects.filter(pk=message_id).update(
                status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            delivered += 1
            fanned_out = fanned_out or message.channel == FAN_OUT_CHANNEL
    return delivered, fanned_out


# --- Delivery ledger ---------------------------------------------------------------------


def ledgered(
    handler: Callable[[OutboxMessage], str | Receipt | None],
    *,
    delivery_id: Callable[[OutboxMessage], str],
) -> OutboxHandler:
    """Wrap a channel's handler in the delivery ledger (one ``DeliveryAttempt`` per try,
    committed before and after the send, outside any business transaction).

    * an earlier attempt recorded as delivered (the process died before the outbox row was
      marked sent) → nothing is sent again: exactly once;
    * an earlier attempt that never recorded its answer (crash mid-send, lease expired, the
      answer was lost) → marked ``unknown`` and sent again with the same delivery id, which
      the receiver can dedupe on (webhook delivery id header, e-mail Message-ID): at least once,
      recognisable;
    * the handler returns the provider's message id when it has one (or a ``Receipt`` with
      the receiver's HTTP status, which an error may carry too: ``DeliveryError``).
    """

    def deliver(message: OutboxMessage) -> None:
        key = delivery_id(message)
        earlier = DeliveryAttempt.objects.filter(message=message)
        if earlier.filter(result=DeliveryResult.DELIVERED).exists():
            logger.info("outbox %s: delivered by an earlier attempt; not sent again", message.pk)
            return
        earlier.filter(result=DeliveryResult.STARTED).update(
            result=DeliveryResult.UNKNOWN,
            finished_at=timezone.now(),
            error="no answer recorded (crash, timeout or lease expired); resent with the same "
            "delivery id",
        )
        attempt = DeliveryAttempt.objects.create(
            message=message, channel=message.channel, attempt=message.attempts, delivery_id=key
        )
        try:
            answer = handler(message)
        except PermanentDeliveryError as exc:
            _attempt_finish(attempt, DeliveryResult.REFUSED, error=exc)
            raise
        except Exception as exc:
            _attempt_finish(attempt, DeliveryResult.FAILED, error=exc)
            raise
        receipt = answer if isinstance(answer, Receipt) else Receipt(provider_id=answer or "")
        _attempt_finish(
            attempt,
            DeliveryResult.DELIVERED,
            provider_id=receipt.provider_id,
            response_status=receipt.response_status,
        )

    deliver.__name__ = getattr(handler, "__name__", "deliver")
    return deliver


def _attempt_finish(
    attempt: DeliveryAttempt,
    result: str,
    *,
    provider_id: str = "",
    response_status: int | None = None,
    error=None,
) -> None:
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        result=result,
        finished_at=timezone.now(),
        provider_message_id=provider_id[:300],
        response_status=getattr(error, "response_status", response_status),
        error="" if error is None else f"{type(error).__name__}: {error}"[:2000],
    )


@transaction.atomic
def outbox_messages_clear(*, messages, actor=None) -> int:
    """Clear outbox messages by hand (the admin): a sent message is the record of what left
    Keel and is never deleted; each cleared one is audited; the count of cleared messages is
    returned."""
    cleared = list(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).exclude(
            status=OutboxStatus.SENT
        )
    )
    for message in cleared:
        audit(message, AuditAction.DELETE, actor=actor, data={"reason": "cleared by hand"})
    OutboxMessage.objects.filter(pk__in=[m.pk for m in cleared]).delete()
    return len(cleared)
