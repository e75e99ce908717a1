# ruff: noqa: F811  (fixtures imported from test_reach_ledger)
"""A worker killed in the middle of a send (issue 13 §3, "never sent twice"): the row stays
marked in flight; the retry resends with the same key only to providers that deduplicate, and
fails the row on DingTalk (no dedupe) so the person is not shown the message twice — a message
that asks for an acknowledgement then climbs to the next channel at once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hrcore.contact import DeliveryState
from hrcore.models import MessageDelivery, OutboxMessage
from hrcore.reach import IN_FLIGHT, INTERRUPTED_NOT_RESENT, delivery_claim_attempt, ladder_sweep
from integrations import adapters
from integrations.reach import channel_message, deliver, provider_for

from .test_reach_ledger import channels, filed, relay, task_rows  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_dingtalk_send_cut_short_is_not_resent_and_the_ladder_moves_on(filed, channels):
    row = task_rows(filed, "dingtalk").first()
    claimed = delivery_claim_attempt(row.pk)
    assert claimed.interrupted is False
    adapters.adapter_for(provider_for("dingtalk").config()).send(channel_message(claimed))
    row.refresh_from_db()
    assert (row.state, row.reason, row.attempts) == (DeliveryState.QUEUED, IN_FLIGHT, 1)
    # ... the worker dies here; the outbox retries the message after its lease.
    deliver(OutboxMessage(payload={"delivery_id": row.pk}))
    row.refresh_from_db()
    assert (row.state, row.reason) == (DeliveryState.FAILED, INTERRUPTED_NOT_RESENT)
    dingtalk = [
        m for m in channels.messages if m["provider"] == "dingtalk" and m["to"] == row.address
    ]
    assert len(dingtalk) == 1  # shown once
    # The task assignment asks for an acknowledgement: its next channel is due now.
    anchor = MessageDelivery.objects.get(
        message_key=row.message_key, recipient_id=row.recipient_id, channel="inapp"
    )
    assert anchor.next_step_at <= timezone.now()
    assert ladder_sweep() >= 1
    relay()
    climbed = MessageDelivery.objects.filter(
        message_key=row.message_key, recipient_id=row.recipient_id, rung__gt=row.rung
    ).exclude(channel="email")
    assert climbed.exists()


def test_an_sms_send_cut_short_is_resent_with_the_same_key_and_shown_once(filed, channels):
    row = task_rows(filed, "dingtalk").first()
    MessageDelivery.objects.filter(pk=row.pk).update(channel="sms", address="+8613800000001")
    claimed = delivery_claim_attempt(row.pk)
    adapters.adapter_for(provider_for("sms").config()).send(channel_message(claimed))
    deliver(OutboxMessage(payload={"delivery_id": row.pk}))  # the retry after the crash
    row.refresh_from_db()
    assert (row.state, row.attempts, row.reason) == (DeliveryState.SENT, 2, "")
    sms = [m for m in channels.messages if m["provider"] == "sms"]
    assert len(sms) == 1 and row.provider_message_id == sms[0]["id"]


def test_a_known_failure_is_not_mistaken_for_an_interrupted_send(filed, channels, sandbox):
    sandbox.knobs(dingtalk={"mode": "error"})
    relay()
    row = task_rows(filed, "dingtalk").first()
    row.refresh_from_db()
    assert row.state == DeliveryState.QUEUED and row.reason != IN_FLIGHT
    sandbox.knobs(dingtalk={"mode": "ok"})
    adapters.reset_breakers()
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    relay()
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
