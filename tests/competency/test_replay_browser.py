"""Real Chromium (issue 16 §3): an HR admin opens a closed crisis, clicks "Replay as training"
and lands in the authoring editor on the draft; screenshots of the draft in both languages
(test-results/, and docs/screenshots/ with KEEL_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context
from tests.competency import test_replay
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
crisis_world = test_replay.crisis_world
file_emergency = test_replay.file_emergency
closed_crisis = test_replay.closed_crisis


def test_hr_admin_replays_a_closed_crisis_into_the_editor(
    closed_crisis, users, browser, live_server
):
    from hrcore.models import Employee

    user = users["hradmin"]
    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    context = _logged_in_context(browser, live_server, user)
    page = context.new_page()
    Employee.objects.filter(user=user).update(language="zh-hans")
    page.goto(f"{live_server.url}/crises/{closed_crisis.pk}/")
    page.locator("[data-testid=replay-button]").click()
    expect(page).to_have_url(re.compile(r"/training/authoring/versions/\d+/$"))
    editor_url = page.url
    expect(page.locator("body")).to_contain_text("复盘演练：催收人员到访上海办公室")
    expect(page.locator("body")).to_contain_text("第 1 个决策点")
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=user).update(language=language)
        page.goto(editor_url)
        page.evaluate("() => document.fonts.ready.then(() => true)")
        assert page.evaluate("() => document.documentElement.lang") == language
        shot = f"replay-draft-laptop-{tag}.png"
        screenshot(page, path=str(out / shot), full_page=True)
        if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
            screenshot(page, path=str(ROOT / "docs" / "screenshots" / shot), full_page=True)
    expect(page.locator("body")).to_contain_text("decision point 1")
    context.close()
