"""Request parsing for the partner API: every write takes a JSON *object* (or a form). A body
such as ``[1]`` or ``"text"`` is refused here, with a 400 and a message, instead of reaching a
view that expects a mapping."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("Send a JSON object."))
        return data
