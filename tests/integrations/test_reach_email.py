"""Crisis e-mails are in the reach ledger like every channel (issue 13 §3): one ``email`` row per
(message, recipient), queued → sent with the Message-ID as the provider id, or failed with the
reason; never sent twice on a retry, even when the outbox's own record of the send is lost."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from hrcore.contact import DeliveryState
from hrcore.models import DeliveryAttempt, MessageDelivery, Notification, OutboxMessage
from hrcore.reach import deliveries_plan_due
from hrcore.services.outbox import OUTBOX_MAX_ATTEMPTS

from .test_reach_ledger import relay

pytestmark = pytest.mark.django_db


def email_rows(crisis):
    return MessageDelivery.objects.filter(crisis_id=crisis.pk, channel="email")


def crisis_emails():
    return OutboxMessage.objects.filter(channel="email", dedupe_key__startswith="email:crisis")


@pytest.fixture
def crisis(file_crisis):
    mail.outbox.clear()
    return file_crisis()


def test_crisis_emails_are_ledger_rows_sent_once_with_their_message_id(crisis, api_as):
    relay()
    rows = list(email_rows(crisis).select_related("notification", "recipient"))
    assert rows, "the filed crisis e-mails its assignees"
    assert {r.state for r in rows} == {DeliveryState.SENT}
    assert {r.attempts for r in rows} == {1}
    sent_ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    for row in rows:
        assert row.address == row.recipient.email
        assert row.provider_message_id in sent_ids
        assert row.needs_ack is False and row.rung == 0
    kinds = {r.kind for r in rows}
    assert "task.assigned" in kinds
    # The API lists them with the other channels.
    listed = api_as("manager").get(f"/api/v1/crises/{crisis.pk}/deliveries/").json()
    emails = [d for d in listed if d["channel"] == "email"]
    assert len(emails) == len(rows) and {d["state"] for d in emails} == {"sent"}
    # The planner still plans these notifications (their e-mail row came first).
    assert deliveries_plan_due() > 0
    tasks = Notification.objects.filter(kind="crisis.task", data__crisis_id=crisis.pk)
    assert tasks.count() == len([r for r in rows if r.kind == "task.assigned"])
    assert tasks.filter(deliveries__channel="inapp").count() == tasks.count()
    # A retry after the outbox lost its own record of the send (crash before it was written)
    # sends nothing: the ledger row was claimed and sent.
    count = len(mail.outbox)
    DeliveryAttempt.objects.filter(channel="email").delete()
    crisis_emails().update(status="pending", next_attempt_at=timezone.now())
    relay()
    assert len(mail.outbox) == count
    assert {r.attempts for r in email_rows(crisis)} == {1}


def test_an_smtp_outage_keeps_the_row_queued_with_the_reason_then_fails_it(
    file_crisis, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp.example: connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    mail.outbox.clear()
    crisis = file_crisis()
    relay()
    rows = list(email_rows(crisis))
    assert rows and {r.state for r in rows} == {DeliveryState.QUEUED}
    assert all("ConnectionRefusedError: smtp.example: connection refused" in r.reason for r in rows)
    assert mail.outbox == []
    # The last attempt the outbox allows gives up: the row fails with the reason.
    crisis_emails().update(attempts=OUTBOX_MAX_ATTEMPTS - 1)
    relay()
    rows = list(email_rows(crisis))
    assert {r.state for r in rows} == {DeliveryState.FAILED}
    assert all(r.reason.startswith("gave up: ConnectionRefusedError") for r in rows)
    assert set(crisis_emails().values_list("status", flat=True)) == {"dead"}


def test_other_emails_are_sent_as_before_and_not_in_the_ledger(crisis, users):
    from hrcore.services.notifications import notification_send

    relay()
    mail.outbox.clear()
    notification = notification_send(
        recipient=users["staff"],
        kind="training.reminder",
        params={"simulation": {"zh": "演练", "en": "Drill"}, "due_at": "2026-12-09T06:30:00+00:00"},
        dedupe_key="training:reminder:probe",
    )
    relay()
    assert [m.to for m in mail.outbox] == [[users["staff"].email]]
    assert not MessageDelivery.objects.filter(notification=notification).exists()
