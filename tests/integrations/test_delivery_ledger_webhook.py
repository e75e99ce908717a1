"""Outbound webhooks: every retry of one delivery carries the same delivery id header, and the
ledger records each attempt; a delivery recorded as done is not posted again."""

from __future__ import annotations

import pytest
from django.utils import timezone
from werkzeug import Response

from hrcore.choices import DeliveryResult, OutboxStatus
from hrcore.models import DeliveryAttempt, OutboxMessage
from hrcore.services.outbox import _OUTBOX_HANDLERS, outbox_enqueue, outbox_relay_due
from integrations import signing
from integrations.services import partners as partners_services
from integrations.services import webhooks_outbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(partners, httpserver):
    return partners_services.subscription_save(
        partner=partners["crm"],
        url=httpserver.url_for("/hooks"),
        events=["decision.made"],
        secret="subscriber-secret",
    )


def _relay_now():
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
    outbox_relay_due()


def test_a_retried_webhook_keeps_its_delivery_id_and_the_ledger_records_each_attempt(
    subscription, httpserver
):
    answers = [Response("busy", 503), Response("ok", 200)]
    received = []

    def handler(request):
        received.append(request.headers[signing.DELIVERY_HEADER])
        return answers.pop(0)

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(handler)
    outbox_enqueue(
        channel="event",
        dedupe_key="event:decision.made:7",
        payload={"event": "decision.made", "crisis_id": 7, "data": {}},
    )
    for _ in range(3):
        _relay_now()
    row = OutboxMessage.objects.get(channel=webhooks_outbound.WEBHOOK_CHANNEL)
    assert row.status == OutboxStatus.SENT
    assert len(received) == 2 and received[0] == received[1] == row.payload["delivery_id"]
    attempts = list(DeliveryAttempt.objects.filter(message=row).order_by("id"))
    assert [a.result for a in attempts] == [DeliveryResult.FAILED, DeliveryResult.DELIVERED]
    assert {a.delivery_id for a in attempts} == {row.payload["delivery_id"]}


def test_a_webhook_delivered_before_the_relay_died_is_not_posted_again(subscription, httpserver):
    received = []

    def handler(request):
        received.append(request.headers[signing.DELIVERY_HEADER])
        return Response("ok", 200)

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(handler)
    outbox_enqueue(
        channel="event",
        dedupe_key="event:decision.made:8",
        payload={"event": "decision.made", "crisis_id": 8, "data": {}},
    )
    OutboxMessage.objects.filter(channel="event").update(next_attempt_at=timezone.now())
    outbox_relay_due()  # fan-out: writes the webhook row
    row = OutboxMessage.objects.get(channel=webhooks_outbound.WEBHOOK_CHANNEL)
    _OUTBOX_HANDLERS[webhooks_outbound.WEBHOOK_CHANNEL](row)  # posted; the row update was lost
    _relay_now()
    assert len(received) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
