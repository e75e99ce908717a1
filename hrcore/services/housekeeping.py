"""Heartbeats of the periodic work and pruning old rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..choices import OutboxStatus
from ..models import (
    Heartbeat,
    IdempotencyKey,
    Notification,
    OutboxMessage,
)

# --- Heartbeat -----------------------------------------------------------------------------


def heartbeat_record(*, name: str = "tick", at: datetime | None = None) -> None:
    """``name`` ran successfully (written after the work, so health tells the truth)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})


def heartbeat_failure_record(*, name: str = "tick", error: str, at: datetime | None = None) -> None:
    """``name`` ran and failed: the ``<name>.failed`` row says when and why (/healthz)."""
    Heartbeat.objects.update_or_create(
        name=f"{name}.failed", defaults={"at": at or timezone.now(), "detail": error[:2000]}
    )


# --- Housekeeping --------------------------------------------------------------------------

PRUNE_CHUNK = 500


def open_crisis_ids() -> set[int]:
    """Ids of the open crises (through ``KEEL_OPEN_CRISIS_IDS``, so hrcore does not import the
    crisis app): what they refer to is never pruned."""
    from django.utils.module_loading import import_string

    path = getattr(settings, "KEEL_OPEN_CRISIS_IDS", "")
    return set(import_string(path)()) if path else set()


def crisis_id_of(data) -> int | None:
    """The crisis a JSON payload refers to: ``crisis_id`` at the top or in a webhook ``body``."""
    if not isinstance(data, dict):
        return None
    value = data.get("crisis_id")
    if value is None and isinstance(data.get("body"), dict):
        value = data["body"].get("crisis_id")
    if value is None and isinstance(data.get("data"), dict):
        value = data["data"].get("crisis_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def prune_rows(queryset: QuerySet, *, fields: tuple[str, ...], keep: Callable[..., bool]) -> int:
    """Delete the rows of ``queryset`` in chunks of ``PRUNE_CHUNK``, each in its own short
    transaction, except those ``keep(*values of fields)`` says are still needed."""
    deleted, last_pk = 0, 0
    while True:
        chunk = list(
            queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", *fields)[:PRUNE_CHUNK]
        )
        if not chunk:
            return deleted
        last_pk = chunk[-1][0]
        doomed = [row[0] for row in chunk if not keep(*row[1:])]
        if doomed:
            with transaction.atomic():
                deleted += queryset.filter(pk__in=doomed).delete()[0]


def _days(setting: str, default: float) -> timedelta:
    return timedelta(days=float(getattr(settings, setting, default)))


# The partner-API endpoint whose stored answer is a crisis (its "id").
CRISIS_CREATE_ENDPOINT = "crisis.crises.create"


def housekeeping_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Prune what no one needs any more (retention in the ``KEEL_RETENTION_*`` settings): sent
    outbox messages, idempotency keys and read notifications. What an open crisis refers to
    stays: its notifications (their dedupe keys keep a reassignment from notifying twice), its
    event and webhook messages, and the idempotency keys whose stored answer is that crisis.
    Pending and dead outbox messages and unread notifications are never pruned. (Sent e-mail
    rows go: a notification of an open crisis is kept, so its e-mail is never queued again.)"""
    now = now or timezone.now()
    protected = open_crisis_ids()

    def of_open_crisis(data) -> bool:
        return crisis_id_of(data) in protected

    def key_of_open_crisis(endpoint: str, body) -> bool:
        if endpoint == CRISIS_CREATE_ENDPOINT and isinstance(body, dict):
            return body.get("id") in protected
        return of_open_crisis(body)

    return {
        "outbox": prune_rows(
            OutboxMessage.objects.filter(
                status=OutboxStatus.SENT,
                sent_at__lt=now - _days("KEEL_RETENTION_OUTBOX_SENT_DAYS", 30),
            ),
            fields=("payload",),
            keep=of_open_crisis,
        ),
        "idempotency_keys": prune_rows(
            IdempotencyKey.objects.filter(
                created_at__lt=now - _days("KEEL_RETENTION_IDEMPOTENCY_KEYS_DAYS", 7)
            ),
            fields=("endpoint", "response_body"),
            keep=key_of_open_crisis,
        ),
        "notifications": prune_rows(
            Notification.objects.filter(
                read_at__lt=now - _days("KEEL_RETENTION_READ_NOTIFICATIONS_DAYS", 90)
            ),
            fields=("data",),
            keep=of_open_crisis,
        ),
    }
