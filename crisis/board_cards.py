"""The dashboard board's crisis cards, rendered once and kept in the cache (issue 12 §2).

A VP watches the board polled every 10 s; drawing a card (its tasks, follow-ups and decision
form) was most of the board's time, and the board at 10,000 open crises shows a full page of
25 cards where a quiet day shows a few. A card is now drawn only when what it shows may have
changed: its cache key holds the crisis's version stamp — its status and last timeline event
(every change a card shows appends an event: task states, assignees, deliverables, decisions,
clocks and timers firing; the same rule as the crisis page's ETag,
``crises_selectors.crisis_page_version``) and the board flags — with the current minute (a task
turns to warning or breach with time before the sweep writes its event), the viewer, their
language and time zone, whether they may decide, the page's query (the decision form's way
back) and the viewer's CSRF secret (the form's token). Anything else a card shows is at most
a minute old, like the crisis page's polled partials. The decision acknowledgements change
without an event (someone reads a notice): they are read for every request and put in the
card's slot."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from . import decision_page, presenters
from .selectors import dashboard as dashboard_selectors

CARD_TEMPLATE = "crisis/partials/_board_card.html"
ACKS_TEMPLATE = "crisis/partials/decision_acks.html"
# Where a cached card takes its live decision acknowledgements.
ACKS_SLOT = "<!--keel:board-card-acks-->"
# The minute in the key retires a card within a minute; the entry goes soon after.
CARD_SECONDS = 120
KEY_VERSION = 1  # bump when the card's template or row change shape


def _viewer_key(request, *, minute: int, can_decide: bool, board_query: str) -> str:
    """The part of a card's key that is the viewer's: who, language, zone, minute, the right
    to decide, and (hashed) the page's query and their CSRF secret — ``get_token`` has set it."""
    private = hashlib.blake2b(
        f"{request.META.get('CSRF_COOKIE', '')}|{board_query}".encode(), digest_size=12
    ).hexdigest()
    return (
        f"{request.user.pk}:{get_language()}:{timezone.get_current_timezone_name()}:{minute}:"
        f"{int(can_decide)}:{private}"
    )


def card_key(crisis, viewer: str) -> str:
    """The cache key of one crisis's card: its version stamp and the viewer's part."""
    return (
        f"board-card:{KEY_VERSION}:{crisis.pk}:{crisis.status}:{crisis.last_event or 0}:"
        f"{crisis.urgency}:{int(crisis.decision_pending)}:{viewer}"
    )


def board_rows(
    request, crises: list, *, now: datetime, can_decide: bool, board_query: str
) -> list[dict]:
    """The page's rows, each with its card's HTML (``row["card"]``): cached cards as they are,
    the others drawn (their tasks loaded in one query for all of them) and cached; the
    decision acknowledgements of the page read in its own three queries. A row drawn now
    carries the whole ``presenters.crisis_row``; a cached one its crisis and card only."""
    token = get_token(request)  # the form's token; the viewer's CSRF secret is set from here
    viewer = _viewer_key(
        request, minute=int(now.timestamp() // 60), can_decide=can_decide, board_query=board_query
    )
    keys = {c.pk: card_key(c, viewer) for c in crises}
    cards = cache.get_many(list(keys.values()))
    missed = [c for c in crises if keys[c.pk] not in cards]
    drawn: dict[int, dict] = {}
    if missed:
        dashboard_selectors.board_page_tasks(missed)
        rows = [presenters.crisis_row(c, now) for c in missed]
        decision_page.board_follow_ups(rows, now)
        template = get_template(CARD_TEMPLATE)
        # No request here: the context processors (the menu, the notice count) are the page's,
        # not the card's; the form's CSRF token is given as the tag reads it.
        base = {
            "can_decide": can_decide,
            "board_query": board_query,
            "csrf_token": token,
            "acks_slot": mark_safe(ACKS_SLOT),
        }
        fresh = {}
        for row in rows:
            fresh[keys[row["crisis"].pk]] = template.render({**base, "row": row})
            drawn[row["crisis"].pk] = row
        cache.set_many(fresh, CARD_SECONDS)
        cards.update(fresh)
    acks = dashboard_selectors.dashboard_decision_acks([c.pk for c in crises])
    acks_template = get_template(ACKS_TEMPLATE)
    out = []
    for crisis in crises:
        row = drawn.get(crisis.pk) or {"crisis": crisis}
        row["decision_acks"] = acks.get(crisis.pk, [])
        live = (
            acks_template.render(
                {
                    "acks": row["decision_acks"],
                    "crisis_id": crisis.pk,
                    "board_query": board_query,
                    "csrf_token": token,
                }
            )
            if row["decision_acks"]
            else ""
        )
        row["card"] = mark_safe(cards[keys[crisis.pk]].replace(ACKS_SLOT, live, 1))
        out.append(row)
    return out
