"""Feishu (飞书): app messages to one person (``feishu-app``) and the signed custom group bot
(``feishu-robot``).

App message: base URL ``https://open.feishu.cn``, token = the app secret, option ``app_id``.
``POST /open-apis/auth/v3/tenant_access_token/internal`` (two hours, cached per process), then
``POST /open-apis/im/v1/messages?receive_id_type=open_id`` with an interactive card whose button
is the acknowledgement link. Feishu dedupes on ``uuid`` (one hour): the ledger row's key goes
there, so a retried send is delivered once. Feishu explains errors in the body of HTTP 400/429
answers (``code``): 99991400 / 230020 are its frequency limits (``RateLimited``), 99991663 /
99991661 an invalid tenant token.

Custom bot: base URL = the webhook (``…/open-apis/bot/v2/hook/…``), token = its signing secret:
``sign = base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=""))`` in the body. 100 messages
a minute per bot; beyond that ``11232`` (``RateLimited``); a bad signature is ``19021``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from .base import register
from .messaging import (
    ChannelAdapter,
    ChannelMessage,
    MalformedPayload,
    SendReceipt,
    errcode_check,
    tokens,
)

APP_RATE_LIMITED = frozenset({99991400, 230020})
TOKEN_INVALID = frozenset({99991663, 99991661, 99991668})
BOT_RATE_LIMITED = frozenset({11232})


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's custom-bot signature: the key is "<timestamp>\\n<secret>", the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def card(message: ChannelMessage) -> dict:
    """An interactive card: title, text (with mentions), and the acknowledgement button."""
    text = message.text
    if message.mentions:
        text += "\n" + " ".join(f"<at id={m}></at>" for m in message.mentions)
    elements: list[dict] = [{"tag": "markdown", "content": text}]
    if message.link:
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": message.link_label or "OK"},
                        "url": message.link,
                        "type": "primary",
                    }
                ],
            }
        )
    return {
        "header": {"title": {"tag": "plain_text", "content": message.title}},
        "elements": elements,
    }


def feishu_reply_check(**kwargs):
    """How a Feishu reply says it failed (``code``/``msg``), for every Feishu adapter."""
    return errcode_check("Feishu", code_field="code", message_field="msg", **kwargs)


@register("channel", "feishu-app")
class FeishuAppMessageAdapter(ChannelAdapter):
    channel = "feishu"
    dedupes = True  # uuid

    def token_key(self) -> tuple:
        return ("feishu", self.config.base_url, self.option("app_id"))

    def access_token(self) -> str:
        def fetch() -> tuple[str, float]:
            body = self.http.request(
                "POST",
                "open-apis/auth/v3/tenant_access_token/internal",
                json={"app_id": self.option("app_id"), "app_secret": self.config.token},
                check=feishu_reply_check(),
                body_statuses=frozenset({400}),
            )
            if not isinstance(body.get("tenant_access_token"), str):
                raise MalformedPayload("Feishu: no tenant_access_token in the answer")
            return body["tenant_access_token"], float(body.get("expire") or 7200)

        return tokens.get(self.token_key(), fetch)

    def send(self, message: ChannelMessage) -> SendReceipt:
        payload = {
            "receive_id": message.to,
            "msg_type": "interactive",
            "content": json.dumps(card(message), ensure_ascii=False),
        }
        if message.idempotency_key:
            # Feishu's uuid is at most 50 characters; the ledger key is a short hash already.
            payload["uuid"] = message.idempotency_key[:50]
        check = feishu_reply_check(
            rate_limited=APP_RATE_LIMITED,
            token_invalid=TOKEN_INVALID,
            on_token_invalid=lambda: tokens.forget(self.token_key()),
        )
        body = self.http.request(
            "POST",
            "open-apis/im/v1/messages",
            params={"receive_id_type": "open_id"},
            json=payload,
            # The tenant token travels as a bearer header, per attempt: a retry after "invalid
            # token" carries the fresh one.
            headers=lambda: {"Authorization": f"Bearer {self.access_token()}"},
            check=check,
            body_statuses=frozenset({400, 429}),
        )
        data = body.get("data") or {}
        if not isinstance(data, dict) or not data.get("message_id"):
            raise MalformedPayload("Feishu: messages answered without a message_id")
        return SendReceipt(provider_message_id=str(data["message_id"]))


@register("channel", "feishu-robot")
class FeishuRobotAdapter(ChannelAdapter):
    channel = "feishu"
    group = True
    per_minute = 100

    def send(self, message: ChannelMessage) -> SendReceipt:
        mentions = message.mentions or ((message.to,) if message.to else ())
        payload: dict = {
            "msg_type": "interactive",
            "card": card(
                ChannelMessage(
                    to="",
                    title=message.title,
                    text=message.text,
                    link=message.link,
                    link_label=message.link_label,
                    mentions=tuple(mentions),
                )
            ),
        }
        if self.config.token:
            timestamp = int(time.time())
            payload["timestamp"] = str(timestamp)
            payload["sign"] = feishu_sign(self.config.token, timestamp)
        body = self.http.request(
            "POST",
            "",
            json=payload,
            check=feishu_reply_check(rate_limited=BOT_RATE_LIMITED),
            body_statuses=frozenset({400}),
        )
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        return SendReceipt(
            provider_message_id=str(
                data.get("message_id") or f"feishu-robot:{message.idempotency_key}"
            )
        )
