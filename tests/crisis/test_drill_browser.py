"""Issue 16 in a real Chromium, in zh-Hans: an HR admin starts a drill from the Drills page and a
participant acknowledges from the drill banner. The banner and the drill report are pictured in
both languages (test-results/, and docs/screenshots/ with KEEL_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_hr_admin_starts_a_drill_and_a_participant_acknowledges_from_the_banner(
    demo_org, users, browser, live_server
):
    from crisis.models import Crisis
    from hrcore.models import Employee

    Employee.objects.update(language="zh-hans")
    admin = _logged_in_context(browser, live_server, users["hradmin"])
    page = admin.new_page()
    page.goto(f"{live_server.url}/crises/drills/")
    start = page.locator('[data-testid="drill-start"]')
    expect(start.locator("h2")).to_have_text("发起演练")
    start.locator('select[name="scenario"]').select_option("debt-collection-emergency")
    start.locator('select[name="unit"]').select_option("sh")
    start.locator('input[name="speed"]').fill("4")
    start.locator('[data-testid="drill-start-submit"]').click()
    banner = page.locator('[data-testid="drill-banner"]')
    expect(banner).to_contain_text("演练")
    expect(banner).to_contain_text("×4")
    drill = Crisis.objects.get(is_drill=True)
    task = (
        drill.tasks.filter(status="open").select_related("assignee__user").order_by("order").first()
    )

    participant = _logged_in_context(browser, live_server, task.assignee.user)
    mine = participant.new_page()
    mine.goto(f"{live_server.url}/crises/{drill.pk}/")
    own_banner = mine.locator('[data-testid="drill-banner"]')
    expect(own_banner.locator('[data-testid="stop-drill"]')).to_have_count(0)
    own_banner.locator('[data-testid="drill-acknowledge"]').first.click()
    expect(mine.locator('[data-testid="drill-banner"]')).to_be_visible()
    task.refresh_from_db()
    assert task.status == "acknowledged"
    participant.close()

    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    shots = ROOT / "docs" / "screenshots" if os.environ.get("KEEL_UPDATE_SCREENSHOTS") else out
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=users["hradmin"]).update(language=language)
        page.goto(f"{live_server.url}/crises/{drill.pk}/")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        screenshot(
            page.locator('[data-testid="drill-banner"]'),
            path=str(shots / f"drill-banner-{tag}.png"),
        )
        page.goto(f"{live_server.url}/crises/{drill.pk}/drill-report/")
        expect(page.locator("h1")).to_contain_text("演练报告" if tag == "zh" else "Drill report")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        screenshot(page.locator("main"), path=str(shots / f"drill-report-{tag}.png"))
    admin.close()
