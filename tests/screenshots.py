"""Screenshots the browser tests take for people to look at: test-results/ (or the folder a test
names), and docs/screenshots/ with ``KEEL_UPDATE_SCREENSHOTS=1``. No test reads them back, and
capturing and encoding a page as PNG costs Chromium about as much CPU as loading it (the browser
tests without them: 191 -> 164 machine CPU-seconds). So a run takes them when asked:
``KEEL_SCREENSHOTS=1 make test ARGS=tests/browser`` (or ``KEEL_UPDATE_SCREENSHOTS=1``); plain
``make test`` and CI, which keep no files, do every check of those tests without them."""

from __future__ import annotations

import os

from playwright.sync_api import Locator

# Each asks for the screenshots: the switches, and the folders some tests save them to.
ASKING = ("KEEL_SCREENSHOTS", "KEEL_UPDATE_SCREENSHOTS", "KEEL_SHOTS_DIR", "KEEL_SCREENSHOT_DIR")


def screenshots_wanted() -> bool:
    """Whether one of ``ASKING`` is set to something other than empty, ``0`` or ``false``."""
    return any(
        os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no") for name in ASKING
    )


def screenshot(target, **options) -> None:
    """``target.screenshot(**options)`` (a Playwright page or locator) when screenshots are
    wanted. Otherwise a locator is still waited for until it is visible, as its screenshot does
    (a missing element fails the test either way); a page takes nothing."""
    if screenshots_wanted():
        target.screenshot(**options)
    elif isinstance(target, Locator):
        target.wait_for(state="visible", timeout=options.get("timeout"))
