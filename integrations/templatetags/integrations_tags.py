"""Template helpers for bilingual partner data (dicts with ``<field>_zh`` / ``<field>_en``)."""

from django import template

from hrcore.i18n import is_chinese

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
def lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]
