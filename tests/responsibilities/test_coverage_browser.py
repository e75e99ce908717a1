"""The maps page's coverage in a real Chromium (issue 14 §6): at 390 and 1366 px in both
languages the gaps are named, one language at a time, with no sideways scroll. Screenshots go to
test-results/ (and docs/screenshots/ with KEEL_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_phone_sweep import _logged_in_context
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_maps_page_coverage_on_a_phone_and_a_laptop(browser, live_server):
    from hrcore.models import Employee

    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    employee = Employee.objects.select_related("user").get(user__username="hradmin")
    user = employee.user
    context = _logged_in_context(browser, live_server, user)
    page = context.new_page()
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=user).update(language=language)
        for width, height, device in ((390, 844, "phone"), (1366, 860, "laptop")):
            page.set_viewport_size({"width": width, "height": height})
            # A query per pass: the same URL with a fragment would not load the page again.
            page.goto(f"{live_server.url}/maps/?{device}-{tag}#scenario-debt-collection-emergency")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            assert page.evaluate("() => document.documentElement.lang") == language
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (device, tag, overflow)
            assert foreign_text(product_text(page.content(), language), language) == []
            block = page.locator('[data-scenario="debt-collection-emergency"]')
            assert block.locator('[data-unit="sz"]').count() == 3
            screenshot(block, path=str(out / f"maps-coverage-{device}-{tag}.png"))
            if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
                screenshot(
                    block,
                    path=str(ROOT / "docs" / "screenshots" / f"maps-coverage-{device}-{tag}.png"),
                )
    context.close()
