"""A clock held still while a test compares requests (time-machine, not ticking).

Several things the product serves are keyed by the current minute: the board's totals and cards
in the cache (``crisis/selectors/dashboard.py``, ``crisis/board_cards.py``) and the ETag of a
crisis page's polled partials (``crisis/views.py``), because task colours turn with time before
the sweep writes an event. A test that counts a page's queries after a warm-up, expects a card
from the cache or a ``304`` for the ETag it was just given, fails when the minute turns between
its two requests (one more query, a card drawn again, a ``200``): about once in a hundred runs
of such a test on a loaded machine. Holding the clock at "now" for the comparison makes it
exact; what moves the keys on purpose (an event, a new crisis, time travel of the test's own)
still does."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


@contextlib.contextmanager
def still_clock() -> Iterator[None]:
    """The clock held at the present moment for the block."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


def page_query_count(client, url: str) -> int:
    """Queries of a GET of ``url`` after a first one warmed the caches (content types, the
    session, the board's cached cards and totals), both within one minute."""
    with still_clock():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)
