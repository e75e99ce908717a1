"""DingTalk: work notifications to one person (``dingtalk-work``) and the signed group robot
(``dingtalk-robot-channel``).

Work notification (工作通知): base URL ``https://oapi.dingtalk.com``, token = the app secret,
options ``app_key`` and ``agent_id``. An app access token (``GET /gettoken``, two hours) is
cached per process; ``POST /topapi/message/corpconversation/asyncsend_v2`` sends an action
card whose one button is the acknowledgement link; the answer's ``task_id`` is the provider
message id. DingTalk takes no idempotency key; the card carries the ledger row's key as
``out_track_id``, which DingTalk echoes in the card's callbacks.

Group robot (自定义机器人): base URL = the robot's webhook (``…/robot/send?access_token=…``),
token = its signing secret (``SEC…``): every attempt signs the current timestamp. 20 messages a
minute per robot; the 21st answers ``130101`` (``RateLimited``).
"""

from __future__ import annotations

import time

from .base import register
from .im import MOBILE, dingtalk_sign
from .messaging import (
    ChannelAdapter,
    ChannelMessage,
    MalformedPayload,
    SendReceipt,
    card_markdown,
    errcode_check,
    tokens,
)

RATE_LIMITED = frozenset({130101})  # "send too fast, exceed 20 times per minute"
TOKEN_INVALID = frozenset({40014, 42001})  # invalid / expired access_token


@register("channel", "dingtalk-work")
class DingTalkWorkNoticeAdapter(ChannelAdapter):
    channel = "dingtalk"

    def token_key(self) -> tuple:
        return ("dingtalk", self.config.base_url, self.option("app_key"))

    def access_token(self) -> str:
        def fetch() -> tuple[str, float]:
            body = self.http.request(
                "GET",
                "gettoken",
                params={"appkey": self.option("app_key"), "appsecret": self.config.token},
                check=errcode_check("DingTalk"),
            )
            if not isinstance(body.get("access_token"), str):
                raise MalformedPayload("DingTalk: gettoken answered without an access_token")
            return body["access_token"], float(body.get("expires_in") or 7200)

        return tokens.get(self.token_key(), fetch)

    def send(self, message: ChannelMessage) -> SendReceipt:
        card = {
            "title": message.title,
            "markdown": card_markdown(message),
        }
        if message.link:
            card["single_title"] = message.link_label or message.title
            card["single_url"] = message.link
        body = self.http.request(
            "POST",
            "topapi/message/corpconversation/asyncsend_v2",
            # Per attempt: a token refreshed after "invalid token" is used by the retry.
            params=lambda: {"access_token": self.access_token()},
            json={
                "agent_id": self.option("agent_id"),
                "userid_list": message.to,
                "msg": {"msgtype": "action_card", "action_card": card},
                # Echoed in the card's callbacks: a tap finds its row even when the answer to
                # this request is lost (DingTalk takes no idempotency key to resend with).
                "out_track_id": message.idempotency_key,
            },
            check=errcode_check(
                "DingTalk",
                token_invalid=TOKEN_INVALID,
                on_token_invalid=lambda: tokens.forget(self.token_key()),
            ),
        )
        task_id = body.get("task_id")
        if task_id in (None, ""):
            raise MalformedPayload("DingTalk: asyncsend_v2 answered without a task_id")
        return SendReceipt(provider_message_id=str(task_id))


@register("channel", "dingtalk-robot-channel")
class DingTalkRobotChannelAdapter(ChannelAdapter):
    channel = "dingtalk"
    group = True
    per_minute = 20

    def _params(self) -> dict:
        if not self.config.token:
            return {}
        timestamp = int(time.time() * 1000)  # per attempt: DingTalk rejects stale signatures
        return {"timestamp": timestamp, "sign": dingtalk_sign(self.config.token, timestamp)}

    def send(self, message: ChannelMessage) -> SendReceipt:
        mentions = list(message.mentions or ((message.to,) if message.to else ()))
        text = card_markdown(message)
        if mentions:
            # The mention only shows when the text names the person as well.
            text += "\n\n" + " ".join(f"@{m}" for m in mentions)
        user_ids = [m for m in mentions if not MOBILE.match(m)]
        mobiles = [m for m in mentions if MOBILE.match(m)]
        body = self.http.request(
            "POST",
            "",
            params=self._params,
            json={
                "msgtype": "markdown",
                "markdown": {"title": message.title, "text": text},
                "at": {"atUserIds": user_ids, "atMobiles": mobiles, "isAtAll": False},
            },
            check=errcode_check("DingTalk", rate_limited=RATE_LIMITED),
        )
        # Robots answer no message id; the sandbox adds one, the real service does not.
        return SendReceipt(
            provider_message_id=str(
                body.get("message_id") or f"dingtalk-robot:{message.idempotency_key}"
            )
        )
