"""Who is on site today, for a crisis's dossier (pure: no ORM, no HTTP).

The attendance system answers per user name; the dossier shows the crisis unit's people and the
assignees of the crisis's tasks with their status today, those on site first — the people who
can meet visitors at the door."""

from __future__ import annotations

# Attendance statuses as the partner reports them, plus "unknown" for people it does not know.
PRESENCE_ORDER = ("on_site", "remote", "business_trip", "leave", "absent", "unknown")


def presence_rows(people: list[dict], records: dict[str, dict]) -> list[dict]:
    """One row per person: ``people`` are dicts with ``username``, ``name_zh``, ``name_en`` and
    ``assignee``; ``records`` are the attendance records (JSON) by user name. Ordered by status
    (on site first), then assignees first, then as given."""
    rows = []
    for position, person in enumerate(people):
        record = records.get(person["username"]) or {}
        rows.append(
            {
                "username": person["username"],
                "name_zh": person.get("name_zh", ""),
                "name_en": person.get("name_en", ""),
                "assignee": bool(person.get("assignee")),
                "status": record.get("status") or "unknown",
                "checked_in_at": record.get("checked_in_at"),
                "location_zh": record.get("location_zh", ""),
                "location_en": record.get("location_en", ""),
                "_position": position,
            }
        )
    rank = {status: i for i, status in enumerate(PRESENCE_ORDER)}
    rows.sort(key=lambda r: (rank.get(r["status"], len(rank)), not r["assignee"], r["_position"]))
    for row in rows:
        del row["_position"]
    return rows
