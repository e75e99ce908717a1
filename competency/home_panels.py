"""The start page's training panels: the reader's open assignments, simulation drafts (HR admins)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.choices import Role
from hrcore.home import ROWS, register_panel
from hrcore.models import Employee

from .choices import VersionStatus
from .models import SimulationVersion
from .selectors import own_open_assignments


def training_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    return {
        "training_due": list(
            own_open_assignments(user).filter(completed_at__isnull=True).order_by("due_at")[:ROWS]
        )
    }


def drafts_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    return {
        "simulation_drafts": list(
            SimulationVersion.objects.filter(status=VersionStatus.DRAFT)
            .select_related("simulation")
            .order_by("-pk")[:ROWS]
        )
    }


def register() -> None:
    register_panel(training_panel)
    register_panel(drafts_panel, role=Role.HR_ADMIN)
