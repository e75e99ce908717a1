"""Template filters that say what a piece of text is, so that each page speaks one language:

* ``{{ crisis.title|user }}`` — text a person typed, shown as typed (``data-user-content``);
* ``{{ duty.code|code }}`` — a code or identifier, no language at all (``translate="no"``);
* ``{{ employee|person }}`` — a person's name in the reader's script;
* ``{{ task.deadline_minutes|duration }}`` — a duration in the reader's language.

The language sweep (``tests/test_language_sweep.py``) skips what the first two mark.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from hrcore.durations import format_duration

register = template.Library()


@register.filter
def user(value) -> str:
    if value in (None, ""):
        return ""
    return format_html('<span data-user-content="">{}</span>', value)


@register.filter
def code(value) -> str:
    if value in (None, ""):
        return ""
    return format_html('<span translate="no">{}</span>', value)


@register.filter
def person(value) -> str:
    """An employee, a user (through their employee) or ``None`` as a name in the reader's
    script (``Employee.name`` picks it); an account without an employee shows its user name."""
    if value is None or value == "":
        return "—"
    employee = getattr(value, "employee", None) if hasattr(value, "get_username") else value
    if employee is not None and hasattr(employee, "name_zh"):
        return employee.name
    if hasattr(value, "get_username"):
        return value.get_username()
    return str(value)


@register.filter
def duration(minutes) -> str:
    """Minutes as a duration in the active language."""
    try:
        return format_duration(minutes=float(minutes))
    except (TypeError, ValueError):
        return ""
