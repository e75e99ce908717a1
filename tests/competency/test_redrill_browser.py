"""Real Chromium (issue 16 §3, §5, §6): the readiness view with deputies, last drills and drill
currency; the maps page's drill currency; the Training page's re-drill due list booking a drill
in one click; a replay draft showing the dossier as it arrived — as an HR admin and as staff, in
Chinese and English, at 390 px and 1366 px, without sideways scroll. Screenshots in
test-results/ (KEEL_SHOTS_DIR to keep them elsewhere)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from competency.services.replay import crisis_replay
from tests.browser.test_phone_sweep import _logged_in_context, _overflow
from tests.competency import test_replay
from tests.competency.test_redrill import run_drill
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("KEEL_SHOTS_DIR") or ROOT / "test-results")
crisis_world = test_replay.crisis_world
file_emergency = test_replay.file_emergency
closed_crisis = test_replay.closed_crisis
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 860}}


def _shoot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    screenshot(page, path=str(OUT / f"{name}.png"), full_page=True)


def test_readiness_currency_redrill_and_replay_in_both_languages_and_widths(
    closed_crisis, users, browser, live_server
):
    from hrcore.models import Employee

    run_drill(
        users,
        at=datetime.now(UTC) - timedelta(hours=6),
        done=["finance-records"],
        breach=["admin-on-site"],
    )
    test_replay._dossier(
        closed_crisis,
        minutes=2,
        sources=[
            ("credit", "fresh", {"currency": "CNY", "outstanding_amount": "120000.00",
                                 "overdue_days": 45}),
            ("legal_guide", "failed", None),
        ],
    )  # fmt: skip
    version, _created = crisis_replay(crisis_id=closed_crisis.pk, actor=users["hradmin"])
    unit = users["manager"].employee.unit
    readiness = (
        reverse("competency:readiness") + f"?unit={unit.code}&scenario=debt-collection-emergency"
    )
    pages = {
        "hradmin": {
            "readiness": readiness,
            "maps": reverse("responsibilities:map_list") + "#scenario-debt-collection-emergency",
            "training": reverse("competency:home") + "#redrill",
            "replay": reverse("competency:authoring_edit", args=[version.pk]),
        },
        "staff": {"readiness": readiness, "training": reverse("competency:home")},
    }
    for username, urls in pages.items():
        user = users[username]
        context = _logged_in_context(browser, live_server, user)
        page = context.new_page()
        for language, tag in (("zh-hans", "zh"), ("en", "en")):
            Employee.objects.filter(user=user).update(language=language)
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                for name, url in urls.items():
                    page.goto(f"{live_server.url}{url}")
                    assert page.evaluate("() => document.documentElement.lang") == language
                    if size == "phone":
                        assert _overflow(page) <= 0, (username, name, language)
                    _shoot(page, f"{name}-{username}-{size}-{tag}")
                    part = {"maps": "#scenario-debt-collection-emergency", "training": "#redrill"}
                    if name in part and page.locator(part[name]).count():
                        screenshot(
                            page.locator(part[name]),
                            path=str(OUT / f"{name}-{username}-{size}-{tag}-part.png"),
                        )
        if username == "hradmin":
            page.goto(f"{live_server.url}{urls['readiness']}")
            expect(page.locator("[data-testid=currency]")).to_contain_text("Drill currency")
            page.goto(f"{live_server.url}{urls['maps']}")
            expect(
                page.locator("#scenario-debt-collection-emergency [data-testid=drill-currency]")
            ).to_be_visible()
            page.goto(f"{live_server.url}{urls['replay']}")
            expect(page.locator("body")).to_contain_text("the dossier arrived")
            page.goto(f"{live_server.url}{urls['training']}")
            page.locator("[data-testid=redrill-schedule]").first.click()
            expect(page.locator(".msg-success")).to_contain_text("Drill booked")
            _shoot(page, "training-hradmin-booked-laptop-en")
        else:
            expect(page.locator("[data-testid=redrill-due]")).to_have_count(0)
        context.close()
