"""The dashboard board's crisis cards are drawn once and kept in the cache (issue 12 §2) — and
drawn again as soon as anything they show may have changed: an event on the crisis, the minute
turning (a deadline passing before the sweep writes its breach), another language; the totals
likewise; the decision form of a cached card still posts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisis.choices import TimerState
from crisis.models import Decision, Task
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from tests.clock import still_clock

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


def _board(client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("crisis:dashboard_live"))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]


def _card(html: str, crisis_id: int) -> str:
    cards = re.findall(
        r'<article class="card" data-testid="board-crisis">.*?</article>', html, re.S
    )
    (card,) = [c for c in cards if f'href="/crises/{crisis_id}/"' in c]
    return card


def _reads_tasks(queries: list[str]) -> bool:
    return any(q.startswith('SELECT "crisis_task"."id"') for q in queries)


def test_a_card_is_drawn_once_then_again_when_its_crisis_changes(crisis_world, users, client_as):
    crisis = crisis_file(scenario=SCENARIO, title="Collectors at the gate", actor=users["manager"])
    vp = client_as("vp")
    vp.post("/i18n/setlang/", {"language": "en", "next": "/"})
    with still_clock():  # the card's key holds the minute (tests/clock.py)
        first, queries = _board(vp)
        assert _reads_tasks(queries)
        assert "1 decision" not in _card(first, crisis.pk)
        again, queries = _board(vp)
    assert not _reads_tasks(queries)  # the card came from the cache
    assert _card(again, crisis.pk) == _card(first, crisis.pk)
    # A decision (an event on the crisis): the card is drawn again and says so.
    decision_make(crisis=crisis, text="Pause collections", actor=users["vp"])
    after, queries = _board(vp)
    assert _reads_tasks(queries)
    assert "1 decision" in _card(after, crisis.pk)
    # Another language: its own card.
    vp.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese, _queries = _board(vp)
    assert "决策并通知所有人" in _card(chinese, crisis.pk)
    assert "Decide and notify everyone" in _card(after, crisis.pk)


def test_a_deadline_passing_shows_within_the_minute_without_any_event(
    crisis_world, users, client_as
):
    crisis = crisis_file(scenario=SCENARIO, title="Deadline passes", actor=users["manager"])
    task = Task.objects.filter(crisis=crisis, timer_state=TimerState.RUNNING).order_by("due_at")[0]
    vp = client_as("vp")
    vp.post("/i18n/setlang/", {"language": "en", "next": "/"})
    with time_machine.travel(task.due_at - timedelta(minutes=5), tick=False):
        before, _queries = _board(vp)
    with time_machine.travel(task.due_at + timedelta(minutes=1), tick=False):
        after, queries = _board(vp)  # nothing swept: only the clock moved
    assert _reads_tasks(queries)
    assert "Breached" in _card(after, crisis.pk) and "Breached" not in _card(before, crisis.pk)


def test_the_decision_form_of_a_cached_card_posts(crisis_world, users, client_as):
    crisis = crisis_file(scenario=SCENARIO, title="Decide from the cache", actor=users["manager"])
    vp = client_as("vp")
    with still_clock():  # the card's key holds the minute (tests/clock.py)
        vp.get(reverse("crisis:dashboard_live"))
        vp.handler.enforce_csrf_checks = True
        cached, queries = _board(vp)
    assert not _reads_tasks(queries)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _card(cached, crisis.pk))
    response = vp.post(
        reverse("crisis:decide", args=[crisis.pk]),
        {"csrfmiddlewaretoken": token.group(1), "text": "Call the police", "next": "/"},
    )
    assert response.status_code == 302, response.content[:500]
    assert Decision.objects.filter(crisis=crisis, text="Call the police").exists()


def test_the_totals_follow_a_new_crisis_at_once(crisis_world, users, client_as):
    vp = client_as("vp")
    with still_clock():  # the totals' key holds the minute (tests/clock.py)
        first, _queries = _board(vp)
        opened = int(re.search(r'total-open">.*?kpi-value">(\d+)<', first, re.S).group(1))
        crisis_file(scenario=SCENARIO, title="One more", actor=users["manager"])
        after, _queries = _board(vp)
    # the same minute: the filing's event moved the totals
    assert int(re.search(r'total-open">.*?kpi-value">(\d+)<', after, re.S).group(1)) == opened + 1
