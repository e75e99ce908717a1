"""Issue 17 §6 in a real Chromium: a store manager files a walk-in consumer's complaint on a
390 px phone, in Chinese and in English — no sideways scroll on the form or on the crisis page,
the consumer's card on the crisis page; screenshots (KEEL_SHOTS_DIR, default tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_phone_sweep import _logged_in_context, _overflow, _widest
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TEXT = {
    "zh-hans": {"title": "顾客投诉电水壶漏水", "name": "李娜", "purchase": "电水壶，小票 0042"},
    "en": {"title": "Customer says the kettle leaks", "name": "Li Na", "purchase": "Kettle"},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_store_manager_files_a_walk_in_complaint_on_a_phone(
    demo_org, users, browser, live_server, language, tmp_path
):
    from crisis.models import WalkInConsumer
    from hrcore.models import Employee

    shots = Path(os.environ.get("KEEL_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    Employee.objects.filter(user=users["manager"]).update(language=language)
    context = _logged_in_context(browser, live_server, users["manager"])
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/crises/new/?scenario=customer-complaint")
    assert page.locator('[data-testid="walk-in"]').get_attribute("open") is not None
    text = TEXT[language]
    page.fill("#id_title", text["title"])
    page.check("#id_walk_in")
    page.fill("#id_consumer_name", text["name"])
    page.fill("#id_consumer_phone", "138 0013 8000")
    page.fill("#id_consumer_purchase", text["purchase"])
    page.fill("#id_responsible", "staff · 周婷" if language == "zh-hans" else "staff · Zhou Ting")
    assert _overflow(page) <= 0, _widest(page)
    screenshot(page, path=str(shots / f"walk-in-form-390-{language}.png"), full_page=True)
    page.click('[data-testid="file-submit"]')
    page.wait_for_selector('[data-testid="walk-in-consumer"]')
    card = page.locator('[data-testid="walk-in-consumer"]').inner_text()
    assert text["name"] in card and "13800138000" in card
    assert ("周婷" if language == "zh-hans" else "Zhou Ting") in card
    assert _overflow(page) <= 0, _widest(page)
    page.locator('[data-testid="walk-in-consumer"]').scroll_into_view_if_needed()
    screenshot(page, path=str(shots / f"walk-in-crisis-390-{language}.png"))
    page.set_viewport_size({"width": 1366, "height": 860})
    screenshot(page, path=str(shots / f"walk-in-crisis-1366-{language}.png"))
    walk_in = WalkInConsumer.objects.get(name=text["name"])
    assert walk_in.responsible.user.username == "staff" and walk_in.crisis.customer is None
    context.close()
