"""How fresh a dossier source's data is (pure: no ORM, no clock of its own).

The stored status says how the last pull went; data that was fetched fine but long ago is shown
as stale everywhere it is read (pages and the API) — people act on it at the door."""

from __future__ import annotations

from datetime import datetime, timedelta

FRESH_FOR = timedelta(minutes=30)

FRESH, STALE = "fresh", "stale"  # SourceStatus values (kept literal: this module has no Django)


def source_freshness(
    status: str, fetched_at: datetime | None, now: datetime, *, fresh_for: timedelta = FRESH_FOR
) -> str:
    """The status to show: a "fresh" source fetched more than ``fresh_for`` before ``now`` is
    "stale"; any other status (loading, stale, failed) is shown as stored."""
    if status == FRESH and fetched_at is not None and now - fetched_at > fresh_for:
        return STALE
    return status


def aged_out(status: str, fetched_at: datetime | None, now: datetime) -> bool:
    """Whether the source is shown stale only because of its age (not a failed pull)."""
    return status == FRESH and source_freshness(status, fetched_at, now) == STALE
