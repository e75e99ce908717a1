"""The customer dossier in the real Chromium: sources arrive fresh; with the sandbox's failure
knob turned, the refresh button (htmx, strict CSP) shows the finance sources as stale with the
reason, and the rest of the page keeps working."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_dossier_refresh_with_failing_finance(page, live_server, partners, sandbox):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "manager")
    page.fill("input[name=password]", "keel-demo")
    page.click("main form button[type=submit]")
    page.goto(f"{live_server.url}/integrations/customers/CUST-1001/")
    credit = page.locator("[data-source=credit]")
    expect(credit).to_have_attribute("data-status", "fresh", timeout=15000)
    expect(page.get_by_test_id("dossier-finance")).to_contain_text("INV-1001-03")
    expect(page.get_by_test_id("dossier-contacts")).to_contain_text("讨说法")
    sandbox.knobs(finance={"mode": "error"})
    page.get_by_test_id("refresh-dossier").click()
    expect(credit).to_have_attribute("data-status", "stale", timeout=15000)
    expect(page.locator("[data-source=contacts]")).to_have_attribute("data-status", "fresh")
    expect(page.locator("#customer-dossier")).to_contain_text("HTTP 500")
    # The last good finance data is still on the page.
    expect(page.get_by_test_id("dossier-finance")).to_contain_text("INV-1001-03")
