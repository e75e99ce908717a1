"""Small pure text helpers for untrusted input."""

from __future__ import annotations


def has_line_break(text: str) -> bool:
    """Whether ``text`` spans several lines (CR, LF and every other separator ``splitlines``
    knows: an e-mail subject or any header built from it must be one line)."""
    return len(text.splitlines()) > 1 or text.endswith(("\n", "\r"))


def single_line(text: str) -> str:
    """``text`` on one line: line breaks and runs of whitespace become one space."""
    return " ".join(text.split())
