"""Crisis e-mails in the reach ledger (issue 13 §3): an e-mail of a notification that reaches
people leaves through the notification's own outbox message (``hrcore.services.notifications``);
this wraps that handler so the e-mail is an ``email`` row of ``MessageDelivery`` like every other
channel — stored before the send, claimed with a compare-and-set, never sent twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction

from .contact import Channel, DeliveryState
from .models import MessageDelivery, Notification
from .reach import (
    delivery_claim_attempt,
    delivery_mark_failed,
    delivery_mark_sent,
    delivery_note,
    idempotency_key,
    reach_kinds,
)
from .services.outbox import PermanentDeliveryError

logger = logging.getLogger(__name__)


def email_delivery_of(message) -> MessageDelivery | None:
    """The ``email`` ledger row of an e-mail outbox message whose notification reaches people
    (a registered kind), written at its first attempt (store before send); None for the
    other e-mails (password resets, digests …), which the ledger does not follow."""
    notification = (
        Notification.objects.filter(pk=(message.payload or {}).get("notification_id"))
        .only("pk", "kind", "dedupe_key", "recipient_id", "data")
        .first()
    )
    kinds = reach_kinds()
    if notification is None or notification.kind not in kinds:
        return None
    key = notification.dedupe_key[:200]
    found = MessageDelivery.objects.filter(
        message_key=key, recipient_id=notification.recipient_id, channel=Channel.EMAIL
    ).first()
    if found is not None:
        return found
    crisis_id = notification.data.get("crisis_id") if isinstance(notification.data, dict) else None
    try:
        with transaction.atomic():
            return MessageDelivery.objects.create(
                message_key=key,
                notification=notification,
                recipient_id=notification.recipient_id,
                kind=kinds[notification.kind].api_kind,
                crisis_id=crisis_id if isinstance(crisis_id, int) else None,
                channel=Channel.EMAIL,
                address=str((message.payload or {}).get("to", ""))[:200],
                idempotency_key=idempotency_key(key, notification.recipient_id, Channel.EMAIL),
                state=DeliveryState.QUEUED,
            )
    except IntegrityError:  # a concurrent attempt wrote it first
        return MessageDelivery.objects.get(
            message_key=key, recipient_id=notification.recipient_id, channel=Channel.EMAIL
        )


def email_reached(handler: Callable, *, max_attempts: int) -> Callable:
    """Wrap the e-mail outbox handler so crisis e-mails are in the ledger like every channel
    (``email``: queued → sent, or failed with the reason). The row is claimed before the send
    (compare-and-set on ``queued``): an e-mail whose row was sent — or that is not needed any
    more because the person acknowledged first — is never sent again on a retry."""

    def deliver(message):
        row = email_delivery_of(message)
        if row is None:
            return handler(message)
        claimed = delivery_claim_attempt(row.pk)
        if claimed is None:
            logger.info("e-mail ledger row %s is %s: not sent again", row.pk, row.state)
            return row.provider_message_id or None
        try:
            message_id = handler(message)
        except PermanentDeliveryError as exc:
            delivery_mark_failed(claimed, reason=str(exc) or type(exc).__name__)
            raise
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if message.attempts >= max_attempts:
                delivery_mark_failed(claimed, reason=f"gave up: {reason}")
            else:
                delivery_note(claimed, reason=reason)
            raise
        delivery_mark_sent(claimed, provider_message_id=message_id or "")
        return message_id

    deliver.__name__ = getattr(handler, "__name__", "deliver")
    return deliver
