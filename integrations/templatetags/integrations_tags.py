"""Template helpers for bilingual partner data (dicts with ``<field>_zh`` / ``<field>_en``)."""

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.translation import pgettext_lazy

from crisis.choices import TaskStatus
from hrcore.i18n import is_chinese
from integrations.choices import AttendanceStatus

register = template.Library()


@register.filter
def pickd(obj, field: str) -> str:
    """``{{ contact|pickd:"note" }}``: the active language's value of a dict or object field."""

    def get(name):
        if isinstance(obj, dict):
            return obj.get(name) or ""
        return getattr(obj, name, "") or ""

    zh, en = get(f"{field}_zh"), get(f"{field}_en")
    if is_chinese():
        return zh or en
    return en or zh


@register.filter
def pickl(obj, field: str) -> list:
    """The active language's list (``say_zh`` / ``say_en`` lists in a legal guide)."""
    zh = (obj or {}).get(f"{field}_zh") or []
    en = (obj or {}).get(f"{field}_en") or []
    return (zh or en) if is_chinese() else (en or zh)


@register.filter
def isodatetime(value: str | None) -> datetime | None:
    """An ISO timestamp stored in JSON back as a datetime, so ``|date`` shows it in the viewer's
    time zone (``{{ step.due_at|isodatetime|date:"H:i" }}``)."""
    return parse_datetime(value) if value else None


@register.filter
def task_status(code: str) -> str:
    """The translated label of a crisis task state kept in a plan snapshot."""

    return str(TaskStatus(code).label) if code in TaskStatus.values else code


@register.filter
def lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


_LABELS = {
    "phone": pgettext_lazy("partner code", "phone"),
    "visit": pgettext_lazy("partner code", "visit"),
    "email": pgettext_lazy("partner code", "e-mail"),
    "wechat": pgettext_lazy("partner code", "WeChat"),
    "paid": pgettext_lazy("partner code", "paid"),
    "unpaid": pgettext_lazy("partner code", "unpaid"),
    "delivered": pgettext_lazy("partner code", "delivered"),
    "open": pgettext_lazy("partner code", "open"),
    "low": pgettext_lazy("partner code", "low"),
    "medium": pgettext_lazy("partner code", "medium"),
    "high": pgettext_lazy("partner code", "high"),
    "critical": pgettext_lazy("partner code", "critical"),
}


@register.filter
def label(code: str) -> str:
    """A readable, translated label for a partner code (contact channel, order status …)."""
    return str(_LABELS.get(code, code))


@register.filter
def presence(code: str) -> str:
    """The translated label of an attendance status in the dossier's "on site today"."""
    return str(AttendanceStatus(code).label) if code in AttendanceStatus.values else code
