"""Issue 15 in the real Chromium, in zh-Hans: the VP (TOTP) decides on a data leak with the map's
option, whose follow-up the page pre-fills, adds a follow-up row of their own, and sees the
follow-ups go red on the crisis page when they are late (SLA sweep, no reload). With
KEEL_UPDATE_SCREENSHOTS=1 it also refreshes docs/screenshots/ (decision form, ledger and brief
in both languages, laptop and 390 px phone)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.crisis.test_browser import _login
from tests.screenshots import screenshot

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _screenshots(page, base: str, crisis_pk: int, vp) -> None:
    from hrcore.models import Employee

    out = ROOT / "docs" / "screenshots"
    # The page's countdowns read the browser's clock: the same (travelled) time as the server's.
    page.clock.install(time=timezone.now())
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=vp).update(language=language)
        for width, height, device in ((1366, 860, "laptop"), (390, 844, "phone")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/crises/{crisis_pk}/")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (device, tag, overflow)
            screenshot(
                page.get_by_test_id("decide-card"),
                path=str(out / f"decision-form-{device}-{tag}.png"),
            )
            screenshot(
                page.get_by_test_id("decisions"),
                path=str(out / f"decision-ledger-{device}-{tag}.png"),
            )
            page.goto(f"{base}/crises/{crisis_pk}/brief/")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, ("brief", device, tag, overflow)
            screenshot(page, path=str(out / f"brief-{device}-{tag}.png"), full_page=True)
    Employee.objects.filter(user=vp).update(language="zh-hans")


def test_vp_decides_with_follow_ups_and_sees_them_go_red(
    browser, browser_context_args, live_server, users
):
    from crisis.models import Decision, Task
    from crisis.services.filing import crisis_file
    from crisis.services.sweep import sla_sweep
    from integrations import demo as integrations_demo

    integrations_demo.seed_partners()
    crisis = crisis_file(
        scenario="data-leak",
        title="客户名单误发至外部邮箱",
        description="销售误将 300 名客户的手机号发给了外部邮箱。",
        actor=users["manager"],
    )
    base = live_server.url
    context = browser.new_context(**browser_context_args)
    vp = context.new_page()
    _login(vp, base, "vp")
    vp.goto(f"{base}/crises/{crisis.pk}/")
    form = vp.get_by_test_id("decision-form")
    # The map's options, in Chinese; choosing one pre-fills the follow-up it foresees.
    form.locator("select[name=option]").select_option("notify-regulator")
    rows = form.get_by_test_id("follow-up-row")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("[name$=-action]")).to_have_value(
        "向网信等监管部门提交报告并保存回执 / File the report with the regulator (e.g. the CAC) "
        "and keep the receipt"
    )
    expect(rows.nth(0).locator("[name$=-assignee]")).to_have_value("legal")
    rows.nth(0).locator("[name$=-deadline]").fill("30")
    form.get_by_role("button", name="添加督办").click()
    expect(rows).to_have_count(2)
    rows.nth(1).locator("[name$=-action]").fill("统计受影响客户名单")
    rows.nth(1).locator("[name$=-assignee]").select_option("finance")
    rows.nth(1).locator("[name$=-deadline]").fill("10")
    form.locator("textarea[name=text]").fill("今天内向监管部门报告，并统计受影响的客户。")
    form.locator("summary").click()
    form.locator("textarea[name=situation]").fill("300 名客户的手机号外泄，其他信息未外泄。")
    form.locator("textarea[name=rationale]").fill("涉及个人信息，须及时报告。")
    form.get_by_test_id("decide").click()
    expect(vp.locator(".messages")).to_contain_text("决策已记录")

    decision = Decision.objects.get(crisis=crisis)
    assert decision.option == "notify-regulator"
    follow_ups = list(Task.objects.filter(follow_up_of=decision).order_by("deadline_minutes"))
    assert [(t.assignee.user.username, t.deadline_minutes) for t in follow_ups] == [
        ("finance", 10),
        ("legal", 30),
    ]
    ledger = vp.get_by_test_id("decisions")
    expect(ledger).to_contain_text("向监管部门报告")  # the option's label, not its code
    expect(ledger.get_by_test_id("follow-through")).to_contain_text("2 项督办已完成 0 项")
    expect(ledger.locator('[data-light="red"]')).to_have_count(0)

    # Eleven minutes later the sweep breaches finance's follow-up: it turns red on the open
    # page without a reload.
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=True):
        sla_sweep()
        expect(ledger.locator('[data-testid="follow-up"][data-light="red"]')).to_have_count(
            1, timeout=15_000
        )
        expect(ledger.get_by_test_id("follow-through")).to_contain_text("1 项逾期")
        expect(ledger.locator('[data-light="red"]').first).to_contain_text("统计受影响客户名单")
        if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
            _screenshots(vp, base, crisis.pk, users["vp"])
    context.close()
