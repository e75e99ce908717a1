"""Group chats per crisis (the war room, issue 13 §7) on DingTalk, WeCom and Feishu, through the
same app credentials as their app messages (``dingtalk-work``, ``wecom-app``, ``feishu-app``).

* DingTalk: ``POST /chat/create`` → ``chatid``; ``POST /chat/send``. No dissolve API: closing
  posts a last message.
* WeCom: ``POST /cgi-bin/appchat/create`` → ``chatid``; ``POST /cgi-bin/appchat/send``. No
  dissolve API either.
* Feishu: ``POST /open-apis/im/v1/chats`` → ``chat_id``; messages with ``receive_id_type=
  chat_id``; ``DELETE /open-apis/im/v1/chats/{chat_id}`` dissolves the group.
"""

from __future__ import annotations

import json

from .dingtalk import DingTalkWorkNoticeAdapter
from .feishu import TOKEN_INVALID as FEISHU_TOKEN_INVALID
from .feishu import FeishuAppMessageAdapter, feishu_reply_check
from .messaging import MalformedPayload, errcode_check, tokens
from .wecom import WeComAppMessageAdapter


def _ding_check(adapter):
    return errcode_check(
        "DingTalk",
        token_invalid=frozenset({40014, 42001}),
        on_token_invalid=lambda: tokens.forget(adapter.token_key()),
    )


def _wecom_check(adapter):
    return errcode_check(
        "WeCom",
        token_invalid=frozenset({40014, 42001}),
        on_token_invalid=lambda: tokens.forget(adapter.token_key()),
    )


def chat_create(adapter, *, name: str, owner: str, members: list[str]) -> str:
    """Create the group with ``members`` (their ids on this IM); returns the chat id."""
    if isinstance(adapter, DingTalkWorkNoticeAdapter):
        body = adapter.http.request(
            "POST",
            "chat/create",
            params=lambda: {"access_token": adapter.access_token()},
            json={"name": name[:20], "owner": owner, "useridlist": members},
            check=_ding_check(adapter),
        )
        key = "chatid"
    elif isinstance(adapter, WeComAppMessageAdapter):
        body = adapter.http.request(
            "POST",
            "cgi-bin/appchat/create",
            params=lambda: {"access_token": adapter.access_token()},
            json={"name": name[:50], "owner": owner, "userlist": members},
            check=_wecom_check(adapter),
        )
        key = "chatid"
    elif isinstance(adapter, FeishuAppMessageAdapter):
        body = adapter.http.request(
            "POST",
            "open-apis/im/v1/chats",
            params={"user_id_type": "open_id"},
            json={"name": name[:60], "owner_id": owner, "user_id_list": members},
            headers=lambda: {"Authorization": f"Bearer {adapter.access_token()}"},
            check=feishu_reply_check(
                token_invalid=FEISHU_TOKEN_INVALID,
                on_token_invalid=lambda: tokens.forget(adapter.token_key()),
            ),
            body_statuses=frozenset({400}),
        )
        body = body.get("data") or {}
        key = "chat_id"
    else:
        raise MalformedPayload(f"{adapter.protocol} has no group chats")
    if not body.get(key):
        raise MalformedPayload("the IM answered without a chat id")
    return str(body[key])


def chat_post(adapter, *, chat_id: str, title: str, text: str) -> None:
    if isinstance(adapter, DingTalkWorkNoticeAdapter):
        adapter.http.request(
            "POST",
            "chat/send",
            params=lambda: {"access_token": adapter.access_token()},
            json={
                "chatid": chat_id,
                "msg": {"msgtype": "markdown", "markdown": {"title": title, "text": text}},
            },
            check=_ding_check(adapter),
        )
    elif isinstance(adapter, WeComAppMessageAdapter):
        adapter.http.request(
            "POST",
            "cgi-bin/appchat/send",
            params=lambda: {"access_token": adapter.access_token()},
            json={
                "chatid": chat_id,
                "msgtype": "markdown",
                "markdown": {"content": f"**{title}**\n{text}"},
            },
            check=_wecom_check(adapter),
        )
    elif isinstance(adapter, FeishuAppMessageAdapter):
        card = {
            "header": {"title": {"tag": "plain_text", "content": title}},
            "elements": [{"tag": "markdown", "content": text}],
        }
        adapter.http.request(
            "POST",
            "open-apis/im/v1/messages",
            params={"receive_id_type": "chat_id"},
            json={
                "receive_id": chat_id,
                "msg_type": "interactive",
                "content": json.dumps(card, ensure_ascii=False),
            },
            headers=lambda: {"Authorization": f"Bearer {adapter.access_token()}"},
            check=feishu_reply_check(
                token_invalid=FEISHU_TOKEN_INVALID,
                on_token_invalid=lambda: tokens.forget(adapter.token_key()),
            ),
            body_statuses=frozenset({400}),
        )
    else:
        raise MalformedPayload(f"{adapter.protocol} has no group chats")


def chat_close(adapter, *, chat_id: str, title: str, text: str) -> None:
    """Close the war room: Feishu dissolves the group; DingTalk and WeCom have no such API, so
    the group gets a last message."""
    if isinstance(adapter, FeishuAppMessageAdapter):
        chat_post(adapter, chat_id=chat_id, title=title, text=text)
        adapter.http.request(
            "DELETE",
            f"open-apis/im/v1/chats/{chat_id}",
            headers=lambda: {"Authorization": f"Bearer {adapter.access_token()}"},
            check=feishu_reply_check(),
            body_statuses=frozenset({400}),
        )
        return
    chat_post(adapter, chat_id=chat_id, title=title, text=text)
