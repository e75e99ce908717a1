"""Helpers of the master-data tests: an HR partner and a CRM partner row, and signed posts to
their inbound webhook URLs (the same signing as every partner's, ``integrations.signing``)."""

from __future__ import annotations

import json

from integrations import signing

from .conftest import SANDBOX_TOKEN, webhook_secret_of


def hr_partner_save(url: str = "http://127.0.0.1:9", *, service_user=None):
    from integrations.services import partners as partners_services

    return partners_services.partner_save(
        slug="sandbox-hr",
        name="Sandbox HR",
        kind="hr",
        base_url=url,
        token=SANDBOX_TOKEN,
        webhook_secret=webhook_secret_of("hr"),
        timeout_seconds=2.0,
        max_attempts=2,
        enabled=True,
        service_user=service_user,
    )


def signed_post(client, partner: str, payload: dict, *, delivery: str, kind: str, secret=None):
    raw = json.dumps(payload).encode()
    headers = signing.signed_headers(secret or webhook_secret_of(kind), raw, delivery_id=delivery)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    return client.post(
        f"/api/v1/integrations/webhooks/{partner}/",
        data=raw,
        content_type="application/json",
        **extra,
    )


def person(external_id: str, **overrides) -> dict:
    """A complete person record as the HR system sends it."""
    return {
        "external_id": external_id,
        "name_zh": "李娜",
        "name_en": "Li Na",
        "unit": "sh-finance",
        "position": "finance-manager",
        "manager": "HR-0100",
        "email": "li.na@example.com",
        "mobile": "+8613900001111",
        "dingtalk_id": "dt-lina",
        "wecom_id": "wc-lina",
        "feishu_id": "ou_lina0000000001",
        **overrides,
    }
