"""Webhooks cannot be replayed (issue 10, item 5): the signature covers the delivery id, every
partner has its own secret, a body already accepted is refused under a new id, and the first
signature format (timestamp + body only) is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import time_machine

from customers.models import Customer
from integrations import signing
from integrations.models import InboundDelivery
from integrations.sandbox.app import Sandbox, partner_secret

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/webhooks/sandbox-finance/"

COLLECTORS = {
    "event": "collectors.on_site",
    "customer": "CUST-1001",
    "location": "上海办公室",
    "description": "Three collectors in reception.",
}
PAYMENT = {
    "event": "payment.recorded",
    "customer": "CUST-1002",
    "amount": "356800.00",
    "credit": {"outstanding_amount": "0.00", "overdue_days": 0, "overdue_since": None},
}


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return extra


def send(client, raw: bytes, headers: dict[str, str], url: str = URL):
    return client.post(url, data=raw, content_type="application/json", **as_meta(headers))


def crisis_count() -> int:
    from crisis.models import Crisis

    return Crisis.objects.count()


def test_captured_request_replayed_under_a_new_delivery_id_is_rejected(
    partners, maps, client, django_capture_on_commit_callbacks
):
    raw = json.dumps(COLLECTORS).encode()
    captured = signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="col-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, raw, captured).status_code == 200
    assert crisis_count() == 1
    # The attacker replays the captured request (same timestamp and signature) under a new id.
    replay = {**captured, signing.DELIVERY_HEADER: "col-2"}
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, raw, replay)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert crisis_count() == 1
    assert list(InboundDelivery.objects.values_list("delivery_id", flat=True)) == ["col-1"]


def test_same_body_under_a_new_delivery_id_is_refused_within_the_window(partners, client):
    raw = json.dumps(PAYMENT).encode()
    first = send(client, raw, signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="p-1"))
    assert first.status_code == 200, first.content
    Customer.objects.filter(external_id="CUST-1002").update(overdue_days=18)
    again = send(client, raw, signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="p-2"))
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_body"
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert list(InboundDelivery.objects.values_list("delivery_id", flat=True)) == ["p-1"]
    # Another partner may send the same body; and after the window the same body is an event.
    with time_machine.travel(time.time() + signing.DEFAULT_WINDOW_SECONDS + 5, tick=False):
        later = send(client, raw, signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="p-3"))
    assert later.status_code == 200, later.content
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 0


def test_a_refused_body_does_not_block_the_same_body_later(partners, client):
    """Only accepted bodies count: an event refused for an unknown customer is not 'seen'."""
    raw = json.dumps({**PAYMENT, "customer": "CUST-NOPE"}).encode()
    assert (
        send(client, raw, signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="n-1"))
    ).status_code == 404
    response = send(client, raw, signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="n-2"))
    assert response.status_code == 404  # refused again for its content, not as a duplicate


def test_one_partners_secret_cannot_sign_for_another(customers, client):
    """The demo partners each get their own secret (they shared one): finance's secret signing
    a request to the legal partner's URL is refused."""
    from integrations import demo
    from integrations.models import Partner

    demo.seed_partners()
    secrets = {p.slug: p.webhook_secret for p in Partner.objects.all()}
    assert len(set(secrets.values())) == len(secrets) == len(demo.SANDBOX_PARTNERS)
    raw = json.dumps(PAYMENT).encode()
    headers = signing.signed_headers(secrets["sandbox-finance"], raw, delivery_id="x-1")
    response = send(client, raw, headers, url="/api/v1/integrations/webhooks/sandbox-legal/")
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert not InboundDelivery.objects.exists()
    # Its own secret works.
    headers = signing.signed_headers(secrets["sandbox-legal"], raw, delivery_id="x-1")
    response = send(client, raw, headers, url="/api/v1/integrations/webhooks/sandbox-legal/")
    assert response.status_code == 200, response.content


def test_the_old_signature_format_is_rejected(partners, client):
    raw = json.dumps(PAYMENT).encode()
    ts = int(time.time())
    old = (
        "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + raw, "sha256").hexdigest()
    )
    headers = {
        signing.TIMESTAMP_HEADER: str(ts),
        signing.DELIVERY_HEADER: "old-1",
        signing.SIGNATURE_HEADER: old,
    }
    response = send(client, raw, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert not InboundDelivery.objects.exists()


def test_signature_with_non_ascii_characters_is_a_401_not_a_500(partners, client):
    raw = json.dumps(PAYMENT).encode()
    headers = signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id="u-1")
    headers[signing.SIGNATURE_HEADER] = "sha256=é" + "0" * 63
    response = send(client, raw, headers)
    assert response.status_code == 401
    assert not InboundDelivery.objects.exists()


def test_the_sandbox_signs_as_the_partner_it_sends_for(httpserver):
    """``POST /_admin/emit {"partner": "sandbox-legal"}`` goes to that partner's URL, signed
    with that partner's own secret over timestamp, delivery id and body."""
    received = []
    httpserver.expect_request("/hooks/sandbox-legal/", method="POST").respond_with_handler(
        lambda request: received.append(request) or _ok()
    )
    app = Sandbox(
        token="t", webhook_url=httpserver.url_for("/hooks/{partner}/"), webhook_secret="base"
    )
    from werkzeug.test import Client as WerkzeugClient

    response = WerkzeugClient(app).post(
        "/_admin/emit",
        json={"event": "payment.recorded", "customer": "CUST-1002", "partner": "sandbox-legal"},
        headers={"Authorization": "Bearer t"},
    )
    assert response.status_code == 200, response.get_data()
    (request,) = received
    raw = request.get_data()
    signing.verify(
        partner_secret("base", "sandbox-legal"),
        body=raw,
        timestamp=request.headers[signing.TIMESTAMP_HEADER],
        delivery_id=request.headers[signing.DELIVERY_HEADER],
        signature=request.headers[signing.SIGNATURE_HEADER],
    )
    assert json.loads(raw) == {"event": "payment.recorded", "customer": "CUST-1002"}
    with pytest.raises(signing.SignatureError):
        signing.verify(
            partner_secret("base", "sandbox-finance"),
            body=raw,
            timestamp=request.headers[signing.TIMESTAMP_HEADER],
            delivery_id=request.headers[signing.DELIVERY_HEADER],
            signature=request.headers[signing.SIGNATURE_HEADER],
        )


def _ok():
    from werkzeug.wrappers import Response

    return Response("{}", content_type="application/json")


def test_signed_message_is_timestamp_delivery_id_and_body():
    expected = hmac.new(b"s", b"17.d-1.{}", hashlib.sha256).hexdigest()
    assert signing.sign("s", 17, "d-1", b"{}") == "sha256=" + expected
