"""The crisis pages in the real Chromium: a manager files in zh-Hans and sees the checklist,
finance uploads the payment records, the VP (TOTP) decides on the dashboard and the manager's
open page shows the decision without a reload (htmx polling)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.conftest import totp_code

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _totp_code(username: str) -> str:
    return totp_code(username=username)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "keel-demo")
    page.click("main form button[type=submit]")
    if username in ("vp", "hradmin"):
        page.wait_for_selector("input[name=code]")
        page.fill("input[name=code]", _totp_code(username))
        page.click("main form button[type=submit]")
    expect(page.locator(".topbar .who")).to_be_visible()


@pytest.fixture
def seeded(users):
    from integrations import demo as integrations_demo

    integrations_demo.seed_partners()  # maps and customers are in the demo world
    return users


def test_file_upload_decide_live(browser, browser_context_args, live_server, seeded, tmp_path):
    from crisis.models import Crisis, Decision, Task

    base = live_server.url
    manager_ctx = browser.new_context(**browser_context_args)
    manager = manager_ctx.new_page()
    _login(manager, base, "manager")

    # 1. The manager files in Chinese (the demo default) and lands on the checklist.
    manager.goto(f"{base}/crises/new/")
    expect(manager.locator("h1")).to_have_text("发起危机")
    manager.select_option("select[name=scenario]", "debt-collection-emergency")
    manager.fill("input[name=title]", "催收人员在前台闹事")
    manager.fill("textarea[name=description]", "两名催收人员大声喧哗，要求立即付款。")
    manager.get_by_test_id("file-submit").click()
    expect(manager.get_by_test_id("crisis-title")).to_contain_text("催收人员在前台闹事")
    checklist = manager.get_by_test_id("checklist")
    expect(checklist).to_contain_text("已通知财务、法务")
    expect(checklist).to_contain_text("财务（")
    expect(checklist).to_contain_text("前完成“")
    crisis = Crisis.objects.get()
    assert manager.url == f"{base}/crises/{crisis.pk}/"

    # 2. Finance uploads the payment records from the crisis page.
    finance_ctx = browser.new_context(**browser_context_args)
    finance = finance_ctx.new_page()
    _login(finance, base, "finance")
    finance.goto(f"{base}/crises/{crisis.pk}/")
    records = tmp_path / "付款记录.pdf"
    records.write_bytes(b"%PDF-1.4 payment history")
    my_task = finance.get_by_test_id("my-task-finance-records")
    my_task.locator("input[type=file]").set_input_files(str(records))
    my_task.locator("textarea[name$=note]").fill("三月以来的全部发票")
    my_task.get_by_test_id("complete").click()
    expect(finance.get_by_test_id("task-finance-records")).to_have_attribute("data-state", "done")
    expect(finance.get_by_test_id("deliverable-link")).to_have_text("付款记录.pdf")
    assert Task.objects.get(crisis=crisis, duty_code="finance-records").status == "done"

    # The manager's page picked the upload up without a reload.
    expect(manager.get_by_test_id("task-finance-records")).to_have_attribute(
        "data-state", "done", timeout=10_000
    )

    # 3. The VP decides on the dashboard; the manager's open page shows it without reload.
    vp_ctx = browser.new_context(**browser_context_args)
    vp = vp_ctx.new_page()
    _login(vp, base, "vp")
    vp.goto(f"{base}/crises/dashboard/")
    card = vp.get_by_test_id("board-crisis").filter(has_text="催收人员在前台闹事")
    card.locator("summary").click()
    card.locator("select[name=option]").select_option("negotiate")
    card.locator("textarea[name=text]").fill("依据付款记录协商分期，法务陪同。")
    card.locator("button[type=submit]").click()
    expect(vp.locator(".messages")).to_contain_text("决策已记录")
    assert Decision.objects.get(crisis=crisis).made_by.username == "vp"

    manager_url_before = manager.url
    expect(manager.get_by_test_id("decision")).to_contain_text(
        "依据付款记录协商分期，法务陪同。", timeout=10_000
    )
    expect(manager.get_by_test_id("decision")).to_contain_text("依据数据和法律依据协商还款方案")
    assert manager.url == manager_url_before
    for ctx in (manager_ctx, finance_ctx, vp_ctx):
        ctx.close()
