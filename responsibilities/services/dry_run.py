"""The dry run of a map: who would get which duty in a unit, due when, on which critical path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import AssigneeNotFound, KeelError, ValidationFailed
from hrcore.models import OrgUnit
from hrcore.selectors import Resolution, calendar_for_unit, resolve_assignees
from hrcore.sla import Calendar, Deadlines, deadlines_for

from .. import planning
from ..models import Duty, ResponsibilityMap


@dataclass
class DryRunRow:
    duty: Duty
    slot: planning.Slot
    resolution: Resolution | None
    problem: str
    starts_at: datetime
    due_at: datetime
    warn_at: datetime


@dataclass
class DryRun:
    responsibility_map: ResponsibilityMap
    unit: OrgUnit
    start: datetime
    rows: list[DryRunRow]
    plan: planning.Plan

    @property
    def critical_path(self) -> list[str]:
        return self.plan.critical_path

    @property
    def total_minutes(self) -> int:
        return self.plan.total_minutes

    @property
    def ends_at(self) -> datetime:
        """When the last decision is due (business hours respected where the duty asks)."""
        for row in self.rows:
            if row.duty.code == self.plan.target:
                return row.due_at
        return self.start

    @property
    def problems(self) -> list[str]:
        return [r.problem for r in self.rows if r.problem]


def _deadlines(starts_at: datetime, duty: Duty, calendar: Calendar | None) -> Deadlines:
    """Warning and due time exactly as the crisis engine computes them."""
    return deadlines_for(
        started_at=starts_at,
        deadline_minutes=duty.deadline_minutes,
        warn_ratio=duty.warn_ratio,
        business_hours=duty.business_hours and calendar is not None,
        calendar=calendar,
    )


def responsibility_map_dry_run(
    *, responsibility_map: ResponsibilityMap, unit: OrgUnit | None = None, start=None
) -> DryRun:
    """Who would get which duty for a crisis in ``unit`` starting at ``start``, due when, and
    the critical path to the last decision. Assumes every duty takes its full allowance; the
    clock of a business-hours duty runs only in the unit's business calendar (as in a crisis),
    while the critical path is measured in allowance minutes."""
    unit = unit or responsibility_map.scope
    if responsibility_map.scope.path and not unit.path.startswith(responsibility_map.scope.path):
        raise ValidationFailed(
            _("%(unit)s is outside the map's scope %(scope)s.")
            % {"unit": unit.name, "scope": responsibility_map.scope.name},
            errors={"unit": _("Pick a unit inside the map's scope.")},
        )
    start = start or timezone.now()
    duties = sorted(responsibility_map.duties.all(), key=lambda d: (d.order, d.pk))
    dicts = [
        {
            "code": d.code,
            "deadline_minutes": d.deadline_minutes,
            "after": d.after,
            "deliverable": d.deliverable,
        }
        for d in duties
    ]
    try:
        plan = planning.schedule(dicts)
    except ValueError as exc:
        raise ValidationFailed(
            _("The duties wait for each other in a cycle; fix the map first."),
            errors={"duties": _("Dependency cycle.")},
        ) from exc
    # Every duty's holder in one pass of the resolver (as filing resolves them), not one each.
    resolved = resolve_assignees(unit=unit, wanted={d.assignee_key for d in duties}, at=start)
    rows = []
    by_code = {d.code: d for d in duties}
    due_at: dict[str, datetime] = {}
    calendar = calendar_for_unit(unit) if any(d.business_hours for d in duties) else None
    for code in plan.order:
        duty = by_code[code]
        resolution, problem = resolved[duty.assignee_key], ""
        if isinstance(resolution, AssigneeNotFound | ValidationFailed):
            resolution, problem = None, resolution.message
        elif isinstance(resolution, KeelError):
            raise resolution
        prereqs = [due_at[a] for a in duty.after if a in due_at]
        starts_at = max(prereqs) if prereqs else start
        deadlines = _deadlines(starts_at, duty, calendar)
        warn, due = deadlines.warn_at, deadlines.due_at
        due_at[code] = due
        rows.append(
            DryRunRow(
                duty=duty,
                slot=plan.slots[code],
                resolution=resolution,
                problem=problem,
                starts_at=starts_at,
                due_at=due,
                warn_at=warn,
            )
        )
    return DryRun(
        responsibility_map=responsibility_map, unit=unit, start=start, rows=rows, plan=plan
    )
