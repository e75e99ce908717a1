"""Housekeeping (issue 11, item 8): old sent outbox rows, idempotency keys, inbound webhook
deliveries and read notifications are pruned on a schedule; nothing an open crisis needs goes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hrcore.celery import app
from hrcore.models import IdempotencyKey, Notification, OutboxMessage
from hrcore.tasks import housekeeping

pytestmark = pytest.mark.django_db
BODY = {
    "scenario": "debt-collection-emergency",
    "title": "Collectors in the Shanghai office",
    "unit": "sh-business",
}


@pytest.fixture
def crisis_world(demo_org):
    """Demo organisation + seed maps + demo partners (as in tests/crisis)."""
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    responsibilities_demo.seed()
    integrations_demo.seed()
    return demo_org


def _file(api, key: str) -> int:
    response = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _inbound(crisis_id: int, delivery_id: str):
    from integrations.models import InboundDelivery, Partner

    partner = Partner.objects.order_by("pk").first()
    return InboundDelivery.objects.create(
        partner=partner,
        delivery_id=delivery_id,
        event="collectors.on_site",
        status="processed",
        payload={"event": "collectors.on_site"},
        result={"crisis_id": crisis_id},
    )


def _age_everything(days: int) -> None:
    """Make every row of the four pruned tables ``days`` old (sent / read / received then)."""
    from integrations.models import InboundDelivery

    old = timezone.now() - timedelta(days=days)
    OutboxMessage.objects.update(status="sent", sent_at=old, created_at=old)
    IdempotencyKey.objects.update(created_at=old)
    InboundDelivery.objects.update(received_at=old)
    Notification.objects.update(read_at=old, created_at=old)


def _rows_of(crisis_id: int) -> dict[str, int]:
    from integrations.models import InboundDelivery

    return {
        "outbox": OutboxMessage.objects.filter(
            # the filing's one outbox row (fanned out into the event by the relay), or the event
            dedupe_key__in=[f"fanout:crisis.filed:{crisis_id}", f"event:crisis.filed:{crisis_id}"]
        ).count(),
        "keys": sum(
            1
            for body in IdempotencyKey.objects.values_list("response_body", flat=True)
            if body.get("id") == crisis_id
        ),
        "inbound": InboundDelivery.objects.filter(result__crisis_id=crisis_id).count(),
        "notifications": Notification.objects.filter(data__crisis_id=crisis_id).count(),
    }


def test_old_rows_of_a_closed_crisis_go_and_those_of_an_open_crisis_stay(
    crisis_world, api_as, users
):
    from crisis.models import Crisis
    from crisis.services.closure import crisis_close

    api = api_as("manager")
    open_id, closed_id = _file(api, "open-one"), _file(api, "closed-one")
    _inbound(open_id, "d-open")
    _inbound(closed_id, "d-closed")
    crisis_close(
        crisis=Crisis.objects.get(pk=closed_id),
        outcome="Paid",
        actor=users["vp"],
        credited=[],
        findings=[],
    )
    _age_everything(days=400)
    before_open = _rows_of(open_id)
    assert all(before_open.values()), before_open
    assert all(_rows_of(closed_id).values())
    # Rows that are not old enough, not sent or not read stay whatever their crisis.
    fresh = OutboxMessage.objects.create(
        channel="event", dedupe_key="fresh", payload={}, status="sent", sent_at=timezone.now()
    )
    pending = OutboxMessage.objects.create(channel="email", dedupe_key="pending", payload={})
    unread = Notification.objects.filter(data__crisis_id=closed_id).first()
    Notification.objects.filter(pk=unread.pk).update(read_at=None)

    counts = housekeeping()  # the beat task, calling every registered service

    assert _rows_of(open_id) == before_open
    assert _rows_of(closed_id) == {"outbox": 0, "keys": 0, "inbound": 0, "notifications": 1}
    assert counts["outbox"] >= 1 and counts["idempotency_keys"] == 1
    assert counts["inbound_deliveries"] == 1 and counts["notifications"] >= 1
    assert OutboxMessage.objects.filter(pk__in=[fresh.pk, pending.pk]).count() == 2
    assert Notification.objects.filter(pk=unread.pk).exists()
    # The open crisis still replays its Idempotency-Key (its stored answer was kept).
    again = api.post("/api/v1/crises/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="open-one")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert housekeeping() == {
        "outbox": 0,
        "idempotency_keys": 0,
        "notifications": 0,
        "inbound_deliveries": 0,
        "master_data_events": 0,
    }


def test_retention_follows_the_settings(crisis_world, api_as, settings):
    api = api_as("manager")
    crisis_id = _file(api, "k")
    from crisis.models import Crisis

    Crisis.objects.filter(pk=crisis_id).update(status="resolved")
    _age_everything(days=10)
    settings.KEEL_RETENTION_OUTBOX_SENT_DAYS = 11
    settings.KEEL_RETENTION_IDEMPOTENCY_KEYS_DAYS = 11
    settings.KEEL_RETENTION_READ_NOTIFICATIONS_DAYS = 11
    settings.KEEL_RETENTION_INBOUND_DELIVERIES_DAYS = 11
    _inbound(crisis_id, "d1")
    from integrations.models import InboundDelivery

    InboundDelivery.objects.update(received_at=timezone.now() - timedelta(days=10))
    assert set(housekeeping().values()) == {0}
    settings.KEEL_RETENTION_OUTBOX_SENT_DAYS = 9
    settings.KEEL_RETENTION_IDEMPOTENCY_KEYS_DAYS = 9
    settings.KEEL_RETENTION_READ_NOTIFICATIONS_DAYS = 9
    settings.KEEL_RETENTION_INBOUND_DELIVERIES_DAYS = 9
    counts = housekeeping()
    counts.pop("master_data_events")  # none here (tests/integrations/test_master_data_crm.py)
    assert all(counts.values()), counts
    assert _rows_of(crisis_id) == {"outbox": 0, "keys": 0, "inbound": 0, "notifications": 0}


def test_housekeeping_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["housekeeping"]
    assert entry["task"] == "hrcore.tasks.housekeeping"
    assert "hrcore.tasks.housekeeping" in app.tasks
