"""Durations as a reader reads them, in their language: the one formatter of the product
("2 h 30 min" / "2 小时 30 分钟", "18 d" never reaches a Chinese page)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def format_duration(*, minutes: float | None = None, seconds: float | None = None) -> str:
    """A duration in the active language: "45 s", "12 min", "3 h 5 min", "2 d 4 h"; "—" for
    none. Give ``minutes`` or ``seconds``."""
    if minutes is None and seconds is None:
        return "—"
    total_seconds = max(0, round(seconds if seconds is not None else (minutes or 0) * 60))
    if 0 < total_seconds < 60:
        return _("%(n)d s") % {"n": total_seconds}
    days, rest = divmod(round(total_seconds / 60), 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d d") % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts)
