""" "Are you safe" roll calls (issue 13 §6): the API of the issue, idempotent sends (nobody
messaged twice), answers by API and by the signed link, the live tally, "need help" reaching
administration, non-responders escalated to their managers, and bad input refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from hrcore.models import Employee, MessageDelivery, Notification
from hrcore.reach import deliveries_plan_due, reach_policy
from integrations.models import RollCall, RollCallAnswer
from integrations.rollcall import roll_call_escalate_due

from .test_reach_ledger import channels, relay  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis(file_crisis):
    return file_crisis()


def send(api, crisis, **body):
    return api.post(f"/api/v1/crises/{crisis.pk}/roll-calls/", body, format="json")


def unit_people(crisis):
    """The unit's people and whoever the crisis's dossier says is on site today."""
    from integrations.rollcall import on_site_usernames

    in_unit = set(
        Employee.objects.filter(
            unit__path__startswith=crisis.unit.path, is_active=True
        ).values_list("user_id", flat=True)
    )
    on_site = set(
        Employee.objects.filter(
            user__username__in=on_site_usernames(crisis.pk), is_active=True
        ).values_list("user_id", flat=True)
    )
    return in_unit | on_site


def test_a_roll_call_asks_everyone_in_the_unit_once_however_often_it_is_sent(crisis, api_as):
    first = send(api_as("manager"), crisis, message="Fire alarm at the office")
    assert first.status_code == 201, first.content
    body = first.json()
    people = unit_people(crisis)
    assert body == {
        "id": body["id"],
        "crisis": crisis.pk,
        "unit": crisis.unit.code,
        "message": "Fire alarm at the office",
        "recipients": len(people),
        "safe": 0,
        "need_help": 0,
        "not_affected": 0,
        "no_answer": len(people),
    }
    again = send(api_as("manager"), crisis, message="Fire alarm at the office")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    messages = Notification.objects.filter(kind="crisis.rollcall", data__roll_call_id=body["id"])
    assert sorted(messages.values_list("recipient_id", flat=True)) == sorted(people)
    assert RollCall.objects.count() == 1


def test_answers_by_api_and_link_fill_the_live_tally(crisis, api_as, client, client_as, users):
    roll_call = send(api_as("manager"), crisis).json()
    people = list(unit_people(crisis))
    assert users["manager"].pk in people
    answered = api_as("manager").post(
        f"/api/v1/roll-calls/{roll_call['id']}/answer/", {"answer": "safe"}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["safe"] == 1
    # Someone else answers from the link in their message, without logging in.
    other = (
        RollCallAnswer.objects.filter(roll_call_id=roll_call["id"])
        .exclude(user=users["manager"])
        .first()
    )
    link = Notification.objects.get(
        kind="crisis.rollcall", recipient_id=other.user_id, data__roll_call_id=roll_call["id"]
    ).link
    path = re.search(r"https?://[^/]+(/.*)$", link).group(1)
    assert client.get(path).status_code == 200
    assert client.post(path, {"answer": "not_affected"}).status_code == 200
    tally = api_as("manager").get(f"/api/v1/roll-calls/{roll_call['id']}/").json()
    assert (tally["safe"], tally["not_affected"], tally["no_answer"]) == (1, 1, len(people) - 2)
    panel = client_as("manager").get(f"/integrations/crises/{crisis.pk}/roll-calls/")
    assert 'data-testid="safe">1<' in panel.content.decode()


def test_need_help_reaches_administration_and_asks_them_to_acknowledge(crisis, api_as, users):
    roll_call = send(api_as("manager"), crisis).json()
    api_as("manager").post(
        f"/api/v1/roll-calls/{roll_call['id']}/answer/", {"answer": "need_help"}, format="json"
    )
    help_notes = Notification.objects.filter(kind="crisis.rollcall_help")
    admins = set(
        Employee.objects.filter(unit__function="administration", is_active=True).values_list(
            "user_id", flat=True
        )
    )
    if admins:
        assert set(help_notes.values_list("recipient_id", flat=True)) <= admins
        assert help_notes.exists()
    count = help_notes.count()
    api_as("manager").post(
        f"/api/v1/roll-calls/{roll_call['id']}/answer/", {"answer": "need_help"}, format="json"
    )
    assert help_notes.count() == count  # once per person


def test_non_responders_are_escalated_to_their_managers_once(crisis, api_as):
    roll_call = RollCall.objects.get(pk=send(api_as("manager"), crisis).json()["id"])
    assert roll_call_escalate_due(now=roll_call.escalate_at - timedelta(seconds=1)) == 0
    escalated = roll_call_escalate_due(now=roll_call.escalate_at)
    with_managers = (
        RollCallAnswer.objects.filter(roll_call=roll_call, answer="")
        .filter(user__employee__manager__isnull=False)
        .count()
    )
    assert escalated == with_managers
    assert Notification.objects.filter(kind="crisis.rollcall_missing").count() == with_managers
    assert roll_call_escalate_due(now=roll_call.escalate_at + timedelta(hours=1)) == 0


def test_roll_call_messages_go_out_through_the_ledger(crisis, api_as, channels):  # noqa: F811
    send(api_as("manager"), crisis)
    deliveries_plan_due()
    relay()
    rows = MessageDelivery.objects.filter(crisis_id=crisis.pk, kind="rollcall")
    assert rows.filter(channel="dingtalk", state="sent").count() == len(unit_people(crisis))


@pytest.mark.parametrize(
    "who, body, status",
    [
        ("staff", {}, (403, 404)),
        ("manager", {"unit": "no-such-unit"}, (400,)),
        ("manager", {"unit": 7}, (400,)),
        ("manager", {"message": ["x"]}, (400,)),
    ],
)
def test_bad_roll_call_sends_are_refused_and_send_nothing(crisis, api_as, who, body, status):
    response = send(api_as(who), crisis, **body)
    assert response.status_code in status
    assert not RollCall.objects.exists()
    assert not Notification.objects.filter(kind="crisis.rollcall").exists()


def test_bad_answers_are_refused_and_change_nothing(crisis, api_as, users, client):
    roll_call = send(api_as("manager"), crisis).json()
    url = f"/api/v1/roll-calls/{roll_call['id']}/answer/"
    assert api_as("manager").post(url, {"answer": "maybe"}, format="json").status_code == 400
    outsider = next(
        u
        for u in ("hradmin", "finance", "legal", "vp", "admin")
        if users[u].pk not in unit_people(crisis)
    )
    assert api_as(outsider).post(url, {"answer": "safe"}, format="json").status_code == 404
    assert not RollCallAnswer.objects.exclude(answer="").exists()
    assert client.post("/integrations/rollcall/forged/", {"answer": "safe"}).status_code == 400
    row = RollCallAnswer.objects.filter(roll_call_id=roll_call["id"]).first()
    link = Notification.objects.get(
        kind="crisis.rollcall", recipient_id=row.user_id, data__roll_call_id=roll_call["id"]
    ).link
    path = re.search(r"https?://[^/]+(/.*)$", link).group(1)
    later = timezone.now() + timedelta(hours=reach_policy().ack_link_hours, minutes=1)
    with time_machine.travel(later):
        assert client.post(path, {"answer": "safe"}).status_code == 410
    assert not RollCallAnswer.objects.exclude(answer="").exists()


def test_a_tap_on_the_im_cards_button_answers_the_roll_call(crisis, api_as, channels, client):  # noqa: F811
    from .test_reach_ledger import post_callback

    roll_call = send(api_as("manager"), crisis).json()
    deliveries_plan_due()
    relay()
    row = MessageDelivery.objects.filter(
        crisis_id=crisis.pk, kind="rollcall", channel="dingtalk", state="sent"
    ).first()
    payload = {
        "provider": "dingtalk",
        "message_id": row.provider_message_id,
        "event": "acknowledged",
        "answer": "need_help",
    }
    bad = post_callback(client, "dingtalk", {**payload, "answer": "perhaps"}, event_id="t0")
    assert bad.status_code == 400
    assert post_callback(client, "dingtalk", payload, event_id="t1").status_code == 200
    answer = RollCallAnswer.objects.get(roll_call_id=roll_call["id"], user_id=row.recipient_id)
    assert answer.answer == "need_help"
    tally = api_as("manager").get(f"/api/v1/roll-calls/{roll_call['id']}/").json()
    assert tally["need_help"] == 1


def test_people_attendance_says_are_on_site_are_asked_too(crisis, api_as, users):
    from integrations.models import Dossier, DossierSource

    outsider = next(
        u
        for u in ("hradmin", "finance", "legal", "vp", "admin")
        if users[u].pk not in unit_people(crisis)
    )
    dossier = Dossier.objects.filter(crisis_id=crisis.pk).order_by("-id").first()
    if dossier is None:
        pytest.skip("no dossier was built for the crisis")
    DossierSource.objects.update_or_create(
        dossier=dossier,
        source="attendance",
        defaults={
            "data": [
                {"username": outsider, "status": "on_site"},
                {"username": "staff", "status": "leave"},
            ]
        },
    )
    body = send(api_as("manager"), crisis).json()
    asked = set(
        RollCallAnswer.objects.filter(roll_call_id=body["id"]).values_list("user_id", flat=True)
    )
    assert users[outsider].pk in asked
    assert body["recipients"] == len(unit_people(crisis) | {users[outsider].pk})


@pytest.mark.parametrize("who, scopes", [("manager", ("read",)), ("manager2", ())])
def test_a_read_only_token_or_another_units_manager_sends_no_roll_call(crisis, api_as, who, scopes):
    """A token without the write scope, and the manager of another subsidiary, are refused;
    nobody is asked anything."""
    response = send(api_as(who, scopes=scopes), crisis)
    assert response.status_code in (403, 404)
    assert not RollCall.objects.exists()
    assert not Notification.objects.filter(kind="crisis.rollcall").exists()
