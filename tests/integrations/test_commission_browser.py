"""In the real Chromium: a paid order reaches the salesperson's inbox and statement at once
(English), and the ROI page ranks customers (Chinese). Screenshots in test-results/."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.screenshots import screenshot

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "keel-demo")
    page.click("main form button[type=submit]")


def test_paid_order_in_inbox_and_statement_and_roi_ranked(page, live_server, customers, browser):
    from hrcore.models import Employee
    from integrations.services import commissions, complaints

    Employee.objects.filter(user__username="staff").update(language="en")
    Employee.objects.filter(user__username="manager").update(language="zh-hans")
    customer = customers["CUST-1002"]
    commissions.order_mark_paid(customer=customer, external_id="SO-B1", amount="10000")
    complaints.complaint_record(
        customer=customers["CUST-1001"],
        external_id="CP-B1",
        severity="high",
        summary_zh="客户投诉催收方式",
        summary_en="Complaint about the collection",
    )  # labour without revenue: flagged, first
    _login(page, live_server.url, "staff")
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("main")).to_contain_text("Commission CNY 200.00 on order SO-B1")
    page.goto(f"{live_server.url}/integrations/commissions/statement/")
    expect(page.locator("main")).to_contain_text("SO-B1")
    expect(page.locator("[data-status=pending]")).to_contain_text("200.00")
    screenshot(page, path="test-results/commission-statement-en.png", full_page=True)

    other = browser.new_page()
    _login(other, live_server.url, "manager")
    other.goto(f"{live_server.url}/integrations/customers/roi/")
    expect(other.locator("h1")).to_have_text("各客户的人工成本与回报")
    expect(other.locator("#roi tbody tr").first).to_have_attribute("data-customer", "CUST-1001")
    expect(other.locator("#roi tbody tr").first).to_contain_text("已标记")
    expect(other.locator("svg.chart")).to_be_visible()
    screenshot(other, path="test-results/customer-roi-zh.png", full_page=True)
    other.close()
