"""WeCom (企业微信): app messages to one person (``wecom-app``) and the group robot
(``wecom-robot-channel``).

App message: base URL ``https://qyapi.weixin.qq.com``, token = the app secret, options
``corp_id`` and ``agent_id``. ``GET /cgi-bin/gettoken`` (two hours, cached per process), then
``POST /cgi-bin/message/send`` with a text card whose button is the acknowledgement link. WeCom's
own duplicate check (``enable_duplicate_check``, 30 minutes) is switched on: a retried send of
the same card within that window is not shown twice. ``msgid`` is the provider message id;
recipients WeCom does not know come back in ``invaliduser`` (a permanent failure).

Group robot: base URL = the webhook (``…/cgi-bin/webhook/send?key=…``), unsigned. 20 messages
a minute per robot; beyond that ``45009`` (``RateLimited``).
"""

from __future__ import annotations

from .base import register
from .im import truncate_utf8
from .messaging import (
    ChannelAdapter,
    ChannelMessage,
    MalformedPayload,
    PermanentError,
    SendReceipt,
    card_markdown,
    errcode_check,
    tokens,
)

RATE_LIMITED = frozenset({45009})  # "api freq out of limit"
TOKEN_INVALID = frozenset({40014, 42001})
DUPLICATE_CHECK_SECONDS = 1800


@register("channel", "wecom-app")
class WeComAppMessageAdapter(ChannelAdapter):
    channel = "wecom"
    dedupes = True  # enable_duplicate_check

    def token_key(self) -> tuple:
        return ("wecom", self.config.base_url, self.option("corp_id"), self.option("agent_id"))

    def access_token(self) -> str:
        def fetch() -> tuple[str, float]:
            body = self.http.request(
                "GET",
                "cgi-bin/gettoken",
                params={"corpid": self.option("corp_id"), "corpsecret": self.config.token},
                check=errcode_check("WeCom"),
            )
            if not isinstance(body.get("access_token"), str):
                raise MalformedPayload("WeCom: gettoken answered without an access_token")
            return body["access_token"], float(body.get("expires_in") or 7200)

        return tokens.get(self.token_key(), fetch)

    def send(self, message: ChannelMessage) -> SendReceipt:
        card = {
            "title": message.title[:128],
            "description": truncate_utf8(message.text, 512),
            "url": message.link or "https://keel.invalid/",
            "btntxt": (message.link_label or "OK")[:4],
        }
        body = self.http.request(
            "POST",
            "cgi-bin/message/send",
            params=lambda: {"access_token": self.access_token()},
            json={
                "touser": message.to,
                "msgtype": "textcard",
                "agentid": self.option("agent_id"),
                "textcard": card,
                "enable_duplicate_check": 1,
                "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
            },
            check=errcode_check(
                "WeCom",
                rate_limited=RATE_LIMITED,
                token_invalid=TOKEN_INVALID,
                on_token_invalid=lambda: tokens.forget(self.token_key()),
            ),
        )
        if body.get("invaliduser"):
            raise PermanentError(f"WeCom does not know the user id {body['invaliduser']!r}")
        if not body.get("msgid"):
            raise MalformedPayload("WeCom: message/send answered without a msgid")
        return SendReceipt(provider_message_id=str(body["msgid"]))


@register("channel", "wecom-robot-channel")
class WeComRobotChannelAdapter(ChannelAdapter):
    channel = "wecom"
    group = True
    per_minute = 20
    MARKDOWN_LIMIT = 4096  # bytes of UTF-8

    def send(self, message: ChannelMessage) -> SendReceipt:
        mentions = list(message.mentions or ((message.to,) if message.to else ()))
        tail = "".join(f"\n<@{m}>" for m in mentions)  # markdown mentions
        content = truncate_utf8(card_markdown(message), self.MARKDOWN_LIMIT - len(tail.encode()))
        body = self.http.request(
            "POST",
            "",
            json={"msgtype": "markdown", "markdown": {"content": content + tail}},
            check=errcode_check("WeCom", rate_limited=RATE_LIMITED),
        )
        return SendReceipt(
            provider_message_id=str(
                body.get("message_id") or f"wecom-robot:{message.idempotency_key}"
            )
        )
