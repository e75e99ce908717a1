"""Notifications are written once; the outbox delivers once, retries transient failures."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hrcore.models import Notification, OutboxMessage
from hrcore.services import notifications, outbox

pytestmark = pytest.mark.django_db


def test_notification_is_written_once_per_dedupe_key_and_mailed_once(users):
    world = list(OutboxMessage.objects.values_list("pk", flat=True))  # the demo's, delivered
    for _ in range(2):
        notifications.notification_send(
            recipient=users["finance"],
            kind="crisis.invited",
            params={"crisis_title": "付款记录"},
            dedupe_key="t:1",
        )
    assert Notification.objects.filter(dedupe_key="t:1").count() == 1
    assert OutboxMessage.objects.filter(channel="email").exclude(pk__in=world).count() == 1
    assert outbox.outbox_relay_due() == 1
    assert outbox.outbox_relay_due() == 0
    assert len(mail.outbox) == 1
    # Rendered in the recipient's language (zh-hans) when it is sent.
    assert mail.outbox[0].subject == "[Keel] 邀请参与危机：付款记录"
    assert mail.outbox[0].to == ["finance@demo.keel.local"]


def test_transient_failure_is_retried_with_backoff_then_delivered(db):
    calls = []

    def flaky(message):
        calls.append(message.pk)
        if len(calls) == 1:
            raise ConnectionError("partner down")

    outbox.register_outbox_handler("flaky", flaky)
    outbox.outbox_enqueue(channel="flaky", dedupe_key="f:1", payload={})
    assert outbox.outbox_relay_due() == 0
    message = OutboxMessage.objects.get(dedupe_key="f:1")
    assert message.status == "pending"
    assert message.attempts == 1
    assert "partner down" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=5)
    assert outbox.outbox_relay_due(now=timezone.now() + timedelta(minutes=1)) == 1
    assert OutboxMessage.objects.get(dedupe_key="f:1").status == "sent"
    assert calls == [message.pk, message.pk]


def test_permanent_failure_stops_retrying(db):
    def broken(message):
        raise outbox.PermanentDeliveryError("no such subscriber")

    outbox.register_outbox_handler("broken", broken)
    outbox.outbox_enqueue(channel="broken", dedupe_key="b:1", payload={})
    outbox.outbox_relay_due()
    message = OutboxMessage.objects.get(dedupe_key="b:1")
    assert (message.status, message.last_error) == ("dead", "no such subscriber")


def test_a_claimed_message_is_not_sent_by_a_second_relay(db):
    """Two relays interleave deterministically. The first selects both due messages (reading
    their ``attempts``); while it delivers the first one, a second relay runs, claims the other
    and tries it, and the partner is down: it stays pending, attempts 1, backing off. When the
    first relay comes to that message its selection is stale, and its compare-and-set claim on
    the ``attempts`` it read matches no row: it leaves the message alone. A claim on the key or
    the status alone would deliver it again at once, ignoring the other relay and the backoff."""
    calls: list[int] = []
    second_relay: list[int] = []

    def deliver(message):
        calls.append(message.pk)
        if len(calls) == 1:  # the first relay is mid-batch: another relay runs now
            second_relay.append(outbox.outbox_relay_due())
        elif len(calls) == 2:  # the second relay's try of the other message
            raise ConnectionError("partner down")

    outbox.register_outbox_handler("once", deliver)
    outbox.outbox_enqueue(channel="once", dedupe_key="o:1", payload={})
    outbox.outbox_enqueue(channel="once", dedupe_key="o:2", payload={})
    ids = set(OutboxMessage.objects.filter(channel="once").values_list("pk", flat=True))

    assert outbox.outbox_relay_due() == 1  # the first message only
    assert second_relay == [0]  # it tried the other one, which failed
    assert len(calls) == 2 and set(calls) == ids  # each message handled once
    first, other = OutboxMessage.objects.get(pk=calls[0]), OutboxMessage.objects.get(pk=calls[1])
    assert (first.status, first.attempts) == ("sent", 1)
    assert (other.status, other.attempts) == ("pending", 1)
    assert "partner down" in other.last_error
    assert other.next_attempt_at > timezone.now()


def test_duplicate_enqueue_is_ignored(db):
    assert outbox.outbox_enqueue(channel="email", dedupe_key="d:1", payload={}) is not None
    assert outbox.outbox_enqueue(channel="email", dedupe_key="d:1", payload={}) is None
    assert OutboxMessage.objects.filter(dedupe_key="d:1").count() == 1


@pytest.mark.parametrize(("window", "expected"), [(60, ["now", "in 60 s"]), (0, ["now"] * 40)])
def test_a_burst_of_messages_queues_a_run_now_and_one_at_the_end_of_the_window(
    settings, monkeypatch, django_capture_on_commit_callbacks, window, expected
):
    from hrcore import tasks

    settings.KEEL_OUTBOX_KICK_SECONDS = window
    monkeypatch.setattr(outbox, "_trailing_run_until", 0.0)
    queued = []
    monkeypatch.setattr(tasks.outbox_relay, "delay", lambda: queued.append("now"))
    monkeypatch.setattr(
        tasks.outbox_relay,
        "apply_async",
        lambda countdown: queued.append(f"in {countdown:g} s"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(40):
            outbox.outbox_enqueue(channel="email", dedupe_key=f"burst:{n}", payload={})
    assert OutboxMessage.objects.filter(dedupe_key__startswith="burst:").count() == 40
    assert queued == expected


def test_once_the_trailing_run_is_queued_a_process_stops_asking_the_cache_until_it_is_due(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The kick's throttle keys live in the shared cache (Redis); a filing used to ask it twice
    per message. Once this process knows when the trailing run is due, messages before then
    ask nothing; near the due time it asks again; another process learns the due time from the
    trailing key."""
    from django.core.cache import cache

    from hrcore import tasks

    settings.KEEL_OUTBOX_KICK_SECONDS = 60
    monkeypatch.setattr(outbox, "_trailing_run_until", 0.0)
    cache.delete_many(["keel:outbox-kick", "keel:outbox-kick-trailing"])
    queued, asked = [], []
    monkeypatch.setattr(tasks.outbox_relay, "delay", lambda: queued.append("now"))
    monkeypatch.setattr(
        tasks.outbox_relay, "apply_async", lambda countdown: queued.append(f"in {countdown:g} s")
    )
    real_add, real_get = cache.add, cache.get
    monkeypatch.setattr(cache, "add", lambda *a, **k: asked.append(a[0]) or real_add(*a, **k))
    monkeypatch.setattr(cache, "get", lambda *a, **k: asked.append(a[0]) or real_get(*a, **k))
    clock = [1_000_000.0]
    monkeypatch.setattr(outbox.time, "time", lambda: clock[0])

    def burst(prefix: str, n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(n):
                outbox.outbox_enqueue(channel="email", dedupe_key=f"{prefix}:{i}", payload={})

    burst("a", 20)
    assert queued == ["now", "in 60 s"]
    assert asked == ["keel:outbox-kick", "keel:outbox-kick", "keel:outbox-kick-trailing"]
    assert outbox._trailing_run_until == 1_000_060.0

    asked.clear()
    clock[0] += 50  # still more than a tenth of the window before the trailing run
    burst("b", 5)
    assert asked == [] and queued == ["now", "in 60 s"]

    clock[0] += 5  # within the last tenth: ask again (the keys are still held: nothing queued)
    burst("c", 1)
    assert queued == ["now", "in 60 s"]
    assert asked == ["keel:outbox-kick", "keel:outbox-kick-trailing", "keel:outbox-kick-trailing"]

    # Another process (no memory of its own) learns the due time from the trailing key.
    monkeypatch.setattr(outbox, "_trailing_run_until", 0.0)
    clock[0] = 1_000_010.0
    asked.clear()
    burst("d", 3)
    assert asked == ["keel:outbox-kick", "keel:outbox-kick-trailing", "keel:outbox-kick-trailing"]
    assert outbox._trailing_run_until == 1_000_060.0
    assert queued == ["now", "in 60 s"]
