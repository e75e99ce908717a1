"""Field keys of error messages ("duties[1].deadline_minutes") named in words in the reader's
language ("第 2 项职责的时限" / "duty 2, time limit"): messages shown to people never carry a
key. The API keeps the keys in ``errors`` (for programs) and words in ``detail``."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = {
    "action": gettext_lazy("action"),
    "after": gettext_lazy("prerequisites"),
    "assignee": gettext_lazy("assignee"),
    "assignee_function": gettext_lazy("assignee"),
    "assignee_position": gettext_lazy("assignee"),
    "body": gettext_lazy("text"),
    "code": gettext_lazy("code"),
    "competency": gettext_lazy("competency"),
    "consumer_name": gettext_lazy("consumer's name"),
    "consumer_phone": gettext_lazy("consumer's phone"),
    "consumer_purchase": gettext_lazy("what they bought"),
    "deadline_minutes": gettext_lazy("time limit"),
    "deliverable": gettext_lazy("deliverable"),
    "duties": gettext_lazy("duties"),
    "employee_id": gettext_lazy("person"),
    "escalation": gettext_lazy("escalation"),
    "file": gettext_lazy("file"),
    "function": gettext_lazy("function"),
    "key": gettext_lazy("key"),
    "kind": gettext_lazy("kind"),
    "label_zh": gettext_lazy("label (Chinese)"),
    "manager": gettext_lazy("manager"),
    "name_en": gettext_lazy("name (English)"),
    "name_zh": gettext_lazy("name (Chinese)"),
    "node": gettext_lazy("node"),
    "note": gettext_lazy("note"),
    "outcome": gettext_lazy("outcome"),
    "parent": gettext_lazy("parent unit"),
    "responsible": gettext_lazy("responsible employee"),
    "scenario": gettext_lazy("scenario"),
    "scope": gettext_lazy("scope"),
    "severity": gettext_lazy("severity"),
    "status": gettext_lazy("status"),
    "successor": gettext_lazy("successor"),
    "text": gettext_lazy("text"),
    "time_zone": gettext_lazy("time zone"),
    "title": gettext_lazy("title"),
    "title_zh": gettext_lazy("title (Chinese)"),
    "unit": gettext_lazy("unit"),
    "warn_ratio": gettext_lazy("warning point"),
}

_ITEM = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?$")


def _item(collection: str, n: int) -> str | None:
    if collection == "duties":
        return _("duty %(n)d") % {"n": n}
    if collection == "findings":
        return _("finding %(n)d") % {"n": n}
    if collection == "follow_ups":
        return _("follow-up %(n)d") % {"n": n}
    return None


def field_label(key: str) -> str | None:
    """``key`` in words in the active language, or ``None`` when it has no name (then the
    message stands alone)."""
    if key in ("non_field_errors", "detail", "__all__", ""):
        return None
    match = _ITEM.match(key)
    if match:
        item = _item(match["list"], int(match["index"]) + 1)
        if item is None:
            return None
        field = FIELDS.get(match["field"] or "")
        if field is None:
            return item
        # Translators: "duty 2, time limit" — Chinese: "第 2 项职责的时限".
        return _("%(item)s, %(field)s") % {"item": item, "field": field}
    label = FIELDS.get(key)
    return str(label) if label is not None else None


def message_for(key: str, message: str) -> str:
    """One error as a reader reads it: "<field in words>: <message>", or the message alone."""
    label = field_label(key)
    return f"{label}{_(': ')}{message}" if label else str(message)
