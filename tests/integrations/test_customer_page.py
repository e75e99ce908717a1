"""Issue 17 §5: the customer list found by name, pinyin, initials or code (page and API), in
pages, in a fixed number of queries; one customer page with contacts, owner history, orders,
payments, complaints and crises — each list only for the departments that work with it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from customers.services import customer_from_crm

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    return [c.external_id for c in response.context["customers"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("华东", ["CUST-1001"]),
        ("huadong", ["CUST-1001"]),
        ("HuaDong JianCai", ["CUST-1001"]),
        ("hdjc", ["CUST-1001"]),
        ("scwl", ["CUST-1002"]),
        ("cust-2001", ["CUST-2001"]),
        ("no-such-customer", []),
    ],
)
def test_customer_list_finds_by_name_pinyin_initials_and_code(client_as, query, expected):
    response = client_as("hradmin").get("/integrations/customers/", {"q": query})
    assert response.status_code == 200
    assert _ids(response) == expected


def test_search_stays_within_what_the_reader_sees(client_as):
    # manager2 (Shenzhen) does not see the Shanghai customer, whatever the search.
    assert _ids(client_as("manager2").get("/integrations/customers/", {"q": "hdjc"})) == []


def test_customer_api_searches_too(api_as):
    response = api_as("hradmin").get("/api/v1/customers/", {"q": "hdjc"})
    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["results"]] == ["CUST-1001"]


def test_crm_name_change_keeps_the_search_key(users):
    customer_from_crm(external_id="CUST-1001", name_zh="重庆银行", actor=users["hradmin"])
    assert Customer.objects.get(external_id="CUST-1001").search_key == "chongqingyinhang cqyh"


def test_customer_list_pages_and_keeps_the_filter(client_as):
    from tests.factories import CustomerFactory

    for _ in range(30):
        CustomerFactory(name_zh="批量客户", name_en="Batch")
    hr = client_as("hradmin")
    first = hr.get("/integrations/customers/", {"q": "plkh"})
    assert len(_ids(first)) == 25
    assert first.context["pager"]["page"].paginator.count == 30
    assert "?q=plkh&amp;page=2" in first.content.decode()
    second = hr.get("/integrations/customers/", {"q": "plkh", "page": 2})
    assert len(_ids(second)) == 5
    assert not set(_ids(first)) & set(_ids(second))


def test_customer_list_queries_do_not_grow_with_rows(client_as):
    from tests.factories import CustomerFactory

    CustomerFactory(name_zh="孤单客户")
    for _ in range(25):
        CustomerFactory(name_zh="批量客户")
    client = client_as("hradmin")
    client.get("/integrations/customers/")
    counts = []
    for query, rows in (("gdkh", 1), ("plkh", 25)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/integrations/customers/", {"q": query})
        assert len(_ids(response)) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.fixture
def customer_with_history(users):
    """CUST-1002 (owned by staff) handed by the CRM to manager, with an open and a paid order,
    a complaint and a crisis."""
    from crisis.models import Crisis
    from integrations.models import Complaint, Order
    from responsibilities.models import ResponsibilityMap

    customer, _, changes = customer_from_crm(
        external_id="CUST-1002", owner="manager", actor=users["hradmin"]
    )
    assert "account_owner" in changes
    Order.objects.create(
        external_id="ORD-OPEN-1", customer=customer, owner=users["manager"].employee, amount=500
    )
    Order.objects.create(
        external_id="ORD-PAID-1",
        customer=customer,
        owner=users["staff"].employee,
        amount=Decimal("1234.50"),
        status="paid",
        paid_at=timezone.now() - timedelta(days=2),
    )
    Complaint.objects.create(
        external_id="CMP-1", customer=customer, employee=users["staff"].employee, summary_zh="慢"
    )
    rmap = ResponsibilityMap.objects.filter(status="published").select_related("scenario").first()
    Crisis.objects.create(
        scenario=rmap.scenario,
        map=rmap,
        map_version=rmap.version,
        unit=customer.unit,
        customer=customer,
        title="客户投诉升级",
    )
    return customer


def test_customer_page_shows_owner_history_orders_payments_complaints_crises(
    client_as, users, customer_with_history
):
    response = client_as("hradmin").get("/integrations/customers/CUST-1002/")
    assert response.status_code == 200
    record = response.context["record"]
    staff, manager = users["staff"].employee, users["manager"].employee
    change = record.owner_history[0]
    assert (change.old, change.new) in (
        (staff.name_zh, manager.name_zh),
        (staff.name_en, manager.name_en),
    )
    assert [o.external_id for o in record.orders] == ["ORD-PAID-1", "ORD-OPEN-1"]
    assert record.orders_total == 2
    assert [o.external_id for o in record.payments] == ["ORD-PAID-1"]
    assert [c.external_id for c in record.complaints] == ["CMP-1"]
    assert [c.title for c in record.crises] == ["客户投诉升级"]
    assert record.contact_logs == []
    body = response.content.decode()
    for testid in ("owner-history", "customer-orders", "customer-payments", "customer-crises"):
        assert f'data-testid="{testid}"' in body
    assert "1234.50" in body


def test_legal_sees_contacts_and_complaints_not_orders_or_payments(
    client_as, customer_with_history
):
    response = client_as("legal").get("/integrations/customers/CUST-1002/")
    assert response.status_code == 200
    record = response.context["record"]
    assert (record.orders, record.payments) == (None, None)
    assert [c.external_id for c in record.complaints] == ["CMP-1"]
    body = response.content.decode()
    assert 'data-testid="customer-orders"' not in body
    assert "ORD-PAID-1" not in body


def test_customer_page_is_a_404_outside_the_readers_customers(client_as, customer_with_history):
    assert client_as("manager2").get("/integrations/customers/CUST-1002/").status_code == 404


def test_customer_page_queries_do_not_grow_with_rows(client_as, users):
    from integrations.models import Complaint, Order

    counts = []
    client = client_as("hradmin")
    for external_id, rows in (("CUST-1003", 1), ("CUST-1004", 12)):
        customer = Customer.objects.get(external_id=external_id)
        for i in range(rows):
            Order.objects.create(
                external_id=f"{external_id}-O{i}",
                customer=customer,
                owner=users["staff"].employee,
                amount=10,
                status="paid",
                paid_at=timezone.now(),
            )
            Complaint.objects.create(external_id=f"{external_id}-C{i}", customer=customer)
            customer_from_crm(
                external_id=external_id,
                owner="staff" if i % 2 else "manager",
                actor=users["hradmin"],
            )
        client.get(f"/integrations/customers/{external_id}/")  # asks for its dossier once
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/integrations/customers/{external_id}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    record = response.context["record"]
    assert (len(record.orders), record.orders_total, len(record.payments)) == (10, 12, 10)
    assert len(record.owner_history) == 10
