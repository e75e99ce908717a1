"""Query-string filters shared by the API's list endpoints (django-filter). Each refuses what its
OpenAPI schema does not allow with a 400 and a message (never a database error, never a value
silently ignored), and its schema states the bounds it enforces."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.drainage import set_override

from hrcore.ids import MAX_ID


class WholeNumberFilter(filters.NumberFilter):
    """``?x=<n>``: a whole number from ``min_value`` to ``max_value`` (both in the schema)."""

    def __init__(self, *args, min_value: int = 0, max_value: int = MAX_ID, **kwargs):
        kwargs.update(min_value=min_value, max_value=max_value, decimal_places=0)
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "integer", "minimum": min_value, "maximum": max_value})


class IdFilter(WholeNumberFilter):
    """``?x=<id>``: a positive whole number that fits a primary key."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (also ``1``/``0``); anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": _("Give true or false.")}
    values = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        key = str(value).strip().lower()
        if key not in self.values:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return self.values[key]


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns any unknown text into None ("no filter"): read the
        # raw text instead, so the field can refuse it.
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)
