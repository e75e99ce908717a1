"""The statutory clocks of a data leak on the crisis page, in a real Chromium at laptop size, in
both languages (issue 15 §3): one language at a time, no sideways scroll, live countdowns. The
pictures go to test-results/, and to docs/screenshots/ with KEEL_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_the_clocks_of_a_data_leak_in_both_languages(demo_org, users, browser, live_server):
    from django.utils import timezone

    from crisis.library import obligations_install
    from crisis.models import CrisisObligation
    from crisis.services.filing import crisis_file
    from crisis.services.obligations import (
        obligation_file,
        obligation_not_applicable,
        obligations_sweep,
    )
    from hrcore.models import Employee

    obligations_install()
    crisis = crisis_file(
        scenario="data-leak", title="会员数据库泄露 / Member database leak", actor=users["manager"]
    )
    clocks = {c.code: c for c in CrisisObligation.objects.filter(crisis=crisis)}
    obligation_file(clock=clocks["pipl-breach-regulator"], actor=users["manager"], note="已报送")
    obligation_not_applicable(
        clock=clocks["gdpr-breach-72h"], actor=users["manager"], reason="无欧盟数据主体"
    )
    # The one-hour report was missed: its clock started 90 minutes ago.
    late = timezone.now() - timedelta(minutes=90)
    CrisisObligation.objects.filter(pk=clocks["network-incident-report-1h"].pk).update(
        triggered_at=late, warn_at=late + timedelta(minutes=30), due_at=late + timedelta(hours=1)
    )
    obligations_sweep()

    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    context = _logged_in_context(browser, live_server, users["manager"])
    page = context.new_page()
    for language, tag, heading in (("zh-hans", "zh", "法定时限"), ("en", "en", "Statutory clocks")):
        Employee.objects.filter(user=users["manager"]).update(language=language)
        page.goto(f"{live_server.url}/crises/{crisis.pk}/")
        section = page.locator('[data-testid="statutory-clocks"]')
        expect(section.locator("h2")).to_have_text(heading)
        report = section.locator('[data-testid="clock-network-incident-report-1h"]')
        expect(report.locator('[data-testid="clock-state"]')).to_have_text(
            "已超时" if tag == "zh" else "Breached"
        )
        expect(report.locator(".countdown")).to_have_class("countdown cd-breached")
        running = section.locator('[data-testid="clock-pipl-breach-individuals"] .countdown')
        expect(running).to_contain_text("剩余" if tag == "zh" else "left")
        assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
        # One language at a time in the clocks (the dossier panel's partners are not set up here).
        shown = product_text(section.inner_html(), language)
        assert foreign_text(shown, language) == [], (tag, foreign_text(shown, language))
        section.scroll_into_view_if_needed()
        page.evaluate("() => document.fonts.ready.then(() => true)")
        screenshot(section, path=str(out / f"crisis-clocks-laptop-{tag}.png"))
        if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
            screenshot(
                section, path=str(ROOT / "docs" / "screenshots" / f"crisis-clocks-{tag}.png")
            )
    context.close()
