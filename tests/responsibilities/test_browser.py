"""Real Chromium: hradmin (TOTP enrolled) opens the emergency debt-collection map in zh-Hans and
sees it drawn with its critical path."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.screenshots import screenshot

from .conftest import totp_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hradmin_sees_the_emergency_map_drawn_with_its_critical_path(
    seeded_maps, users, page, live_server, login_page
):
    from responsibilities.models import ResponsibilityMap

    m = ResponsibilityMap.objects.get(scenario__code="debt-collection-emergency")
    login_page("hradmin")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code_for(users["hradmin"]))
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("nav.mainnav")).to_contain_text("职责地图")
    page.locator("nav.mainnav").get_by_role("link", name="职责地图").click()
    expect(page.locator("h1")).to_have_text("职责地图")
    page.get_by_role("link", name="债务催收 · 紧急流程").click()
    expect(page).to_have_url(re.compile(rf"/maps/{m.pk}/$"))
    expect(page.locator("h1")).to_have_text("债务催收 · 紧急流程")
    drawing = page.get_by_test_id("map-drawing")
    expect(drawing).to_be_visible()
    expect(drawing.locator("g.bar")).to_have_count(5)
    expect(drawing.locator("g.bar.critical")).to_have_count(2)
    expect(page.get_by_test_id("bar-legal-support")).to_have_attribute("data-critical", "true")
    expect(page.get_by_test_id("bar-vp-decision")).to_have_attribute("data-critical", "true")
    expect(page.get_by_test_id("bar-finance-records")).to_have_attribute("data-critical", "false")
    expect(drawing.locator("path.arrow.critical")).to_have_count(1)
    caption = page.get_by_test_id("critical-path")
    expect(caption).to_contain_text("关键路径")
    expect(caption).to_contain_text("法务")
    expect(caption).to_contain_text("副总裁")
    expect(caption).to_contain_text("距最终决策 2 小时")
    expect(page.get_by_test_id("dry-run").locator("tr.critical")).to_have_count(2)
    expect(page.get_by_test_id("dry-run")).to_contain_text("钱志远")
    screenshot(page, path="test-results/responsibility-map-zh.png", full_page=True)
