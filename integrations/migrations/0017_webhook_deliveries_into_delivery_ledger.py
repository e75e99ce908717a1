"""The webhook delivery log becomes the outbox's delivery ledger (issue 9 §5): every webhook
attempt was written twice, as an ``hrcore.DeliveryAttempt`` (by ``ledgered``) and as an
``integrations.WebhookDelivery``. The log rows are carried into the ledger — the subscriber's
HTTP status onto the matching attempt, or a new attempt where the ledger has none (an outbox
row cleared by hand gets a given-up stand-in carrying the log's payload) — and the second table
goes. Reversible: going back rebuilds the log from the ledger's webhook attempts."""

from datetime import timedelta

from django.db import migrations

WEBHOOK = "webhook"
REFUSED_STATUSES = range(400, 500)


def _result(row) -> str:
    if row.status == "delivered":
        return "delivered"
    if row.status == "pending":
        return "started"
    refused = row.response_status in REFUSED_STATUSES and row.response_status not in (408, 429)
    return "refused" if row.status == "dead" and refused else "failed"


def log_into_ledger(apps, schema_editor):
    WebhookDelivery = apps.get_model("integrations", "WebhookDelivery")
    OutboxMessage = apps.get_model("hrcore", "OutboxMessage")
    DeliveryAttempt = apps.get_model("hrcore", "DeliveryAttempt")
    for row in WebhookDelivery.objects.order_by("id").iterator():
        message = (
            OutboxMessage.objects.filter(channel=WEBHOOK, payload__delivery_id=row.delivery_id)
            .order_by("id")
            .first()
        )
        if message is None:
            message = OutboxMessage.objects.create(
                channel=WEBHOOK,
                dedupe_key=f"webhook-log:{row.pk}",
                payload={
                    "subscription_id": row.subscription_id,
                    "event": row.event,
                    "delivery_id": row.delivery_id,
                    "body": row.payload,
                },
                status="sent" if row.status == "delivered" else "dead",
                attempts=row.attempt,
                created_at=row.at,
                sent_at=row.at if row.status == "delivered" else None,
            )
        elif message.attempts < row.attempt:
            message.attempts = row.attempt
            message.save(update_fields=["attempts"])
        attempt = DeliveryAttempt.objects.filter(message=message, attempt=row.attempt).first()
        if attempt is not None:
            attempt.response_status = row.response_status
            attempt.error = attempt.error or row.error
            attempt.save(update_fields=["response_status", "error"])
            continue
        DeliveryAttempt.objects.create(
            message=message,
            channel=WEBHOOK,
            attempt=row.attempt,
            delivery_id=row.delivery_id,
            started_at=row.at,
            finished_at=None
            if row.status == "pending"
            else row.at + timedelta(milliseconds=row.duration_ms),
            result=_result(row),
            response_status=row.response_status,
            error=row.error,
        )


def ledger_into_log(apps, schema_editor):
    WebhookDelivery = apps.get_model("integrations", "WebhookDelivery")
    WebhookSubscription = apps.get_model("integrations", "WebhookSubscription")
    DeliveryAttempt = apps.get_model("hrcore", "DeliveryAttempt")
    subscriptions = set(WebhookSubscription.objects.values_list("pk", flat=True))
    attempts = DeliveryAttempt.objects.filter(channel=WEBHOOK).select_related("message")
    for attempt in attempts.order_by("id").iterator():
        message = attempt.message
        payload = message.payload or {}
        if payload.get("subscription_id") not in subscriptions:
            continue
        status = {"delivered": "delivered", "started": "pending", "refused": "dead"}.get(
            attempt.result
        ) or (
            "dead" if message.status == "dead" and attempt.attempt >= message.attempts else "failed"
        )
        finished = attempt.finished_at
        WebhookDelivery.objects.create(
            subscription_id=payload["subscription_id"],
            event=str(payload.get("event") or "")[:64],
            delivery_id=attempt.delivery_id[:100],
            attempt=attempt.attempt,
            status=status,
            response_status=attempt.response_status,
            error=attempt.error,
            duration_ms=int((finished - attempt.started_at).total_seconds() * 1000)
            if finished
            else 0,
            payload=payload.get("body") or {},
            at=attempt.started_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0016_complaint_outcome"),
        ("hrcore", "0017_delivery_attempt_response_status"),
    ]

    operations = [
        migrations.RunPython(log_into_ledger, ledger_into_log, elidable=True),
        migrations.DeleteModel(name="WebhookDelivery"),
    ]
