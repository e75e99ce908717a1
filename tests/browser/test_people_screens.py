"""Issue 17 §5 in the real Chromium: the people list and a person's page as the person (My
page), their manager and an HR admin; the customer list searched by initials and one customer's
page — in Chinese and English, at 390 and 1366 px, none scrolling sideways. Screenshots go to
``KEEL_SHOTS_DIR`` when it is set (for a person to look at)."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context, _overflow, _widest
from tests.integrations.conftest import (  # noqa: F401  (fixtures)
    customers,
    file_crisis,
    maps,
    partners,
    sandbox,
    sandbox_server,
)
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KEEL_SHOTS_DIR", "")


@pytest.fixture
def world(file_crisis, users):  # noqa: F811
    """A crisis about CUST-1001; CUST-1002 handed by the CRM from staff to manager, with an
    order paid through staff (their commission), a complaint against staff."""
    from django.utils import timezone

    from competency import demo as competency_demo
    from crisis import demo as crisis_demo
    from customers.services import customer_from_crm
    from integrations.models import Commission, Complaint, Order

    crisis_demo.seed_calendars()
    competency_demo.seed()
    crisis = file_crisis(scenario="debt-collection-emergency", title="催收人员在上海前台不肯离开")
    customer, _, _ = customer_from_crm(
        external_id="CUST-1002", owner="manager", actor=users["hradmin"]
    )
    staff = users["staff"].employee
    order = Order.objects.create(
        external_id="ORD-2026-0117",
        customer=customer,
        owner=staff,
        amount=Decimal("128000.00"),
        status="paid",
        paid_at=timezone.now() - timedelta(days=3),
        product_line="steel",
    )
    Commission.objects.create(
        order=order, employee=staff, grade=3, rate="0.0300", amount="3840.00", period="2026-11"
    )
    Complaint.objects.create(
        external_id="CMP-88",
        customer=customer,
        employee=staff,
        summary_zh="送货延误两天，客户要求赔偿。",
        summary_en="Delivery two days late; the customer asks for compensation.",
        performance_points=2,
    )
    return {"crisis": crisis, "staff": staff}


def _look(page, live_server, path: str, name: str, problems: list[str]) -> None:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, (path, response and response.status)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 860})
        excess = _overflow(page)
        if excess > 0:
            problems.append(f"{path} @{width}: +{excess}px {_widest(page)}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            screenshot(page, path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_people_and_customer_pages_fit_and_show_their_sections(
    world, users, browser, live_server, language
):
    from hrcore.models import Employee

    staff = world["staff"]
    problems: list[str] = []
    Employee.objects.filter(user__username__in=["staff", "manager", "hradmin"]).update(
        language=language
    )
    lang = "zh" if language == "zh-hans" else "en"

    # The person: "My page" in the navigation, their commissions, complaints, duties, training.
    context = _logged_in_context(browser, live_server, users["staff"])
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.locator(".mainnav a[href='/people/me/']").click()
    expect(page.get_by_test_id("section-commissions")).to_contain_text("2026-11")
    expect(page.get_by_test_id("complaint-totals")).to_be_visible()
    expect(page.get_by_test_id("section-training")).to_be_visible()
    _look(page, live_server, "/people/me/", f"{lang}-staff-my-page", problems)
    _look(page, live_server, "/people/", f"{lang}-staff-people", problems)
    context.close()

    # The manager: the report's page, with its commissions.
    context = _logged_in_context(browser, live_server, users["manager"])
    page = context.new_page()
    _look(page, live_server, f"/people/{staff.pk}/", f"{lang}-manager-staff-page", problems)
    expect(page.get_by_test_id("section-commissions")).to_be_visible()
    context.close()

    # HR: everyone, found by initials; the customer list and page.
    context = _logged_in_context(browser, live_server, users["hradmin"])
    page = context.new_page()
    page.goto(f"{live_server.url}/people/")
    page.get_by_test_id("people-search").fill("zt")
    page.get_by_test_id("people-search").press("Enter")
    expect(page.get_by_test_id("people-table")).to_contain_text(
        staff.name_zh if language == "zh-hans" else staff.name_en
    )
    _look(page, live_server, "/people/?q=zt", f"{lang}-hr-people-search", problems)
    _look(page, live_server, f"/people/{staff.pk}/", f"{lang}-hr-staff-page", problems)
    # A department manager: crisis duties from the published maps, the crisis they filed.
    manager = users["manager"].employee
    _look(page, live_server, f"/people/{manager.pk}/", f"{lang}-hr-manager-page", problems)
    expect(page.locator("[data-duty]").first).to_be_visible()
    expect(page.get_by_test_id("crisis-history")).to_contain_text(str(world["crisis"].pk))
    page.goto(f"{live_server.url}/integrations/customers/")
    page.get_by_test_id("customer-search").fill("scwl")
    page.get_by_test_id("customer-search").press("Enter")
    expect(page.get_by_test_id("customer-table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("customer-table")).to_contain_text("CUST-1002")
    _look(page, live_server, "/integrations/customers/?q=scwl", f"{lang}-hr-customers", problems)
    _look(page, live_server, "/integrations/customers/CUST-1002/", f"{lang}-hr-customer", problems)
    expect(page.get_by_test_id("owner-history")).to_contain_text("→")
    expect(page.get_by_test_id("customer-orders")).to_contain_text("ORD-2026-0117")
    expect(page.get_by_test_id("customer-payments")).to_contain_text("128000.00")
    context.close()
    assert problems == []
