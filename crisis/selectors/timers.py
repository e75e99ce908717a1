"""Timer reads: the next due timer and the timers' failure health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..choices import (
    TIMER_TICKING_STATES,
    TimerState,
)
from ..models import Task


def timers_failing_health(*, now: datetime | None = None) -> dict:
    """The ``timers`` check of /healthz: timers whose firing has failed for longer than
    ``KEEL_TIMER_FAILING_SECONDS`` (default one minute) and still has something to fire."""
    now = now or timezone.now()
    limit = float(getattr(settings, "KEEL_TIMER_FAILING_SECONDS", 60))
    failing = Task.objects.filter(
        fire_failing_since__lte=now - timedelta(seconds=limit),
        timer_state__in=(TimerState.RUNNING, TimerState.WARNED, TimerState.BREACHED),
    ).order_by("fire_failing_since", "id")
    rows = list(failing.values("id", "fire_error", "fire_attempts", "fire_failing_since")[:20])
    if not rows:
        return {"ok": True}
    return {
        "ok": False,
        "error": f"timers failing to fire for over {limit:g} s",
        "timer_ids": [row["id"] for row in rows],
        "count": failing.count(),
        "oldest_since": rows[0]["fire_failing_since"].isoformat(),
        "detail": rows[0]["fire_error"][:300],
        "attempts": rows[0]["fire_attempts"],
    }


def next_timer_due() -> datetime | None:
    """When the timer loop must next sweep (see ``next_timer_due_by_kind``)."""
    return min(next_timer_due_by_kind().values(), default=None)


def next_timer_due_by_kind() -> dict[str, datetime]:
    """When each kind of ``sla_sweep`` ("warning", "breach", "escalation") is next due, kinds
    with nothing ticking left out (``next_timer_due_by_claim`` merged by kind)."""
    by_kind: dict[str, datetime] = {}
    for claim, moment in next_timer_due_by_claim().items():
        kind = claim.split(":")[0]
        by_kind[kind] = min(moment, by_kind.get(kind, moment))
    return by_kind


def next_timer_due_by_claim() -> dict[str, datetime]:
    """When each claim of ``sla_sweep`` ("warning", "breach:running", "breach:warned",
    "escalation") is next due, claims with nothing ticking left out, so that the timer loop
    makes only the claims that can find a row: the earliest warning, breach (per state) or
    escalation time of a ticking timer; the retry time of a failing one counts for every claim
    (it may be any) — one statement of five ``ORDER BY … LIMIT 1`` probes, each walking one of
    the sweep's partial indexes, so the cost stays flat however many timers are pending (the
    loop runs it after every sweep and at every early wake)."""

    table = connection.ops.quote_name(Task._meta.db_table)
    ticking = ", ".join(f"'{state}'" for state in TIMER_TICKING_STATES)

    def first(column: str, where: str) -> str:
        return f"(SELECT {column} FROM {table} WHERE {where} ORDER BY {column} LIMIT 1)"

    probes = [
        first("warn_at", "timer_state = 'running' AND fire_retry_at IS NULL"),
        first("due_at", "timer_state = 'running' AND fire_retry_at IS NULL"),
        first("due_at", "timer_state = 'warned' AND fire_retry_at IS NULL"),
        first(
            "escalate_at",
            "timer_state = 'breached' AND escalate_at IS NOT NULL AND fire_retry_at IS NULL",
        ),
        first(
            "fire_retry_at",
            f"fire_failing_since IS NOT NULL AND fire_retry_at IS NOT NULL "
            f"AND timer_state IN ({ticking})",
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(probes))
        row = cursor.fetchone()
    moments: list[datetime | None] = []
    for value in row or (None,) * len(probes):
        if isinstance(value, str):  # SQLite: text or naive datetimes, stored in UTC
            value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        moments.append(value)
    warning, breach_running, breach_warned, escalation, retry = moments
    by_claim = {
        "warning": [warning, retry],
        "breach:running": [breach_running, retry],
        "breach:warned": [breach_warned, retry],
        "escalation": [escalation, retry],
    }
    return {
        claim: min(present)
        for claim, values in by_claim.items()
        if (present := [v for v in values if v is not None])
    }
