"""Paging for every list endpoint: ``?limit=`` (1–500, default 50) and ``?offset=`` (0 or more).

A value that is not such a whole number (``limit=abc``, ``limit=0``, ``limit=100000``,
``offset=-1``, ``offset=null``) is a 400 naming the parameter — DRF's own paginator silently
ignored it and answered with the default page, so a client's mistake went unnoticed. The limits
are in the OpenAPI schema (minimum/maximum), so what the schema promises is what is enforced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.pagination import LimitOffsetPagination

from hrcore.errors import ValidationFailed
from hrcore.ids import parse_whole_number


class KeelLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 500
    max_offset = 2**31 - 1

    def _whole_number(self, request, name: str, minimum: int, maximum: int) -> int | None:
        raw = request.query_params.getlist(name)
        if not raw:
            return None
        if len(raw) > 1:
            raise ValidationFailed(
                _("Give %(name)s once.") % {"name": name}, errors={name: _("Given twice.")}
            )
        value = raw[0].strip()
        message = _("%(name)s must be a whole number from %(min)s to %(max)s.") % {
            "name": name,
            "min": minimum,
            "max": maximum,
        }
        number = parse_whole_number(value, minimum=minimum, maximum=maximum)
        if number is None:
            raise ValidationFailed(message, errors={name: message})
        return number

    def get_limit(self, request):
        limit = self._whole_number(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request):
        offset = self._whole_number(request, self.offset_query_param, 0, self.max_offset)
        return 0 if offset is None else offset

    def paginate_rows(self, queryset, request, rows: Callable[[Any], list], view=None) -> list:
        """``paginate_queryset`` for a list rendered from plain rows rather than model instances:
        counts ``queryset`` itself (no joins the page's columns need) and hands its slice for the
        page to ``rows``, which reads and shapes it. Same ``count``, ``next`` and ``previous``."""
        self.request = request
        self.limit = self.get_limit(request)
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(request)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count == 0 or self.offset > self.count:
            return []
        return rows(queryset[self.offset : self.offset + self.limit])

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {
                "minimum": 1,
                "maximum": self.max_limit,
                "default": self.default_limit,
            },
            self.offset_query_param: {"minimum": 0, "maximum": self.max_offset, "default": 0},
        }
        for parameter in parameters:
            extra = bounds.get(parameter["name"])
            if extra:
                parameter["schema"] = {**parameter["schema"], **extra}
                parameter["description"] = (
                    f"{parameter.get('description', '')} "
                    f"A whole number from {extra['minimum']} to {extra['maximum']}; "
                    "anything else is a 400."
                ).strip()
        return parameters
