"""Request parsing for the partner API: every write takes a JSON *object* (or a form). A body
such as ``[1]`` or ``"text"`` is refused here, with a 400 and a message, instead of reaching a
view that expects a mapping; so are a document nested deeper than ``jsonsafe.MAX_DEPTH`` levels
(``json`` itself would raise ``RecursionError`` at ~1,000: a 500 on every JSON endpoint) and a
``\\u0000`` anywhere (PostgreSQL refuses it at write time: another 500)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from hrcore import jsonsafe


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(
                _("The body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from exc
        try:
            data = jsonsafe.loads(text, parse_constant=_strict)
        except jsonsafe.JSONRejected as exc:
            if exc.code == "too_deep":
                raise ParseError(
                    _("The JSON is nested deeper than %(depth)s levels.")
                    % {"depth": jsonsafe.MAX_DEPTH}
                ) from exc
            if exc.code == "nul_character":
                raise ParseError(_("The JSON contains a NUL character (U+0000).")) from exc
            raise ParseError(_("JSON parse error: %(reason)s") % {"reason": exc.reason}) from exc
        if not isinstance(data, dict):
            raise ParseError(_("Send a JSON object."))
        return data


def _strict(value: str):
    """NaN and Infinity are not JSON (DRF's strict mode refuses them too)."""
    raise ValueError(f"{value} is not valid JSON")
