"""The one retry backoff (hrcore.backoff): outbox deliveries and SLA timers that failed to fire."""

from datetime import timedelta

from hrcore import sla
from hrcore.backoff import exponential_backoff
from hrcore.services.outbox import outbox_backoff


def test_outbox_waits_double_from_ten_seconds_up_to_an_hour():
    waits = [outbox_backoff(n).total_seconds() for n in (0, 1, 2, 3, 9, 30)]
    assert waits == [10, 10, 20, 40, 2560, 3600]


def test_timer_retries_double_from_five_seconds_up_to_five_minutes():
    def wait(n):
        return exponential_backoff(
            n, first_seconds=sla.FIRE_RETRY_FIRST_SECONDS, max_seconds=sla.FIRE_RETRY_MAX_SECONDS
        )

    assert [wait(n) for n in (1, 2, 3, 7, 50)] == [
        timedelta(seconds=5),
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=300),
        timedelta(seconds=300),
    ]
