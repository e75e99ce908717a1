"""Issue 17 §3: a paid order → the pending commission at the rule in force (a rule changed
mid-month) → the salesperson told → finance then HR approve → payroll over real HTTP to the
sandbox (once per commission); a refund reverses; rules refuse overlaps; statements by scope."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine

from customers.models import Customer
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Employee, Notification, PerformanceEvent
from integrations import signing
from integrations.models import Commission, Order
from integrations.services import commission_rules, commissions, payroll
from integrations.services import partners as partner_services

from .conftest import SANDBOX_TOKEN, webhook_secret_of

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _rule(users, **values):
    base = {"grade": 3, "product_line": "", "rate": "0.0300", "effective_to": None}
    return commission_rules.rule_save(actor=users["hradmin"], **{**base, **values})


def _webhook(client, event: str, delivery: str, **payload):
    raw = json.dumps({"event": event, "customer": "CUST-1002", **payload}).encode()
    headers = signing.signed_headers(webhook_secret_of("crm"), raw, delivery_id=delivery)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    return client.post(
        "/api/v1/integrations/webhooks/sandbox-crm/",
        data=raw,
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def payroll_partner(partners, sandbox, users):
    return partner_services.partner_save(
        slug="sandbox-payroll",
        name="Sandbox payroll",
        kind="payroll",
        base_url=sandbox.url,
        token=SANDBOX_TOKEN,
        webhook_secret="unused-payroll-secret",
        timeout_seconds=2.0,
        max_attempts=2,
        enabled=True,
        service_user=partners["crm"].service_user,
    )


def test_order_paid_to_payroll_end_to_end(payroll_partner, sandbox, users, client, api_as):
    staff = Employee.objects.get(user__username="staff")  # grade 3, owns CUST-1002
    _rule(users, rate="0.0200", effective_from=date(2026, 11, 1), effective_to=date(2026, 11, 16))
    _rule(users, rate="0.0300", effective_from=date(2026, 11, 16))
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH), tick=False):
        assert (
            _webhook(client, "order.paid", "d-1", order="SO-1", amount="10000").status_code == 200
        )
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=SH), tick=False):
        assert (
            _webhook(client, "order.paid", "d-2", order="SO-2", amount="10000").status_code == 200
        )
    first, second = Commission.objects.filter(employee=staff).order_by("order__external_id")
    assert (first.rate, first.amount, first.period) == (
        Decimal("0.0200"),
        Decimal("200.00"),
        "2026-11",
    )
    assert (second.rate, second.amount) == (Decimal("0.0300"), Decimal("300.00"))
    assert first.rule_id and second.rule_id and first.rule_id != second.rule_id
    told = Notification.objects.filter(recipient=staff.user, kind="commission.created")
    assert told.count() == 2
    assert {n.params["order"] for n in told} == {"SO-1", "SO-2"}

    # Finance, then HR, over the API; wrong role 403, twice 409.
    url = f"/api/v1/commissions/{first.pk}/approve/"
    assert api_as("hradmin").post(url, {}, format="json").status_code == 403
    assert api_as("staff").post(url, {}, format="json").status_code == 403
    response = api_as("finance").post(url, {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "finance_approved"
    assert api_as("finance").post(url, {}, format="json").status_code == 409
    assert api_as("hradmin").post(url, {}, format="json").json()["status"] == "approved"
    assert api_as("hradmin").post(url, {}, format="json").status_code == 409
    # The second is refused by finance with a reason (none: 400).
    url2 = f"/api/v1/commissions/{second.pk}/approve/"
    assert api_as("finance").post(url2, {"reject": True}, format="json").status_code == 400
    refused = api_as("finance").post(
        url2, {"reject": True, "reason": "Booked twice"}, format="json"
    )
    assert refused.json()["status"] == "rejected"
    assert (
        Notification.objects.filter(recipient=staff.user, kind="commission.rejected").count() == 1
    )

    # The payroll CSV, then the payroll partner over HTTP, idempotent per commission.
    rows = list(csv.reader(io.StringIO(payroll.payroll_csv(actor=users["finance"]))))
    number = staff.external_id or f"KEEL-{staff.pk}"
    assert rows == [
        ["employee_number", "name", "period", "amount", "currency", "reference"],
        [number, staff.name_zh, "2026-11", "200.00", "CNY", f"KEEL-COM-{first.pk}"],
    ]
    with pytest.raises(PermissionDenied):
        payroll.payroll_csv(actor=users["staff"])
    result = payroll.payroll_push(actor=users["finance"])
    assert (result.paid, result.failed) == (1, 0)
    first.refresh_from_db()
    assert first.status == "paid" and first.payroll_reference.startswith("PL-")
    lines = httpx.get(
        f"{sandbox.url}/payroll/lines", headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    ).json()["lines"]
    assert [(x["reference"], x["amount"], x["employee_number"]) for x in lines] == [
        (f"KEEL-COM-{first.pk}", "200.00", number)
    ]
    assert payroll.payroll_push(actor=users["finance"]).paid == 0  # nothing left to send

    # A refund after payment: a negative reversal row, approved, deducted by the next export.
    assert _webhook(client, "order.refunded", "d-3", order="SO-1").status_code == 200
    reversal = Commission.objects.get(reverses=first)
    assert (reversal.amount, reversal.status) == (Decimal("-200.00"), "approved")
    assert Order.objects.get(external_id="SO-1").status == "refunded"
    assert (
        Notification.objects.filter(recipient=staff.user, kind="commission.reversed").count() == 1
    )
    again = commissions.order_reverse(external_id="SO-1", reason="refunded")  # a repeat
    assert again.pk == reversal.pk
    # The approval counted on staff's performance record; the refund takes it back, once.
    assert sorted(
        PerformanceEvent.objects.filter(
            source_key__startswith=f"commission:{first.pk}"
        ).values_list("source_key", "points")
    ) == [(f"commission:{first.pk}", 1), (f"commission:{first.pk}:reversed", -1)]
    assert Commission.objects.filter(reverses=first).count() == 1
    assert payroll.payroll_push(actor=users["finance"]).paid == 1
    lines = httpx.get(
        f"{sandbox.url}/payroll/lines", headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    ).json()["lines"]
    assert [x["amount"] for x in lines] == ["200.00", "-200.00"]


def test_cancel_before_approval_reverses_the_pending_commission(customers, users):
    customer = Customer.objects.get(external_id="CUST-1002")
    commission = commissions.order_mark_paid(customer=customer, external_id="SO-5", amount="500")
    reversal = commissions.order_reverse(external_id="SO-5", reason="cancelled")
    commission.refresh_from_db()
    assert commission.status == "reversed"
    assert (reversal.amount, reversal.status) == (Decimal("-10.00"), "reversed")  # 500 × 2 %
    with pytest.raises(ValidationFailed):
        commissions.order_mark_paid(customer=customer, external_id="SO-5", amount="500")
    with pytest.raises(ValidationFailed):
        commissions.order_reverse(external_id="SO-5", reason="stolen")


def test_rules_refuse_overlaps_and_bad_input(users, client_as):
    _rule(users, effective_from=date(2026, 11, 1), effective_to=date(2026, 12, 1))
    with pytest.raises(ValidationFailed) as overlap:
        _rule(users, effective_from=date(2026, 11, 30))
    assert "effective_from" in overlap.value.errors
    _rule(users, product_line="tea", effective_from=date(2026, 11, 30))  # another line: fine
    _rule(users, effective_from=date(2026, 12, 1))  # the day the first ends: fine
    for bad in (
        {"rate": "2"},
        {"rate": "x"},
        {"grade": 0},
        {"grade": "x"},
        {"effective_to": date(2026, 1, 1)},
    ):
        with pytest.raises(ValidationFailed):
            _rule(users, **{"effective_from": date(2027, 1, 1), **bad})
    with pytest.raises(PermissionDenied):
        _rule({"hradmin": users["finance"]}, effective_from=date(2028, 1, 1))
    # The page: an overlapping rule is refused with the message, nothing saved.
    page = client_as("hradmin").post(
        "/integrations/commissions/rules/",
        {"grade": 3, "rate": "0.05", "effective_from": "2026-11-15"},
    )
    assert page.status_code == 200
    assert (
        "该规则与职级 3、同一产品线在 2026-11-01 至 2026-12-01 生效的规则重叠"
        in page.content.decode()
    )
    assert commission_rules.CommissionRule.objects.count() == 3  # nothing saved
    assert client_as("staff").get("/integrations/commissions/rules/").status_code == 404


def test_preview_on_last_month_from_known_orders(customers, users, client_as):
    customer = Customer.objects.get(external_id="CUST-1002")
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH), tick=False):
        commissions.order_mark_paid(customer=customer, external_id="SO-P1", amount="10000")
        commissions.order_mark_paid(customer=customer, external_id="SO-P2", amount="5000")
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=SH), tick=False):
        result = commission_rules.rule_preview(
            actor=users["hradmin"],
            grade=3,
            product_line="",
            rate="0.0400",
            effective_from=date(2026, 11, 1),
            effective_to=None,
        )
        staff = Employee.objects.get(user__username="staff")
        assert [(x.employee_id, x.current, x.proposed) for x in result.lines] == [
            (staff.pk, Decimal("300.00"), Decimal("600.00"))
        ]
        assert result.change == Decimal("300.00")
        page = client_as("hradmin").post(
            "/integrations/commissions/rules/",
            {"grade": 3, "rate": "0.04", "effective_from": "2026-11-01", "preview": "1"},
        )
    assert page.status_code == 200 and "600.00" in page.content.decode()
    assert not commission_rules.CommissionRule.objects.exists()  # a preview writes nothing


def test_statements_and_list_by_scope(customers, users, client_as, api_as):
    customer = Customer.objects.get(external_id="CUST-1002")
    commission = commissions.order_mark_paid(customer=customer, external_id="SO-S", amount="100")
    staff = commission.employee
    supervisor = staff.manager
    assert supervisor is not None
    own = api_as("staff").get("/api/v1/commissions/").json()
    assert [row["id"] for row in own["results"]] == [commission.pk]
    assert (
        api_as("finance")
        .get(f"/api/v1/commissions/?employee={staff.pk}&status=pending")
        .json()["count"]
        == 1
    )
    assert api_as("finance").get("/api/v1/commissions/?status=paid").json()["count"] == 0
    assert api_as("finance").get("/api/v1/commissions/?status=nope").status_code == 400
    assert api_as("finance").get("/api/v1/commissions/?employee=x").status_code == 400
    assert api_as("manager2").get("/api/v1/commissions/").json()["count"] == 0
    url = f"/integrations/commissions/statement/{staff.pk}/"
    assert "SO-S" in client_as("staff").get("/integrations/commissions/statement/").content.decode()
    assert client_as(supervisor.user.username).get(url).status_code == 200
    assert client_as("hradmin").get(url).status_code == 200
    assert client_as("manager2").get(url).status_code == 404
    assert client_as("legal").get(url).status_code == 404
    # A person sees only their own statement; their supervisor sees the team's commissions.
    mine = f"/integrations/commissions/statement/{supervisor.pk}/"
    assert client_as("staff").get(mine).status_code == 404
    team = api_as(supervisor.user.username).get("/api/v1/commissions/").json()
    assert commission.pk in [row["id"] for row in team["results"]]


def test_list_and_statement_reads_do_not_grow_with_the_data(customers, users, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations import selectors

    customer = Customer.objects.get(external_id="CUST-1002")
    staff = customer.account_owner
    client = api_as("finance")

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as api:
            assert client.get("/api/v1/commissions/").status_code == 200
        with CaptureQueriesContext(connection) as statement:
            months = selectors.commission_statement(staff)
            [c.order.customer.name for m in months for c in m.commissions]
        return len(api), len(statement)

    commissions.order_mark_paid(customer=customer, external_id="SO-Q0", amount="100")
    counts()  # the token's first use is recorded once
    few = counts()
    for n in range(1, 6):
        commissions.order_mark_paid(customer=customer, external_id=f"SO-Q{n}", amount="100")
    assert counts() == few
    assert few[1] == 1


def test_payroll_partner_failure_sends_nothing_twice(payroll_partner, sandbox, customers, users):
    from integrations import adapters

    customer = Customer.objects.get(external_id="CUST-1002")
    commission = commissions.order_mark_paid(customer=customer, external_id="SO-F", amount="100")
    commissions.commission_approve(commission=commission, actor=users["finance"])
    commissions.commission_approve(commission=commission, actor=users["hradmin"])
    sandbox.knobs(payroll={"mode": "error"})
    result = payroll.payroll_push(actor=users["hradmin"])
    assert (result.paid, result.failed) == (0, 1) and "500" in result.error
    commission.refresh_from_db()
    assert commission.status == "approved"  # still to be sent
    sandbox.knobs(payroll={"mode": "ok"})
    adapters.reset_breakers()
    # The partner recorded a line but Keel never heard back: the retry gets the same recording.
    adapter = adapters.adapter_for(payroll_partner.config())
    first = adapter.submit(payroll.pay_line(commission))
    assert payroll.payroll_push(actor=users["hradmin"]).paid == 1
    commission.refresh_from_db()
    assert commission.payroll_reference == first.id
    lines = httpx.get(
        f"{sandbox.url}/payroll/lines", headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    ).json()["lines"]
    assert len(lines) == 1
    with pytest.raises(PermissionDenied):
        payroll.payroll_push(actor=users["staff"])


def test_payroll_csv_is_safe_from_formulas(customers, users, client_as):
    customer = Customer.objects.get(external_id="CUST-1002")
    Employee.objects.filter(pk=customer.account_owner_id).update(
        name_zh='=HYPERLINK("http://x")', external_id="+E1"
    )
    commission = commissions.order_mark_paid(customer=customer, external_id="SO-X", amount="100")
    commissions.commission_approve(commission=commission, actor=users["finance"])
    commissions.commission_approve(commission=commission, actor=users["hradmin"])
    response = client_as("finance").get("/integrations/commissions/payroll.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == [
        "'+E1",
        '\'=HYPERLINK("http://x")',
        commission.period,
        "2.00",
        "CNY",
        f"KEEL-COM-{commission.pk}",
    ]
    assert client_as("staff").get("/integrations/commissions/payroll.csv").status_code == 404
