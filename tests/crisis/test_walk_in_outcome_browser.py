"""In a real Chromium: the supervisor records a walk-in complaint's outcome from the employee's
page (zh-Hans) and the decided complaint is listed there; the crisis page's walk-in card, a
drill's close page and a ×4 drill's compressed duty texts — each pictured at 1366 and 390 px in
both languages for the roles that use them, with no sideways scroll on a phone. Screenshots in
test-results/ (or ``KEEL_SHOTS_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context, _overflow, _widest
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _shots() -> Path:
    out = Path(os.environ.get("KEEL_SHOTS_DIR") or ROOT / "test-results")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _picture(page, url: str, name: str, user, languages=("zh-hans", "en")) -> None:
    from hrcore.models import Employee

    for language in languages:
        Employee.objects.filter(user=user).update(language=language)
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 860})
            page.goto(url)
            assert _overflow(page) <= 0, (name, language, width, _widest(page))
            screenshot(
                page, path=str(_shots() / f"{name}-{language[:2]}-{width}.png"), full_page=True
            )
    page.set_viewport_size({"width": 1366, "height": 860})


def test_the_supervisor_decides_a_walk_in_complaint_from_the_persons_page(
    crisis_world, users, browser, live_server
):
    from crisis.models import WalkInConsumer
    from crisis.services.walk_in import walk_in_complaint_file
    from customers.models import Customer
    from hrcore.models import Employee, PerformanceEvent
    from integrations.services import complaints

    Employee.objects.update(language="zh-hans")
    crisis = walk_in_complaint_file(
        scenario="customer-complaint",
        title="顾客投诉电水壶漏水",
        consumer_name="李娜",
        consumer_phone="13800138000",
        consumer_purchase="电水壶，小票 0042",
        responsible="staff",
        severity="high",
        actor=users["manager"],
    )
    decided = complaints.complaint_record(
        customer=Customer.objects.get(external_id="CUST-1002"),
        external_id="CMP-B1",
        severity="medium",
        summary_zh="客户投诉送货延误",
        summary_en="The customer complains about a late delivery",
    )
    complaints.complaint_outcome_record(
        complaint=decided, outcome="upheld", actor=users["hradmin"], note="送货记录确认延误"
    )
    staff = Employee.objects.get(user__username="staff")
    person_url = f"{live_server.url}/people/{staff.pk}/"

    manager = _logged_in_context(browser, live_server, users["manager"])
    page = manager.new_page()
    page.goto(person_url)
    row = page.locator(f'[data-walk-in="{crisis.pk}"]')
    expect(row).to_contain_text("顾客投诉电水壶漏水")
    _picture(page, person_url, "person-complaints-open-manager", users["manager"])
    Employee.objects.filter(user=users["manager"]).update(language="zh-hans")
    page.goto(person_url)
    row = page.locator(f'[data-walk-in="{crisis.pk}"]')
    row.locator('select[name="outcome"]').select_option("dismissed")
    row.locator('input[name="note"]').fill("顾客在家摔坏")
    row.locator('button[type="submit"]').click()
    expect(page.locator(".messages")).to_contain_text("处理结果已记录")
    decided_list = page.get_by_test_id("decided-complaints")
    item = decided_list.locator(f'[data-decided-complaint="walk-in-{crisis.pk}"]')
    expect(item).to_contain_text("投诉不成立")
    expect(item).to_contain_text("已返还")
    expect(decided_list.locator('[data-decided-complaint="CMP-B1"]')).to_contain_text("投诉成立")
    assert WalkInConsumer.objects.get(crisis=crisis).outcome == "dismissed"
    assert PerformanceEvent.objects.filter(
        source_key=f"walk-in-complaint:{crisis.pk}:reversed"
    ).exists()
    _picture(page, person_url, "person-complaints-decided-manager", users["manager"])
    manager.close()

    own = _logged_in_context(browser, live_server, users["staff"])
    mine = own.new_page()
    _picture(mine, f"{live_server.url}/people/me/", "person-complaints-self", users["staff"])
    own.close()


def test_walk_in_card_drill_close_page_and_compressed_durations(
    crisis_world, users, browser, live_server
):
    from crisis.services.filing import crisis_file
    from crisis.services.walk_in import walk_in_complaint_file

    walk_in = walk_in_complaint_file(
        scenario="customer-complaint",
        title="顾客投诉电水壶漏水",
        consumer_name="李娜",
        consumer_phone="13800138000",
        consumer_purchase="电水壶，小票 0042",
        responsible="staff",
        actor=users["manager"],
    )
    drill = crisis_file(
        scenario="debt-collection-emergency",
        title="演练：催收人员到访",
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    manager = _logged_in_context(browser, live_server, users["manager"])
    page = manager.new_page()
    page.goto(f"{live_server.url}/crises/{walk_in.pk}/")
    expect(page.get_by_test_id("walk-in-outcome-form")).to_be_visible()
    _picture(page, f"{live_server.url}/crises/{walk_in.pk}/", "walk-in-card", users["manager"])
    manager.close()

    admin = _logged_in_context(browser, live_server, users["hradmin"])
    page = admin.new_page()
    close_url = f"{live_server.url}/crises/{drill.pk}/close/"
    _picture(page, close_url, "drill-close", users["hradmin"])
    page.goto(close_url)
    expect(page.locator("h1")).to_have_text("Close the drill")
    expect(page.get_by_test_id("close-submit")).to_have_text("Close the drill")
    admin.close()

    finance = _logged_in_context(browser, live_server, users["finance"])
    page = finance.new_page()
    drill_url = f"{live_server.url}/crises/{drill.pk}/"
    _picture(page, drill_url, "drill-compressed-finance", users["finance"])
    page.goto(drill_url)
    expect(page.get_by_test_id("task-finance-records")).to_contain_text("within 8 minutes")
    _picture(page, f"{live_server.url}/", "home-compressed-finance", users["finance"])
    finance.close()
