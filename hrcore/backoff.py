"""Retry backoff, the one rule for everything Keel retries (outbox deliveries, SLA timers that
failed to fire): the first wait, doubled per failed attempt, up to a cap. Pure."""

from __future__ import annotations

from datetime import timedelta


def exponential_backoff(attempts: int, *, first_seconds: float, max_seconds: float) -> timedelta:
    """The wait before the next try after ``attempts`` failures in a row: ``first_seconds``,
    then twice as long per further failure, never more than ``max_seconds``."""
    return timedelta(seconds=min(first_seconds * 2 ** max(attempts - 1, 0), max_seconds))
