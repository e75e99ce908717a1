"""CRM master data through signed webhooks (issue 14 §5): customer.created, customer.updated,
owner.changed, every bad input, and the early warning running on the fresh last contact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.utils import timezone

from crisis.choices import TriggerKind
from crisis.models import TriggerAlert
from crisis.services.triggers import trigger_rules_ensure_defaults, triggers_sweep
from customers.models import Customer
from hrcore.models import Employee
from integrations import demo
from integrations.models import MasterDataEvent
from integrations.services import partners as partners_services
from integrations.services.credit import customer_credit_update

from .conftest import webhook_secret_of
from .master_data_helpers import signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(demo_org, client):
    bot = get_user_model().objects.create(username="crm-bot")
    partners_services.partner_save(
        slug="sandbox-crm",
        name="Sandbox CRM",
        kind="crm",
        base_url="http://127.0.0.1:9",
        webhook_secret=webhook_secret_of("crm"),
        service_user=bot,
    )
    demo.seed_hr_links()

    def post(payload, delivery):
        return signed_post(client, "sandbox-crm", payload, delivery=delivery, kind="crm")

    return post


def contact(days_ago: float, *, risk: bool, note: str = "") -> dict:
    return {
        "at": (timezone.now() - timedelta(days=days_ago)).isoformat(),
        "risk": risk,
        "channel": "phone",
        "note_zh": "",
        "note_en": note,
    }


NEW = {
    "external_id": "CUST-7001",
    "name_zh": "临港重工",
    "name_en": "Lingang Heavy Industry",
    "unit": "sh-business",
    "owner": "HR-0105",
}


def test_customer_created_with_owner_by_hr_id_and_last_contact(send):
    payload = {
        "event": "customer.created",
        "customer": {**NEW, "last_contact": contact(1, risk=False, note="Friendly call")},
    }
    response = send(payload, "c-1")
    assert response.status_code == 200, response.content
    customer = Customer.objects.select_related("account_owner__user", "unit").get(
        external_id="CUST-7001"
    )
    assert customer.account_owner.user.username == "staff"
    assert (customer.unit.code, customer.name_en) == ("sh-business", "Lingang Heavy Industry")
    assert (customer.last_contact_risk, customer.last_contact_note) == (False, "Friendly call")
    assert response.json()["result"]["created"] is True
    assert MasterDataEvent.objects.get(event_id="c-1").status == "applied"
    assert LogEntry.objects.get_for_object(customer).count() == 1


def test_owner_by_keel_user_name_and_owner_changed(send):
    assert (
        send(
            {"event": "customer.created", "customer": {**NEW, "owner": "manager"}}, "c-2"
        ).status_code
        == 200
    )
    response = send({"event": "owner.changed", "customer": "CUST-7001", "owner": "HR-0105"}, "c-3")
    assert response.status_code == 200, response.content
    assert response.json()["result"]["changed"] == ["account_owner"]
    customer = Customer.objects.get(external_id="CUST-7001")
    assert customer.account_owner == Employee.objects.get(user__username="staff")
    entry = LogEntry.objects.get_for_object(customer).order_by("-id").first()
    assert entry.changes_dict["account_owner"][1] == str(customer.account_owner)


@pytest.mark.parametrize(
    ("event", "customer", "status", "code"),
    [
        ("customer.created", {**NEW, "external_id": "CUST-1001"}, 409, "already_exists"),
        ("customer.updated", {**NEW, "external_id": "CUST-9999"}, 409, "unknown_customer"),
        ("customer.created", {**NEW, "unit": "atlantis"}, 422, "unknown_unit"),
        ("customer.created", {**NEW, "owner": "HR-404"}, 422, "unknown_owner"),
        ("customer.created", {**NEW, "name_zh": ""}, 422, "invalid"),
        ("customer.created", {**NEW, "owner": 7}, 422, "malformed"),
        ("customer.created", {"name_en": "No id"}, 422, "malformed"),
        (
            "customer.created",
            {**NEW, "last_contact": {"at": "yesterday", "risk": True}},
            422,
            "malformed",
        ),
        (
            "customer.created",
            {**NEW, "last_contact": {"at": "2026-12-01T10:00:00+08:00"}},
            422,
            "malformed",
        ),
    ],
)
def test_bad_customer_events_are_refused_and_change_nothing(send, event, customer, status, code):
    before = list(Customer.objects.order_by("pk").values_list("external_id", "unit_id", "name_en"))
    response = send({"event": event, "customer": customer}, "bad-1")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert (
        list(Customer.objects.order_by("pk").values_list("external_id", "unit_id", "name_en"))
        == before
    )
    row = MasterDataEvent.objects.get(event_id="bad-1")
    assert (row.status, row.reason_code) == ("rejected", code)


def test_an_owner_who_left_is_refused(send):
    Employee.objects.filter(user__username="staff").update(is_active=False)
    response = send({"event": "owner.changed", "customer": "CUST-1001", "owner": "HR-0105"}, "c-4")
    assert response.status_code == 422 and response.json()["code"] == "owner_left"
    assert Customer.objects.get(external_id="CUST-1001").account_owner.user.username == "manager"
    malformed = send({"event": "owner.changed", "customer": "CUST-1001"}, "c-5")
    assert malformed.status_code == 422 and malformed.json()["code"] == "malformed"


def test_an_older_contact_does_not_replace_a_newer_one(send):
    fresh = {"external_id": "CUST-1003", "last_contact": contact(0.1, risk=True, note="Threatened")}
    assert send({"event": "customer.updated", "customer": fresh}, "o-1").status_code == 200
    late = {"external_id": "CUST-1003", "last_contact": contact(3, risk=False, note="Old")}
    response = send({"event": "customer.updated", "customer": late}, "o-2")
    assert response.status_code == 200 and response.json()["result"]["changed"] == []
    customer = Customer.objects.get(external_id="CUST-1003")
    assert (customer.last_contact_risk, customer.last_contact_note) == (True, "Threatened")


def test_a_risky_contact_from_the_crm_makes_the_early_warning_fire_on_the_next_sweep(send):
    trigger_rules_ensure_defaults()
    customer = Customer.objects.get(external_id="CUST-1003")
    customer_credit_update(
        customer=customer,
        overdue_days=20,
        outstanding_amount="48200.00",
        last_contact_risk=False,
        last_contact_note="They confirmed payment by Friday.",
        evaluate=False,
    )
    before = TriggerAlert.objects.count()
    assert triggers_sweep() == TriggerAlert.objects.count() - before  # it counts what it fired
    assert not TriggerAlert.objects.filter(customer=customer).exists()  # 20 days, no risk yet
    risky = {
        "external_id": "CUST-1003",
        "last_contact": contact(0, risk=True, note="Says they will send people to our office."),
    }
    response = send({"event": "customer.updated", "customer": risky}, "r-1")
    assert response.status_code == 200, response.content
    assert response.json()["result"]["last_contact_risk"] is True
    assert not TriggerAlert.objects.filter(customer=customer).exists()  # the sweep decides
    triggers_sweep()
    alert = TriggerAlert.objects.get(customer=customer)
    assert (alert.kind, alert.overdue_days) == (TriggerKind.EARLY_WARNING, 20)


def test_the_ledger_list_costs_the_same_queries_however_long_it_is(send, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as("hradmin")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/integrations/master-data-events/").status_code == 200
        return len(captured)

    send({"event": "owner.changed", "customer": "CUST-1001", "owner": "HR-0105"}, "q-1")
    queries()  # the token's first use is recorded once
    few = queries()
    for n in range(10):
        send({"event": "owner.changed", "customer": "CUST-404", "owner": "x", "n": n}, f"q-{n + 2}")
    assert MasterDataEvent.objects.count() == 11
    assert queries() == few


def test_the_ledger_is_pruned_after_its_retention(db, settings):
    from integrations.services.master_data import master_data_events_prune

    settings.KEEL_RETENTION_MASTER_DATA_EVENTS_DAYS = 30
    now = timezone.now()
    for days, event_id in ((31, "old"), (29, "recent")):
        MasterDataEvent.objects.create(
            event_id=event_id, event="customer.updated", received_at=now - timedelta(days=days)
        )
    assert master_data_events_prune(now=now) == {"master_data_events": 1}
    assert list(MasterDataEvent.objects.values_list("event_id", flat=True)) == ["recent"]
