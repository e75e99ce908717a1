"""In the real Chromium (issue 17 §4): the labour cost and return page with the attendance
partner's field visits and finance's revenue and margin over the sandbox, at 1366 and 390 px
in English and Chinese. Screenshots in test-results/roi-*.png."""

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


def test_roi_page_shows_partner_sources_in_both_languages(page, live_server, partners):
    from hrcore.models import Employee

    for language, username in (("en", "manager"), ("zh-hans", "manager2")):
        Employee.objects.filter(user__username=username).update(language=language)
        _login(page, live_server.url, username)
        page.goto(f"{live_server.url}/integrations/customers/roi/")
        sources = page.get_by_test_id("roi-sources")
        expect(sources.locator("[data-source=finance]")).to_have_attribute("data-state", "ok")
        expect(sources.locator("[data-source=attendance]")).to_have_attribute("data-state", "ok")
        expect(page.locator("#roi tbody tr").first).to_be_visible()
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 860})
            # No sideways scroll of the page (a wide table scrolls inside its own box).
            overflow = "() => document.documentElement.scrollWidth - window.innerWidth"
            assert page.evaluate(overflow) <= 0, (language, width)
            screenshot(page, path=f"test-results/roi-{language}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1366, "height": 860})
        page.context.clear_cookies()
