"""A person's performance page in a browser (issue 17 §1): the person, their supervisor and an
HR admin, both languages, a laptop and a 390 px phone, no sideways scroll, one language at a
time; the HR admins' points rules too. Screenshots under test-results/ (or
``KEEL_SCREENSHOT_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_phone_sweep import _logged_in_context
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _record(staff, customers_owned):
    from hrcore.services.performance import performance_event_record, performance_pulled_store

    performance_event_record(
        employee=staff,
        kind="complaint",
        variant="high",
        source_key="complaint:CMP-2001",
        summary=("客户投诉 CMP-2001", "Customer complaint CMP-2001"),
    )
    performance_event_record(
        employee=staff,
        kind="crisis_duty",
        variant="on_time",
        source_key="crisis_duty:demo-1",
        summary=("危机职责按时完成:催收人员到访", "Crisis duty done on time: collectors on site"),
    )
    performance_event_record(
        employee=staff,
        kind="star",
        source_key="star:demo-1",
        summary=("危机按时处置", "Handled the crisis on time"),
        count=2,
    )
    performance_event_record(
        employee=staff,
        kind="simulation",
        variant="passed",
        source_key="simulation_run:demo-1",
        summary=("情景演练「催收人员到访」通过", "Simulation “Debt collectors” passed"),
    )
    performance_pulled_store(
        employee=staff,
        goals=[
            {
                "external_id": "G-1",
                "title_zh": "回款率达到 95%",
                "title_en": "Collect 95 % of receivables on time",
                "period": "2026-H2",
                "progress": 72,
                "status": "on_track",
            },
            {
                "external_id": "G-2",
                "title_zh": "投诉 48 小时内闭环",
                "title_en": "Close every complaint within 48 hours",
                "period": "2026-H2",
                "progress": 35,
                "status": "at_risk",
            },
        ],
        reviews=[
            {
                "external_id": "R-1",
                "period": "2026-H1",
                "rating": "B+",
                "reviewer": "manager",
                "summary_zh": "目标完成情况良好,客户沟通需加强。",
                "summary_en": "Goals mostly met; customer communication to improve.",
            }
        ],
    )


def test_performance_page_for_the_person_the_supervisor_and_hr(users, browser, live_server):
    from hrcore.models import Employee

    staff = users["staff"].employee
    _record(staff, None)
    out = Path(os.environ.get("KEEL_SCREENSHOT_DIR") or ROOT / "test-results")
    out.mkdir(parents=True, exist_ok=True)
    pages = {"staff": [f"/people/{staff.pk}/performance/"]}
    pages["manager"] = pages["staff"]
    pages["hradmin"] = [*pages["staff"], "/people/performance-rules/"]
    for who, paths in pages.items():
        user = users[who]
        context = _logged_in_context(browser, live_server, user)
        page = context.new_page()
        for language, tag in (("zh-hans", "zh"), ("en", "en")):
            Employee.objects.filter(user=user).update(language=language)
            for width, height, device in ((1366, 860, "laptop"), (390, 844, "phone")):
                page.set_viewport_size({"width": width, "height": height})
                for path in paths:
                    page.goto(f"{live_server.url}{path}")
                    page.evaluate("() => document.fonts.ready.then(() => true)")
                    assert page.evaluate("() => document.documentElement.lang") == language
                    overflow = page.evaluate(
                        "() => document.documentElement.scrollWidth - innerWidth"
                    )
                    assert overflow <= 0, (who, path, device, tag, overflow)
                    assert foreign_text(product_text(page.content(), language), language) == []
                    name = "rules" if "rules" in path else "performance"
                    if name == "performance":
                        assert page.locator(".perf-total").inner_text() == "+2"  # −3 +1 +2 +2
                        assert page.locator("[data-event]").count() == 4
                        assert page.locator("progress").count() == 2
                        refresh = page.locator("form[action$='/performance/refresh/']")
                        assert refresh.count() == (1 if who == "hradmin" else 0)
                    screenshot(
                        page,
                        path=str(out / f"perf-{name}-{who}-{device}-{tag}.png"),
                        full_page=True,
                    )
        context.close()
