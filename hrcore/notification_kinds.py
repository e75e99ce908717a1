"""Notification kinds: how each kind's parameters read as a subject and a body, in the reader's
language, at read time.

A notification is stored as a kind and its parameters (codes, ids, numbers, names in both
scripts — ``{"zh": …, "en": …}`` — and user-entered text as typed), never as sentences frozen in
one language: the inbox, the e-mail and the API render it for whoever reads it, in their
language, through the catalogs. Each app declares its kinds in ``<app>/notifications.py``
(imported once at start-up by ``hrcore.apps``) with an example of its parameters, which the
language sweep (``tests/test_language_sweep.py``) renders in both languages.

Rows written before kinds had parameters keep their stored texts (``subject_zh`` …), which
:func:`render` falls back to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .i18n import is_chinese

Params = Mapping[str, Any]


@dataclass(frozen=True)
class NotificationKind:
    """One kind: its subject and body as functions of the parameters (called with the reader's
    language active) and an example of its parameters."""

    kind: str
    subject: Callable[[Params], str]
    body: Callable[[Params], str] = lambda params: ""
    example: dict = field(default_factory=dict)


_KINDS: dict[str, NotificationKind] = {}


def register(
    kind: str,
    *,
    subject: Callable[[Params], str],
    body: Callable[[Params], str] | None = None,
    example: dict,
) -> NotificationKind:
    entry = NotificationKind(
        kind=kind, subject=subject, body=body or (lambda params: ""), example=example
    )
    _KINDS[kind] = entry
    return entry


def kinds() -> dict[str, NotificationKind]:
    """Every registered kind (the language sweep renders each in both languages)."""
    return dict(_KINDS)


def is_registered(kind: str) -> bool:
    return kind in _KINDS


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


# In HTML mode (the inbox page) every parameter is escaped and user-entered text is marked
# ``data-user-content`` (the language sweep skips it: it is in whatever language it was typed).
_html: ContextVar[bool] = ContextVar("notification_html", default=False)


def render(
    kind: str,
    params: Params | None,
    language: str,
    *,
    fallback: tuple[tuple[str, str], tuple[str, str]] = (("", ""), ("", "")),
    html: bool = False,
) -> Rendered:
    """The subject and body of a notification in ``language`` (``html``: as safe HTML with
    user-entered parts marked). Without parameters (a row from before kinds had them) or for
    an unknown kind, the stored texts ``fallback`` = ((subject_zh, subject_en), (body_zh,
    body_en)) in that language."""
    entry = _KINDS.get(kind)
    if entry is None or not params:
        (subject_zh, subject_en), (body_zh, body_en) = fallback
        if is_chinese(language):
            subject, body = subject_zh or subject_en, body_zh or body_en
        else:
            subject, body = subject_en or subject_zh, body_en or body_zh
        if html:
            return Rendered(conditional_escape(subject), conditional_escape(body))
        return Rendered(subject, body)
    token = _html.set(html)
    try:
        with translation.override(language):
            subject, body = entry.subject(params), entry.body(params)
            if params.get("drill"):  # a drill's notices are marked as such, whatever the kind
                subject = _("[DRILL] %(subject)s") % {"subject": subject}
    finally:
        _html.reset(token)
    if html:  # the catalogs' sentences are ours; every parameter went through the helpers
        return Rendered(mark_safe(subject), mark_safe(body))
    return Rendered(subject, body)


# --- helpers for the renderers -------------------------------------------------------------


def both(obj: object, name: str) -> dict[str, str]:
    """``{"zh": obj.<name>_zh, "en": obj.<name>_en}`` — a name or title in both scripts."""
    return {"zh": getattr(obj, f"{name}_zh", "") or "", "en": getattr(obj, f"{name}_en", "") or ""}


def person(employee: object | None, fallback: str = "") -> dict[str, str]:
    """A person's name in both scripts (an account without an employee: its user name)."""
    if employee is None:
        return {"zh": fallback, "en": fallback}
    return both(employee, "name")


def local(value: Any) -> str:
    """A ``{"zh", "en"}`` value (a name, a title kept in both languages) in the active language,
    falling back to the other; or a code or number as it is."""
    if isinstance(value, Mapping):
        zh, en = value.get("zh") or "", value.get("en") or ""
        text = (zh or en) if is_chinese() else (en or zh)
    else:
        text = "" if value is None else str(value)
    return conditional_escape(text) if _html.get() else text


def user(value: Any) -> str:
    """User-entered text (a crisis title, a note), shown as typed, in whatever language."""
    text = "" if value is None else str(value)
    if _html.get():
        return format_html('<span data-user-content="">{}</span>', text) if text else ""
    return text


_QUOTED = re.compile(r"“([^”]*)”")


def quoted_user_html(text: str) -> str:
    """Stored text whose “quoted” parts are user-entered (a crisis title in a recognition
    reason) as safe HTML with those parts marked ``data-user-content``."""
    escaped = str(conditional_escape(text or ""))
    return mark_safe(_QUOTED.sub(r'“<span data-user-content="">\1</span>”', escaped))


def quoted_user(value: Any) -> str:
    """A ``{"zh", "en"}`` text in the active language whose quoted parts are user text."""
    if _html.get():
        raw = value if not isinstance(value, Mapping) else None
        if raw is None:
            zh, en = value.get("zh") or "", value.get("en") or ""
            raw = (zh or en) if is_chinese() else (en or zh)
        return quoted_user_html(str(raw))
    return local(value)


def when(value: datetime | None) -> str:
    """A moment as ISO text for the parameters."""
    return value.isoformat() if value else ""


def at_time(iso: str, time_zone: str = "") -> str:
    """An ISO moment as the reader reads it: ``2026-12-02 14:30`` in ``time_zone``."""
    import zoneinfo

    if not iso:
        return "—"
    moment = datetime.fromisoformat(str(iso))
    try:
        zone = zoneinfo.ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")


def on_day(iso: str, time_zone: str = "") -> str:
    return at_time(iso, time_zone)[:10]


def listing(items: list[Any]) -> str:
    """Items joined the way the reader's language lists them ("；" in Chinese)."""
    # Translators: the separator between items of a list in one line of text.
    return _("; ").join(local(item) for item in items)
