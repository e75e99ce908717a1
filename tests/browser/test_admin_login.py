"""Real Chromium: the admin has no password-only door. /admin/ sends hradmin to allauth's log-in;
the password alone leaves the admin shut; the TOTP code opens it."""

import re

import pytest
from playwright.sync_api import expect

from .test_foundation import current_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hradmin_reaches_the_admin_only_through_password_and_totp(demo_org, page, live_server):
    page.goto(f"{live_server.url}/admin/hrcore/apitoken/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2Fhrcore%2Fapitoken%2F"))
    page.fill("input[name=login]", "hradmin")
    page.fill("input[name=password]", "keel-demo")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.goto(f"{live_server.url}/admin/")
    expect(page).not_to_have_url(re.compile(r"/admin/$"))
    page.goto(f"{live_server.url}/admin/login/")
    expect(page).to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))
    expect(page.locator("input[name=code]")).to_be_visible()
    page.fill("input[name=code]", current_totp("hradmin"))
    page.locator("main form button[type=submit]").first.click()
    page.goto(f"{live_server.url}/admin/hrcore/apitoken/")
    expect(page).to_have_url(re.compile(r"/admin/hrcore/apitoken/$"))
    expect(page.locator("#site-name")).to_be_visible()
