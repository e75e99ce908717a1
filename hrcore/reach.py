"""The reach ledger: which crisis messages went to whom over which channel, and how far each
got (``MessageDelivery``).

* **Planning** (``deliveries_plan_due``, a tick sweep): every in-app notification of a kind
  registered here (crisis task assignments, warnings, escalations, decisions …) is the outbox
  row of its reach — written in the business transaction that created it. The sweep gives each
  one its ledger rows: in-app (delivered the moment it was written), and the first channel of
  the person's plan (``hrcore.contact.channel_plan``) that has an address, queued, with an
  outbox message to send it. Channels skipped on the way (no id on that IM, quiet hours) get a
  ``failed`` row that says why, so the ledger shows what was not tried.
* **Sending** happens in the worker through the outbox (channel ``reach``; the handler lives in
  ``integrations.reach``, next to the adapters): the row is stored before the send, its
  attempts counted, and it leaves ``queued`` only once (compare-and-set), so a retry never
  sends a row that was sent; a crash between send and record resends with the same
  idempotency key, which the providers that dedupe recognise.
* **Provider callbacks** move rows forward only (``hrcore.contact.state_after``).

hrcore knows nothing of crises: the apps above register which kinds reach people
(``register_reach_kind``), a crisis's severity (``register_severity_lookup``) and which
channels are configured (``register_channel_availability``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from .contact import Channel, ContactCard, DeliveryState, channel_plan, state_after
from .models import Employee, MessageDelivery, Notification, ReachPolicy
from .notification_kinds import person

logger = logging.getLogger(__name__)

REACH_OUTBOX_CHANNEL = "reach"
PLAN_LOOKBACK = timedelta(days=1)  # notifications older than this are not planned any more
PLAN_BATCH = 500


@dataclass(frozen=True)
class ReachKind:
    """How a notification kind reaches people: its name in the deliveries API, and whether it
    asks for an acknowledgement (and so climbs the ladder when unanswered)."""

    api_kind: str
    needs_ack: bool


_KINDS: dict[str, ReachKind] = {}
_severity_lookup: Callable[[Iterable[int]], dict[int, str]] = lambda ids: {}  # noqa: E731
_available_channels: Callable[[], frozenset[str]] = lambda: frozenset()  # noqa: E731
_ladder_listeners: list[Callable[[MessageDelivery, dict], None]] = []
_ack_listeners: list[Callable[[MessageDelivery, str], None]] = []


def register_reach_kind(notification_kind: str, api_kind: str, *, needs_ack: bool) -> None:
    _KINDS[notification_kind] = ReachKind(api_kind, needs_ack)


def register_severity_lookup(lookup: Callable[[Iterable[int]], dict[int, str]]) -> None:
    global _severity_lookup
    _severity_lookup = lookup


def register_channel_availability(available: Callable[[], frozenset[str]]) -> None:
    global _available_channels
    _available_channels = available


def register_ladder_listener(listener: Callable[[MessageDelivery, dict], None]) -> None:
    """``listener(anchor, step)`` runs inside the ladder step's transaction (the crisis timeline
    entry); ``step`` is ``{"channel", "skipped": [{"channel", "reason"}], "manager"}``."""
    _ladder_listeners.append(listener)


def register_ack_listener(listener: Callable[[MessageDelivery, str], None]) -> None:
    """``listener(anchor, via)`` runs inside the acknowledgement's transaction."""
    _ack_listeners.append(listener)


def reach_policy() -> ReachPolicy:
    return ReachPolicy.objects.order_by("id").first() or ReachPolicy()


def reach_kinds() -> dict[str, ReachKind]:
    return dict(_KINDS)


def idempotency_key(message_key: str, recipient_id: int, channel: str) -> str:
    """Fixed per ledger row: the provider's dedupe key (Feishu uuid, gateway Idempotency-Key)."""
    raw = f"{message_key}|{recipient_id}|{channel}".encode()
    return "k" + hashlib.sha256(raw).hexdigest()[:40]


SKIP_REASONS = {
    "no_address": "skipped: no address on this channel",
    "quiet_hours": "skipped: the person's quiet hours",
    "not_configured": "skipped: channel not configured",
}


# --- planning -----------------------------------------------------------------------------


def deliveries_plan_due(*, now: datetime | None = None, limit: int = PLAN_BATCH) -> int:
    """Give every recent notification of a reach kind its ledger rows (idempotent: a
    notification that has rows is done; two sweeps racing collide on the unique constraint
    and the loser's transaction rolls back). Returns how many notifications were planned."""
    now = now or timezone.now()
    if not _KINDS:
        return 0
    # Not planned yet: no in-app row (the e-mail's row may already exist: it is written by the
    # e-mail's own outbox handler, ``email_reached``, which can run before this sweep).
    planned_inapp = MessageDelivery.objects.filter(
        notification_id=OuterRef("pk"), channel=Channel.INAPP
    )
    pending = list(
        Notification.objects.filter(kind__in=list(_KINDS), created_at__gte=now - PLAN_LOOKBACK)
        .exclude(Exists(planned_inapp))
        .select_related("recipient")
        .order_by("created_at", "id")[:limit]
    )
    if not pending:
        return 0
    crisis_ids = {n.data.get("crisis_id") for n in pending if isinstance(n.data, dict)}
    severities = _severity_lookup({c for c in crisis_ids if isinstance(c, int)})
    employees = {
        e.user_id: e
        for e in Employee.objects.select_related("user").filter(
            user_id__in={n.recipient_id for n in pending}, is_active=True
        )
    }
    available = _available_channels()
    planned = 0
    for notification in pending:
        try:
            with transaction.atomic():
                _plan_one(
                    notification,
                    employees.get(notification.recipient_id),
                    severities,
                    available,
                    now,
                )
            planned += 1
        except IntegrityError:
            continue  # another sweep planned it
    return planned


def _plan_one(
    notification: Notification,
    employee: Employee | None,
    severities: dict[int, str],
    available: frozenset[str],
    now: datetime,
) -> None:
    from .services.outbox import outbox_enqueue

    kind = _KINDS[notification.kind]
    crisis_id = notification.data.get("crisis_id") if isinstance(notification.data, dict) else None
    severity = severities.get(crisis_id, "medium") if isinstance(crisis_id, int) else "medium"
    base = {
        "message_key": notification.dedupe_key[:200],
        "notification": notification,
        "recipient_id": notification.recipient_id,
        "kind": kind.api_kind,
        "crisis_id": crisis_id if isinstance(crisis_id, int) else None,
        "needs_ack": kind.needs_ack,
    }

    def row(channel: str, rung: int, **fields) -> MessageDelivery:
        return MessageDelivery.objects.create(
            **base,
            channel=channel,
            rung=rung,
            idempotency_key=idempotency_key(base["message_key"], base["recipient_id"], channel),
            created_at=now,
            updated_at=now,
            **fields,
        )

    if notification.acknowledged_at is not None:  # acknowledged in Keel before it went out
        row(
            Channel.INAPP,
            0,
            state=DeliveryState.ACKNOWLEDGED,
            address=str(notification.recipient_id),
            acknowledged_at=notification.acknowledged_at,
        )
        return
    anchor = row(
        Channel.INAPP, 0, state=DeliveryState.DELIVERED, address=str(notification.recipient_id)
    )
    if kind.needs_ack:
        anchor.next_step_at = now + timedelta(minutes=reach_policy().minutes_for(severity))
        anchor.save(update_fields=["next_step_at"])
    if employee is None:
        return
    plan = channel_plan(ContactCard.of(employee), severity=severity, now=now, available=available)
    rung = 0
    for step in plan.rungs:
        if step.channel in (Channel.INAPP, Channel.EMAIL):
            # In-app is written; e-mail leaves through the notification's own outbox message
            # (its ledger row is written by hrcore.reach_email).
            continue
        rung += 1
        if step.skipped:
            row(
                step.channel,
                rung,
                state=DeliveryState.FAILED,
                address=step.address,
                reason=SKIP_REASONS[step.skipped],
            )
            continue
        delivery = row(step.channel, rung, state=DeliveryState.QUEUED, address=step.address)
        outbox_enqueue(
            channel=REACH_OUTBOX_CHANNEL,
            dedupe_key=f"reach:{delivery.idempotency_key}",
            payload={"delivery_id": delivery.pk, "crisis_id": delivery.crisis_id},
        )
        return  # the next channels are the ladder's, tried when this one goes unanswered


# --- sending (called by the outbox handler in integrations.reach) ---------------------------


IN_FLIGHT = "in flight: handed to the provider, no answer recorded yet"
INTERRUPTED_NOT_RESENT = (
    "outcome unknown: the worker stopped during the send; not sent again because this "
    "provider does not deduplicate"
)


def delivery_claim_attempt(delivery_id: int) -> MessageDelivery | None:
    """Store before send: count the attempt on a row still queued, mark it in flight and return
    it, or None when it is no longer queued (sent, failed, acknowledged): then nothing is sent
    again. ``row.interrupted`` says the previous attempt stopped mid-send (still marked in
    flight: the worker died between handing it over and recording the answer) — the caller
    resends only to providers that deduplicate. One relay holds a message at a time (the
    outbox's compare-and-set), so reading the mark before claiming is safe."""
    now = timezone.now()
    queued = MessageDelivery.objects.filter(pk=delivery_id, state=DeliveryState.QUEUED)
    previous = queued.values_list("reason", flat=True).first()
    if previous is None or not queued.update(
        attempts=F("attempts") + 1, updated_at=now, reason=IN_FLIGHT
    ):
        return None
    row = MessageDelivery.objects.select_related("recipient", "notification").get(pk=delivery_id)
    row.interrupted = previous == IN_FLIGHT
    return row


def delivery_mark_sent(delivery: MessageDelivery, *, provider_message_id: str) -> bool:
    now = timezone.now()
    return bool(
        MessageDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.QUEUED).update(
            state=DeliveryState.SENT,
            provider_message_id=provider_message_id[:200],
            sent_at=now,
            updated_at=now,
            reason="",
        )
    )


def delivery_adopt(*, channel: str, idempotency_key: str, provider_message_id: str) -> bool:
    """A provider's callback names a message Keel never recorded, but carries the key the card
    was sent with: the send reached the provider even though its answer was lost (a worker
    killed between handing it over and writing the answer down, or a callback overtaking that
    write, or a timeout after the provider took it). A row still queued, or failed as "outcome
    unknown", becomes sent with the provider's id: the person has it, so their tap on it counts
    and no retry sends it again. Returns whether a row was adopted; a row that already has an
    id, or failed for a known reason, is left alone."""
    now = timezone.now()
    rows = MessageDelivery.objects.filter(
        channel=channel, idempotency_key=idempotency_key, provider_message_id=""
    )
    unknown = Q(state=DeliveryState.QUEUED) | Q(
        state=DeliveryState.FAILED, reason=INTERRUPTED_NOT_RESENT
    )
    return bool(
        rows.filter(unknown).update(
            state=DeliveryState.SENT,
            provider_message_id=provider_message_id[:200],
            sent_at=now,
            updated_at=now,
            reason="",
        )
    )


def delivery_mark_failed(delivery: MessageDelivery, *, reason: str) -> bool:
    """The channel cannot reach the person (bad id, refused, gave up): recorded with the
    provider's reason; a message waiting for an acknowledgement tries the next channel now
    instead of after the ladder's wait."""
    now = timezone.now()
    failed = bool(
        # Only from queued: the sender's own attempt failed. A row a provider's callback adopted
        # meanwhile (``delivery_adopt``: the message did arrive) stays sent.
        MessageDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.QUEUED).update(
            state=DeliveryState.FAILED, reason=reason[:2000], updated_at=now
        )
    )
    if failed and delivery.needs_ack:
        MessageDelivery.objects.filter(
            message_key=delivery.message_key,
            recipient_id=delivery.recipient_id,
            channel=Channel.INAPP,
            acknowledged_at__isnull=True,
            next_step_at__gt=now,
        ).update(next_step_at=now)
    return failed


def delivery_note(delivery: MessageDelivery, *, reason: str) -> None:
    """Record why the last attempt did not go out (rate limited, provider down) on a row that
    stays queued for the next attempt."""
    MessageDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.QUEUED).update(
        reason=reason[:2000], updated_at=timezone.now()
    )


def delivery_event_apply(
    *, channel: str, provider_message_id: str, event: str, reason: str = ""
) -> MessageDelivery | None:
    """A provider's callback: move the row it names forward (never back). Returns the row when
    it changed, None when the callback changed nothing (unknown id, older state)."""
    delivery = (
        MessageDelivery.objects.filter(channel=channel, provider_message_id=provider_message_id)
        .order_by("id")
        .first()
    )
    if delivery is None:
        return None
    if event == DeliveryState.ACKNOWLEDGED:  # a tap on the IM card's button
        anchor = anchor_of(delivery)
        if anchor is None or not acknowledgement_record(anchor=anchor, via=channel):
            return None
        delivery.refresh_from_db()
        return delivery
    target = state_after(delivery.state, event)
    if target is None:
        return None
    fields = {"state": target, "updated_at": timezone.now()}
    if target == DeliveryState.FAILED:
        fields["reason"] = reason[:2000] or "the provider reported a failure"
    if target == DeliveryState.ACKNOWLEDGED:
        fields["acknowledged_at"] = timezone.now()
    if not MessageDelivery.objects.filter(pk=delivery.pk, state=delivery.state).update(**fields):
        return None  # another callback moved it first
    delivery.refresh_from_db()
    return delivery


# --- reads ------------------------------------------------------------------------------------


def deliveries_of_crisis(crisis_id: int) -> QuerySet[MessageDelivery]:
    """The ledger of one crisis (the caller checks who may see it)."""
    return (
        MessageDelivery.objects.filter(crisis_id=crisis_id)
        .select_related("recipient__employee", "notification")
        .order_by("created_at", "recipient_id", "rung", "id")
    )


def effective_state(delivery: MessageDelivery) -> str:
    """In-app rows are read when the notification is (no write on reading the inbox)."""
    if (
        delivery.channel == Channel.INAPP
        and delivery.state == DeliveryState.DELIVERED
        and delivery.notification is not None
        and delivery.notification.read_at is not None
    ):
        return DeliveryState.READ
    return delivery.state


def recipient_label(user: User) -> str:
    employee = getattr(user, "employee", None)
    return employee.name if employee is not None else user.get_username()


# --- the ladder ------------------------------------------------------------------------------

MANAGER_KIND = "reach.manager"


def ladder_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Every message still unacknowledged at its ``next_step_at`` tries the person's next
    channel (skipping, and saying so, channels without an address); after the last channel
    their manager is told. Each step is claimed with a compare-and-set on ``next_step_at`` (two
    sweeps never take the same step) and runs in its own transaction: a failing one is logged
    and retried on the next tick, the others go on. Returns how many steps were taken."""
    now = now or timezone.now()
    due = list(
        MessageDelivery.objects.filter(
            next_step_at__lte=now, acknowledged_at__isnull=True, channel=Channel.INAPP
        )
        .order_by("next_step_at")
        .values_list("pk", "next_step_at")[:limit]
    )
    if not due:
        return 0
    policy = reach_policy()
    available = _available_channels()
    steps = 0
    for pk, due_at in due:
        try:
            with transaction.atomic():
                if _ladder_step(pk, due_at, now=now, policy=policy, available=available):
                    steps += 1
        except Exception:  # guard each row: one bad row never stops the others
            logger.exception("ladder step for delivery %s failed; retried next tick", pk)
    return steps


def _ladder_step(pk: int, due_at: datetime, *, now, policy, available) -> bool:
    from .services.notifications import notification_send
    from .services.outbox import outbox_enqueue

    anchor = MessageDelivery.objects.select_related("recipient", "notification").get(pk=pk)
    severity = "medium"
    if anchor.crisis_id is not None:
        severity = _severity_lookup({anchor.crisis_id}).get(anchor.crisis_id, "medium")
    wait = timedelta(minutes=policy.minutes_for(severity))
    # Claim the step first (compare-and-set on the due time): a second sweep holding the same
    # due time finds nothing to claim; the transaction rolls the claim back if the step fails.
    if not MessageDelivery.objects.filter(
        pk=anchor.pk, next_step_at=due_at, acknowledged_at__isnull=True
    ).update(next_step_at=now + wait, updated_at=now):
        return False
    employee = (
        Employee.objects.select_related("user", "manager__user")
        .filter(user_id=anchor.recipient_id)
        .first()
    )
    tried = set(
        MessageDelivery.objects.filter(
            message_key=anchor.message_key, recipient_id=anchor.recipient_id
        ).values_list("channel", flat=True)
    )
    step: dict = {"channel": "", "skipped": [], "manager": ""}
    if employee is not None:
        plan = channel_plan(
            ContactCard.of(employee), severity=severity, now=now, available=available
        )
        rung = len(tried)
        for planned in plan.rungs:
            if planned.channel in tried or planned.channel in (Channel.INAPP, Channel.EMAIL):
                continue
            fields = {
                "message_key": anchor.message_key,
                "notification": anchor.notification,
                "recipient_id": anchor.recipient_id,
                "kind": anchor.kind,
                "crisis_id": anchor.crisis_id,
                "needs_ack": True,
                "channel": planned.channel,
                "rung": rung,
                "address": planned.address,
                "idempotency_key": idempotency_key(
                    anchor.message_key, anchor.recipient_id, planned.channel
                ),
                "created_at": now,
                "updated_at": now,
            }
            rung += 1
            if planned.skipped:
                MessageDelivery.objects.create(
                    **fields, state=DeliveryState.FAILED, reason=SKIP_REASONS[planned.skipped]
                )
                step["skipped"].append({"channel": planned.channel, "reason": planned.skipped})
                continue
            delivery = MessageDelivery.objects.create(**fields, state=DeliveryState.QUEUED)
            outbox_enqueue(
                channel=REACH_OUTBOX_CHANNEL,
                dedupe_key=f"reach:{delivery.idempotency_key}",
                payload={"delivery_id": delivery.pk, "crisis_id": delivery.crisis_id},
            )
            step["channel"] = planned.channel
            break
    if not step["channel"]:
        # Every channel of the person was tried: their manager hears of it, and the ladder ends.
        manager = employee.manager if employee is not None else None
        MessageDelivery.objects.filter(pk=anchor.pk).update(next_step_at=None)
        if manager is not None and manager.user_id and anchor.kind != MANAGER_KIND:
            about = anchor.notification
            notification_send(
                recipient=manager.user,
                kind=MANAGER_KIND,
                params={
                    "name": person(employee),
                    "about": {
                        "zh": about.rendered("zh-hans").subject if about else anchor.kind,
                        "en": about.rendered("en").subject if about else anchor.kind,
                    },
                },
                link=anchor.notification.link if anchor.notification else "",
                data={"crisis_id": anchor.crisis_id, "about_delivery": anchor.pk},
                dedupe_key=f"reach:manager:{anchor.pk}",
            )
            step["manager"] = manager.name
    for listener in _ladder_listeners:
        listener(anchor, step)
    return True


# --- acknowledgements ------------------------------------------------------------------------

ACK_SALT = "keel.reach.ack"


class AckLinkInvalid(Exception):
    """An acknowledgement link that is forged, expired or names nothing."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # "expired" | "invalid"


def ack_token(anchor: MessageDelivery) -> str:
    """The signed token of an acknowledgement link for one (message, recipient)."""
    return signing.dumps({"a": anchor.pk, "k": anchor.idempotency_key[:16]}, salt=ACK_SALT)


def anchor_of(delivery: MessageDelivery) -> MessageDelivery | None:
    """The in-app row of the delivery's (message, recipient): where acknowledgements live."""
    if delivery.channel == Channel.INAPP:
        return delivery
    return MessageDelivery.objects.filter(
        message_key=delivery.message_key, recipient_id=delivery.recipient_id, channel=Channel.INAPP
    ).first()


def anchor_from_token(token: str) -> MessageDelivery:
    try:
        data = signing.loads(
            token, salt=ACK_SALT, max_age=timedelta(hours=reach_policy().ack_link_hours)
        )
    except signing.SignatureExpired as exc:
        raise AckLinkInvalid("expired") from exc
    except signing.BadSignature as exc:
        raise AckLinkInvalid("invalid") from exc
    anchor = (
        MessageDelivery.objects.select_related("recipient", "notification")
        .filter(pk=data.get("a"), channel=Channel.INAPP)
        .first()
    )
    if anchor is None or anchor.idempotency_key[:16] != data.get("k"):
        raise AckLinkInvalid("invalid")
    return anchor


def acknowledgement_record(*, anchor: MessageDelivery, via: str) -> bool:
    """The person acknowledged the message (``via``: the channel they tapped on, or ``inapp``
    / ``link``). Once only: returns False, changing nothing, when it was acknowledged
    before. Rows not sent yet are not sent any more; the ladder stops."""
    now = timezone.now()
    with transaction.atomic():
        if not MessageDelivery.objects.filter(pk=anchor.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now,
            state=DeliveryState.ACKNOWLEDGED,
            next_step_at=None,
            updated_at=now,
        ):
            return False
        if anchor.notification_id:
            Notification.objects.filter(
                pk=anchor.notification_id, acknowledged_at__isnull=True
            ).update(acknowledged_at=now)
        siblings = MessageDelivery.objects.filter(
            message_key=anchor.message_key, recipient_id=anchor.recipient_id
        ).exclude(pk=anchor.pk)
        siblings.filter(state=DeliveryState.QUEUED).update(
            state=DeliveryState.FAILED,
            reason="not sent: acknowledged before this channel was needed",
            updated_at=now,
        )
        if via in Channel.values:
            siblings.filter(
                channel=via,
                state__in=[DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ],
            ).update(state=DeliveryState.ACKNOWLEDGED, acknowledged_at=now, updated_at=now)
        anchor.refresh_from_db()
        for listener in _ack_listeners:
            listener(anchor, via)
    return True


def notification_acknowledge(*, notification: Notification, via: str = "inapp") -> bool:
    """The recipient acknowledges a notification in Keel (the API, the crisis page): through its
    ledger row when it has one (the ladder stops, unsent rows are not sent), else on the
    notification itself (the planner then sends nothing). False when acknowledged before."""
    anchor = MessageDelivery.objects.filter(
        notification=notification, channel=Channel.INAPP
    ).first()
    if anchor is not None:
        return acknowledgement_record(anchor=anchor, via=via)
    return bool(
        Notification.objects.filter(pk=notification.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now()
        )
    )


DECISION_NOTIFICATION_KIND = "crisis.decision"


@dataclass(frozen=True)
class AckCounts:
    """Who was asked to acknowledge a decision, and who has."""

    acknowledged: int
    pending: int
    pending_user_ids: tuple[int, ...]
    acknowledged_user_ids: tuple[int, ...]


def decision_ack_counts(decision_ids: Iterable[int]) -> dict[int, AckCounts]:
    """Per decision: the participants it was sent to who acknowledged it and who have not (one
    query for any number of decisions)."""
    ids = [int(i) for i in decision_ids]
    if not ids:
        return {}
    rows = Notification.objects.filter(
        kind=DECISION_NOTIFICATION_KIND, data__decision_id__in=ids
    ).values_list("data", "recipient_id", "acknowledged_at")
    acked: dict[int, list[int]] = {i: [] for i in ids}
    pending: dict[int, list[int]] = {i: [] for i in ids}
    for data, recipient_id, acknowledged_at in rows:
        decision_id = data.get("decision_id") if isinstance(data, dict) else None
        if decision_id not in acked:
            continue
        (acked if acknowledged_at else pending)[decision_id].append(recipient_id)
    return {
        i: AckCounts(
            len(acked[i]), len(pending[i]), tuple(sorted(pending[i])), tuple(sorted(acked[i]))
        )
        for i in ids
    }


def decision_notification_of(decision_id: int, user_id: int) -> Notification | None:
    return Notification.objects.filter(
        kind=DECISION_NOTIFICATION_KIND, data__decision_id=decision_id, recipient_id=user_id
    ).first()
