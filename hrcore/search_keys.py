"""Search keys: how a person or a customer is found by the pinyin of their Chinese name or by
its initials (张伟 → "zhangwei zw"). Pure: no ORM. The services that write names store the key
with the row, so a list filters with one ``icontains`` instead of converting every name."""

from __future__ import annotations

import re

# Letters and digits only: "Zhang Wei", "zhang'wei" and "zhangwei" are the same query.
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _plain(text: str) -> str:
    return _NOT_WORD.sub("", text).lower()


def search_key(name_zh: str) -> str:
    """The full pinyin and the initials of a Chinese name, lower case, separated by a space
    ("张伟" → "zhangwei zw"; "华东建材有限公司" → "huadongjiancaiyouxiangongsi hdjcyxgs"). Latin
    letters and digits in the name are kept as they are in both parts; an empty name has an
    empty key."""
    name = (name_zh or "").strip()
    if not name:
        return ""
    # Imported here, not at the top: pypinyin loads its phrase dictionary on import (~0.15 CPU-s
    # and ~55 MB per process), and most processes that import this module (health checks, beat,
    # the timer loop, workers, every manage.py command through the selectors) never write a name.
    from pypinyin import Style, lazy_pinyin

    full = _plain("".join(lazy_pinyin(name, errors="default")))
    initials = _plain(
        "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, strict=False, errors="default"))
    )
    return f"{full} {initials}".strip()[:400]


def query_key(query: str) -> str:
    """A typed query in the shape of a search key: lower case, without spaces or apostrophes
    ("Zhang Wei" → "zhangwei")."""
    return _plain(query or "")
