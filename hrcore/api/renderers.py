"""The API's JSON renderer: DRF's ``JSONRenderer`` output, byte for byte, encoded by orjson.

DRF encodes with the standard library's ``json`` (its C encoder, but building one ``str`` of the
whole body, then escaping U+2028/U+2029 and encoding it to UTF-8): for a page of 50 crises with
their tasks (~180 KB) that was ~2.6 ms of a ~20 ms request, and it grew with the rows (issue 12,
the API list at 10,000 crises). orjson (a well-kept Rust extension, the encoder behind
``drf-orjson-renderer``) writes the same compact UTF-8 in a fraction of the time. That package
is not used because its ``default`` differs from DRF's (datetimes as ``+00:00``, not ``Z``): here
everything orjson does not write as DRF would — datetimes, dates, times, dataclasses and every
type it does not know (lazy translations, ``Decimal``, querysets …) — goes to DRF's own
``JSONEncoder.default``, so the bytes are DRF's. What orjson refuses (integers beyond 64 bits)
and what DRF renders otherwise (an ``indent`` asked for, ``UNICODE_JSON``/``COMPACT_JSON``
switched off) is left to DRF. Two differences: a float under 1e-4 is written in another form of
the same number (``0.00001`` for DRF's ``1e-05``), and a float NaN or infinity is written
``null``, where DRF's strict mode raised (a 500).
``tests/hrcore/test_renderers.py`` holds the two to each other."""

from __future__ import annotations

import orjson
from rest_framework import renderers

OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
# DRF escapes these two so that the JSON is also a strict subset of JavaScript.
LINE_SEPARATOR, PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        except orjson.JSONEncodeError:  # DRF's encoder takes it, or raises its own error
            return super().render(data, accepted_media_type, renderer_context)
        return body.replace(LINE_SEPARATOR, b"\\u2028").replace(PARAGRAPH_SEPARATOR, b"\\u2029")
