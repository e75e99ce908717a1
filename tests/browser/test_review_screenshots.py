"""The post-incident review and the monthly report in a browser (issue 15 §5): both languages, a
laptop and a 390 px phone, no sideways scroll, one language at a time; screenshots under
test-results/ (and docs/screenshots/ with KEEL_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.browser.test_phone_sweep import _logged_in_context
from tests.crisis.conftest import crisis_world, file_emergency  # noqa: F401  (fixtures)
from tests.crisis.test_review import _known_crisis
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_review_and_monthly_report_screenshots(file_emergency, users, browser, live_server):  # noqa: F811
    from crisis.services import review as review_services
    from hrcore.models import Employee

    crisis = _known_crisis(file_emergency, users)
    add = review_services.finding_add
    add(
        crisis=crisis,
        kind="went_well",
        text="财务 10 分钟内交齐了付款记录。",
        actor=users["finance"],
    )
    late = add(
        crisis=crisis,
        kind="went_wrong",
        text="夜间没有值班律师，法律支持超时 10 分钟。",
        actor=users["legal"],
    )
    idea = add(
        crisis=crisis,
        kind="suggestion",
        text="法律支持的时限改为 90 分钟，并指定夜间值班人。",
        actor=users["manager"],
    )
    review_services.finding_mark_lesson(finding=late, is_lesson=True, actor=users["manager"])
    review_services.finding_propose_map_change(finding=idea, actor=users["hradmin"])
    review_services.action_item_create(
        crisis=crisis,
        title="建立法务夜间值班表",
        owner=users["legal"].employee,
        due_on=date(2026, 11, 30),
        finding=late,
        actor=users["manager"],
    )
    done = review_services.action_item_create(
        crisis=crisis,
        title="更新行政到场路线图",
        owner=users["admin"].employee,
        due_on=date(2026, 12, 15),
        actor=users["manager"],
    )
    review_services.action_item_complete(item=done, actor=users["admin"])

    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    user = users["hradmin"]
    context = _logged_in_context(browser, live_server, user)
    page = context.new_page()
    pages = {
        "review": f"/crises/{crisis.pk}/review/",
        "report": "/crises/report/?month=2026-11",
    }
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=user).update(language=language)
        for width, height, device in ((1366, 860, "laptop"), (390, 844, "phone")):
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                page.goto(f"{live_server.url}{path}")
                page.evaluate("() => document.fonts.ready.then(() => true)")
                assert page.evaluate("() => document.documentElement.lang") == language
                overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
                assert overflow <= 0, (name, device, tag, overflow)
                assert foreign_text(product_text(page.content(), language), language) == []
                shot = f"{name}-{device}-{tag}.png"
                screenshot(page, path=str(out / shot), full_page=True)
                if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
                    screenshot(page, path=str(ROOT / "docs" / "screenshots" / shot), full_page=True)
    # The print stylesheet: no navigation, buttons or forms; the figures and tables stay.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1024, "height": 1400})
    page.goto(f"{live_server.url}{pages['report']}")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator('[data-testid="report-csv"]').is_visible()
    assert page.locator('[data-testid="kpi-stars"]').is_visible()
    assert page.locator('[data-testid="report-row"]').count() == 1
    screenshot(page, path=str(out / "report-print-en.png"), full_page=True)
    if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
        screenshot(
            page, path=str(ROOT / "docs" / "screenshots" / "report-print-en.png"), full_page=True
        )
    context.close()
