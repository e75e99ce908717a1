"""Primary keys from untrusted text (pure: no ORM)."""

from __future__ import annotations

# Largest primary key the databases store (signed 64-bit); a bigger number is no id at all
# (SQLite raises OverflowError on it instead of finding nothing).
MAX_ID = 2**63 - 1


def parse_whole_number(raw: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """``raw`` (form or query text, or a number) as a whole number from ``minimum`` to
    ``maximum``, None if it is not one. Text must be ASCII digits: ``"²"`` or ``"١"`` pass
    ``str.isdigit`` but are no number a person typed (and ``int("²")`` raises)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 20:
            return None
        value = int(text)
    return value if minimum <= value <= maximum else None


def parse_id(raw: object) -> int | None:
    """``raw`` (form or query text, or a number) as a primary key, None if it cannot be one."""
    return parse_whole_number(raw, minimum=1)
