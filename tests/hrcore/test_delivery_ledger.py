"""Side effects exactly once where the channel allows it: the delivery ledger, stable e-mail
Message-IDs, and channel timeouts below the outbox lease (system check keel.E001)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from hrcore import checks
from hrcore.choices import DeliveryResult, OutboxStatus
from hrcore.models import DeliveryAttempt, OutboxMessage
from hrcore.services.notifications import notification_send
from hrcore.services.outbox import _OUTBOX_HANDLERS, outbox_relay_due
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_row():
    user = get_user_model().objects.create(username="ledger", email="ledger@example.com")
    notification_send(
        recipient=user, kind="crisis.invited", params={"crisis_title": "T"}, dedupe_key="ledger:1"
    )
    return OutboxMessage.objects.get(channel="email", dedupe_key="email:ledger:1")


def _relay_now():
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
    return outbox_relay_due()


def _results(row):
    return list(DeliveryAttempt.objects.filter(message=row).values_list("result", flat=True))


def test_an_email_delivered_before_the_relay_died_is_not_sent_again(email_row):
    """The send succeeded, then the process died before marking the outbox row sent (the row is
    still pending): the retry finds the delivery in the ledger and sends nothing."""
    _OUTBOX_HANDLERS["email"](email_row)  # the send whose bookkeeping was lost
    assert len(mail.outbox) == 1
    _relay_now()
    assert len(mail.outbox) == 1
    email_row.refresh_from_db()
    assert email_row.status == OutboxStatus.SENT
    assert _results(email_row) == [DeliveryResult.DELIVERED]


def test_a_retry_after_a_lost_answer_carries_the_same_message_id(email_row):
    """The server took the message but the answer was lost (timeout): the retry is recorded in
    the ledger and the resent e-mail has the same Message-ID, so mail systems show it once."""
    real_send = EmailMessage.send

    def send_then_lose_the_answer(self, *args, **kwargs):
        real_send(self, *args, **kwargs)
        raise TimeoutError("timed out waiting for 250")

    with mock.patch.object(EmailMessage, "send", send_then_lose_the_answer):
        _relay_now()
    email_row.refresh_from_db()
    assert email_row.status == OutboxStatus.PENDING
    _relay_now()
    email_row.refresh_from_db()
    assert email_row.status == OutboxStatus.SENT
    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert len(ids) == 2 and ids[0] == ids[1]
    attempts = list(DeliveryAttempt.objects.filter(message=email_row).order_by("id"))
    assert [a.result for a in attempts] == [DeliveryResult.FAILED, DeliveryResult.DELIVERED]
    assert {a.delivery_id for a in attempts} == {ids[0]}
    assert attempts[1].provider_message_id == ids[0]
    assert "TimeoutError" in attempts[0].error
    assert all(a.finished_at for a in attempts)


def test_an_attempt_that_never_recorded_its_answer_is_marked_unknown_on_retry(email_row):
    """A relay killed mid-send leaves a 'started' attempt: the next one marks it unknown."""
    DeliveryAttempt.objects.create(
        message=email_row, channel="email", attempt=1, delivery_id="x", result="started"
    )
    _relay_now()
    assert _results(email_row) == [DeliveryResult.UNKNOWN, DeliveryResult.DELIVERED]
    assert len(mail.outbox) == 1


def test_distinct_rows_get_distinct_message_ids(email_row):
    user = email_row.payload["to"]
    other = get_user_model().objects.get(email=user)
    notification_send(
        recipient=other, kind="crisis.invited", params={"crisis_title": "b"}, dedupe_key="ledger:2"
    )
    _relay_now()
    ids = {m.message()["Message-ID"] for m in mail.outbox}
    assert len(ids) == 2


# --- settings invariant ---------------------------------------------------------------------


def test_default_channel_timeouts_are_below_the_lease(settings):
    assert settings.EMAIL_TIMEOUT is not None
    assert checks.channel_timeouts_below_lease(None) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("EMAIL_TIMEOUT", None), ("EMAIL_TIMEOUT", 60), ("KEEL_WEBHOOK_TIMEOUT_SECONDS", 100)],
)
def test_a_channel_timeout_not_below_the_lease_fails_the_check(settings, name, value):
    setattr(settings, name, value)
    errors = checks.channel_timeouts_below_lease(None)
    assert [e.id for e in errors] == ["keel.E001"]


def test_hr_admins_see_the_ledger_on_the_outbox_message_page(email_row, client, users):
    admin = users["hradmin"]
    _relay_now()
    client.force_login(admin)
    pass_second_factor(client, admin)  # the admin needs a session that passed TOTP
    from hrcore.services.notifications import email_message_id

    response = client.get(f"/admin/hrcore/outboxmessage/{email_row.pk}/change/")
    assert response.status_code == 200
    assert email_message_id(email_row).strip("<>") in response.content.decode()
