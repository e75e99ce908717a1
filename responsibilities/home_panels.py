"""The start page's responsibility panels: coverage gaps (HR admins and executives) and map
drafts (HR admins).

Coverage comes from the stored snapshots (``coverage_selectors``): every duty of the maps in
force resolved with the same resolver the crisis engine uses when it files a crisis, checked
for presence, two contact channels and current training."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.choices import Role
from hrcore.home import ROWS, register_panel
from hrcore.models import Employee

from .choices import MapStatus
from .coverage_selectors import coverage_gaps_overview
from .models import ResponsibilityMap


def coverage_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    return {"coverage_gaps": coverage_gaps_overview(at=now)}


def hr_admin_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    return {
        "map_drafts": list(
            ResponsibilityMap.objects.filter(status=MapStatus.DRAFT)
            .select_related("scenario")
            .order_by("-pk")[:ROWS]
        ),
    }


def register() -> None:
    register_panel(coverage_panel, role=Role.HR_ADMIN)
    register_panel(hr_admin_panel, role=Role.HR_ADMIN)
    register_panel(executive_coverage_panel, role=Role.EXECUTIVE)


def executive_coverage_panel(user, employee, now) -> dict:
    """The same panel for executives (a separate provider: one registered per role; an HR
    admin who is also an executive computes it once more, harmlessly)."""
    return coverage_panel(user, employee, now)
