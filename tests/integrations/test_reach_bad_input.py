# ruff: noqa: F811  (fixtures imported from test_reach_ledger)
"""Bad input of issue 13 not covered elsewhere: a callback naming a message Keel has not
recorded (yet) is refused with 404 and not taken for a replay — the provider's retry applies once
the id is known; a callback for an unknown channel id changes nothing; Feishu's per-app rate
limit (HTTP 400 + 99991400) keeps the row queued with the reason and retried, never dropped."""

from __future__ import annotations

import pytest

from hrcore.contact import DeliveryState
from hrcore.models import Employee, MessageDelivery
from integrations import adapters
from integrations.models import ChannelCallback

from .test_reach_ledger import channels, filed, post_callback, relay, task_rows  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_callback_that_overtakes_the_send_is_refused_then_applied_on_retry(
    filed, channels, client
):
    row = task_rows(filed, "dingtalk").first()
    assert row.state == DeliveryState.QUEUED and not row.provider_message_id
    payload = {"provider": "dingtalk", "message_id": "dingtalk-0000001", "event": "delivered"}
    early = post_callback(client, "dingtalk", payload, event_id="early-1")
    assert early.status_code == 404 and early.json()["code"] == "unknown_message"
    assert not ChannelCallback.objects.filter(event_id="early-1").exists()
    relay()  # the worker records the provider's id
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
    retry = post_callback(
        client, "dingtalk", {**payload, "message_id": row.provider_message_id}, event_id="early-1"
    )
    assert retry.status_code == 200 and retry.json() == {"applied": True, "state": "delivered"}
    # an id no message ever had: refused each time, nothing recorded, nothing changed
    ghost = {**payload, "message_id": "dingtalk-9999999"}
    assert post_callback(client, "dingtalk", ghost, event_id="ghost").status_code == 404
    assert post_callback(client, "dingtalk", ghost, event_id="ghost").status_code == 404
    assert MessageDelivery.objects.filter(provider_message_id="dingtalk-9999999").count() == 0


def test_feishus_per_app_rate_limit_keeps_the_row_queued_and_it_goes_later(
    filed, channels, sandbox
):
    sandbox.knobs(feishu={"app_per_second": 1})
    rows = list(task_rows(filed, "dingtalk")[:3])
    assert len(rows) == 3
    for row in rows:  # these people prefer Feishu
        employee = Employee.objects.get(user_id=row.recipient_id)
        MessageDelivery.objects.filter(pk=row.pk).update(
            channel="feishu", address=employee.feishu_open_id
        )
    relay()
    states = {r.pk: r for r in MessageDelivery.objects.filter(pk__in=[r.pk for r in rows])}
    limited = [r for r in states.values() if r.state == DeliveryState.QUEUED]
    assert limited, "the second send within the second is throttled"
    assert all(r.reason.startswith("rate limited: ") and "99991400" in r.reason for r in limited)
    sandbox.knobs(feishu={"app_per_second": 100})
    adapters.reset_breakers()
    relay()
    assert {r.state for r in MessageDelivery.objects.filter(pk__in=[r.pk for r in rows])} == {
        DeliveryState.SENT
    }
    feishu = [m for m in channels.messages if m["provider"] == "feishu"]
    assert len(feishu) == 3  # each once
