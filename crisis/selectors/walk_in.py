"""Choices for naming the employee responsible for a walk-in complaint (issue 17 §6)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from hrcore.models import Employee
from hrcore.selectors import employee_of, employees_visible_to

from ..models import Crisis, WalkInConsumer
from .filing import subsidiary_of

RESPONSIBLE_CHOICES_LIMIT = 300


def responsible_choices(user: AbstractBaseUser) -> list[Employee]:
    """Employees offered in the filing form's suggestion list: the active people of the filer's
    subsidiary (their own unit's subtree when they belong to none), by name."""
    employee = employee_of(user)
    if employee is None:
        return []
    scope = subsidiary_of(employee.unit) or employee.unit
    return list(
        employees_visible_to(user)
        .filter(unit__path__startswith=scope.path)
        .order_by("name_en", "pk")[:RESPONSIBLE_CHOICES_LIMIT]
    )


def responsible_username(user: AbstractBaseUser, text: str) -> str:
    """What the filer typed ("<user name> · <name>" from the list, a user name or an exact
    name) → a user name; unknown text is passed on and the service says so."""
    text = (text or "").strip()
    if not text:
        return ""
    candidate = text.split(" · ", 1)[0].strip()
    visible = employees_visible_to(user)
    if visible.filter(user__username=candidate).exists():
        return candidate
    by_name = list(
        visible.filter(Q(name_zh=text) | Q(name_en=text)).values_list("user__username", flat=True)[
            :2
        ]
    )
    return by_name[0] if len(by_name) == 1 else candidate


def walk_in_of(crisis: Crisis) -> WalkInConsumer | None:
    """The walk-in consumer a complaint concerns, with the responsible employee and supervisor."""
    return (
        WalkInConsumer.objects.filter(crisis=crisis)
        .select_related("responsible__user", "supervisor__user")
        .first()
    )
