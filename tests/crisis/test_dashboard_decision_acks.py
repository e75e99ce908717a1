"""Decisions reach everyone, provably, on the executive dashboard (issue 13 §5): each board card
shows its latest decisions with "n of m participants acknowledged", who has not, and a remind
button that comes back to the dashboard — in a constant number of queries as crises, decisions
and participants grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from hrcore.models import Employee, Notification
from hrcore.reach import notification_acknowledge
from tests.clock import still_clock

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


def _decide(users, title: str, text: str):
    crisis = crisis_file(scenario=SCENARIO, title=title, actor=users["manager"])
    decision = decision_make(crisis=crisis, text=text, actor=users["vp"])
    sent = Notification.objects.filter(kind="crisis.decision", data__decision_id=decision.pk)
    return crisis, decision, list(sent.select_related("recipient").order_by("recipient_id"))


def _board(client) -> str:
    response = client.get(reverse("crisis:dashboard_live"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_board_shows_who_acknowledged_each_decision_and_reminds_the_others(
    crisis_world, users, client_as
):
    crisis, decision, sent = _decide(users, "Collectors at the gate", "Pause collections")
    total = len(sent)
    assert total >= 2
    notification_acknowledge(notification=sent[0])
    vp = client_as("vp")
    vp.post("/i18n/setlang/", {"language": "en", "next": "/"})
    board = _board(vp)
    assert f"1 of {total} participants acknowledged the decision" in board
    pending = [n.recipient for n in sent[1:]]
    for user in pending:
        assert Employee.objects.get(user=user).name_en in board
    assert Employee.objects.get(user=sent[0].recipient).name_en not in board.split("Not yet:")[1]
    # the dashboard page itself carries the same card (not only its polled partial)
    page = vp.get(reverse("crisis:dashboard")).content.decode()
    assert f"1 of {total} participants acknowledged the decision" in page
    # Chinese
    vp.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert f"{total} 位参与者中已有 1 位确认了该决策" in _board(vp)
    # Remind: back to the dashboard, each pending participant reminded once
    url = reverse("integrations:crisis_decision_remind", args=[crisis.pk, decision.pk])
    back = vp.post(url, {"next": reverse("crisis:dashboard") + "?days=30"})
    assert back.status_code == 302 and back["Location"] == "/crises/dashboard/?days=30"
    reminded = Notification.objects.filter(kind="crisis.decision_reminder")
    assert set(reminded.values_list("recipient_id", flat=True)) == {u.pk for u in pending}
    # an outside "next" is not followed
    evil = vp.post(url, {"next": "https://evil.example/"})
    assert evil["Location"] == f"/crises/{crisis.pk}/"
    # everyone acknowledged: all counted, nobody pending, no remind button
    for n in sent[1:]:
        notification_acknowledge(notification=n)
    vp.post("/i18n/setlang/", {"language": "en", "next": "/"})
    board = _board(vp)
    assert f"{total} of {total} participants acknowledged the decision" in board
    assert 'data-testid="remind"' not in board


def test_the_board_reads_decision_acknowledgements_in_constant_queries(
    crisis_world, users, client_as
):
    _decide(users, "One", "First decision")
    vp = client_as("vp")

    def count() -> int:
        with still_clock():  # the warm-up and the count in one minute (tests/clock.py)
            vp.get(reverse("crisis:dashboard_live"))
            with CaptureQueriesContext(connection) as ctx:
                html = _board(vp)
        assert "participants acknowledged the decision" in html or "位参与者中已有" in html
        return len(ctx.captured_queries)

    one = count()
    for i in range(5):
        crisis, _decision, _sent = _decide(users, f"Crisis {i}", f"Decision {i}")
        for k in range(3):  # more decisions per crisis than the card shows
            decision_make(crisis=crisis, text=f"Decision {i}.{k}", actor=users["vp"])
    many = count()
    assert many == one
    html = _board(vp)
    assert html.count('data-testid="ack-count"') == 1 + 5 * 3  # the latest 3 per crisis
