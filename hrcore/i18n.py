"""Helpers for fields stored in both languages (``<name>_zh`` and ``<name>_en``)."""

from __future__ import annotations

from django.utils.translation import get_language


def is_chinese(language: str | None = None) -> bool:
    return (language or get_language() or "zh-hans").lower().startswith("zh")


def pick(obj: object, field: str, language: str | None = None) -> str:
    """The value of ``field`` in the active (or given) language, falling back to the other one."""
    zh = getattr(obj, f"{field}_zh", "") or ""
    en = getattr(obj, f"{field}_en", "") or ""
    if is_chinese(language):
        return zh or en
    return en or zh


class Bilingual:
    """A model's read-only ``<name>`` for a ``<name>_zh``/``<name>_en`` field pair: the value in
    the active language, falling back to the other one (``pick``). Declare it as
    ``name = Bilingual()`` next to the two fields; it reads the pair named like the attribute."""

    field: str

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = name

    def __get__(self, obj: object, owner: type | None = None):
        if obj is None:
            return self
        return pick(obj, self.field)


def with_codes(message: str, **codes: str):
    """A translated ``message`` with ``%(name)s`` placeholders filled by codes the reader types
    as they are ("manager", "position:<code>"), shown as ``<code translate="no">`` — the
    sentence is in the reader's language, the codes are no language."""
    from django.utils.html import conditional_escape, format_html
    from django.utils.safestring import mark_safe

    filled = {
        name: format_html('<code translate="no">{}</code>', code) for name, code in codes.items()
    }
    return mark_safe(conditional_escape(message) % filled)


def both_languages(message, **params) -> dict[str, str]:
    """A lazily translated ``message`` (``gettext_lazy``) with its ``%(name)s`` parameters, in
    Chinese and English — for records read later by readers of either language."""
    from django.utils import translation

    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            text = str(message)
            texts[language] = text % params if params else text
    return texts


def keel_error(cls, message, *, code: str, errors: dict | None = None, **params):
    """An error of the hrcore hierarchy (``cls``) whose message is in the active language and,
    as ``texts``, in both (the master-data event ledger shows each reader theirs)."""
    text = str(message)
    exc = cls(text % params if params else text, errors=errors, code=code)
    exc.texts = both_languages(message, **params)
    return exc
