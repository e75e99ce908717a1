"""Primary keys from untrusted text (pure: no ORM)."""

from __future__ import annotations

# Largest primary key the databases store (signed 64-bit); a bigger number is no id at all
# (SQLite raises OverflowError on it instead of finding nothing).
MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """``raw`` (form or query text, or a number) as a primary key, None if it cannot be one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not text.isdigit() or len(text) > 19:
            return None
        value = int(text)
    return value if 0 < value <= MAX_ID else None
