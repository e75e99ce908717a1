"""Order events move commissions, so only the CRM or finance may send them, and a reversal must
name the order's own customer; a refused event changes nothing."""

from __future__ import annotations

import json

import pytest

from integrations import signing
from integrations.models import Commission, Order

from .conftest import webhook_secret_of

pytestmark = pytest.mark.django_db


def _post(client, partner: str, kind: str, delivery: str, **payload):
    raw = json.dumps(payload).encode()
    headers = signing.signed_headers(webhook_secret_of(kind), raw, delivery_id=delivery)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    return client.post(
        f"/api/v1/integrations/webhooks/{partner}/",
        data=raw,
        content_type="application/json",
        **extra,
    )


def test_only_the_crm_or_finance_pays_or_reverses_an_order(partners, client):
    paid = _post(
        client, "sandbox-crm", "crm", "p-1",
        event="order.paid", customer="CUST-1002", order="SO-9", amount="1000",
    )  # fmt: skip
    assert paid.status_code == 200, paid.content
    commission = Commission.objects.get(order__external_id="SO-9")
    # the attendance partner is a signed, enabled partner, but not one that sells
    refused = _post(
        client, "sandbox-attendance", "attendance", "a-1",
        event="order.refunded", customer="CUST-1002", order="SO-9",
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["code"] == "wrong_partner"
    # the CRM naming another customer's id for this order
    wrong_customer = _post(
        client, "sandbox-crm", "crm", "p-2",
        event="order.refunded", customer="CUST-1001", order="SO-9",
    )  # fmt: skip
    assert wrong_customer.status_code == 422, wrong_customer.content
    assert Order.objects.get(external_id="SO-9").status == "paid"
    assert not Commission.objects.filter(reverses=commission).exists()
    commission.refresh_from_db()
    assert commission.status == "pending"
