"""What a page says in which language, outside user-entered content (issue 18 item 3).

Templates mark text a person typed — a crisis title, a note, a comment — with a
``data-user-content`` attribute, and text in a language other than the page's with a ``lang``
attribute (the "中文 / English" switch), and codes and identifiers that are no language at all
(customer numbers, duty codes, time-zone names) with HTML's ``translate="no"``. Everything else
on a page is the product speaking, and must be in the reader's language:

* an English page shows no CJK character;
* a Chinese page shows no English word (three Latin letters or more) except the few codes,
  brands and units in ``ALLOWED_LATIN``.

Visible text is the text of the body (not scripts or styles) and the attributes a reader sees
or hears: ``title``, ``placeholder``, ``aria-label``, ``alt`` and the ``value`` of buttons.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e\uf900-\ufaff]")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_./@:-])[A-Za-z][A-Za-z'’-]{2,}(?![A-Za-z0-9_/@-])")

# Latin words a Chinese page may show, each for a reason.
ALLOWED_LATIN = {
    # the product's name (a brand, not translated)
    "Keel",
    # abbreviations Chinese readers use as such
    "API",
    "URL",
    "PDF",
    "CSV",
    "ICC",  # the intraclass correlation, a statistics term in both languages
    "JSON",
    "SLA",
    "TOTP",
    "HMAC",
    "CRM",
    "ERP",
    "IM",
    "ID",
    "KPI",
    "VIP",
    "CEO",
    "HTTP",
    "HTTPS",
    "OpenAPI",
    "Webhook",
    "webhook",
    # currency and time-zone codes
    "CNY",
    "RMB",
    "USD",
    "EUR",
    "HKD",
    "UTC",
    "GMT",
}

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
# Elements a parser closes when the next one of the group opens (enough for our templates).
IMPLIED = {
    "li": {"li"},
    "p": {"p"},
    "option": {"option"},
    "tr": {"tr"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
}
# Not shown as the product's words: scripts and styles, and a <textarea>'s content, which is
# the current value of a form field (what someone typed, like an <input>'s value).
SKIPPED = {"script", "style", "template", "textarea"}
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Reader(HTMLParser):
    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, exempt)
        self.texts: list[str] = []

    def _exempt(self) -> bool:
        return any(exempt for _tag, exempt in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        closes = IMPLIED.get(tag)
        if closes:
            for index in range(len(self.stack) - 1, -1, -1):
                if self.stack[index][0] in closes:
                    del self.stack[index:]
                    break
                if self.stack[index][0] in ("ul", "ol", "table", "select", "dl", "div"):
                    break
        lang = (a.get("lang") or "").lower()
        exempt = (
            "data-user-content" in a
            or (a.get("translate") or "").lower() == "no"
            or (bool(lang) and not _same_language(lang, self.language) and tag != "html")
            or tag in SKIPPED
        )
        if not exempt and not self._exempt():
            for name in VISIBLE_ATTRIBUTES:
                if a.get(name):
                    self.texts.append(a[name])
            is_button = tag in ("input", "button") and a.get("type") in ("submit", "button")
            if is_button and a.get("value"):
                self.texts.append(a["value"])
        if tag not in VOID:
            self.stack.append((tag, exempt))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if data.strip() and not self._exempt():
            self.texts.append(data)


def _same_language(a: str, b: str) -> bool:
    return a.split("-")[0] == b.split("-")[0]


def product_text(html: str, language: str) -> list[str]:
    """The pieces of visible text on ``html`` that are not marked as user content or codes."""
    reader = _Reader(language)
    reader.feed(html)
    reader.close()
    return [" ".join(t.split()) for t in reader.texts if t.strip()]


def foreign_text(texts: list[str], language: str) -> list[str]:
    """The pieces of ``texts`` in the other language (see the module docstring)."""
    if language.startswith("zh"):
        found = []
        for text in texts:
            words = [w for w in LATIN_WORD.findall(text) if w.strip("'’-") not in ALLOWED_LATIN]
            if words:
                found.append(text)
        return found
    return [text for text in texts if CJK.search(text)]
