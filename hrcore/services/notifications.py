"""In-app notifications (with their e-mail) and e-mail delivery."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ..inserts import insert_objects
from ..models import (
    Notification,
    OutboxMessage,
)
from ..notification_kinds import is_registered
from .outbox import (
    PermanentDeliveryError,
    outbox_enqueue,
    outbox_enqueue_many,
)

User = get_user_model()


# --- Notifications and outbox --------------------------------------------------------------


def _require_kind(kind: str, params: dict) -> None:
    """A notification is a registered kind with parameters (``hrcore.notification_kinds``):
    the reader's language is only known when it is read."""
    if not is_registered(kind):
        raise ValueError(f"unknown notification kind {kind!r}: register it in <app>/notifications")
    if not params:
        raise ValueError(f"notification kind {kind!r} needs its parameters")


def notification_send(
    *,
    recipient: User,
    kind: str,
    params: dict,
    link: str = "",
    data: dict | None = None,
    dedupe_key: str,
    email: bool = True,
) -> Notification | None:
    """Write an in-app notification once per dedupe key — its kind and parameters (codes, ids,
    names in both scripts, user text as typed), rendered in the reader's language when read —
    and queue its e-mail.

    Call inside the business transaction: if it rolls back, nothing is sent; if the process dies
    after commit, the outbox row is still there for the relay.
    """
    _require_kind(kind, params)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "recipient": recipient,
                "kind": kind,
                "params": params,
                "link": link,
                "data": data or {},
            },
        )
    if not created:
        return None
    if email and recipient.email:
        outbox_enqueue(
            channel="email",
            dedupe_key=f"email:{dedupe_key}",
            payload={"to": recipient.email, "notification_id": notification.pk},
        )
    return notification


@dataclass(frozen=True)
class NotificationSpec:
    """One in-app notification (a kind and its parameters) for ``notifications_create_many``."""

    recipient: User
    kind: str
    params: dict
    dedupe_key: str
    link: str = ""
    data: dict | None = None
    email: bool = True


def notification_spec_send(spec: NotificationSpec) -> Notification | None:
    """``notification_send`` of one ``NotificationSpec`` (a spec built for a batch, sent alone)."""
    return notification_send(
        recipient=spec.recipient,
        kind=spec.kind,
        params=spec.params,
        link=spec.link,
        data=spec.data,
        dedupe_key=spec.dedupe_key,
        email=spec.email,
    )


def notifications_send_many(
    specs: list[NotificationSpec], *, outbox: Iterable[dict] = ()
) -> list[Notification]:
    """``notification_send`` for many notifications at once: one SELECT finds the dedupe keys
    already written (those are skipped, as ``notification_send`` skips them), one INSERT writes
    the rest and one more queues their e-mails. Call inside the business transaction, like
    ``notification_send``. A key written concurrently by another transaction raises the unique
    violation (the caller rolls back and may retry one at a time). ``outbox``: other messages
    (``outbox_enqueue_many``'s dicts) to queue in the same INSERT as the e-mails. Returns the
    rows written."""
    for spec in specs:
        _require_kind(spec.kind, spec.params)
    keys = [spec.dedupe_key for spec in specs]
    seen = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh: list[NotificationSpec] = []
    for spec in specs:
        if spec.dedupe_key in seen:
            continue
        seen.add(spec.dedupe_key)
        fresh.append(spec)
    rows, emails = _insert_many(fresh)
    outbox_enqueue_many(emails + list(outbox))
    return rows


def notifications_create_many(specs: list[NotificationSpec]) -> list[dict]:
    """Write many in-app notifications in one INSERT and return the e-mail outbox messages they
    call for, to hand to ``outbox_fan_out`` (which writes them in the worker).

    For rows born with the business write that owns them (a new crisis, its new tasks): their
    dedupe keys name fresh ids, so there is nothing to deduplicate against — a clash is a bug
    and raises, rolling the whole write back. ``notification_send`` is the one-at-a-time form.
    """
    for spec in specs:
        _require_kind(spec.kind, spec.params)
    _rows, emails = _insert_many(specs)
    return emails


def _insert_many(specs: list[NotificationSpec]) -> tuple[list[Notification], list[dict]]:
    """One INSERT of the in-app rows; the e-mail outbox messages they call for (as
    ``outbox_enqueue_many``'s dicts)."""
    rows = insert_objects(
        [
            Notification(
                recipient=spec.recipient,
                kind=spec.kind,
                params=spec.params,
                link=spec.link,
                data=spec.data or {},
                dedupe_key=spec.dedupe_key,
            )
            for spec in specs
        ]
    )
    emails = [
        {
            "channel": "email",
            "dedupe_key": f"email:{spec.dedupe_key}",
            "payload": {"to": spec.recipient.email, "notification_id": row.pk},
        }
        for spec, row in zip(specs, rows, strict=True)
        if spec.email and spec.recipient.email
    ]
    return rows, emails


def email_message_id(message: OutboxMessage) -> str:
    """A Message-ID fixed by the outbox row: every retry of one e-mail carries the same one, so
    mail systems that dedupe on it show it once."""
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    domain = (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "keel.local").strip("> ")
    return f"<{digest}.keel@{domain}>"


def deliver_email(message: OutboxMessage) -> str:
    from django.core.mail import EmailMessage

    notification = Notification.objects.filter(pk=message.payload.get("notification_id")).first()
    if notification is None:
        raise PermanentDeliveryError("notification is gone")
    employee = getattr(notification.recipient, "employee", None)
    language = employee.language if employee else settings.LANGUAGE_CODE
    from ..text import single_line

    # Rendered now, in the recipient's language (their preference when the e-mail leaves).
    text = notification.rendered(language)

    message_id = email_message_id(message)
    # The SMTP backend's timeout is settings.EMAIL_TIMEOUT (checked < the outbox lease).
    EmailMessage(
        # One line: a line break in a subject (e.g. from a crisis title) makes Django refuse the
        # message, and every retry would fail the same way.
        subject=single_line(f"[Keel] {text.subject}"),
        body=text.body or text.subject,
        to=[message.payload["to"]],
        headers={"Message-ID": message_id},
    ).send()
    return message_id


@transaction.atomic
def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
