"""Decisions reach everyone, provably (issue 13 §5): decisions carry "acknowledged"/"pending",
participants acknowledge through the API (once), the crisis page shows "n of m acknowledged"
with who has not, and managers remind them."""

from __future__ import annotations

import pytest

from crisis.models import Decision
from hrcore.models import MessageDelivery, Notification
from hrcore.reach import deliveries_plan_due

from .test_reach_ledger import channels, relay  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(channels, file_crisis, api_as):  # noqa: F811
    crisis = file_crisis()
    response = api_as("vp").post(
        f"/api/v1/crises/{crisis.pk}/decisions/", {"text": "Pause collections"}, format="json"
    )
    assert response.status_code == 201, response.content
    decision = Decision.objects.get(pk=response.json()["id"])
    participants = list(
        Notification.objects.filter(kind="crisis.decision", data__decision_id=decision.pk)
        .select_related("recipient")
        .values_list("recipient__username", flat=True)
    )
    assert len(participants) >= 2
    return crisis, decision, participants


def decisions_of(api, crisis):
    return {d["id"]: d for d in api.get(f"/api/v1/crises/{crisis.pk}/decisions/").json()}


def test_decisions_carry_acknowledged_and_pending_and_a_participant_acknowledges_once(
    decided, api_as
):
    crisis, decision, participants = decided
    assert decisions_of(api_as("vp"), crisis)[decision.pk]["acknowledged"] == 0
    assert decisions_of(api_as("vp"), crisis)[decision.pk]["pending"] == len(participants)
    who = participants[0]
    url = f"/api/v1/crises/{crisis.pk}/decisions/{decision.pk}/acknowledge/"
    first = api_as(who).post(url)
    assert first.status_code == 200, first.content
    assert first.json() == {
        "decision_id": decision.pk,
        "acknowledged": 1,
        "pending": len(participants) - 1,
        "acknowledged_now": True,
    }
    again = api_as(who).post(url)
    assert again.json()["acknowledged"] == 1 and again.json()["acknowledged_now"] is False
    listed = decisions_of(api_as("vp"), crisis)[decision.pk]
    assert (listed["acknowledged"], listed["pending"]) == (1, len(participants) - 1)


def test_someone_the_decision_was_not_sent_to_cannot_acknowledge_it(decided, api_as, users):
    crisis, decision, participants = decided
    outsider = next(u for u in ("hradmin", "admin", "finance", "legal") if u not in participants)
    url = f"/api/v1/crises/{crisis.pk}/decisions/{decision.pk}/acknowledge/"
    response = api_as(outsider).post(url)
    assert response.status_code in (403, 404)
    assert not Notification.objects.filter(
        kind="crisis.decision", data__decision_id=decision.pk, acknowledged_at__isnull=False
    ).exists()
    wrong = api_as(participants[0]).post(
        f"/api/v1/crises/{crisis.pk}/decisions/999999/acknowledge/"
    )
    assert wrong.status_code == 404


def test_acknowledging_before_the_message_went_out_sends_nothing_and_after_stops_the_ladder(
    decided,
    api_as,
    channels,  # noqa: F811
):
    crisis, decision, participants = decided
    early, late = participants[0], participants[1]
    url = f"/api/v1/crises/{crisis.pk}/decisions/{decision.pk}/acknowledge/"
    api_as(early).post(url)
    deliveries_plan_due()
    early_rows = MessageDelivery.objects.filter(
        kind="decision.made", recipient__username=early, crisis_id=crisis.pk
    )
    assert list(early_rows.values_list("channel", "state")) == [("inapp", "acknowledged")]
    late_anchor = MessageDelivery.objects.get(
        kind="decision.made", recipient__username=late, crisis_id=crisis.pk, channel="inapp"
    )
    assert late_anchor.next_step_at is not None
    api_as(late).post(url)
    late_anchor.refresh_from_db()
    assert late_anchor.state == "acknowledged" and late_anchor.next_step_at is None
    assert decisions_of(api_as("vp"), crisis)[decision.pk]["acknowledged"] == 2


def test_the_crisis_page_shows_who_has_not_acknowledged_and_a_manager_reminds_them(
    decided, client_as, api_as
):
    crisis, decision, participants = decided
    api_as(participants[0]).post(f"/api/v1/crises/{crisis.pk}/decisions/{decision.pk}/acknowledge/")
    client = client_as("manager")
    assert 'data-testid="decision-acks"' in client.get(f"/crises/{crisis.pk}/").content.decode()
    panel = client.get(f"/integrations/crises/{crisis.pk}/decision-acks/").content.decode()
    total = len(participants)
    assert f"{total} 位参与者中已有 1 位确认了该决策" in panel  # "1 of n acknowledged", zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    panel = client.get(f"/integrations/crises/{crisis.pk}/decision-acks/").content.decode()
    assert f"1 of {total} participants acknowledged the decision" in panel
    pending = [p for p in participants if p != participants[0]]
    from hrcore.models import Employee

    for username in pending:
        assert Employee.objects.get(user__username=username).name_en in panel
    remind = client.post(f"/integrations/crises/{crisis.pk}/decisions/{decision.pk}/remind/")
    assert remind.status_code == 302
    reminders = Notification.objects.filter(
        kind="crisis.decision_reminder", data__decision_id=decision.pk
    )
    assert reminders.count() == total - 1
    assert participants[0] not in set(reminders.values_list("recipient__username", flat=True))
    client.post(f"/integrations/crises/{crisis.pk}/decisions/{decision.pk}/remind/")
    assert reminders.count() == total - 1  # a double click reminds nobody twice
    # Staff who see the crisis may not remind (nothing sent).
    staff = client_as("staff").post(
        f"/integrations/crises/{crisis.pk}/decisions/{decision.pk}/remind/"
    )
    assert staff.status_code == 404
    assert reminders.count() == total - 1
