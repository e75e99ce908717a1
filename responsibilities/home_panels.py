"""The start page's responsibility panels: coverage gaps and map drafts (HR admins).

Coverage gaps are resolved once per distinct (scope, function/position) with the same resolver
the crisis engine uses when it files a crisis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.choices import Role
from hrcore.errors import KeelError
from hrcore.home import ROWS, register_panel
from hrcore.models import Employee
from hrcore.selectors import resolve_assignee

from .choices import MapStatus
from .models import Duty, ResponsibilityMap


@dataclass(frozen=True)
class CoverageGap:
    map_title: str
    map_pk: int
    duty_code: str
    who: str
    kind: str  # "vacant" | "absent"
    detail: str


def coverage_gaps(*, at: datetime | None = None, limit: int = ROWS) -> list[CoverageGap]:
    """Duties of published maps whose holder is missing (vacant) or away (absent: a delegate
    or someone further up answers instead)."""
    duties = (
        Duty.objects.filter(map__status=MapStatus.PUBLISHED)
        .select_related("map", "map__scenario", "map__scope", "assignee_position")
        .order_by("map__scenario__code", "order", "pk")
    )
    seen: dict[tuple, tuple[str, str] | None] = {}
    gaps: list[CoverageGap] = []
    for duty in duties:
        function = duty.assignee_function or None
        position = duty.assignee_position.code if duty.assignee_position_id else None
        if not function and not position:
            continue
        key = (duty.map.scope_id, function, position)
        if key not in seen:
            try:
                found = resolve_assignee(
                    unit=duty.map.scope, function=function, position=position, at=at
                )
            except KeelError as exc:
                seen[key] = ("vacant", exc.message)
            else:
                seen[key] = ("absent", found.holder.name) if found.via_delegate else None
        if seen[key] is None:
            continue
        kind, detail = seen[key]
        gaps.append(
            CoverageGap(duty.map.title, duty.map_id, duty.code, duty.assignee_label, kind, detail)
        )
        if len(gaps) >= limit:
            break
    return gaps


def hr_admin_panel(user: AbstractBaseUser, employee: Employee | None, now: datetime) -> dict:
    return {
        "coverage_gaps": coverage_gaps(at=now),
        "map_drafts": list(
            ResponsibilityMap.objects.filter(status=MapStatus.DRAFT)
            .select_related("scenario")
            .order_by("-pk")[:ROWS]
        ),
    }


def register() -> None:
    register_panel(hr_admin_panel, role=Role.HR_ADMIN)
