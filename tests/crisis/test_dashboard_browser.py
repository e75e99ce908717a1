"""The executive dashboard in the real Chromium (issue 12 §2): the VP's board with its keyset
pager, at 390 and 1366 px, in zh-Hans and English — no sideways scroll, Next and Previous move
through the board. Screenshots go to test-results/ (KEEL_SHOTS_DIR overrides)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context
from tests.screenshots import screenshot

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_dashboard_board_pages_on_phone_and_laptop(
    crisis_world, users, browser, live_server, monkeypatch
):
    from crisis.selectors import dashboard as dashboard_selectors
    from crisis.services.filing import crisis_file
    from hrcore.models import Employee

    monkeypatch.setattr(dashboard_selectors, "DASHBOARD_PAGE_SIZE", 3)
    for i in range(5):
        crisis_file(
            scenario="debt-collection-emergency", title=f"Crisis {i + 1}", actor=users["manager"]
        )
    out = Path(os.environ.get("KEEL_SHOTS_DIR", ROOT / "test-results"))
    out.mkdir(parents=True, exist_ok=True)
    vp = users["vp"]
    context = _logged_in_context(browser, live_server, vp)
    page = context.new_page()
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=vp).update(language=language)
        for width, height, device in ((390, 844, "phone"), (1366, 860, "laptop")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/crises/dashboard/")
            expect(page.get_by_test_id("board-crisis")).to_have_count(3)
            pager = page.get_by_test_id("board-pages")
            expect(pager).to_contain_text("1–3")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (device, tag, overflow)
            screenshot(page, path=str(out / f"dashboard-{tag}-{width}.png"), full_page=True)
            pager.locator("a[rel=next]").click()
            expect(page.get_by_test_id("board-crisis")).to_have_count(2)
            expect(page.get_by_test_id("board-pages")).to_contain_text("4–5")
            page.get_by_test_id("board-pages").scroll_into_view_if_needed()
            screenshot(page, path=str(out / f"dashboard-page2-{tag}-{width}.png"))
            page.get_by_test_id("board-pages").locator("a[rel=prev]").click()
            expect(page.get_by_test_id("board-pages")).to_contain_text("1–3")
    context.close()
