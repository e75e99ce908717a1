"""HR-admin configuration: partners with encrypted credentials, the delivery log, the "send test
event" action; and the customer list page's query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from hrcore.models import DeliveryAttempt, OutboxMessage
from integrations.models import Partner

pytestmark = pytest.mark.django_db


def test_partner_saved_from_admin_is_encrypted(client_as, users):
    client = client_as("hradmin")
    response = client.post(
        "/admin/integrations/partner/add/",
        {
            "slug": "erp-finance",
            "name": "ERP",
            "kind": "finance",
            "protocol": "keel-rest",
            "base_url": "https://erp.example.com/api",
            "timeout_seconds": "3",
            "max_attempts": "2",
            "enabled": "on",
            "token": "s3cret-token",
            "webhook_secret": "hook-secret",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    partner = Partner.objects.get(slug="erp-finance")
    assert "s3cret-token" not in partner.credentials_encrypted
    assert partner.token == "s3cret-token" and partner.webhook_secret == "hook-secret"
    # Editing without a token keeps the stored one.
    client.post(
        f"/admin/integrations/partner/{partner.pk}/change/",
        {
            "slug": "erp-finance",
            "name": "ERP 2",
            "kind": "finance",
            "protocol": "keel-rest",
            "base_url": "https://erp.example.com/api",
            "timeout_seconds": "3",
            "max_attempts": "2",
            "enabled": "on",
        },
    )
    partner.refresh_from_db()
    assert partner.name == "ERP 2" and partner.token == "s3cret-token"


def test_delivery_log_is_for_hr_admins(client_as, partners):
    # The webhook delivery log is the outbox's delivery ledger (webhook channel).
    assert client_as("hradmin").get("/admin/hrcore/deliveryattempt/").status_code == 200
    assert client_as("manager").get("/admin/hrcore/deliveryattempt/").status_code == 302


def test_send_test_event_admin_action(client_as, partners):
    from integrations.services import partners as partners_services

    sub = partners_services.subscription_save(
        partner=partners["crm"], url="https://partner.example.com/hook", secret="x"
    )
    response = client_as("hradmin").post(
        "/admin/integrations/webhooksubscription/",
        {"action": "send_test_event", "_selected_action": [sub.pk]},
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(channel="webhook")
    assert message.payload["event"] == "test.ping"
    # delivered later by the outbox relay
    assert not DeliveryAttempt.objects.filter(channel="webhook").exists()


def test_customer_list_page_query_count_is_flat(customers, client_as):
    client = client_as("vp")
    Customer.objects.exclude(external_id="CUST-1001").delete()
    client.get("/integrations/customers/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/integrations/customers/").status_code == 200
    base = customers["CUST-1001"]
    Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"P-{i}",
                name_zh=f"客户{i}",
                name_en=f"C{i}",
                unit=base.unit,
                account_owner=base.account_owner,
            )
            for i in range(24)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        body = client.get("/integrations/customers/").content.decode()
    assert body.count("/integrations/customers/P-") == 24
    assert len(one) == len(many)


@pytest.mark.parametrize(
    ("kind", "protocol"),
    [("finance", "soap"), ("im", "keel-rest"), ("attendance", "dingtalk-robot")],
)
def test_partner_protocol_must_be_one_an_adapter_speaks(client_as, users, kind, protocol):
    from hrcore.errors import ValidationFailed
    from integrations.services import partners as partners_services

    response = client_as("hradmin").post(
        "/admin/integrations/partner/add/",
        {
            "slug": "odd",
            "name": "Odd",
            "kind": kind,
            "protocol": protocol,
            "base_url": "https://odd.example.com/api",
            "timeout_seconds": "3",
            "max_attempts": "2",
            "enabled": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error on the protocol
    assert "protocol" in response.context["adminform"].form.errors
    assert not Partner.objects.filter(slug="odd").exists()
    with pytest.raises(ValidationFailed) as info:
        partners_services.partner_save(
            slug="odd", name="Odd", kind=kind, protocol=protocol, base_url="https://odd.example"
        )
    assert "protocol" in info.value.errors
    assert not Partner.objects.filter(slug="odd").exists()


def test_partner_protocol_choices_are_the_registered_ones(client_as, users):
    from integrations import adapters

    body = client_as("hradmin").get("/admin/integrations/partner/add/").content.decode()
    for _kind, protocol in adapters.registered():
        assert f'value="{protocol}"' in body
    assert {"keel-rest", "dingtalk-robot", "wecom-robot"} <= {p for _k, p in adapters.registered()}
    services_ok = client_as("hradmin").post(
        "/admin/integrations/partner/add/",
        {
            "slug": "ding",
            "name": "DingTalk",
            "kind": "im",
            "protocol": "dingtalk-robot",
            "base_url": "https://oapi.dingtalk.com",
            "timeout_seconds": "3",
            "max_attempts": "2",
            "enabled": "on",
        },
    )
    assert services_ok.status_code == 302
    assert Partner.objects.get(slug="ding").protocol == "dingtalk-robot"


def test_a_log_row_deleted_in_the_admin_goes_through_the_service_and_is_audited(
    client_as, users, partners
):
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from integrations.models import InboundDelivery

    row = InboundDelivery.objects.create(
        partner=partners["crm"], delivery_id="prune-me", event="complaint.created"
    )
    response = client_as("hradmin").post(
        f"/admin/integrations/inbounddelivery/{row.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302, response.content[:2000]
    assert not InboundDelivery.objects.filter(pk=row.pk).exists()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(InboundDelivery), object_pk=str(row.pk)
    )
    assert (entry.action, entry.actor) == (LogEntry.Action.DELETE, users["hradmin"])
