"""Channel adapters: how Keel reaches a person on e-mail, DingTalk, WeCom, Feishu, SMS and voice.

Every channel adapter is registered as kind ``"channel"`` with its protocol (``dingtalk-work``,
``dingtalk-robot``, ``wecom-app``, ``wecom-robot``, ``feishu-app``, ``feishu-robot``,
``sms-gateway``, ``voice-gateway``, ``smtp``) and sends one :class:`ChannelMessage`, answering a
:class:`SendReceipt` with the provider's message id or raising an :class:`AdapterError`:

* ``RateLimited`` — the provider throttled us (DingTalk 130101, WeCom 45009, Feishu 11232 …):
  transient for the caller (send later), but not retried in-process and not counted by the
  circuit breaker — a throttled robot is not a broken one;
* ``TransientError`` — timeouts, 5xx, "system busy": retried with backoff, breaker counts it;
* ``PermanentError`` — bad address, bad credentials, bad signature: never retried.

Delivery and read receipts come back as signed callbacks (``parse_callback``), with the same
signature scheme as inbound partner webhooks (``integrations.signing``). Adapters never touch
the ORM.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import signing
from .base import (
    AdapterError,
    HttpClient,
    MalformedPayload,
    PartnerConfig,
    PermanentError,
    TransientError,
)

CHANNEL_KIND = "channel"


class RateLimited(AdapterError):
    """The provider throttled us: send again after ``retry_after_seconds`` (the caller's outbox
    does). Not a failure of the provider, so not retried in-process and not counted by the
    circuit breaker (which only counts ``TransientError``)."""

    transient = True

    def __init__(
        self, reason: str, *, retry_after_seconds: float = 60.0, status: int | None = None
    ):
        super().__init__(reason, status=status)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class ChannelMessage:
    """One message to one person (``to``: their address on the channel) or, for a group robot,
    to the robot's group mentioning ``mentions``."""

    to: str
    title: str
    text: str
    link: str = ""  # the one-tap acknowledgement link (signed, short-lived)
    link_label: str = ""  # its button label
    idempotency_key: str = ""  # the ledger row's key: the provider's dedupe where it has one
    mentions: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)  # SMS / voice template parameters


@dataclass(frozen=True)
class SendReceipt:
    """What the provider answered: its message id, and whether it recognised a repeat."""

    provider_message_id: str
    duplicate: bool = False


class ChannelAdapter(ABC):
    """Sends one message over one channel; see the module docstring for the error contract."""

    kind = CHANNEL_KIND
    protocol = ""
    channel: ClassVar[str] = ""
    group: ClassVar[bool] = False  # a robot posting into one group chat
    # Messages a robot may post per minute (the provider's limit), None for person channels.
    per_minute: ClassVar[int | None] = None
    # Whether a resend with the same idempotency key shows once (Feishu uuid, WeCom's duplicate
    # check, the gateways' Idempotency-Key, e-mail's Message-ID). DingTalk does not dedupe.
    dedupes: ClassVar[bool] = False

    def __init__(self, config: PartnerConfig):
        self.config = config
        self.http = HttpClient(config, bearer=False)

    @abstractmethod
    def send(self, message: ChannelMessage) -> SendReceipt: ...

    def option(self, name: str, default: str = "") -> str:
        return str(self.config.options.get(name, default) or default)


# --- errcode answers ------------------------------------------------------------------------


def errcode_check(
    service: str,
    *,
    code_field: str = "errcode",
    message_field: str = "errmsg",
    rate_limited: frozenset[int] = frozenset(),
    transient: frozenset[int] = frozenset({-1}),
    token_invalid: frozenset[int] = frozenset(),
    on_token_invalid: Callable[[], None] | None = None,
) -> Callable[[Any], None]:
    """A ``check`` for HttpClient: these providers answer HTTP 200 with an error code."""

    def check(body) -> None:
        if not isinstance(body, dict) or not isinstance(body.get(code_field), int):
            raise MalformedPayload(f"{service}: answer without “{code_field}”")
        code = body[code_field]
        if code == 0:
            return
        reason = f"{service} refused the message: {code} {body.get(message_field, '')}".strip()
        if code in rate_limited:
            raise RateLimited(reason)
        if code in token_invalid:
            if on_token_invalid is not None:
                on_token_invalid()  # fetch a fresh token on the retry
            raise TransientError(reason)
        if code in transient:
            raise TransientError(reason)
        raise PermanentError(reason)

    return check


# --- access tokens ----------------------------------------------------------------------------


class AccessTokens:
    """App access tokens (DingTalk, WeCom, Feishu: valid two hours), cached per provider
    configuration and process, refreshed a minute early or when the provider says it is
    invalid."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple, tuple[str, float]] = {}

    def get(self, key: tuple, fetch: Callable[[], tuple[str, float]]) -> str:
        with self._lock:
            cached = self._tokens.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        token, lifetime = fetch()
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(lifetime - 60, 1))
        return token

    def forget(self, key: tuple) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


tokens = AccessTokens()


# --- callbacks --------------------------------------------------------------------------------

CALLBACK_EVENTS = ("delivered", "read", "failed", "acknowledged")


@dataclass(frozen=True)
class DeliveryEvent:
    """A provider's report about one message: delivered, read, failed (with the reason) or
    acknowledged (a tap on the card's button)."""

    event_id: str
    provider: str
    event: str
    provider_message_id: str
    at: float
    reason: str = ""
    answer: str = ""  # roll calls: which button was tapped
    # The key the card was sent with, echoed by the provider (DingTalk's out_track_id): finds
    # the message when Keel never recorded the provider's id (a send whose answer was lost).
    track: str = ""


def parse_callback(
    secret: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    now: float | None = None,
) -> DeliveryEvent:
    """Verify a provider callback (signature over timestamp, event id and body; timestamp
    window) and read it. Raises ``signing.SignatureError`` when forged or stale and
    ``MalformedPayload`` when the body is not a callback. Replays of a valid callback are the
    caller's to refuse (by ``event_id``)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signing.verify(
        secret,
        body=body,
        timestamp=lowered.get(signing.TIMESTAMP_HEADER.lower()),
        delivery_id=lowered.get(signing.DELIVERY_HEADER.lower()),
        signature=lowered.get(signing.SIGNATURE_HEADER.lower()),
        now=now,
    )
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise MalformedPayload("callback body is not JSON") from exc
    if not isinstance(data, dict):
        raise MalformedPayload("callback body is not an object")
    event = data.get("event")
    message_id = data.get("message_id")
    if event not in CALLBACK_EVENTS or not isinstance(message_id, str) or not message_id:
        raise MalformedPayload("callback needs an event and a message_id")
    return DeliveryEvent(
        event_id=lowered[signing.DELIVERY_HEADER.lower()],
        provider=str(data.get("provider", "")),
        event=event,
        provider_message_id=message_id[:200],  # as the ledger stores it
        at=float(data.get("at") or 0),
        reason=str(data.get("reason", ""))[:500],
        answer=str(data.get("answer", ""))[:32],
        track=str(data.get("track", ""))[:64],
    )


def card_markdown(message: ChannelMessage) -> str:
    """The message as markdown with its link, for providers without a button card."""
    body = f"**{message.title}**\n\n{message.text}"
    if message.link:
        body += f"\n\n[{message.link_label or message.link}]({message.link})"
    return body
