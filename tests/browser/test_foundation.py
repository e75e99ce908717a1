"""Real Chromium: log-in in zh-Hans, language switch, org chart; the executive's TOTP step."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import totp_code
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_totp(username: str) -> str:
    return totp_code(username=username)


def test_manager_logs_in_in_chinese_switches_to_english_and_opens_the_org_chart(
    demo_org, page, live_server, login_page
):
    login_page("manager")
    expect(page.locator("h1")).to_contain_text("欢迎")
    expect(page.locator("nav.mainnav")).to_contain_text("组织")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_contain_text("Welcome, Wang Jianguo")
    page.locator("nav.mainnav").get_by_role("link", name="Organisation").click()
    expect(page).to_have_url(re.compile(r"/org/$"))
    expect(page.locator("h1")).to_have_text("Organisation chart")
    expect(page.locator("[data-unit=sh-finance]")).to_contain_text("Chen Jing")
    expect(page.locator("[data-unit=sh-finance]")).to_contain_text("Finance manager")
    screenshot(page, path="test-results/org-chart-en.png", full_page=False)
    page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text("组织架构")
    expect(page.locator("[data-unit=sh-finance]")).to_contain_text("陈静")
    screenshot(page, path="test-results/org-chart-zh.png", full_page=False)


def test_vp_cannot_reach_the_dashboard_without_the_totp_step(
    demo_org, page, live_server, login_page
):
    login_page("vp")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.goto(f"{live_server.url}/crises/dashboard/")
    # The password alone does not log in: the dashboard sends the VP back to the TOTP step.
    expect(page).to_have_url(re.compile(r"/accounts/(2fa/authenticate|login)/"))
    expect(page.locator("input[name=code]")).to_be_visible()
    page.fill("input[name=code]", current_totp("vp"))
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("h1")).to_contain_text("钱志远")
    page.goto(f"{live_server.url}/crises/dashboard/")
    expect(page).to_have_url(re.compile(r"/crises/dashboard/$"))
    expect(page.locator("h1")).to_have_text("高管决策看板")


def test_wrong_totp_code_is_refused_with_a_message(demo_org, page, live_server, login_page):
    login_page("hradmin")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", "000000" if current_totp("hradmin") != "000000" else "111111")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.locator(".errorlist, ul.errorlist, [role=alert]").first).to_be_visible()
