# ruff: noqa: F811  (fixtures imported from test_reach_ledger)
"""The crisis page's reach sections (issue 13 §6, §7): its managers send the roll call from the
page and see the live tally with who needs help; they open the war room on an IM from the page
and still see it, closed, once the crisis is closed; nobody else sees or does either."""

from __future__ import annotations

import pytest

from crisis.services.closure import crisis_close
from integrations.models import RollCall, RollCallAnswer, WarRoom
from integrations.rollcall import roll_call_answer

from .test_reach_ledger import channels, relay  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def test_the_manager_opens_the_war_room_from_the_crisis_page_and_sees_it_closed_with_the_crisis(
    channels, file_crisis, client_as, users
):
    crisis = file_crisis()
    manager = client_as("manager")
    manager.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'data-testid="war-room"' in manager.get(f"/crises/{crisis.pk}/").content.decode()
    panel_url = f"/integrations/crises/{crisis.pk}/war-room/"
    panel = manager.get(panel_url).content.decode()
    for label in ("DingTalk", "WeCom", "Feishu"):
        assert f"Open a war room on {label}" in panel
    opened = manager.post(f"/integrations/crises/{crisis.pk}/war-room/open/", {"channel": "feishu"})
    assert opened.status_code == 302 and opened["Location"] == f"/crises/{crisis.pk}/"
    room = WarRoom.objects.get(crisis_id=crisis.pk)
    chat = channels.chats[room.chat_id]
    assert chat["open"] and sorted(chat["members"]) == sorted(room.members)
    panel = manager.get(panel_url).content.decode()
    assert 'data-war-room="feishu" data-state="open"' in panel
    assert f"{len(room.members)} members" in panel
    assert "Open a war room on Feishu" not in panel and "Open a war room on WeCom" in panel
    # a second click opens nothing more
    manager.post(f"/integrations/crises/{crisis.pk}/war-room/open/", {"channel": "feishu"})
    assert WarRoom.objects.filter(crisis_id=crisis.pk).count() == 1 and len(channels.chats) == 1
    # an unknown IM is refused with a message, nothing created
    bad = manager.post(f"/integrations/crises/{crisis.pk}/war-room/open/", {"channel": "sms"})
    assert bad.status_code == 302 and WarRoom.objects.filter(crisis_id=crisis.pk).count() == 1
    # staff who see the crisis neither see the section nor open a room
    staff = client_as("staff")
    assert 'data-testid="war-room"' not in staff.get(f"/crises/{crisis.pk}/").content.decode()
    assert staff.get(panel_url).status_code == 404
    refused = staff.post(f"/integrations/crises/{crisis.pk}/war-room/open/", {"channel": "wecom"})
    assert refused.status_code == 404 and WarRoom.objects.filter(crisis_id=crisis.pk).count() == 1
    # closing the crisis closes the group; the page still shows it, closed, and no button
    crisis_close(crisis=crisis, outcome="Settled", actor=users["manager"])
    relay()
    relay()
    assert chat["open"] is False
    assert 'data-testid="war-room"' in manager.get(f"/crises/{crisis.pk}/").content.decode()
    panel = manager.get(panel_url).content.decode()
    assert 'data-war-room="feishu" data-state="closed"' in panel
    assert "closed with the crisis" in panel and "Open a war room" not in panel


def test_the_manager_sends_the_roll_call_from_the_page_and_the_tally_names_who_needs_help(
    file_crisis, client_as, users
):
    crisis = file_crisis()
    manager = client_as("manager")
    manager.post("/i18n/setlang/", {"language": "en", "next": "/"})
    panel_url = f"/integrations/crises/{crisis.pk}/roll-calls/"
    assert 'data-testid="roll-call-send"' in manager.get(panel_url).content.decode()
    sent = manager.post(
        f"/integrations/crises/{crisis.pk}/roll-calls/send/", {"message": "Gate 2 is closed"}
    )
    assert sent.status_code == 302
    roll_call = RollCall.objects.get(crisis=crisis)
    assert roll_call.unit_id == crisis.unit_id and roll_call.message == "Gate 2 is closed"
    asked = RollCallAnswer.objects.filter(roll_call=roll_call).count()
    assert asked >= 2
    # a second send (double click) asks nobody twice and the form is gone
    manager.post(f"/integrations/crises/{crisis.pk}/roll-calls/send/", {"message": "again"})
    assert RollCall.objects.filter(crisis=crisis).count() == 1
    assert RollCallAnswer.objects.filter(roll_call=roll_call).count() == asked
    rows = list(RollCallAnswer.objects.filter(roll_call=roll_call).select_related("user__employee"))
    roll_call_answer(row=rows[0], answer="safe")
    roll_call_answer(row=rows[1], answer="need_help")
    panel = manager.get(panel_url).content.decode()
    assert 'data-testid="roll-call-send"' not in panel
    assert 'data-testid="safe">1<' in panel and 'data-testid="need_help">1<' in panel
    assert f'data-testid="no_answer">{asked - 2}<' in panel
    assert f"Need help: {rows[1].user.employee.name_en}" in panel
    # staff may not send one
    staff = client_as("staff").post(f"/integrations/crises/{crisis.pk}/roll-calls/send/")
    assert staff.status_code == 404
