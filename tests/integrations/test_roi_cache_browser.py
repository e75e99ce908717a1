"""In a real Chromium: the ROI page shows each partner's figures "as of" their time; an HR admin
refreshes them; with the partners down the last figures are shown marked stale — at 1366 and
390 px in English and zh-Hans, no sideways scroll. Screenshots in test-results/ (or
``KEEL_SHOTS_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context, _overflow, _widest
from tests.screenshots import screenshot

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_roi_figures_as_of_refresh_and_stale(partners, sandbox, users, browser, live_server):
    from hrcore.models import Employee

    out = Path(os.environ.get("KEEL_SHOTS_DIR") or ROOT / "test-results")
    out.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}/integrations/customers/roi/"
    context = _logged_in_context(browser, live_server, users["hradmin"])
    page = context.new_page()
    Employee.objects.filter(user=users["hradmin"]).update(language="en")
    page.goto(url)
    sources = page.get_by_test_id("roi-sources")
    expect(sources.get_by_test_id("as-of")).to_have_count(2)
    page.get_by_role("button", name="Refresh from the partners").click()
    expect(page.locator(".messages")).to_contain_text("Figures refreshed from the partners")

    def picture(name: str, user) -> None:
        for language in ("en", "zh-hans"):
            Employee.objects.filter(user=user).update(language=language)
            for width in (1366, 390):
                page.set_viewport_size({"width": width, "height": 860})
                page.goto(url)
                assert _overflow(page) <= 0, (name, language, width, _widest(page))
                screenshot(
                    page, path=str(out / f"{name}-{language[:2]}-{width}.png"), full_page=True
                )
        page.set_viewport_size({"width": 1366, "height": 860})

    picture("roi-asof-hradmin", users["hradmin"])
    sandbox.knobs(finance={"mode": "error"})
    Employee.objects.filter(user=users["hradmin"]).update(language="zh-hans")
    page.goto(url)
    page.get_by_role("button", name="从合作系统刷新").click()
    expect(page.locator(".messages")).to_contain_text("并非所有合作系统都已应答")
    finance = page.get_by_test_id("roi-sources").locator("[data-source=finance]")
    expect(finance).to_have_attribute("data-state", "stale")
    expect(finance.get_by_test_id("stale")).to_contain_text("未应答")
    picture("roi-stale-hradmin", users["hradmin"])
    context.close()

    staff = _logged_in_context(browser, live_server, users["staff"])
    page = staff.new_page()
    page.goto(url)
    expect(page.get_by_test_id("roi-refresh")).to_have_count(0)
    picture("roi-staff", users["staff"])
    staff.close()
