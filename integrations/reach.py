"""Reaching people through the messaging providers: the outbox handler that sends one ledger
row (``hrcore.reach``) through its channel's adapter, provider callbacks, the hooks that tell
hrcore which crisis messages reach people and how severe their crisis is, and the wiring of
every channel to the sandbox providers (``make run``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crisis import events
from crisis.models import Crisis, Task
from crisis.services.tasks import task_acknowledge
from hrcore import reach as ledger
from hrcore.contact import Channel
from hrcore.errors import KeelError, ValidationFailed
from hrcore.i18n import pick
from hrcore.models import MessageDelivery
from hrcore.services.notifications import notification_send
from hrcore.services.outbox import (
    OUTBOX_MAX_ATTEMPTS,
    PermanentDeliveryError,
    register_outbox_handler,
)

from . import adapters, crypto, signing
from .adapters import ChannelMessage, RateLimited
from .models import ChannelCallback, ChannelProvider

logger = logging.getLogger(__name__)

# Crisis notification kinds that reach people beyond the inbox (hrcore.reach), with their
# names in the deliveries API and whether they ask for an acknowledgement.
REACH_KINDS = {
    "crisis.task": ("task.assigned", True),
    "crisis.warning": ("task.warning", True),
    "crisis.escalation": ("task.escalated", True),
    "crisis.breach": ("task.breached", True),
    "crisis.decision": ("decision.made", True),
    "crisis.filed": ("crisis.filed", False),
    "crisis.invited": ("crisis.invited", False),
    ledger.MANAGER_KIND: ("ladder.manager", False),
}


def public_url() -> str:
    """Where people's phones reach Keel (links in IM cards and SMS)."""
    return os.environ.get("KEEL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def crisis_severities(crisis_ids: Iterable[int]) -> dict[int, str]:
    return dict(Crisis.objects.filter(pk__in=list(crisis_ids)).values_list("pk", "severity"))


def available_channels() -> frozenset[str]:
    return frozenset(
        ChannelProvider.objects.filter(enabled=True).values_list("channel", flat=True).distinct()
    )


def install() -> None:
    """Called from the app's ``ready``: register the hooks and the outbox handler."""
    for kind, (api_kind, needs_ack) in REACH_KINDS.items():
        ledger.register_reach_kind(kind, api_kind, needs_ack=needs_ack)
    ledger.register_severity_lookup(crisis_severities)
    ledger.register_channel_availability(available_channels)
    ledger.register_ladder_listener(ladder_step_on_timeline)
    ledger.register_ack_listener(acknowledgement_to_crisis)
    register_outbox_handler(ledger.REACH_OUTBOX_CHANNEL, deliver)
    from . import warroom  # noqa: F401  registers the war-room outbox handler


def ladder_step_on_timeline(anchor: MessageDelivery, step: dict) -> None:
    """Each rung of the ladder is a crisis timeline entry (who, which channel, what was skipped
    and why, or that the manager was told)."""
    if step["channel"] in (Channel.DINGTALK, Channel.WECOM, Channel.FEISHU):
        # Also mention them in the channel's crisis group, coalesced per robot (tick sweep).
        address = (
            MessageDelivery.objects.filter(
                message_key=anchor.message_key,
                recipient_id=anchor.recipient_id,
                channel=step["channel"],
            )
            .values_list("address", flat=True)
            .first()
        )
        subject = anchor.notification.subject_zh if anchor.notification else anchor.kind
        robot_mention_queue(
            channel=step["channel"],
            crisis_id=anchor.crisis_id,
            address=address or "",
            text=f"{ledger.recipient_label(anchor.recipient)}: {subject}",
            dedupe_key=f"mention:{anchor.pk}:{step['channel']}",
        )
    if anchor.crisis_id is None:
        return
    events.reach_step_event(
        crisis_id=anchor.crisis_id,
        data={
            "recipient_id": anchor.recipient_id,
            "recipient": ledger.recipient_label(anchor.recipient),
            "kind": anchor.kind,
            "channel": step["channel"],
            "skipped": step["skipped"],
            "manager": step["manager"],
        },
    )


def acknowledgement_to_crisis(anchor: MessageDelivery, via: str) -> None:
    """A task assignment acknowledged from the phone acknowledges the task (as the assignee
    would on the crisis page) when it is still theirs and open."""
    notification = anchor.notification
    if anchor.kind != "task.assigned" or notification is None:
        return
    task_id = (notification.data or {}).get("task_id")
    if not isinstance(task_id, int):
        return
    task = Task.objects.select_related("crisis").filter(pk=task_id).first()
    if task is None:
        return
    try:
        with transaction.atomic():
            task_acknowledge(task=task, actor=anchor.recipient)
    except KeelError:
        pass  # reassigned, done or closed meanwhile: the ledger still records the tap


# --- sending --------------------------------------------------------------------------------


def provider_for(channel: str, *, group: bool = False) -> ChannelProvider | None:
    """The enabled provider that sends to one person (or, ``group``, into a group) on
    ``channel``."""
    for provider in ChannelProvider.objects.filter(channel=channel, enabled=True).order_by("slug"):
        cls = adapters.adapter_class("channel", provider.protocol)
        if cls is not None and bool(getattr(cls, "group", False)) == group:
            return provider
    return None


def channel_message(delivery: MessageDelivery) -> ChannelMessage:
    """The ledger row as a message in the recipient's language (both kept on the
    notification)."""
    notification = delivery.notification
    employee = getattr(delivery.recipient, "employee", None)
    language = employee.language if employee is not None else "zh-hans"
    title = pick(notification, "subject", language) if notification else delivery.kind
    text = (pick(notification, "body", language) if notification else "") or title
    link = notification.link if notification else ""
    if link.startswith("/"):
        link = public_url() + link
    label = "打开" if language.startswith("zh") else "Open"
    anchor = ledger.anchor_of(delivery) if delivery.needs_ack else None
    if anchor is not None:
        # One tap: the signed, short-lived acknowledgement link (no password on the phone).
        link = public_url() + reverse("reach_ack", args=[ledger.ack_token(anchor)])
        label = "确认收到" if language.startswith("zh") else "Acknowledge"
    return ChannelMessage(
        to=delivery.address,
        title=title,
        text=text,
        link=link,
        link_label=label,
        idempotency_key=delivery.idempotency_key,
    )


def deliver(message) -> None:
    """Outbox handler: send one ledger row. Never raises for what retrying cannot fix (the
    ledger holds the reason); raises for throttling and outages so the outbox retries."""
    delivery = ledger.delivery_claim_attempt(message.payload["delivery_id"])
    if delivery is None:
        return  # no longer queued: sent (or failed, acknowledged) by an earlier attempt
    provider = provider_for(delivery.channel)
    if provider is None:
        ledger.delivery_mark_failed(delivery, reason=ledger.SKIP_REASONS["not_configured"])
        return
    try:
        adapter = adapters.adapter_for(provider.config())
        if delivery.interrupted and not adapter.dedupes:
            # The previous attempt died mid-send: the person may have it. A provider without
            # dedupe would show it twice, so it is not resent; the row fails (a message that
            # asks for an acknowledgement climbs to the next channel at once).
            ledger.delivery_mark_failed(delivery, reason=ledger.INTERRUPTED_NOT_RESENT)
            return
        receipt = adapter.send(channel_message(delivery))
    except RateLimited as exc:
        ledger.delivery_note(delivery, reason=f"rate limited: {exc.reason}")
        raise  # the outbox sends it again after its backoff
    except adapters.PermanentError as exc:
        ledger.delivery_mark_failed(delivery, reason=exc.reason)
        return
    except (adapters.TransientError, crypto.CredentialUnreadable) as exc:
        reason = getattr(exc, "reason", str(exc))
        if delivery.attempts >= OUTBOX_MAX_ATTEMPTS:
            ledger.delivery_mark_failed(delivery, reason=f"gave up: {reason}")
            raise PermanentDeliveryError(reason) from exc
        ledger.delivery_note(delivery, reason=reason)
        raise
    ledger.delivery_mark_sent(delivery, provider_message_id=receipt.provider_message_id)


# --- callbacks -------------------------------------------------------------------------------


class CallbackRefused(Exception):
    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


def callback_receive(*, channel: str, body: bytes, headers) -> MessageDelivery | None:
    """A provider's signed delivery/read/failed/acknowledged callback. Forged or stale ones are
    refused (401), replays (same event id) too (409), and callbacks naming a message Keel does
    not know (yet) 404 — retried by the provider; nothing changes for any of them. A callback
    carrying the key the card was sent with finds its row even when the provider's id was never
    recorded (``delivery_adopt``)."""
    if channel not in Channel.values:
        raise CallbackRefused(404, "unknown_channel", f"no channel {channel!r}")
    providers = [
        p
        for p in ChannelProvider.objects.filter(channel=channel, enabled=True)
        if p.callback_secret_encrypted
    ]
    event = None
    for provider in providers:
        try:
            event = adapters.parse_callback(provider.callback_secret, body=body, headers=headers)
        except signing.SignatureError as exc:
            last = exc
            continue
        except adapters.MalformedPayload as exc:
            raise CallbackRefused(400, "malformed", exc.reason) from exc
        break
    if event is None:
        if not providers:
            raise CallbackRefused(404, "no_provider", "no provider with callbacks on this channel")
        raise CallbackRefused(401, last.code, last.reason)
    known = MessageDelivery.objects.filter(
        channel=channel, provider_message_id=event.provider_message_id
    ).exists()
    if not known and event.track:
        known = ledger.delivery_adopt(
            channel=channel,
            idempotency_key=event.track,
            provider_message_id=event.provider_message_id,
        )
    if not known:
        # A callback can overtake the worker recording the provider's id (the provider answers,
        # then calls back before Keel wrote the answer down). Refused without recording its event
        # id, so the provider's retry is applied once the id is known (not taken for a replay).
        raise CallbackRefused(404, "unknown_message", "no message with this id on this channel")
    try:
        with transaction.atomic():
            ChannelCallback.objects.create(
                event_id=event.event_id[:200], provider=provider, received_at=timezone.now()
            )
            return _apply(channel, event)
    except IntegrityError as exc:
        raise CallbackRefused(409, "replay", "this callback was already received") from exc


def _apply(channel: str, event) -> MessageDelivery | None:
    if event.event == "acknowledged" and event.answer:
        # A roll call answered with one of the card's buttons (safe / need help / not affected).
        delivery = (
            MessageDelivery.objects.select_related("notification")
            .filter(channel=channel, provider_message_id=event.provider_message_id)
            .first()
        )
        if delivery is not None and delivery.notification is not None:
            roll_call_id = (delivery.notification.data or {}).get("roll_call_id")
            from .models import RollCallAnswer
            from .rollcall import roll_call_answer

            row = RollCallAnswer.objects.filter(
                roll_call_id=roll_call_id, user_id=delivery.recipient_id
            ).first()
            if row is not None:
                try:
                    roll_call_answer(row=row, answer=event.answer, via=channel)
                except ValidationFailed as exc:
                    raise CallbackRefused(400, "bad_answer", exc.message) from exc
                delivery.refresh_from_db()
                return delivery
    return ledger.delivery_event_apply(
        channel=channel,
        provider_message_id=event.provider_message_id,
        event=event.event,
        reason=event.reason,
    )


# --- make run: every channel through the sandbox providers -----------------------------------


def sandbox_channels_configure(*, sandbox_url: str, token: str, callback_base_secret: str) -> int:
    """Create (or update) one messaging provider per channel pointing at the sandbox. Returns
    how many were written."""
    from .sandbox.providers import callback_secret

    url = sandbox_url.rstrip("/")
    rows = [
        (
            "sandbox-dingtalk",
            "DingTalk (sandbox)",
            "dingtalk",
            "dingtalk-work",
            f"{url}/dingtalk",
            {"app_key": "sandbox-app", "agent_id": "1000001"},
        ),
        (
            "sandbox-dingtalk-robot",
            "DingTalk robot (sandbox)",
            "dingtalk",
            "dingtalk-robot-channel",
            f"{url}/dingtalk/robot/send?access_token=keel-crisis",
            {},
        ),
        (
            "sandbox-wecom",
            "WeCom (sandbox)",
            "wecom",
            "wecom-app",
            f"{url}/wecom",
            {"corp_id": "sandbox-corp", "agent_id": "1000002"},
        ),
        (
            "sandbox-wecom-robot",
            "WeCom robot (sandbox)",
            "wecom",
            "wecom-robot-channel",
            f"{url}/wecom/cgi-bin/webhook/send?key=keel-crisis",
            {},
        ),
        (
            "sandbox-feishu",
            "Feishu (sandbox)",
            "feishu",
            "feishu-app",
            f"{url}/feishu",
            {"app_id": "cli_sandbox"},
        ),
        (
            "sandbox-feishu-robot",
            "Feishu bot (sandbox)",
            "feishu",
            "feishu-robot",
            f"{url}/feishu/open-apis/bot/v2/hook/keel-crisis",
            {},
        ),
        (
            "sandbox-sms",
            "SMS gateway (sandbox)",
            "sms",
            "sms-gateway",
            url,
            {"sign_name": "Keel", "template_code": "KEEL_ALERT"},
        ),
        (
            "sandbox-voice",
            "Voice gateway (sandbox)",
            "voice",
            "voice-gateway",
            url,
            {"tts_code": "KEEL_VOICE_ALERT"},
        ),
    ]
    for slug, name, channel, protocol, base_url, options in rows:
        ChannelProvider.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "channel": channel,
                "protocol": protocol,
                "base_url": base_url,
                "token_encrypted": crypto.encrypt(token),
                "callback_secret_encrypted": crypto.encrypt(
                    callback_secret(callback_base_secret, channel)
                ),
                "options": options,
                "enabled": True,
            },
        )
    return len(rows)


# --- decision reminders ------------------------------------------------------------------------

REMINDER_KIND = "crisis.decision_reminder"
REACH_KINDS[REMINDER_KIND] = ("decision.reminder", False)
REACH_KINDS["crisis.rollcall"] = ("rollcall", False)  # the answer is the acknowledgement
REACH_KINDS["crisis.rollcall_help"] = ("rollcall.need_help", True)
REACH_KINDS["crisis.rollcall_missing"] = ("rollcall.no_answer", False)


def decision_remind(*, decision, actor) -> int:
    """Send the participants who have not acknowledged ``decision`` a reminder over their
    channels (in-app and the ladder's first channel). One reminder per person per minute: a
    double click reminds nobody twice. Returns how many were reminded."""
    from django.contrib.auth import get_user_model

    counts = ledger.decision_ack_counts([decision.pk])[decision.pk]
    minute = timezone.now().strftime("%Y%m%d%H%M")
    reminded = 0
    with transaction.atomic():
        for user in get_user_model().objects.filter(pk__in=counts.pending_user_ids):
            sent = notification_send(
                recipient=user,
                kind=REMINDER_KIND,
                params={"decision_text": decision.text[:120]},
                link=f"/crises/{decision.crisis_id}/",
                data={"crisis_id": decision.crisis_id, "decision_id": decision.pk},
                dedupe_key=f"reach:remind:{decision.pk}:{user.pk}:{minute}",
                email=False,
            )
            reminded += sent is not None
    return reminded


# --- group robots: coalesced mentions --------------------------------------------------------

MENTIONS_PER_POST = 50


def robot_mention_queue(
    *, channel: str, crisis_id: int | None, address: str, text: str, dedupe_key: str
) -> bool:
    """Queue a mention in the channel's group robot (when one is configured). Idempotent per
    ``dedupe_key``."""
    provider = provider_for(channel, group=True)
    if provider is None or not address:
        return False
    from .models import RobotMention

    try:
        with transaction.atomic():
            RobotMention.objects.create(
                provider=provider,
                crisis_id=crisis_id,
                address=address,
                text=text[:500],
                dedupe_key=dedupe_key[:200],
            )
    except IntegrityError:
        return False
    return True


def robot_mentions_flush(*, now=None) -> int:
    """Tick sweep: per robot, one post mentioning everyone queued for it (up to
    ``MENTIONS_PER_POST``), as many posts as the robot's per-minute budget allows. A throttled
    robot (RateLimited) keeps its mentions queued for the next tick: nothing is dropped.
    Returns how many mentions were posted."""
    from .models import RobotMention

    now = now or timezone.now()
    posted = 0
    provider_ids = (
        RobotMention.objects.filter(sent_at__isnull=True)
        .values_list("provider_id", flat=True)
        .distinct()
    )
    for provider in ChannelProvider.objects.filter(pk__in=list(provider_ids), enabled=True):
        adapter = adapters.adapter_for(provider.config())
        while True:
            batch = list(
                RobotMention.objects.filter(provider=provider, sent_at__isnull=True).order_by("id")[
                    :MENTIONS_PER_POST
                ]
            )
            if not batch:
                break
            lines = sorted({m.text for m in batch})
            message = ChannelMessage(
                to="",
                title="请确认 / Please acknowledge",
                text="\n".join(f"- {line}" for line in lines),
                mentions=tuple(dict.fromkeys(m.address for m in batch)),
                idempotency_key=f"robot:{provider.pk}:{batch[0].pk}",
            )
            try:
                adapter.send(message)
            except adapters.AdapterError as exc:  # throttled or down: stays queued, retried
                RobotMention.objects.filter(pk__in=[m.pk for m in batch]).update(
                    last_error=exc.reason[:2000]
                )
                break
            RobotMention.objects.filter(pk__in=[m.pk for m in batch]).update(
                sent_at=now, last_error=""
            )
            posted += len(batch)
    return posted
