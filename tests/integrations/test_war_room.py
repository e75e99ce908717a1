# ruff: noqa: F811  (fixtures imported from test_reach_ledger)
"""The war room (issue 13 §7): a group chat per crisis on DingTalk, WeCom or Feishu with its
participants, decisions posted there through the outbox, closed (Feishu: dissolved) with the
crisis; bad input refused."""

from __future__ import annotations

import pytest

from integrations.models import WarRoom

from .test_reach_ledger import channels, relay  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def open_room(api, crisis, channel):
    return api.post(f"/api/v1/crises/{crisis.pk}/war-room/", {"channel": channel}, format="json")


@pytest.mark.parametrize("channel", ["dingtalk", "wecom", "feishu"])
def test_a_war_room_gathers_the_participants_once(channels, file_crisis, api_as, channel):
    crisis = file_crisis()
    response = open_room(api_as("manager"), crisis, channel)
    assert response.status_code == 201, response.content
    body = response.json()
    chat = channels.chats[body["chat_id"]]
    assert chat["provider"] == channel and chat["open"]
    assert sorted(chat["members"]) == sorted(body["members"])
    assert len(body["members"]) >= 2
    again = open_room(api_as("manager"), crisis, channel)
    assert again.status_code == 200 and again.json()["chat_id"] == body["chat_id"]
    assert len(channels.chats) == 1


def test_decisions_are_posted_and_closing_the_crisis_dissolves_the_feishu_group(
    channels,
    file_crisis,
    api_as,
):
    crisis = file_crisis()
    room = open_room(api_as("manager"), crisis, "feishu").json()
    made = api_as("vp").post(
        f"/api/v1/crises/{crisis.pk}/decisions/", {"text": "Pause collections"}, format="json"
    )
    assert made.status_code == 201
    relay()  # the event fan-out queues the war-room post
    relay()
    chat = channels.chats[room["chat_id"]]
    assert any("Decision" in m["title"] for m in chat["messages"])
    from integrations.warroom import war_room_event

    war_room_event(event="crisis.closed", crisis_id=crisis.pk, data={"outcome": "done"}, key="c1")
    relay()
    assert chat["open"] is False
    assert WarRoom.objects.get(pk=room["id"]).closed_at is not None


@pytest.mark.parametrize(
    "who, body, status",
    [
        ("staff", {"channel": "feishu"}, (403, 404)),
        ("manager", {"channel": "sms"}, (400,)),
        ("manager", {"channel": 3}, (400,)),
        ("manager", {}, (400,)),
    ],
)
def test_bad_war_room_requests_are_refused_and_create_nothing(
    channels,
    file_crisis,
    api_as,
    who,
    body,
    status,
):
    crisis = file_crisis()
    response = api_as(who).post(f"/api/v1/crises/{crisis.pk}/war-room/", body, format="json")
    assert response.status_code in status
    assert not WarRoom.objects.exists()
    assert channels.chats == {}


@pytest.mark.parametrize("who, scopes", [("manager", ("read",)), ("manager2", ())])
def test_a_read_only_token_or_another_units_manager_opens_no_war_room(
    channels, file_crisis, api_as, who, scopes
):
    crisis = file_crisis()
    response = api_as(who, scopes=scopes).post(
        f"/api/v1/crises/{crisis.pk}/war-room/", {"channel": "feishu"}, format="json"
    )
    assert response.status_code in (403, 404)
    assert not WarRoom.objects.exists()
    assert channels.chats == {}
