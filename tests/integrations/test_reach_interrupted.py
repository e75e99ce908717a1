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
from hrcore.reach import (
    IN_FLIGHT,
    INTERRUPTED_NOT_RESENT,
    deliveries_plan_due,
    delivery_adopt,
    delivery_claim_attempt,
    delivery_mark_failed,
    ladder_sweep,
)
from integrations import adapters
from integrations.reach import channel_message, deliver, provider_for

from .test_reach_ledger import (  # noqa: F401
    CALLBACK_BASE,
    channels,
    filed,
    post_callback,
    relay,
    task_rows,
)

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


def test_a_tap_on_a_dingtalk_card_whose_send_was_cut_short_still_counts(
    channels, file_crisis, sandbox, live_server
):
    """The worker died after DingTalk took the card: Keel never learnt its id and does not
    resend it, but the person has it. Their tap comes back with the key the card was sent with
    (out_track_id): the row takes DingTalk's id, turns sent, and the acknowledgement counts."""
    channels.callback_url = f"{live_server.url}/api/v1/integrations/reach/callbacks/{{provider}}/"
    channels.callback_base_secret = CALLBACK_BASE
    sandbox.knobs(dingtalk={"callbacks": "manual"})
    crisis = file_crisis()
    deliveries_plan_due()
    relay()  # (in this transactional test the commit hook may have relayed already)
    row = task_rows(crisis, "dingtalk").order_by("id").first()
    assert row.state == DeliveryState.SENT
    # What the worker killed between DingTalk's answer and writing it down leaves behind
    # (the path itself: the test above).
    MessageDelivery.objects.filter(pk=row.pk).update(
        state=DeliveryState.FAILED, reason=INTERRUPTED_NOT_RESENT, provider_message_id=""
    )
    card = next(m for m in channels.messages if m["to"] == row.address and m["track"])
    assert card["track"] == row.idempotency_key
    assert channels.simulate_tap("dingtalk", card["id"]) == 200
    row.refresh_from_db()
    assert (row.state, row.provider_message_id) == (DeliveryState.ACKNOWLEDGED, card["id"])
    anchor = MessageDelivery.objects.get(
        message_key=row.message_key, recipient_id=row.recipient_id, channel="inapp"
    )
    assert anchor.acknowledged_at is not None


def test_a_callback_with_an_unknown_key_is_still_refused_and_adopts_nothing(
    filed, channels, client
):
    relay()
    row = task_rows(filed, "dingtalk").first()
    payload = {"provider": "dingtalk", "message_id": "dingtalk-9999999", "event": "read"}
    for n, track in enumerate(("", "not-a-key", row.idempotency_key)):
        # An unknown key, or the key of a row that already has its own id: nothing to adopt.
        refused = post_callback(client, "dingtalk", {**payload, "track": track}, event_id=f"e{n}")
        assert refused.status_code == 404 and refused.json()["code"] == "unknown_message"
    row.refresh_from_db()
    assert row.provider_message_id != "dingtalk-9999999" and row.state == DeliveryState.SENT


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


def test_a_row_a_callback_adopted_is_not_failed_by_the_senders_late_failure(filed, channels):
    """The worker handed the card over, the person tapped it (the callback adopted the row as
    sent), then the worker's own attempt reports a failure: the row stays sent and the next
    channel is not pushed forward."""
    row = task_rows(filed, "dingtalk").first()
    claimed = delivery_claim_attempt(row.pk)
    assert delivery_adopt(
        channel="dingtalk", idempotency_key=row.idempotency_key, provider_message_id="dingtalk-x1"
    )
    anchor = MessageDelivery.objects.get(
        message_key=row.message_key, recipient_id=row.recipient_id, channel="inapp"
    )
    next_step = anchor.next_step_at
    assert delivery_mark_failed(claimed, reason="gave up: timeout") is False
    row.refresh_from_db()
    anchor.refresh_from_db()
    assert (row.state, row.provider_message_id) == (DeliveryState.SENT, "dingtalk-x1")
    assert anchor.next_step_at == next_step
