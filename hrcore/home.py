"""What the start page shows each reader: the work waiting for them (issue 18, item 5).

A registry of panels. hrcore is the lowest app, so it names none of the apps above it: each app
registers its panels from its ``AppConfig.ready()`` (``crisis/home_panels.py``,
``competency/home_panels.py``, ``responsibilities/home_panels.py``), and the start page is the
composition of the panels the reader's roles allow, in registration order. Every panel fetches
its lists with a bounded, fixed number of queries whatever their length (rows capped at
``ROWS``; related rows joined, not looked up per row)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from .choices import Role
from .models import Employee
from .selectors import employee_of, has_role

ROWS = 25

# A panel: (reader, their employee record or None, now) → the context entries it adds.
PanelProvider = Callable[[AbstractBaseUser, Employee | None, datetime], dict]

_PANELS: list[tuple[Role | None, PanelProvider]] = []


def register_panel(provider: PanelProvider, *, role: Role | None = None) -> None:
    """Show ``provider``'s entries to readers holding ``role`` (every reader when None).
    Registering the same provider twice keeps one."""
    if any(existing is provider for _role, existing in _PANELS):
        return
    _PANELS.append((role, provider))


def home_for(user: AbstractBaseUser, *, now: datetime) -> dict:
    employee = employee_of(user)
    context: dict = {"employee": employee, "can_file": employee is not None}
    for role, provider in _PANELS:
        if role is None or has_role(user, role):
            context.update(provider(user, employee, now))
    return context
