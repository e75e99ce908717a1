"""Outbound events: fan-out to subscriptions, HMAC-signed delivery from the outbox with retries,
the delivery log and the "send test event" action."""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from hrcore.models import DeliveryAttempt, OutboxMessage
from hrcore.services.outbox import outbox_enqueue, outbox_relay_due
from integrations import signing
from integrations.selectors import webhook_delivery_status
from integrations.services import partners as partners_services
from integrations.services import webhooks_outbound

pytestmark = pytest.mark.django_db
SECRET = "subscriber-secret"


@pytest.fixture
def subscription(partners, httpserver):
    return partners_services.subscription_save(
        partner=partners["crm"],
        url=httpserver.url_for("/hooks"),
        events=["crisis.filed", "decision.made"],
        secret=SECRET,
    )


def _relay_all(times=3):
    from django.utils import timezone

    for _ in range(times):
        OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        outbox_relay_due()


def test_event_is_fanned_out_signed_and_logged(subscription, httpserver):
    received = []

    def handler(request):
        received.append(request)
        return Response("ok", 200)

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(handler)
    outbox_enqueue(
        channel="event",
        dedupe_key="event:decision.made:1",
        payload={"event": "decision.made", "crisis_id": 1, "data": {"text": "negotiate"}},
    )
    outbox_enqueue(  # not subscribed: never sent
        channel="event",
        dedupe_key="event:task.warning:9",
        payload={"event": "task.warning", "crisis_id": 1, "data": {}},
    )
    _relay_all()
    assert len(received) == 1
    request = received[0]
    raw = request.get_data()
    signing.verify(
        SECRET,
        body=raw,
        timestamp=request.headers[signing.TIMESTAMP_HEADER],
        delivery_id=request.headers[signing.DELIVERY_HEADER],
        signature=request.headers[signing.SIGNATURE_HEADER],
    )
    assert json.loads(raw)["data"] == {"text": "negotiate"}
    assert request.headers[signing.EVENT_HEADER] == "decision.made"
    log = DeliveryAttempt.objects.get(channel="webhook")
    assert (log.message.payload["event"], webhook_delivery_status(log), log.response_status) == (
        "decision.made",
        "delivered",
        200,
    )


def test_failed_delivery_is_retried_with_backoff(subscription, httpserver):
    calls = []

    def handler(request):
        calls.append(1)
        return Response("busy", 503 if len(calls) == 1 else 200)

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(handler)
    outbox_enqueue(
        channel="event",
        dedupe_key="event:decision.made:2",
        payload={"event": "decision.made", "crisis_id": 2, "data": {}},
    )
    outbox_relay_due()  # fan-out
    outbox_relay_due()  # first attempt fails
    message = OutboxMessage.objects.get(channel="webhook")
    assert message.status == "pending" and message.attempts == 1
    assert "HTTP 503" in message.last_error
    _relay_all()
    message.refresh_from_db()
    assert message.status == "sent"
    attempts = DeliveryAttempt.objects.filter(channel="webhook").order_by("id")
    assert [(webhook_delivery_status(a), a.response_status) for a in attempts] == [
        ("failed", 503),
        ("delivered", 200),
    ]


def test_4xx_is_permanent(subscription, httpserver):
    httpserver.expect_request("/hooks", method="POST").respond_with_data("no", status=410)
    outbox_enqueue(
        channel="event",
        dedupe_key="event:decision.made:3",
        payload={"event": "decision.made", "crisis_id": 3, "data": {}},
    )
    _relay_all()
    assert OutboxMessage.objects.get(channel="webhook").status == "dead"
    log = DeliveryAttempt.objects.get(channel="webhook")
    assert (webhook_delivery_status(log), log.response_status) == ("dead", 410)


def test_send_test_event_only_for_hr_admins(subscription, httpserver, users):
    from hrcore.errors import PermissionDenied

    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")
    with pytest.raises(PermissionDenied):
        webhooks_outbound.webhook_send_test(subscription=subscription, actor=users["manager"])
    assert not OutboxMessage.objects.filter(channel="webhook").exists()
    webhooks_outbound.webhook_send_test(subscription=subscription, actor=users["hradmin"])
    _relay_all(1)
    log = DeliveryAttempt.objects.get(channel="webhook")
    assert (log.message.payload["event"], webhook_delivery_status(log)) == (
        "test.ping",
        "delivered",
    )


def test_secrets_are_stored_encrypted(subscription, partners):
    assert SECRET not in subscription.secret_encrypted
    assert subscription.secret == SECRET
    partner = partners["finance"]
    assert "test-sandbox-token" not in partner.credentials_encrypted
    assert partner.token == "test-sandbox-token"


def test_the_log_reports_the_last_failed_attempt_of_a_given_up_message_as_dead(subscription):
    message = OutboxMessage.objects.create(
        channel="webhook",
        dedupe_key="webhook:given-up",
        payload={"subscription_id": subscription.pk, "event": "crisis.filed", "delivery_id": "d"},
        attempts=2,
        status="pending",
    )
    first, last = (
        DeliveryAttempt.objects.create(
            message=message, channel="webhook", attempt=n, delivery_id="d", result="failed"
        )
        for n in (1, 2)
    )
    assert [webhook_delivery_status(a) for a in (first, last)] == ["failed", "failed"]
    message.status = "dead"
    message.save(update_fields=["status"])
    first.refresh_from_db()
    last.refresh_from_db()
    assert [webhook_delivery_status(a) for a in (first, last)] == ["failed", "dead"]
