"""In a real Chromium: a person cancels their own upcoming leave and ends a running one from
/me/leave/ (English and zh-Hans), pictured at 1366 and 390 px with no sideways scroll.
Screenshots in test-results/ (or ``KEEL_SHOTS_DIR``)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_phone_sweep import _logged_in_context, _overflow, _widest
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_a_person_cancels_and_ends_their_own_leave(demo_org, users, browser, live_server):
    from hrcore.models import Absence, Employee
    from hrcore.services import selfservice

    finance = users["finance"]
    stand_in = Employee.objects.get(user__username="sh-finance-1")
    now = timezone.now()
    upcoming = selfservice.absence_self_record(
        user=finance,
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=5),
        delegate_id=stand_in.pk,
        reason="年假",
    )
    running = selfservice.absence_self_record(
        user=finance,
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(days=1),
        delegate_id=stand_in.pk,
        reason="病假",
    )
    out = Path(os.environ.get("KEEL_SHOTS_DIR") or ROOT / "test-results")
    out.mkdir(parents=True, exist_ok=True)
    context = _logged_in_context(browser, live_server, finance)
    page = context.new_page()
    url = f"{live_server.url}/me/leave/"
    for language in ("en", "zh-hans"):
        Employee.objects.filter(user=finance).update(language=language)
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 860})
            page.goto(url)
            assert _overflow(page) <= 0, (language, width, _widest(page))
            screenshot(page, path=str(out / f"leave-{language[:2]}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 860})

    Employee.objects.filter(user=finance).update(language="en")
    page.goto(url)
    item = page.locator(f'[data-absence="{upcoming.pk}"]')
    item.get_by_role("button", name="Cancel this leave").click()
    expect(page.locator(".messages")).to_contain_text("Your leave was cancelled")
    expect(page.locator(f'[data-absence="{upcoming.pk}"]')).to_have_count(0)
    assert not Absence.objects.filter(pk=upcoming.pk).exists()

    Employee.objects.filter(user=finance).update(language="zh-hans")
    page.goto(url)
    item = page.locator(f'[data-absence="{running.pk}"]')
    item.get_by_role("button", name="立即结束请假").click()
    expect(page.locator(".messages")).to_contain_text("你的请假现已结束")
    expect(page.locator(f'[data-absence="{running.pk}"]')).to_contain_text("已过去")
    running.refresh_from_db()
    assert running.ends_at <= timezone.now()
    screenshot(page, path=str(out / "leave-after-zh-390.png"), full_page=True)
    context.close()
