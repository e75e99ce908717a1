"""Group chats per crisis (the war room, issue 13 §7) on DingTalk, WeCom and Feishu, through the
same app credentials as their app messages (``dingtalk-work``, ``wecom-app``, ``feishu-app``).

* DingTalk: ``POST /chat/create`` → ``chatid``; ``POST /chat/send``. No dissolve API: closing
  posts a last message.
* WeCom: ``POST /cgi-bin/appchat/create`` → ``chatid``; ``POST /cgi-bin/appchat/send``. No
  dissolve API either.
* Feishu: ``POST /open-apis/im/v1/chats`` → ``chat_id``; messages with ``receive_id_type=
  chat_id``; ``DELETE /open-apis/im/v1/chats/{chat_id}`` dissolves the group.

Each IM's three calls are a ``ChatApi`` registered for its adapter class (``CHAT_APIS``); the
public functions look the adapter's up, so a new IM adds its entry instead of a branch to each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .dingtalk import DingTalkWorkNoticeAdapter
from .feishu import TOKEN_INVALID as FEISHU_TOKEN_INVALID
from .feishu import FeishuAppMessageAdapter, feishu_reply_check
from .messaging import MalformedPayload, errcode_check, tokens
from .wecom import WeComAppMessageAdapter


@dataclass(frozen=True)
class ChatApi:
    """One IM's group chats: ``create`` returns the chat id the IM answered (or nothing),
    ``post`` sends a message, ``dissolve`` (None: the IM has no such API) ends the group."""

    create: Callable[..., object]
    post: Callable[..., None]
    dissolve: Callable[..., None] | None = None


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


def _feishu_check(adapter):
    return feishu_reply_check(
        token_invalid=FEISHU_TOKEN_INVALID,
        on_token_invalid=lambda: tokens.forget(adapter.token_key()),
    )


def _feishu_auth(adapter):
    return lambda: {"Authorization": f"Bearer {adapter.access_token()}"}


def _ding_create(adapter, *, name: str, owner: str, members: list[str]):
    body = adapter.http.request(
        "POST",
        "chat/create",
        params=lambda: {"access_token": adapter.access_token()},
        json={"name": name[:20], "owner": owner, "useridlist": members},
        check=_ding_check(adapter),
    )
    return body.get("chatid")


def _ding_post(adapter, *, chat_id: str, title: str, text: str) -> None:
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


def _wecom_create(adapter, *, name: str, owner: str, members: list[str]):
    body = adapter.http.request(
        "POST",
        "cgi-bin/appchat/create",
        params=lambda: {"access_token": adapter.access_token()},
        json={"name": name[:50], "owner": owner, "userlist": members},
        check=_wecom_check(adapter),
    )
    return body.get("chatid")


def _wecom_post(adapter, *, chat_id: str, title: str, text: str) -> None:
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


def _feishu_create(adapter, *, name: str, owner: str, members: list[str]):
    body = adapter.http.request(
        "POST",
        "open-apis/im/v1/chats",
        params={"user_id_type": "open_id"},
        json={"name": name[:60], "owner_id": owner, "user_id_list": members},
        headers=_feishu_auth(adapter),
        check=_feishu_check(adapter),
        body_statuses=frozenset({400}),
    )
    return (body.get("data") or {}).get("chat_id")


def _feishu_post(adapter, *, chat_id: str, title: str, text: str) -> None:
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
        headers=_feishu_auth(adapter),
        check=_feishu_check(adapter),
        body_statuses=frozenset({400}),
    )


def _feishu_dissolve(adapter, *, chat_id: str) -> None:
    adapter.http.request(
        "DELETE",
        f"open-apis/im/v1/chats/{chat_id}",
        headers=_feishu_auth(adapter),
        check=feishu_reply_check(),
        body_statuses=frozenset({400}),
    )


CHAT_APIS: dict[type, ChatApi] = {
    DingTalkWorkNoticeAdapter: ChatApi(create=_ding_create, post=_ding_post),
    WeComAppMessageAdapter: ChatApi(create=_wecom_create, post=_wecom_post),
    FeishuAppMessageAdapter: ChatApi(
        create=_feishu_create, post=_feishu_post, dissolve=_feishu_dissolve
    ),
}


def chat_api(adapter) -> ChatApi:
    """The group-chat calls of ``adapter``'s IM (its class or a base class registered)."""
    for cls in type(adapter).__mro__:
        if cls in CHAT_APIS:
            return CHAT_APIS[cls]
    raise MalformedPayload(f"{adapter.protocol} has no group chats")


def chat_create(adapter, *, name: str, owner: str, members: list[str]) -> str:
    """Create the group with ``members`` (their ids on this IM); returns the chat id."""
    chat_id = chat_api(adapter).create(adapter, name=name, owner=owner, members=members)
    if not chat_id:
        raise MalformedPayload("the IM answered without a chat id")
    return str(chat_id)


def chat_post(adapter, *, chat_id: str, title: str, text: str) -> None:
    chat_api(adapter).post(adapter, chat_id=chat_id, title=title, text=text)


def chat_close(adapter, *, chat_id: str, title: str, text: str) -> None:
    """Close the war room: the group gets a last message, then Feishu dissolves it (DingTalk
    and WeCom have no such API)."""
    api = chat_api(adapter)
    api.post(adapter, chat_id=chat_id, title=title, text=text)
    if api.dissolve is not None:
        api.dissolve(adapter, chat_id=chat_id)
