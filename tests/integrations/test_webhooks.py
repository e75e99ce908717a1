"""Inbound webhooks: HMAC over the raw body, timestamp window, replay rejection, events."""

from __future__ import annotations

import json
import time

import pytest

from customers.models import Customer
from integrations import signing
from integrations.models import InboundDelivery

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/webhooks/sandbox-finance/"


def post(client, payload, *, delivery="d-1", secret=WEBHOOK_SECRET, ts=None, body=None, sig=None):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = signing.signed_headers(secret, raw, delivery_id=delivery, now=ts)
    if sig is not None:
        headers[signing.SIGNATURE_HEADER] = sig
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    return client.post(URL, data=raw, content_type="application/json", **extra)


PAYMENT = {
    "event": "payment.recorded",
    "customer": "CUST-1002",
    "amount": "356800.00",
    "credit": {"outstanding_amount": "0.00", "overdue_days": 0, "overdue_since": None},
}


def test_payment_recorded_updates_the_credit_profile(partners, client):
    response = post(client, PAYMENT)
    assert response.status_code == 200, response.content
    assert response.json()["result"]["credit_status"] == "good"
    customer = Customer.objects.get(external_id="CUST-1002")
    assert customer.overdue_days == 0
    assert str(customer.outstanding_amount) == "0.00"
    assert customer.overdue_since is None
    assert InboundDelivery.objects.get(delivery_id="d-1").status == "processed"


def test_customer_overdue_updates_and_runs_triggers(partners, client):
    payload = {
        "event": "customer.overdue",
        "customer": "CUST-1003",
        "overdue_days": 31,
        "outstanding_amount": "48200.00",
    }
    response = post(client, payload)
    assert response.status_code == 200
    customer = Customer.objects.get(external_id="CUST-1003")
    assert customer.overdue_days == 31 and customer.credit_status == "collections"


def test_bad_signature_is_rejected_and_changes_nothing(partners, client):
    response = post(client, PAYMENT, sig="sha256=" + "0" * 64)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert not InboundDelivery.objects.exists()


def test_body_tampered_after_signing_is_rejected(partners, client):
    raw = json.dumps(PAYMENT).encode()
    headers = signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="d-9")
    tampered = raw.replace(b"CUST-1002", b"CUST-1001")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    response = client.post(URL, data=tampered, content_type="application/json", **extra)
    assert response.status_code == 401
    assert not InboundDelivery.objects.exists()


def test_stale_timestamp_is_rejected(partners, client):
    response = post(client, PAYMENT, ts=time.time() - 600)
    assert response.status_code == 401
    assert response.json()["code"] == "timestamp_stale"
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18


def test_replayed_delivery_id_is_rejected(partners, client):
    assert post(client, PAYMENT).status_code == 200
    Customer.objects.filter(external_id="CUST-1002").update(overdue_days=18)
    replay = post(client, PAYMENT)
    assert replay.status_code == 409
    assert replay.json()["code"] == "replayed"
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert InboundDelivery.objects.count() == 1


def test_unknown_partner_and_missing_headers(partners, client):
    response = client.post(
        "/api/v1/integrations/webhooks/nobody/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_partner"
    response = client.post(URL, data=b"{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "signature_missing"


def test_malformed_and_partial_payloads_are_rejected_with_reasons(partners, client):
    assert post(client, None, body=b"not json", delivery="m-1").json()["code"] == "malformed"
    response = post(client, {"event": "payment.recorded", "customer": "CUST-1002"}, delivery="m-2")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"overdue_days", "outstanding_amount"}
    response = post(client, {**PAYMENT, "customer": "NOPE"}, delivery="m-3")
    assert response.status_code == 404
    response = post(client, {"event": "weird"}, delivery="m-4")
    assert response.status_code == 400 and response.json()["code"] == "unknown_event"
    response = post(
        client,
        {**PAYMENT, "credit": {"outstanding_amount": "abc", "overdue_days": -1}},
        delivery="m-5",
    )
    assert response.status_code == 422
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {"rejected"}


def test_collectors_on_site_files_exactly_one_crisis(
    partners, maps, client, django_capture_on_commit_callbacks
):
    from crisis.models import Crisis

    payload = {
        "event": "collectors.on_site",
        "customer": "CUST-1001",
        "location": "上海办公室",
        "description": "Three collectors in reception, shouting.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, payload, delivery="col-1")
    assert first.status_code == 200, first.content
    crisis_id = first.json()["result"]["crisis_id"]
    again = post(client, payload, delivery="col-1")
    assert again.status_code == 409
    assert Crisis.objects.count() == 1
    crisis = Crisis.objects.get(pk=crisis_id)
    assert crisis.scenario.code == "debt-collection-emergency"
    assert crisis.source == "webhook"
    assert crisis.customer.external_id == "CUST-1001"
    assert crisis.unit.code == "sh-business"
    assert crisis.severity == "critical"


def test_collectors_on_site_leads_to_a_complete_dossier_and_plan(
    partners, maps, client, django_capture_on_commit_callbacks
):
    """Webhook → crisis filed → outbox "event" crisis.filed → dossier pulled → plan generated."""
    from integrations.models import Dossier, ResponsePlan

    payload = {"event": "collectors.on_site", "customer": "CUST-2001"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, payload, delivery="col-2")
    crisis_id = response.json()["result"]["crisis_id"]
    dossier = Dossier.objects.get(crisis_id=crisis_id)
    assert dossier.status == "complete"
    assert set(dossier.sources.values_list("status", flat=True)) == {"fresh"}
    plan = ResponsePlan.objects.get(crisis_id=crisis_id)
    assert plan.version == 1
    assert plan.amounts["outstanding"] == "2150000.00"
    assert "CNY 2150000.00" in plan.say_en
