"""Issue 16 §1 in a real Chromium, in zh-Hans: the drill report shows each decision's quality
against the map's preferred options, with no sideways scroll on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_drill_report_shows_decision_quality_in_chinese(demo_org, users, browser, live_server):
    from crisis.services.decisions import decision_make
    from crisis.services.filing import crisis_file
    from hrcore.models import Employee

    Employee.objects.filter(user=users["hradmin"]).update(language="zh-hans")
    drill = crisis_file(
        scenario="debt-collection-emergency",
        title="演练：催收人员到访",
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    decision_make(crisis=drill, text="先支付无争议部分", option="pay", actor=users["vp"])
    context = _logged_in_context(browser, live_server, users["hradmin"])
    page = context.new_page()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 860})
        page.goto(f"{live_server.url}/crises/{drill.pk}/drill-report/")
        section = page.locator('[data-testid="drill-decisions"]')
        expect(section.locator("h2")).to_have_text("决策质量")
        row = section.locator('[data-testid="drill-decision"]')
        expect(row).to_have_count(1)
        expect(row).to_contain_text("支付核实后的欠款")  # the option chosen, by its label
        expect(row).to_contain_text("依据数据和法律依据协商还款方案")  # the preferred one
        expect(row.locator('[data-testid="decision-score"]')).to_have_text("50%")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (width, overflow)
    context.close()
