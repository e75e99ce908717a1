"""Paging for every list endpoint: ``?limit=&offset=`` with a ceiling, so a client asking for
``limit=99999999999999999999`` gets at most ``max_limit`` rows instead of a database error."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class KeelLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 500
