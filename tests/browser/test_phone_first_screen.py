"""On a phone the on-site and acknowledge actions are in the first screen (issue 18, item 2);
screenshots of the crisis page and the start page at 390 and 1366 px in both languages
(the crisis page on a phone is kept in docs/screenshots/, in one language each)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_phone_sweep import _logged_in_context, customer_crisis  # noqa: F401
from tests.integrations.conftest import (  # noqa: F401  (fixtures)
    customers,
    file_crisis,
    maps,
    partners,
    sandbox,
    sandbox_server,
)
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}


def _in_first_screen(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (selector, box)
    assert box["x"] + box["width"] <= PHONE["width"], (selector, box)


@pytest.mark.parametrize("username", ["admin", "finance", "legal"])
def test_acknowledge_and_on_site_are_in_the_first_phone_screen(
    customer_crisis,  # noqa: F811
    users,
    browser,
    live_server,
    username,
):
    from crisis.models import Task

    task = Task.objects.filter(crisis=customer_crisis, assignee__user=users[username]).first()
    assert task is not None and task.status == "open", username
    context = _logged_in_context(browser, live_server, users[username])
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/crises/{customer_crisis.pk}/")
    _in_first_screen(page, '[data-testid="acknowledge"]')
    if task.deliverable_kind == "on_site":
        _in_first_screen(
            page, f'[data-testid="my-task-{task.duty_code}"] [data-kind="on_site"] input'
        )
    context.close()


def test_screenshots_of_the_crisis_page_and_home(customer_crisis, users, browser, live_server):  # noqa: F811
    from hrcore.models import Employee

    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    user = users["admin"]
    context = _logged_in_context(browser, live_server, user)
    page = context.new_page()
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=user).update(language=language)
        for width, height, device in ((390, 844, "phone"), (1366, 860, "laptop")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/crises/{customer_crisis.pk}/")
            page.evaluate("() => document.fonts.ready.then(() => true)")  # after "load"
            # What the screenshots show: the reader's language and no sideways scroll.
            assert page.evaluate("() => document.documentElement.lang") == language
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (device, tag, overflow)
            # ... and one language at a time (user-entered text aside).
            shown = product_text(page.content(), language)
            assert foreign_text(shown, language) == [], (device, tag)
            screenshot(page, path=str(out / f"crisis-{device}-{tag}.png"))
            if device == "phone" and os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
                # The README's pictures are refreshed on request only (a test run leaves the
                # repository as it was): KEEL_UPDATE_SCREENSHOTS=1 make test ARGS=-k screenshots
                screenshot(
                    page, path=str(ROOT / "docs" / "screenshots" / f"crisis-phone-{tag}.png")
                )
            page.goto(f"{live_server.url}/")
            page.evaluate("() => document.fonts.ready.then(() => true)")  # after "load"
            screenshot(page, path=str(out / f"home-{device}-{tag}.png"))
    context.close()
