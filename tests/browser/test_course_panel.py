"""The crisis page's "changing course" panel in Chromium (issue 15 §4): the manager posts a
status update through the form and sees it; the panel does not scroll sideways at 390 and
1366 px and speaks one language at a time. Screenshots of the panel in both languages go to
test-results/ (and to docs/screenshots/ with KEEL_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_phone_sweep import _logged_in_context, customer_crisis  # noqa: F401
from tests.integrations.conftest import (  # noqa: F401  (fixtures)
    customers,
    file_crisis,
    maps,
    partners,
    sandbox,
    sandbox_server,
)
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_the_manager_changes_course_on_a_phone_and_a_laptop(
    customer_crisis,  # noqa: F811
    file_crisis,  # noqa: F811
    users,
    browser,
    live_server,
):
    from crisis.services.course import crises_link, crisis_invite_username
    from hrcore.models import Employee

    manager = users["manager"]
    other = file_crisis(scenario="debt-collection-emergency", title="Second visit, same office")
    crises_link(crisis=customer_crisis, other_id=other.pk, actor=manager)
    crisis_invite_username(crisis=customer_crisis, username="staff", actor=manager)
    context = _logged_in_context(browser, live_server, manager)
    page = context.new_page()
    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    for language, tag, update in (
        ("zh-hans", "zh", "警方已到场，催收人员已离开前台"),
        ("en", "en", "Police on site; the collectors left reception"),
    ):
        Employee.objects.filter(user=manager).update(language=language)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}/crises/{customer_crisis.pk}/")
        page.fill("#id_status_body", update)
        page.click('[data-testid="post-status-update"]')
        page.wait_for_selector(f'[data-testid="status-updates"] >> text={update}')
        panel = page.locator('[data-testid="course"]')
        for width, height, device in ((390, 844, "phone"), (1366, 860, "laptop")):
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate(
                "() => document.querySelectorAll('[data-testid=course] details')"
                ".forEach(d => d.open = true)"
            )
            page.evaluate("() => document.fonts.ready.then(() => true)")
            assert page.evaluate("() => document.documentElement.lang") == language
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (device, tag, overflow)
            shown = product_text(panel.inner_html(), language)
            assert foreign_text(shown, language) == [], (device, tag)
            screenshot(panel, path=str(out / f"course-{device}-{tag}.png"))
            if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
                screenshot(
                    panel, path=str(ROOT / "docs" / "screenshots" / f"course-{device}-{tag}.png")
                )
    context.close()
