"""The reach ledger (issue 13 §3): a filed crisis's task assignments reach the assignees over
their first channel through the sandbox providers, one ledger row per (message, recipient,
channel), stored before the send and never sent twice; provider failures, throttling and
missing ids are recorded; signed callbacks move rows forward; the API and the crisis page
show it to the crisis's managers and executives only."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from hrcore.contact import DeliveryState
from hrcore.models import Employee, MessageDelivery, Notification, OutboxMessage
from hrcore.reach import deliveries_plan_due, delivery_claim_attempt
from hrcore.services.outbox import outbox_relay_due
from integrations import signing
from integrations.adapters.messaging import tokens
from integrations.reach import deliver, sandbox_channels_configure
from integrations.sandbox.providers import callback_secret

from .conftest import SANDBOX_TOKEN

pytestmark = pytest.mark.django_db

CALLBACK_BASE = "reach-callback-base"


@pytest.fixture
def channels(sandbox):
    tokens.clear()
    sandbox_channels_configure(
        sandbox_url=sandbox.url, token=SANDBOX_TOKEN, callback_base_secret=CALLBACK_BASE
    )
    yield sandbox.app.providers
    tokens.clear()


def relay() -> int:
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    return outbox_relay_due()


@pytest.fixture
def filed(channels, file_crisis):
    crisis = file_crisis()
    assert deliveries_plan_due() > 0
    return crisis


def task_rows(crisis, channel=None):
    rows = MessageDelivery.objects.filter(crisis_id=crisis.pk, kind="task.assigned")
    return rows.filter(channel=channel) if channel else rows


def test_task_assignments_reach_each_assignee_on_dingtalk_through_the_sandbox(filed, channels):
    crisis = filed
    notified = Notification.objects.filter(kind="crisis.task", data__crisis_id=crisis.pk)
    assignees = {n.recipient_id for n in notified}
    assert assignees
    queued = task_rows(crisis, "dingtalk")
    assert {r.state for r in queued} == {DeliveryState.QUEUED}
    assert task_rows(crisis, "inapp").count() == notified.count()
    relay()
    sent = list(task_rows(crisis, "dingtalk"))
    assert {r.state for r in sent} == {DeliveryState.SENT}
    assert all(r.attempts == 1 and r.provider_message_id for r in sent)
    by_id = {m["id"]: m for m in channels.messages if m["kind"] == "work"}
    assert sorted(by_id[r.provider_message_id]["to"] for r in sent) == sorted(
        r.address for r in sent
    )
    # One DingTalk message per DingTalk row of the crisis (task assignments and filing notices).
    all_rows = MessageDelivery.objects.filter(crisis_id=crisis.pk, channel="dingtalk")
    assert len(by_id) == all_rows.count()
    # Each recipient's DingTalk id is the one on their employee record.
    for row in sent:
        assert row.address == Employee.objects.get(user_id=row.recipient_id).dingtalk_user_id
        assert row.needs_ack


def test_planning_and_sending_again_changes_nothing(filed, channels):
    relay()
    rows = MessageDelivery.objects.count()
    messages = len(channels.messages)
    assert deliveries_plan_due() == 0
    for row in MessageDelivery.objects.filter(channel="dingtalk"):
        deliver(OutboxMessage(payload={"delivery_id": row.pk}))  # a duplicate relay
    relay()
    assert MessageDelivery.objects.count() == rows
    assert len(channels.messages) == messages


def test_a_send_whose_answer_was_lost_is_resent_with_the_same_key_and_feishu_shows_it_once(
    filed, channels
):
    row = task_rows(filed, "dingtalk").first()
    # This person prefers Feishu: re-point the queued row (as the plan would have).
    employee = Employee.objects.get(user_id=row.recipient_id)
    MessageDelivery.objects.filter(pk=row.pk).update(
        channel="feishu", address=employee.feishu_open_id
    )
    # Attempt 1 counted and sent, then the worker died before recording the answer.
    from integrations import adapters
    from integrations.reach import channel_message, provider_for

    claimed = delivery_claim_attempt(row.pk)
    adapters.adapter_for(provider_for("feishu").config()).send(channel_message(claimed))
    assert [m["to"] for m in channels.messages if m["provider"] == "feishu"] == [
        employee.feishu_open_id
    ]
    deliver(OutboxMessage(payload={"delivery_id": row.pk}))  # the retry
    row.refresh_from_db()
    assert (row.state, row.attempts) == (DeliveryState.SENT, 2)
    feishu = [m for m in channels.messages if m["provider"] == "feishu"]
    assert len(feishu) == 1  # Feishu recognised the uuid: shown once
    assert row.provider_message_id == feishu[0]["id"]


def test_a_recipient_the_provider_does_not_know_fails_with_the_providers_reason(
    filed, channels, sandbox
):
    row = task_rows(filed, "dingtalk").first()
    sandbox.knobs(dingtalk={"unknown": [row.address]})
    relay()
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED
    assert "33012" in row.reason
    assert row.address not in [m["to"] for m in channels.messages]


def test_a_throttled_or_broken_provider_leaves_the_row_queued_with_the_reason(
    filed, channels, sandbox
):
    sandbox.knobs(dingtalk={"mode": "error"})
    relay()
    rows = list(task_rows(filed, "dingtalk"))
    assert {r.state for r in rows} == {DeliveryState.QUEUED}
    assert all("HTTP 500" in r.reason or "circuit" in r.reason for r in rows)
    sandbox.knobs(dingtalk={"mode": "ok"})
    from integrations import adapters

    adapters.reset_breakers()
    relay()
    assert {r.state for r in task_rows(filed, "dingtalk")} == {DeliveryState.SENT}
    all_rows = MessageDelivery.objects.filter(crisis_id=filed.pk, channel="dingtalk")
    assert len([m for m in channels.messages if m["kind"] == "work"]) == all_rows.count()


def test_missing_ids_are_skipped_with_the_reason_and_the_next_channel_is_used(
    channels, file_crisis, users
):
    for employee in Employee.objects.all():
        employee.dingtalk_user_id = ""
        employee.save(update_fields=["dingtalk_user_id"])
    crisis = file_crisis()
    deliveries_plan_due()
    skipped = task_rows(crisis, "dingtalk")
    assert skipped.exists()
    assert {(r.state, r.reason) for r in skipped} == {
        (DeliveryState.FAILED, "skipped: no address on this channel")
    }
    assert {r.state for r in task_rows(crisis, "wecom")} == {DeliveryState.QUEUED}
    relay()
    assert {r.state for r in task_rows(crisis, "wecom")} == {DeliveryState.SENT}
    assert not [m for m in channels.messages if m["provider"] == "dingtalk"]


# --- callbacks ----------------------------------------------------------------------------


def post_callback(client, channel: str, payload: dict, *, secret=None, event_id="cb-1"):
    raw = json.dumps(payload).encode()
    headers = signing.signed_headers(
        secret or callback_secret(CALLBACK_BASE, channel), raw, delivery_id=event_id
    )
    return client.post(
        f"/api/v1/integrations/reach/callbacks/{channel}/",
        data=raw,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )


def test_signed_callbacks_move_rows_forward_and_never_back(filed, channels, client):
    relay()
    row = task_rows(filed, "dingtalk").first()
    payload = {"provider": "dingtalk", "message_id": row.provider_message_id}
    assert post_callback(client, "dingtalk", {**payload, "event": "read"}, event_id="a").json() == {
        "applied": True,
        "state": "read",
    }
    late = post_callback(client, "dingtalk", {**payload, "event": "delivered"}, event_id="b")
    assert late.status_code == 200 and late.json()["applied"] is False
    row.refresh_from_db()
    assert row.state == DeliveryState.READ


def test_forged_and_replayed_callbacks_are_refused_and_change_nothing(filed, channels, client):
    relay()
    row = task_rows(filed, "dingtalk").first()
    payload = {"provider": "dingtalk", "message_id": row.provider_message_id, "event": "delivered"}
    forged = post_callback(client, "dingtalk", payload, secret="guessed", event_id="f")
    assert forged.status_code == 401
    wrong_provider = post_callback(
        client, "dingtalk", payload, secret=callback_secret(CALLBACK_BASE, "sms"), event_id="g"
    )
    assert wrong_provider.status_code == 401
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
    assert post_callback(client, "dingtalk", payload, event_id="once").status_code == 200
    failed = {**payload, "event": "failed", "reason": "x"}
    replay = post_callback(client, "dingtalk", failed, event_id="once")
    assert replay.status_code == 409
    row.refresh_from_db()
    assert row.state == DeliveryState.DELIVERED
    assert post_callback(client, "pigeon", payload).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_posts_real_callbacks_to_keel(channels, file_crisis, sandbox, live_server):
    channels.callback_url = f"{live_server.url}/api/v1/integrations/reach/callbacks/{{provider}}/"
    channels.callback_base_secret = CALLBACK_BASE
    sandbox.knobs(dingtalk={"callbacks": "manual"})
    crisis = file_crisis()
    deliveries_plan_due()
    relay()  # (in this transactional test the commit hook may have relayed already)
    assert {r.state for r in task_rows(crisis, "dingtalk")} == {DeliveryState.SENT}
    statuses = channels.release_callbacks()
    assert statuses and set(statuses) == {200}
    assert {r.state for r in task_rows(crisis, "dingtalk")} == {DeliveryState.READ}


# --- who sees it ------------------------------------------------------------------------------


def test_the_api_lists_deliveries_for_the_crisis_managers_only(filed, channels, api_as):
    relay()
    response = api_as("manager").get(f"/api/v1/crises/{filed.pk}/deliveries/")
    assert response.status_code == 200
    rows = response.json()
    assert {r["channel"] for r in rows} >= {"inapp", "dingtalk"}
    dingtalk = [r for r in rows if r["channel"] == "dingtalk"]
    assert {(r["kind"], r["state"], r["attempts"]) for r in dingtalk} == {
        ("task.assigned", "sent", 1),
        ("crisis.filed", "sent", 1),
    }
    assert set(rows[0]) >= {"recipient", "kind", "channel", "state", "attempts", "updated_at"}
    assert api_as("vp").get(f"/api/v1/crises/{filed.pk}/deliveries/").status_code == 200
    staff = api_as("staff").get(f"/api/v1/crises/{filed.pk}/deliveries/")
    assert staff.status_code in (403, 404)
    assert "dt-" not in staff.content.decode()
    assert api_as("manager").get("/api/v1/crises/999999/deliveries/").status_code == 404


def test_the_crisis_page_has_the_deliveries_section_for_its_manager(filed, channels, client_as):
    relay()
    client = client_as("manager")
    page = client.get(f"/crises/{filed.pk}/").content.decode()
    assert 'data-testid="deliveries"' in page
    panel = client.get(f"/integrations/crises/{filed.pk}/deliveries/")
    assert panel.status_code == 200
    html = panel.content.decode()
    assert 'data-testid="delivery-ledger"' in html
    assert 'data-channel="dingtalk"' in html and 'data-state="sent"' in html
    assert client_as("staff").get(f"/integrations/crises/{filed.pk}/deliveries/").status_code == 404
