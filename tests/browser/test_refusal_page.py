"""A refused action answers the one 403 page (``hrcore.api.errors.forbidden``): the reason in
the reader's language, the same title as any other 403, no sideways scroll on a 390 px phone;
screenshots under /work/wt/shots/arch9c/ when that folder exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrcore.services.org import user_preferences_update
from tests.browser.test_phone_sweep import _logged_in_context, _overflow
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/wt/shots/arch9c")


@pytest.mark.parametrize(
    ("language", "title", "reason"),
    [
        ("zh-hans", "无权访问", "只有人力资源管理员可以组织演练。"),
        ("en", "Not allowed", "Only HR admins run drills."),
    ],
)
def test_a_refused_page_is_the_one_403_page(users, browser, live_server, language, title, reason):
    user_preferences_update(user=users["staff"], language=language)
    context = _logged_in_context(browser, live_server, users["staff"])
    page = context.new_page()
    try:
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 860})
            response = page.goto(f"{live_server.url}/crises/drills/")
            assert response.status == 403
            text = page.inner_text("main")
            assert reason in text, text
            assert title in page.content()
            assert _overflow(page) <= 0
            if SHOTS.is_dir():
                screenshot(
                    page, path=str(SHOTS / f"refusal-{language}-{width}.png"), full_page=True
                )
    finally:
        context.close()
