"""The sandbox's messaging providers: DingTalk, WeCom and Feishu (app messages and group
robots), an SMS gateway and a voice gateway, answering the way the real services do.

* Credentials: app secrets, the robots' signing secrets and the gateways' API key are the
  sandbox token. Access tokens come from each provider's token endpoint and expire with a
  reset (``/_admin/reset``) — a client must fetch a new one when told "invalid token".
* Rate limits per robot in a sliding minute: DingTalk 20 (``130101``), WeCom 20 (``45009``),
  Feishu 100 (``11232``); Feishu app messages 50 a second per app (``99991400``, knob
  ``app_per_second``); the SMS gateway optionally per number (``isv.BUSINESS_LIMIT_CONTROL``,
  knob ``per_number_per_minute``). Knob ``per_minute`` overrides a robot's limit.
* Idempotency as the real ones: Feishu dedupes ``uuid``, WeCom's duplicate check dedupes the
  same card to the same person within its interval, the gateways dedupe ``Idempotency-Key``;
  DingTalk does not dedupe.
* Delivery and read callbacks, signed like partner webhooks (``integrations.signing``) with the
  provider's callback secret, POSTed to the callback URL (``{provider}`` replaced). Knob
  ``callbacks``: ``auto`` (after ``delivered_after_ms`` / ``read_after_ms``; ``read_rate`` of
  the people read), ``manual`` (queued until ``POST /_admin/providers/callbacks``) or ``off``.
  Addresses in knob ``undeliverable`` get a ``failed`` callback instead, those in ``unknown``
  are refused when sending (the provider does not know them).
* Latency and failure knobs as every sandbox service (``latency_ms``, ``failure_rate``,
  ``mode``).

Every accepted message is kept (``GET /_admin/providers/messages``) so tests and the benchmark
can see what each person received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from collections import defaultdict, deque
from functools import cache

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .. import signing

PROVIDERS = ("dingtalk", "wecom", "feishu", "sms", "voice")
ROBOT_LIMITS = {"dingtalk": 20, "wecom": 20, "feishu": 100}
# Feishu's send-message API: 50 requests a second per app (beyond: 99991400).
FEISHU_APP_PER_SECOND = 50
READ_RECEIPTS = frozenset({"dingtalk", "wecom", "feishu"})  # app messages report "read"


def default_knobs() -> dict:
    return {
        "callbacks": "auto",
        "delivered_after_ms": 50,
        "read_after_ms": 200,
        "read_rate": 1.0,
        "undeliverable": [],
        "unknown": [],
        "per_minute": None,
        "per_number_per_minute": 0,
        "callback_retries": 8,
    }


def callback_secret(base: str, provider: str) -> str:
    """The callback secret of one provider (derived like the partners' webhook secrets):
    Keel stores the same value on its side of the channel."""
    return hmac.new(
        base.encode(), f"keel-sandbox-provider:{provider}".encode(), hashlib.sha256
    ).hexdigest()


def _json(body, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


_callback_tls_lock = threading.Lock()


@cache
def _callback_tls():
    import httpx

    return httpx.create_ssl_context()


def callback_tls():
    """One TLS context for every callback the sandbox sends (httpx's default: certifi's CAs).
    ``httpx.post`` builds a new one per call otherwise, reading the CA bundle each time: ~17 ms
    of CPU per callback, most of the sandbox's own CPU in a roll call. Built under a lock: the
    first callbacks of a roll call start together, each on its own timer thread, and without
    it every one of them built a context of its own."""
    with _callback_tls_lock:
        return _callback_tls()


class Providers:
    """State and endpoints of the messaging providers (part of the sandbox WSGI app)."""

    def __init__(self, sandbox, *, callback_url: str = "", callback_base_secret: str = ""):
        self.sandbox = sandbox
        self.callback_url = callback_url
        self.callback_base_secret = callback_base_secret
        self.lock = threading.Lock()
        self.clock = time.time
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.messages: list[dict] = []
            self.tokens: set[str] = set()
            self.robot_sent: dict[tuple, deque] = defaultdict(deque)
            self.number_sent: dict[str, deque] = defaultdict(deque)
            self.keys: dict[tuple, dict] = {}  # (provider, idempotency key) -> message
            self.wecom_recent: dict[tuple, tuple[float, dict]] = {}
            self.pending: list[tuple[str, dict]] = []
            self.callback_log: list[dict] = []
            self.chats: dict[str, dict] = {}  # chat id -> {"provider", "name", "members", ...}
            # Callbacks scheduled or retrying before a reset die with it (they never reach the
            # next user of the sandbox, e.g. the next test).
            self.epoch = getattr(self, "epoch", 0) + 1
            self.ids = itertools.count(1)

    @staticmethod
    def rules() -> list[Rule]:
        return [
            Rule("/dingtalk/gettoken", endpoint="p_dingtalk_token"),
            Rule(
                "/dingtalk/topapi/message/corpconversation/asyncsend_v2",
                endpoint="p_dingtalk_work",
                methods=["POST"],
            ),
            Rule("/dingtalk/robot/send", endpoint="p_dingtalk_robot", methods=["POST"]),
            Rule("/wecom/cgi-bin/gettoken", endpoint="p_wecom_token"),
            Rule("/wecom/cgi-bin/message/send", endpoint="p_wecom_app", methods=["POST"]),
            Rule("/wecom/cgi-bin/webhook/send", endpoint="p_wecom_robot", methods=["POST"]),
            Rule(
                "/feishu/open-apis/auth/v3/tenant_access_token/internal",
                endpoint="p_feishu_token",
                methods=["POST"],
            ),
            Rule("/feishu/open-apis/im/v1/messages", endpoint="p_feishu_app", methods=["POST"]),
            Rule(
                "/feishu/open-apis/bot/v2/hook/<hook>", endpoint="p_feishu_robot", methods=["POST"]
            ),
            Rule("/dingtalk/chat/create", endpoint="p_dingtalk_chatcreate", methods=["POST"]),
            Rule("/dingtalk/chat/send", endpoint="p_dingtalk_chatsend", methods=["POST"]),
            Rule("/wecom/cgi-bin/appchat/create", endpoint="p_wecom_chatcreate", methods=["POST"]),
            Rule("/wecom/cgi-bin/appchat/send", endpoint="p_wecom_chatsend", methods=["POST"]),
            Rule("/feishu/open-apis/im/v1/chats", endpoint="p_feishu_chatcreate", methods=["POST"]),
            Rule(
                "/feishu/open-apis/im/v1/chats/<chat_id>",
                endpoint="p_feishu_chatdissolve",
                methods=["DELETE"],
            ),
            Rule("/sms/send", endpoint="p_sms_send", methods=["POST"]),
            Rule("/voice/call", endpoint="p_voice_call", methods=["POST"]),
        ]

    # --- plumbing ----------------------------------------------------------------------------

    def knob(self, provider: str) -> dict:
        return self.sandbox.knobs[provider]

    def dispatch(self, request: Request, endpoint: str, args: dict) -> Response:
        provider = endpoint.split("_")[1]
        knob = self.knob(provider)
        with self.sandbox.lock:
            self.sandbox.requests += 1
        if knob["latency_ms"]:
            time.sleep(knob["latency_ms"] / 1000)
        mode = knob["mode"]
        if mode == "ok" and knob["failure_rate"] and random.random() < knob["failure_rate"]:
            mode = "error"
        if mode == "hang":
            time.sleep(float(knob.get("hang_seconds", 30)))
        if mode == "error":
            return _json({"error": "internal error (sandbox failure knob)"}, 500)
        if mode == "malformed":
            return _json({"unexpected": "shape"})
        return getattr(self, endpoint[2:])(request, **args)

    def _body(self, request: Request) -> dict | None:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _issue_token(self) -> str:
        token = f"sbx-at-{uuid.uuid4().hex}"
        with self.lock:
            self.tokens.add(token)
        return token

    def _throttled(self, key: tuple, limit: int, window: float = 60) -> bool:
        """A sliding minute (or ``window`` seconds) per robot, number or app: True when this send
        is over the limit (the refused send does not count)."""
        now = self.clock()
        with self.lock:
            sent = self.robot_sent[key]
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= limit:
                return True
            sent.append(now)
            return False

    def _record(self, provider: str, kind: str, **fields) -> dict:
        with self.lock:
            message = {
                "id": f"{provider}-{next(self.ids):07d}",
                "provider": provider,
                "kind": kind,
                "received_at": self.clock(),
                **fields,
            }
            self.messages.append(message)
        return message

    # --- callbacks -----------------------------------------------------------------------------

    def _schedule_callbacks(self, provider: str, message: dict) -> None:
        knob = self.knob(provider)
        if knob["callbacks"] == "off" or not self.callback_url:
            return
        to = message.get("to", "")
        if to in knob["undeliverable"]:
            events = [("failed", 0.0, "UNDELIV: the handset is off or out of service")]
        else:
            events = [("delivered", knob["delivered_after_ms"] / 1000, "")]
            if provider in READ_RECEIPTS and random.random() < float(knob["read_rate"]):
                events.append(("read", knob["read_after_ms"] / 1000, ""))
        for event, delay, reason in events:
            payload = {
                "provider": provider,
                "event": event,
                "message_id": message["id"],
                "to": to,
                "at": self.clock() + delay,
                "reason": reason,
                "track": message.get("track", ""),
            }
            if knob["callbacks"] == "manual":
                with self.lock:
                    self.pending.append((provider, payload))
            else:
                timer = threading.Timer(
                    delay,
                    self.send_callback,
                    args=(provider, payload),
                    kwargs={"epoch": self.epoch},
                )
                timer.daemon = True
                timer.start()

    def send_callback(
        self,
        provider: str,
        payload: dict,
        *,
        secret: str | None = None,
        retries: int | None = None,
        epoch: int | None = None,
    ) -> int:
        """POST one signed callback to Keel; returns the HTTP status (0 when unreachable). Like
        the real push services, a 404 (message not known yet), a 5xx or no answer is retried
        with the same event id after 0.25, 0.5, 1, 2 … s, 8 times (≈ 1 min; knob
        ``callback_retries``)."""
        import httpx

        raw = json.dumps(payload, ensure_ascii=False).encode()
        key = secret or callback_secret(self.callback_base_secret, provider)
        event_id = f"sbx-cb-{uuid.uuid4().hex}"
        if retries is None:
            retries = int(self.knob(provider).get("callback_retries", 8))
        for attempt in range(retries + 1):
            if epoch is not None and epoch != self.epoch:
                return 0  # the sandbox was reset since this callback was scheduled
            # Signed per attempt (fresh timestamp), same event id: Keel dedupes on it.
            headers = signing.signed_headers(key, raw, delivery_id=event_id, event=payload["event"])
            try:
                status = httpx.post(
                    self.callback_url.replace("{provider}", provider),
                    content=raw,
                    headers=headers,
                    timeout=10,
                    verify=callback_tls(),
                ).status_code
            except httpx.HTTPError:
                status = 0
            if status not in (0, 404) and status < 500:
                break
            if attempt < retries:
                time.sleep(min(0.25 * 2**attempt, 16.0))
        with self.lock:
            self.callback_log.append({"provider": provider, "status": status, **payload})
        return status

    def release_callbacks(self) -> list[int]:
        with self.lock:
            pending, self.pending = self.pending, []
        return [self.send_callback(provider, payload) for provider, payload in pending]

    def simulate_tap(self, provider: str, message_id: str, answer: str = "") -> int:
        """A person taps the card's button inside the IM (an ``acknowledged`` callback, with the
        key the card was sent with when it carried one)."""
        with self.lock:
            track = next((m.get("track", "") for m in self.messages if m["id"] == message_id), "")
        return self.send_callback(
            provider,
            {
                "provider": provider,
                "event": "acknowledged",
                "message_id": message_id,
                "at": self.clock(),
                "answer": answer,
                "track": track,
            },
        )

    # --- DingTalk ------------------------------------------------------------------------------

    def _token_answer(self, secret: str, *, extra, bad_code: int = 40089) -> Response:
        if secret != self.sandbox.token:
            return _json({"errcode": bad_code, "errmsg": "invalid appkey or appsecret"})
        return _json({"errcode": 0, "errmsg": "ok", **extra(self._issue_token())})

    def dingtalk_token(self, request: Request) -> Response:
        return self._token_answer(
            request.args.get("appsecret", ""),
            extra=lambda t: {"access_token": t, "expires_in": 7200},
        )

    def dingtalk_work(self, request: Request) -> Response:
        if request.args.get("access_token") not in self.tokens:
            return _json({"errcode": 40014, "errmsg": "不合法的access_token"})
        body = self._body(request)
        if body is None or not body.get("userid_list") or not isinstance(body.get("msg"), dict):
            return _json({"errcode": 40035, "errmsg": "缺少参数 userid_list / msg"})
        to = str(body["userid_list"])
        if to in self.knob("dingtalk")["unknown"]:
            return _json({"errcode": 33012, "errmsg": f"无效的USERID: {to}"})
        msg = body["msg"]
        card = msg.get("action_card") or msg.get("markdown") or {}
        message = self._record(
            "dingtalk",
            "work",
            to=to,
            title=card.get("title", ""),
            text=card.get("markdown", card.get("text", "")),
            link=card.get("single_url", ""),
            track=str(body.get("out_track_id") or ""),
        )
        self._schedule_callbacks("dingtalk", message)
        return _json(
            {"errcode": 0, "errmsg": "ok", "task_id": message["id"], "request_id": uuid.uuid4().hex}
        )

    def dingtalk_robot(self, request: Request) -> Response:
        robot = request.args.get("access_token", "")
        ts, sign = request.args.get("timestamp", ""), request.args.get("sign", "")
        secret = self.sandbox.token
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
        ).decode()
        fresh = ts.isdigit() and abs(self.clock() * 1000 - int(ts)) < 3600_000
        if not robot or not fresh or not hmac.compare_digest(sign.encode(), expected.encode()):
            return _json({"errcode": 310000, "errmsg": "sign not match"})
        limit = self.knob("dingtalk")["per_minute"] or ROBOT_LIMITS["dingtalk"]
        if self._throttled(("dingtalk", robot), limit):
            return _json({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        body = self._body(request) or {}
        markdown = body.get("markdown") or {}
        at = body.get("at") or {}
        self._record(
            "dingtalk",
            "robot",
            group=robot,
            title=markdown.get("title", ""),
            text=markdown.get("text", ""),
            mentions=list(at.get("atUserIds") or []) + list(at.get("atMobiles") or []),
        )
        return _json({"errcode": 0, "errmsg": "ok"})

    # --- WeCom -----------------------------------------------------------------------------------

    def wecom_token(self, request: Request) -> Response:
        return self._token_answer(
            request.args.get("corpsecret", ""),
            bad_code=40001,
            extra=lambda t: {"access_token": t, "expires_in": 7200},
        )

    def wecom_app(self, request: Request) -> Response:
        if request.args.get("access_token") not in self.tokens:
            return _json({"errcode": 40014, "errmsg": "invalid access_token"})
        body = self._body(request)
        if body is None or not body.get("touser"):
            return _json({"errcode": 40035, "errmsg": "invalid parameter: touser"})
        to = str(body["touser"])
        if to in self.knob("wecom")["unknown"]:
            return _json({"errcode": 0, "errmsg": "ok", "invaliduser": to, "msgid": ""})
        card = body.get("textcard") or {}
        if body.get("enable_duplicate_check"):
            # WeCom: the same content to the same person within the interval is not sent again.
            interval = float(body.get("duplicate_check_interval") or 1800)
            key = (to, json.dumps(card, sort_keys=True, ensure_ascii=False))
            with self.lock:
                seen = self.wecom_recent.get(key)
            if seen and seen[0] > self.clock() - interval:
                return _json({"errcode": 0, "errmsg": "ok", "msgid": seen[1]["id"]})
        message = self._record(
            "wecom",
            "app",
            to=to,
            title=card.get("title", ""),
            text=card.get("description", ""),
            link=card.get("url", ""),
        )
        if body.get("enable_duplicate_check"):
            with self.lock:
                self.wecom_recent[key] = (self.clock(), message)
        self._schedule_callbacks("wecom", message)
        return _json({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": message["id"]})

    def wecom_robot(self, request: Request) -> Response:
        robot = request.args.get("key", "")
        if not robot:
            return _json({"errcode": 93000, "errmsg": "invalid webhook url"})
        limit = self.knob("wecom")["per_minute"] or ROBOT_LIMITS["wecom"]
        if self._throttled(("wecom", robot), limit):
            return _json({"errcode": 45009, "errmsg": "api freq out of limit"})
        body = self._body(request) or {}
        content = (body.get("markdown") or body.get("text") or {}).get("content", "")
        self._record("wecom", "robot", group=robot, text=content)
        return _json({"errcode": 0, "errmsg": "ok"})

    # --- Feishu ----------------------------------------------------------------------------------

    def feishu_token(self, request: Request) -> Response:
        body = self._body(request) or {}
        if body.get("app_secret") != self.sandbox.token:
            return _json({"code": 10014, "msg": "app secret invalid"}, 400)
        return _json(
            {"code": 0, "msg": "ok", "tenant_access_token": self._issue_token(), "expire": 7200}
        )

    def feishu_app(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _json({"code": 99991663, "msg": "Invalid access token for authorization"}, 400)
        body = self._body(request)
        if body is None or not body.get("receive_id") or not body.get("content"):
            return _json({"code": 230001, "msg": "invalid receive_id or content"}, 400)
        to = str(body["receive_id"])
        if request.args.get("receive_id_type") == "chat_id":  # a message into a group chat
            try:
                card = json.loads(body["content"])
            except ValueError:
                return _json({"code": 230001, "msg": "content is not JSON"}, 400)
            title = ((card.get("header") or {}).get("title") or {}).get("content", "")
            if not self._chat_post(to, title, json.dumps(card, ensure_ascii=False)):
                return _json({"code": 230002, "msg": "The bot is not in the chat."}, 400)
            return _json({"code": 0, "msg": "success", "data": {"message_id": uuid.uuid4().hex}})
        if to in self.knob("feishu")["unknown"]:
            return _json({"code": 230013, "msg": "Bot has NO availability to this user."}, 400)
        per_second = self.knob("feishu").get("app_per_second") or FEISHU_APP_PER_SECOND
        if self._throttled(("feishu", "app"), int(per_second), window=1):
            return _json({"code": 99991400, "msg": "request trigger frequency limit"}, 400)
        key = body.get("uuid")
        if key:
            with self.lock:
                seen = self.keys.get(("feishu", key))
            if seen:  # Feishu: the same uuid within an hour sends nothing new
                return _json({"code": 0, "msg": "success", "data": {"message_id": seen["id"]}})
        try:
            card = json.loads(body["content"])
        except ValueError:
            return _json({"code": 230001, "msg": "content is not JSON"}, 400)
        title = ((card.get("header") or {}).get("title") or {}).get("content", "")
        message = self._record(
            "feishu", "app", to=to, title=title, text=json.dumps(card, ensure_ascii=False)
        )
        if key:
            with self.lock:
                self.keys[("feishu", key)] = message
        self._schedule_callbacks("feishu", message)
        return _json({"code": 0, "msg": "success", "data": {"message_id": message["id"]}})

    def feishu_robot(self, request: Request, hook: str) -> Response:
        body = self._body(request) or {}
        ts, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
        secret = self.sandbox.token
        expected = base64.b64encode(
            hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
        ).decode()
        fresh = ts.isdigit() and abs(self.clock() - int(ts)) < 3600
        if not fresh or not hmac.compare_digest(sign.encode(), expected.encode()):
            return _json(
                {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                }
            )
        limit = self.knob("feishu")["per_minute"] or ROBOT_LIMITS["feishu"]
        if self._throttled(("feishu", hook), limit):
            return _json({"code": 11232, "msg": "frequency limited psm"})
        card = body.get("card") or {}
        title = ((card.get("header") or {}).get("title") or {}).get("content", "")
        self._record(
            "feishu", "robot", group=hook, title=title, text=json.dumps(card, ensure_ascii=False)
        )
        return _json({"code": 0, "msg": "success", "data": {}})

    # --- group chats (war rooms) ------------------------------------------------------------

    def _chat_create(self, provider: str, name: str, members: list) -> str:
        chat_id = {"dingtalk": "chat", "wecom": "wrc", "feishu": "oc_"}[
            provider
        ] + uuid.uuid4().hex[:16]
        with self.lock:
            self.chats[chat_id] = {
                "provider": provider,
                "name": name,
                "members": list(members),
                "open": True,
                "messages": [],
            }
        return chat_id

    def _chat_post(self, chat_id: str, title: str, text: str) -> bool:
        with self.lock:
            chat = self.chats.get(chat_id)
            if chat is None or not chat["open"]:
                return False
            chat["messages"].append({"title": title, "text": text, "at": self.clock()})
            return True

    def dingtalk_chatcreate(self, request: Request) -> Response:
        if request.args.get("access_token") not in self.tokens:
            return _json({"errcode": 40014, "errmsg": "不合法的access_token"})
        body = self._body(request) or {}
        if not body.get("name") or not isinstance(body.get("useridlist"), list):
            return _json({"errcode": 40035, "errmsg": "缺少参数 name / useridlist"})
        chat_id = self._chat_create("dingtalk", body["name"], body["useridlist"])
        return _json({"errcode": 0, "errmsg": "ok", "chatid": chat_id})

    def dingtalk_chatsend(self, request: Request) -> Response:
        if request.args.get("access_token") not in self.tokens:
            return _json({"errcode": 40014, "errmsg": "不合法的access_token"})
        body = self._body(request) or {}
        markdown = (body.get("msg") or {}).get("markdown") or {}
        if not self._chat_post(
            str(body.get("chatid")), markdown.get("title", ""), markdown.get("text", "")
        ):
            return _json({"errcode": 60020, "errmsg": "群会话不存在"})
        return _json({"errcode": 0, "errmsg": "ok", "messageId": uuid.uuid4().hex})

    def wecom_chatcreate(self, request: Request) -> Response:
        if request.args.get("access_token") not in self.tokens:
            return _json({"errcode": 40014, "errmsg": "invalid access_token"})
        body = self._body(request) or {}
        members = body.get("userlist")
        if not isinstance(members, list) or len(members) < 2:
            return _json({"errcode": 86004, "errmsg": "invalid userlist: at least 2 members"})
        chat_id = self._chat_create("wecom", str(body.get("name", "")), members)
        return _json({"errcode": 0, "errmsg": "ok", "chatid": chat_id})

    def wecom_chatsend(self, request: Request) -> Response:
        if request.args.get("access_token") not in self.tokens:
            return _json({"errcode": 40014, "errmsg": "invalid access_token"})
        body = self._body(request) or {}
        content = (body.get("markdown") or {}).get("content", "")
        if not self._chat_post(str(body.get("chatid")), "", content):
            return _json({"errcode": 86003, "errmsg": "chat not exist"})
        return _json({"errcode": 0, "errmsg": "ok"})

    def _feishu_authorised(self, request: Request) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    def feishu_chatcreate(self, request: Request) -> Response:
        if not self._feishu_authorised(request):
            return _json({"code": 99991663, "msg": "Invalid access token for authorization"}, 400)
        body = self._body(request) or {}
        members = body.get("user_id_list")
        if not isinstance(members, list) or not body.get("name"):
            return _json({"code": 232001, "msg": "invalid name or user_id_list"}, 400)
        chat_id = self._chat_create("feishu", body["name"], members)
        return _json({"code": 0, "msg": "success", "data": {"chat_id": chat_id}})

    def feishu_chatdissolve(self, request: Request, chat_id: str) -> Response:
        if not self._feishu_authorised(request):
            return _json({"code": 99991663, "msg": "Invalid access token for authorization"}, 400)
        with self.lock:
            chat = self.chats.get(chat_id)
            if chat is None or not chat["open"]:
                return _json({"code": 232006, "msg": "chat not found or dissolved"}, 400)
            chat["open"] = False
        return _json({"code": 0, "msg": "success", "data": {}})

    # --- SMS and voice gateways --------------------------------------------------------------

    def _gateway(self, request: Request, provider: str, number_field: str, id_field: str):
        if request.headers.get("Authorization", "") != f"Bearer {self.sandbox.token}":
            return _json({"code": "InvalidAccessKeyId.NotFound", "message": "bad API key"}, 401)
        body = self._body(request)
        if body is None:
            return _json({"code": "isv.INVALID_PARAMETERS", "message": "not JSON"}, 400)
        number = str(body.get(number_field, ""))
        if not number.lstrip("+").isdigit() or len(number.lstrip("+")) < 7:
            return _json({"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "非法手机号"})
        if number in self.knob(provider)["unknown"]:
            return _json({"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "号码不存在"})
        key = request.headers.get("Idempotency-Key", "")
        if key:
            with self.lock:
                seen = self.keys.get((provider, key))
            if seen:
                return _json(
                    {"code": "OK", "message": "OK", id_field: seen["id"], "duplicate": True}
                )
        per_number = int(self.knob(provider)["per_number_per_minute"] or 0)
        if per_number and self._throttled((provider, "number", number), per_number):
            return _json(
                {"code": "isv.BUSINESS_LIMIT_CONTROL", "message": "触发号码天级/分钟级流控"}
            )
        params = body.get("template_param") or body.get("tts_param") or {}
        message = self._record(
            provider,
            "gateway",
            to=number,
            template=body.get("template_code") or body.get("tts_code", ""),
            params=params,
            title=str(params.get("title", "")) if isinstance(params, dict) else "",
            link=str(params.get("link", "")) if isinstance(params, dict) else "",
            out_id=body.get("out_id", ""),
        )
        if key:
            with self.lock:
                self.keys[(provider, key)] = message
        self._schedule_callbacks(provider, message)
        return _json(
            {"code": "OK", "message": "OK", id_field: message["id"], "request_id": uuid.uuid4().hex}
        )

    def sms_send(self, request: Request) -> Response:
        return self._gateway(request, "sms", "phone_numbers", "biz_id")

    def voice_call(self, request: Request) -> Response:
        return self._gateway(request, "voice", "called_number", "call_id")

    # --- admin -----------------------------------------------------------------------------------

    def admin(self, request: Request, action: str) -> Response:
        if action == "messages":
            provider = request.args.get("provider")
            with self.lock:
                rows = [m for m in self.messages if not provider or m["provider"] == provider]
            return _json({"messages": rows})
        if action == "callbacks":
            return _json({"released": self.release_callbacks()})
        if action == "config":
            body = self._body(request) or {}
            if "callback_url" in body:
                self.callback_url = str(body["callback_url"])
            if "callback_secret" in body:
                self.callback_base_secret = str(body["callback_secret"])
            return _json({"callback_url": self.callback_url})
        if action == "tap":
            body = self._body(request) or {}
            status = self.simulate_tap(
                str(body.get("provider", "")),
                str(body.get("message_id", "")),
                str(body.get("answer", "")),
            )
            return _json({"status": status})
        return _json({"error": f"unknown action {action!r}"}, 404)
