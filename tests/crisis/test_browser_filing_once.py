"""The filing form in the real Chromium (issue 11, item 9): the button disables itself when the
form is sent (no inline handler: the page fixture fails on any CSP violation), a double-click
files one crisis, and Back-then-submit shows the first crisis instead of filing another."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(users):
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    responsibilities_demo.seed()
    integrations_demo.seed()
    return users


def _fill(page, base: str) -> None:
    page.goto(f"{base}/crises/new/")
    page.select_option("select[name=scenario]", "debt-collection-emergency")
    page.fill("input[name=title]", "催收人员在前台闹事")


def test_the_filing_form_is_sent_once(seeded, page, live_server, login_page):
    from crisis.models import Crisis

    base = live_server.url
    login_page("manager")
    expect(page.locator(".topbar .who")).to_be_visible()

    # The button disables itself as the form is sent (a 204 answer keeps the page to look).
    _fill(page, base)
    posts = []

    def no_content(route):
        if route.request.method == "POST":
            posts.append(route.request.post_data)
            route.fulfill(status=204)
        else:
            route.continue_()

    page.route("**/crises/new/", no_content)
    button = page.get_by_test_id("file-submit")
    button.click()
    expect(button).to_be_disabled()
    button.dispatch_event("click")  # a second click is not sent
    page.unroute("**/crises/new/")
    assert len(posts) == 1 and "form_token=" in posts[0]
    assert Crisis.objects.count() == 0

    # Filing for real lands on the crisis.
    _fill(page, base)
    page.get_by_test_id("file-submit").click()
    expect(page.get_by_test_id("crisis-title")).to_contain_text("催收人员在前台闹事")
    crisis = Crisis.objects.get()
    assert page.url == f"{base}/crises/{crisis.pk}/"

    # Back, then submit the same page again: the first crisis is shown, nothing is filed.
    page.go_back()
    expect(page.get_by_test_id("file-submit")).to_be_enabled()
    # (re-fetched, typed fields refilled by the browser, the submitted token put back)
    page.get_by_test_id("file-submit").click()
    expect(page.get_by_test_id("crisis-title")).to_contain_text("催收人员在前台闹事")
    assert page.url == f"{base}/crises/{crisis.pk}/"
    assert Crisis.objects.count() == 1

    # A double-click on a fresh form files one more crisis and lands on it.
    _fill(page, base)
    page.get_by_test_id("file-submit").dblclick()
    expect(page.get_by_test_id("crisis-title")).to_contain_text("催收人员在前台闹事")
    expect(page).not_to_have_url(f"{base}/crises/{crisis.pk}/")
    assert Crisis.objects.count() == 2
