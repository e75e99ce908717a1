"""JSON typed into a form (the admin's JSON fields: subscription events, simulation effects …)
parsed like API bodies: Django's ``forms.JSONField`` raised ``RecursionError`` (a 500) on a
document nested ~1,000 levels deep, also when showing the form again, and let a ``\\u0000``
through to PostgreSQL (another 500)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString
from django.utils.translation import gettext_lazy as _

from hrcore import jsonsafe


class SafeJSONField(forms.JSONField):
    default_error_messages = {
        "invalid": _("Enter a valid JSON."),
        "too_deep": _("The JSON is nested deeper than %(depth)s levels."),
        "nul_character": _("The JSON contains a NUL character (U+0000)."),
    }

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, list | dict | int | float | JSONString):
            return value
        try:
            converted = jsonsafe.loads(value)
        except jsonsafe.JSONRejected as exc:
            code = exc.code if exc.code in self.error_messages else "invalid"
            raise ValidationError(
                self.error_messages[code], code=code, params={"depth": jsonsafe.MAX_DEPTH}
            ) from exc
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return jsonsafe.loads(data)
        except jsonsafe.JSONRejected:
            return InvalidJSONInput(data)


def install() -> None:
    """Every admin form's JSON field is a ``SafeJSONField`` (run before the admin registers its
    ModelAdmins: each copies these defaults when it is created)."""
    from django.contrib.admin import options
    from django.db import models

    options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.JSONField] = {"form_class": SafeJSONField}
