"""Query-string filters shared by the API's list endpoints (django-filter)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from hrcore.ids import MAX_ID


class IdFilter(filters.NumberFilter):
    """``?x=<id>``: a positive whole number that fits a primary key; anything else is a 400
    with a message (never a database error)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)
