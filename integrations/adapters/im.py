"""Instant messaging through group robots: DingTalk ("dingtalk-robot") and WeCom
("wecom-robot"). A robot posts into the one group it was added to; ``to`` is mentioned there.

Configuration: the base URL is the robot's whole webhook URL as the IM admin copied it
(``https://oapi.dingtalk.com/robot/send?access_token=…``,
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``); for DingTalk the token is the
robot's signing secret (``SEC…``, "加签"), empty when the robot uses keywords or an IP allow-list
instead. The token is never sent as a header.

Both services answer HTTP 200 with ``{"errcode": …, "errmsg": …}``; a non-zero code is a failure:
rate limiting (both allow 20 messages a minute per robot) and "system busy" are transient, the
rest (bad signature, keyword missing, invalid key …) permanent. A retried message can arrive
twice: neither robot API takes an idempotency key.

E-mail is not an adapter: Keel's own outbox delivers e-mail (hrcore ``outbox_enqueue``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

from .base import (
    HttpClient,
    MalformedPayload,
    PartnerConfig,
    PermanentError,
    TransientError,
    register,
)
from .interfaces import ImAdapter

MOBILE = re.compile(r"^\+?\d{6,15}$")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def _errcode_check(service: str, transient_codes: frozenset[int]):
    def check(body) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("errcode"), int):
            raise MalformedPayload(f"{service}: answer without an “errcode”")
        code = body["errcode"]
        if code == 0:
            return
        reason = f"{service} refused the message: {code} {body.get('errmsg', '')}".strip()
        if code in transient_codes:
            raise TransientError(reason)
        raise PermanentError(reason)

    return check


def truncate_utf8(text: str, limit: int) -> str:
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"


class RobotAdapter(ImAdapter):
    def __init__(self, config: PartnerConfig):
        super().__init__(config)
        self.http = HttpClient(config, bearer=False)

    def ping(self) -> bool:
        """Robots have no health check: the admin's test button posts a test message."""
        self.send(to="", title="Keel", text="连接测试 / Connection test")
        return True


@register("im", "dingtalk-robot")
class DingTalkRobotAdapter(RobotAdapter):
    # 130101: sending too fast (more than 20 a minute); -1: system busy.
    check = staticmethod(_errcode_check("DingTalk", frozenset({130101, -1})))

    def _params(self) -> dict:
        if not self.config.token:
            return {}
        timestamp = int(time.time() * 1000)  # per attempt: DingTalk rejects stale signatures
        return {"timestamp": timestamp, "sign": dingtalk_sign(self.config.token, timestamp)}

    def send(self, *, to: str, title: str, text: str, link: str = "") -> None:
        at: dict = {"isAtAll": False}
        body = f"#### {title}\n\n{text}"
        if link:
            body += f"\n\n[{link}]({link})"
        if to:
            # The mention only shows when the text names the person as well.
            at["atMobiles" if MOBILE.match(to) else "atUserIds"] = [to]
            body += f"\n\n@{to}"
        self.http.request(
            "POST",
            "",
            params=self._params,
            json={"msgtype": "markdown", "markdown": {"title": title, "text": body}, "at": at},
            check=self.check,
        )


@register("im", "wecom-robot")
class WeComRobotAdapter(RobotAdapter):
    # 45009: over the frequency limit (20 a minute); -1: system busy.
    check = staticmethod(_errcode_check("WeCom", frozenset({45009, -1})))
    MARKDOWN_LIMIT = 4096  # bytes of UTF-8

    def send(self, *, to: str, title: str, text: str, link: str = "") -> None:
        content = f"**{title}**\n{text}"
        if link:
            content += f"\n[{link}]({link})"
        mention = f"\n<@{to}>" if to else ""  # markdown messages mention with <@userid>
        limit = self.MARKDOWN_LIMIT - len(mention.encode())
        content = truncate_utf8(content, limit) + mention
        self.http.request(
            "POST",
            "",
            json={"msgtype": "markdown", "markdown": {"content": content}},
            check=self.check,
        )
