"""Screenshots of the delivery ledger and of the roll call's live tally (issue 13), laptop and
390 px phone, both languages: each in the reader's language, no sideways scroll. Kept in
docs/screenshots/ on request only (KEEL_UPDATE_SCREENSHOTS=1), like the other pictures."""

from __future__ import annotations

import os
import re
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
from tests.integrations.test_reach_ledger import channels, relay  # noqa: F401
from tests.language_text import foreign_text, product_text
from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _reach_world(crisis, users) -> None:
    """The crisis's messages sent through the sandbox, some delivered, read, acknowledged; a
    roll call answered by most of the unit, one of them asking for help."""
    from hrcore.models import MessageDelivery
    from hrcore.reach import deliveries_plan_due, delivery_event_apply
    from integrations.models import RollCallAnswer
    from integrations.rollcall import roll_call_answer, roll_call_send

    roll_call, _ = roll_call_send(
        crisis=crisis, unit_code=None, message="请从东侧楼梯撤离", actor=users["manager"]
    )
    deliveries_plan_due()
    relay()
    sent = list(MessageDelivery.objects.filter(crisis_id=crisis.pk, state="sent").order_by("id"))
    for i, row in enumerate(sent):
        if i % 3 != 2:
            delivery_event_apply(
                channel=row.channel, provider_message_id=row.provider_message_id, event="delivered"
            )
        if i % 3 == 0:
            delivery_event_apply(
                channel=row.channel, provider_message_id=row.provider_message_id, event="read"
            )
    answers = list(RollCallAnswer.objects.filter(roll_call=roll_call).order_by("id"))
    for row, answer in zip(
        answers, ["safe", "safe", "need_help", "not_affected", "safe"], strict=False
    ):
        roll_call_answer(row=row, answer=answer, via="link")


def test_screenshots_of_the_delivery_ledger_and_the_roll_call(
    customer_crisis,  # noqa: F811
    channels,  # noqa: F811
    users,
    browser,
    live_server,
):
    from hrcore.models import Employee

    _reach_world(customer_crisis, users)
    out = ROOT / "test-results"
    out.mkdir(exist_ok=True)
    user = users["manager"]
    context = _logged_in_context(browser, live_server, user)
    page = context.new_page()
    for language, tag in (("zh-hans", "zh"), ("en", "en")):
        Employee.objects.filter(user=user).update(language=language)
        for width, height, device in ((390, 844, "phone"), (1366, 860, "laptop")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/crises/{customer_crisis.pk}/")
            page.wait_for_selector('[data-testid="delivery-ledger"] table')
            page.wait_for_selector('[data-testid="roll-call-tally"] [data-roll-call]')
            page.evaluate("() => document.fonts.ready.then(() => true)")
            assert page.evaluate("() => document.documentElement.lang") == language
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (device, tag, overflow)
            # Every column of the ledger in sight: nothing hidden past the edge of the table's
            # own scroll box; on a phone the time sits under the recipient's name.
            ledger = page.locator('[data-testid="delivery-ledger"] table')
            hidden = ledger.evaluate("t => t.scrollWidth - t.clientWidth")
            assert hidden <= 0, (device, tag, hidden)
            first = ledger.locator("tbody tr").first
            inline = first.locator('[data-testid="ledger-time-inline"]')
            column = first.locator("td.ledger-time")
            shown, other = (inline, column) if device == "phone" else (column, inline)
            assert shown.is_visible() and not other.is_visible(), (device, tag)
            assert re.fullmatch(r"\d\d:\d\d:\d\d", shown.inner_text().strip()), (device, tag)
            # The two sections speak the reader's language (the page's other sections are the
            # language sweep's: tests/test_language_sweep.py).
            for section in ("deliveries", "roll-calls"):
                html = page.locator(f'[data-testid="{section}"]').inner_html()
                foreign = foreign_text(product_text(html, language), language)
                assert foreign == [], (device, tag, section, foreign)
            tally = page.locator('[data-testid="roll-calls"]')
            assert tally.locator('[data-testid="need_help"]').inner_text() == "1"
            for name, locator in (
                ("ledger", page.locator('[data-testid="deliveries"]')),
                ("rollcall", tally),
            ):
                shot = f"reach-{name}-{device}-{tag}.png"
                screenshot(locator, path=str(out / shot))
                if os.environ.get("KEEL_UPDATE_SCREENSHOTS"):
                    # Refreshed on request only: KEEL_UPDATE_SCREENSHOTS=1 make test ARGS=-k reach
                    screenshot(locator, path=str(ROOT / "docs" / "screenshots" / shot))
    context.close()
