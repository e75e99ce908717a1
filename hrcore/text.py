"""Small pure text helpers for untrusted input."""

from __future__ import annotations

from django.utils.translation import gettext as _


def has_line_break(text: str) -> bool:
    """Whether ``text`` spans several lines (CR, LF and every other separator ``splitlines``
    knows: an e-mail subject or any header built from it must be one line)."""
    return len(text.splitlines()) > 1 or text.endswith(("\n", "\r"))


def single_line(text: str) -> str:
    """``text`` on one line: line breaks and runs of whitespace become one space."""
    return " ".join(text.split())


def check_length(errors: dict, field: str, value: str | None, limit: int) -> None:
    """The one length rule for free text: record "At most n characters." under ``field`` in
    ``errors`` when ``value`` is longer than ``limit``."""
    if len(value or "") > limit:
        errors[field] = _("At most %(n)d characters.") % {"n": limit}
