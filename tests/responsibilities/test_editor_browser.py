"""The map editor in the real Chromium (issue 18 item 6): an HR admin builds the debt-collection
emergency map in zh-Hans by pointing and clicking (pickers for who, dependencies, escalation and
the warning percentage), sees it drawn as they edit, sees the named cycle when they make one,
reorders by keyboard and by dragging, saves, and publishes after the page showing the diff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.screenshots import screenshot

from .conftest import totp_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results"

# code, who (picker value), Chinese action, deliverable, deadline, unit
EMERGENCY = [
    (
        "finance-records",
        "function:finance",
        "30 分钟内上传付款记录与未付发票。",
        "document",
        "30",
        "minutes",
    ),
    ("legal-support", "function:legal", "1 小时内上传法律支持。", "document", "1", "hours"),
    (
        "admin-on-site",
        "function:administration",
        "20 分钟内到达现场维持秩序。",
        "on_site",
        "20",
        "minutes",
    ),
    (
        "manager-contact",
        "position:department-manager",
        "10 分钟内联系客户并记录。",
        "contact_log",
        "10",
        "minutes",
    ),
    (
        "vp-decision",
        "position:vice-president",
        "汇总材料后 1 小时内批示决策。",
        "decision",
        "1",
        "hours",
    ),
]


def _log_in(page, login_page, users) -> None:
    login_page("hradmin")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code_for(users["hradmin"]))
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("nav.mainnav")).to_contain_text("职责地图")


def _row(page, n: int):
    return page.get_by_test_id("duty-row").nth(n)


def _fill_row(row, code, who, action, deliverable, amount, unit) -> None:
    row.get_by_label("简称", exact=True).fill(code)
    row.get_by_label("负责人", exact=True).select_option(who)
    row.get_by_label("行动（中文）", exact=True).fill(action)
    row.get_by_label("交付物", exact=True).select_option(deliverable)
    row.get_by_label("时限", exact=True).fill(amount)
    row.get_by_label("单位", exact=True).select_option(unit)


def test_hr_admin_builds_the_emergency_map_by_pointing_and_clicking(
    seeded_maps, users, page, live_server, login_page
):
    from hrcore.models import OrgUnit
    from responsibilities.models import ResponsibilityMap

    _log_in(page, login_page, users)
    page.goto(f"{live_server.url}/maps/scenarios/new/")
    page.fill("input[name=code]", "collectors-drill")
    page.fill("input[name=name_zh]", "催收人员到场（演练）")
    page.fill("input[name=name_en]", "Collectors on site (drill)")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/maps/new/\?scenario=collectors-drill$"))
    page.select_option("select[name=scope]", str(OrgUnit.objects.get(code="demo-group").pk))
    page.fill("input[name=title_zh]", "催收演练 · 紧急流程")

    # The pickers list functions and positions by name, in the reader's language.
    who = _row(page, 0).get_by_label("负责人", exact=True)
    expect(who.locator("option[value='function:finance']")).to_have_text("财务")
    expect(who.locator("option[value='position:vice-president']")).to_have_text("副总裁")

    for n, duty in enumerate(EMERGENCY):
        if n:
            page.get_by_test_id("add-duty").click()
        _fill_row(_row(page, n), *duty)
    expect(page.get_by_test_id("duty-row")).to_have_count(5)

    # The decision waits for finance and legal (ticked among the other duties), escalates to
    # the president, and warns at 75 % of its hour.
    vp = _row(page, 4)
    vp.get_by_label("finance-records", exact=True).check()
    vp.get_by_label("legal-support", exact=True).check()
    vp.get_by_label("第 1 级升级", exact=True).select_option("position:president")
    vp.get_by_label("第 2 级升级", exact=True).select_option("")
    vp.get_by_label("预警点（占时限的百分比）", exact=True).fill("75")

    drawing = page.get_by_test_id("editor-drawing")
    expect(drawing.locator("g.bar")).to_have_count(5)
    expect(drawing.get_by_test_id("bar-vp-decision")).to_have_attribute("data-critical", "true")
    expect(drawing.get_by_test_id("bar-legal-support")).to_have_attribute("data-critical", "true")
    expect(drawing.get_by_test_id("bar-finance-records")).to_have_attribute(
        "data-critical", "false"
    )
    expect(drawing.locator("path.arrow")).to_have_count(2)
    expect(page.get_by_test_id("editor-critical-path")).to_contain_text("距最终决策 2 小时")

    # A cycle is named in words, and the drawing waits until it is undone.
    _row(page, 0).get_by_label("vp-decision", exact=True).check()
    errors = page.get_by_test_id("map-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("循环等待：finance-records → vp-decision → finance-records")
    expect(drawing.get_by_test_id("drawing-cycle")).to_be_visible()
    _row(page, 0).get_by_label("vp-decision", exact=True).uncheck()
    expect(errors).to_be_hidden()
    expect(drawing.locator("g.bar")).to_have_count(5)

    # A field error is shown beside its row and field, in Chinese, without field keys.
    _row(page, 2).get_by_label("时限", exact=True).fill("")
    slot = _row(page, 2).locator("[data-errors-for=deadline]")
    expect(slot).to_contain_text("此项为必填项。")
    expect(page.locator("main")).not_to_contain_text("duties[")
    _row(page, 2).get_by_label("时限", exact=True).fill("20")
    expect(slot).to_be_empty()

    # Reorder with the keyboard-reachable buttons, then by dragging the handle.
    _row(page, 3).get_by_role("button", name="上移此职责").click()
    expect(_row(page, 2).get_by_label("简称", exact=True)).to_have_value("manager-contact")
    page.set_viewport_size({"width": 1366, "height": 2000})  # both rows on screen
    _row(page, 1).evaluate("row => row.scrollIntoView({block: 'start'})")
    handle = _row(page, 2).locator("[data-drag-handle]").bounding_box()
    top = _row(page, 1).bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(top["x"] + 20, top["y"] + 8, steps=8)
    page.mouse.up()
    expect(_row(page, 1).get_by_label("简称", exact=True)).to_have_value("manager-contact")
    expect(_row(page, 2).get_by_label("简称", exact=True)).to_have_value("legal-support")
    page.set_viewport_size({"width": 1366, "height": 860})
    page.evaluate("window.scrollTo(0, 0)")
    _row(page, 4).evaluate("row => row.scrollIntoView({block: 'start'})")
    screenshot(page, path=str(SHOTS / "map-editor-zh.png"))  # a laptop screen

    page.get_by_test_id("save-draft").click()
    m = ResponsibilityMap.objects.get(scenario__code="collectors-drill")
    expect(page).to_have_url(re.compile(rf"/maps/{m.pk}/$"))
    assert list(m.duties.order_by("order").values_list("code", flat=True)) == [
        "finance-records",
        "manager-contact",
        "legal-support",
        "admin-on-site",
        "vp-decision",
    ]
    decision = m.duties.get(code="vp-decision")
    assert (decision.after, decision.escalation, decision.warn_ratio) == (
        ["finance-records", "legal-support"],
        ["position:president"],
        0.75,
    )
    assert decision.deadline_minutes == 60 and decision.assignee_position.code == "vice-president"

    # Publishing asks first: the first version lists every duty as added.
    page.get_by_test_id("publish").click()
    expect(page).to_have_url(re.compile(rf"/maps/{m.pk}/publish/$"))
    expect(page.get_by_test_id("diff-added")).to_have_count(5)
    page.get_by_test_id("confirm-publish").click()
    expect(page.get_by_test_id("map-status")).to_have_text("已发布")

    # The next version: change one deadline, and the confirmation names exactly that change.
    page.get_by_role("button", name="编辑（创建下一版本）").click()
    expect(page.get_by_test_id("duty-row")).to_have_count(5)
    row = page.get_by_test_id("duty-row").filter(
        has=page.locator("input[name$='-code'][value='finance-records']")
    )
    row.get_by_label("时限", exact=True).fill("45")
    page.get_by_test_id("save-draft").click()
    v2 = ResponsibilityMap.objects.get(scenario__code="collectors-drill", version=2)
    page.get_by_test_id("publish").click()
    changed = page.get_by_test_id("diff-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("finance-records")
    expect(changed).to_contain_text("时限: 30 分钟 → 45 分钟")
    expect(page.get_by_test_id("diff-added")).to_have_count(0)
    screenshot(page, path=str(SHOTS / "map-publish-diff-zh.png"), full_page=True)
    page.get_by_test_id("confirm-publish").click()
    expect(page.get_by_test_id("map-status")).to_have_text("已发布")
    v2.refresh_from_db()
    m.refresh_from_db()
    assert (m.status, v2.status) == ("archived", "published")
    assert v2.duties.get(code="finance-records").deadline_minutes == 45


def test_the_editor_in_english_on_a_laptop(seeded_maps, users, page, live_server, login_page):
    """The same editor for a reader of English: labels, pickers and the drawing in English."""
    from hrcore.services.org import user_preferences_update
    from responsibilities.models import ResponsibilityMap
    from responsibilities.services import maps

    user_preferences_update(user=users["hradmin"], language="en")
    v1 = ResponsibilityMap.objects.get(scenario__code="debt-collection-emergency")
    draft = maps.responsibility_map_revise(responsibility_map=v1, actor=users["hradmin"])
    login_page("hradmin")
    page.fill("input[name=code]", totp_code_for(users["hradmin"]))
    page.locator("main form button[type=submit]").first.click()
    page.goto(f"{live_server.url}/maps/{draft.pk}/edit/")
    expect(page.locator("h1")).to_have_text(f"Edit draft v{draft.version}")
    rows = page.get_by_test_id("duty-row")
    expect(rows).to_have_count(5)
    expect(rows.first.get_by_label("Who", exact=True).locator("option:checked")).to_have_text(
        "Finance"
    )
    expect(page.get_by_test_id("editor-drawing").locator("g.bar")).to_have_count(5)
    rows.first.get_by_label("vp-decision", exact=True).check()
    expect(page.get_by_test_id("map-errors")).to_contain_text(
        "The duties wait for each other in a cycle: finance-records → vp-decision → finance-records."
    )
    rows.first.get_by_label("vp-decision", exact=True).uncheck()
    expect(page.get_by_test_id("map-errors")).to_be_hidden()
    rows.last.evaluate("row => row.scrollIntoView({block: 'start'})")
    screenshot(page, path=str(SHOTS / "map-editor-en.png"))  # a laptop screen
