"""hrcore's own section of a person's page (``hrcore.person_page``): the performance record —
points this period and in all, goals with progress — linking to the full performance page."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from .models import Employee
from .performance_selectors import can_see_performance, performance_summary
from .person_page import register_section
from .selectors import PersonPageAccess

GOALS_SHOWN = 3


def performance_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict | None:
    if not can_see_performance(user, person):
        return None
    summary = performance_summary(person, recent=5)
    return {
        "total": summary.total,
        "latest_period": summary.periods[0] if summary.periods else None,
        "goals": summary.goals[:GOALS_SHOWN],
        "events": summary.events,
    }


def register() -> None:
    register_section(
        "performance", performance_section, 50, template="hrcore/person/_performance.html"
    )
