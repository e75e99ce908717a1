"""Spaced re-drills (issue 16 §5): who is due to practise their crisis role again.

Each holder of a role in a map in force practises it at expanding intervals (``spacing``: 1
week, 1 month, 3 months, then the cadence; sooner after a failed attempt), and a drill on the
real engine counts as a practice alongside the scenario's simulations. The spaced-practice sweep
(``services.assignments.pushes_run``) assigns the next simulation; this module proposes the next
drill: the holders due, per scenario and unit, for HR admins to book with one click (the crisis
engine's ``drill_schedule``). Read only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from crisis.selectors.drills import schedules_pending
from hrcore.models import Employee, OrgUnit
from responsibilities.coverage_selectors import coverage_by_scenario

from . import spacing
from .drill_selectors import drill_attempts
from .models import PositionProfile
from .selectors import role_histories

NEVER, FAILED, DUE = "never", "failed", "due"


@dataclass
class RedrillPerson:
    employee: Employee
    duties: list[str]
    last_at: datetime | None
    passed: bool | None
    next_due: datetime | None
    reason: str  # never practised, last drill failed, or due again (interval out, or a retry)


@dataclass
class RedrillGroup:
    """The holders of one scenario's roles in one unit who are due a drill."""

    scenario: object
    unit: OrgUnit
    people: list[RedrillPerson] = field(default_factory=list)
    booked_at: datetime | None = None  # a drill already booked for this scenario and unit

    @property
    def failed(self) -> int:
        return sum(1 for p in self.people if p.reason == FAILED)

    @property
    def overdue(self) -> int:
        return sum(1 for p in self.people if p.reason == DUE)

    @property
    def never(self) -> int:
        return sum(1 for p in self.people if p.reason == NEVER)


def redrill_due(*, at: datetime | None = None) -> list[RedrillGroup]:
    """Per scenario and unit of the maps in force, the role holders whose next practice is due
    (never practised, failed their last drill, or due again: the expanding interval has run out
    or a failed simulation's retry has come), failed drills first. A fixed number of queries
    (the coverage snapshots give who holds which role)."""
    at = at or timezone.now()
    holders: dict[tuple[str, str], dict[int, list[str]]] = {}
    scenarios = {}
    for sc in coverage_by_scenario(at=at):
        scenarios[sc.scenario.code] = sc.scenario
        for view in sc.maps:
            for row in view.rows:
                if row["holder"] is not None:
                    duties = holders.setdefault((sc.scenario.code, row["unit"]), {})
                    duties.setdefault(row["holder"]["id"], []).append(row["duty"])
    if not holders:
        return []
    people = {
        e.pk: e
        for e in Employee.objects.filter(
            pk__in={pk for ids in holders.values() for pk in ids}, is_active=True
        ).select_related("unit", "position")
    }
    units = {u.code: u for u in OrgUnit.objects.filter(code__in={u for _s, u in holders})}
    history = role_histories(people, scenarios)
    # Simulation results are private (the player and their manager): the list names a failed
    # drill (the drill report shows it to HR anyway), a failed simulation only as "due again".
    failed_drills = {
        (employee_id, a.scenario_code, a.at)
        for employee_id, attempts in drill_attempts(people, scenario_codes=scenarios).items()
        for a in attempts
        if not a.passed
    }
    cadence = dict(
        PositionProfile.objects.filter(
            is_active=True, position_id__in={e.position_id for e in people.values()}
        ).values_list("position_id", "cadence_days")
    )
    default = spacing.default_cadence_days()
    booked: dict[tuple[str, str], datetime] = {}
    for schedule in schedules_pending():
        booked.setdefault((schedule.scenario.code, schedule.unit.code), schedule.starts_at)
    groups = []
    for (code, unit_code), by_person in holders.items():
        if unit_code not in units:
            continue
        group = RedrillGroup(
            scenarios[code], units[unit_code], booked_at=booked.get((code, unit_code))
        )
        for employee_id, duties in by_person.items():
            employee = people.get(employee_id)
            if employee is None:
                continue
            attempts = [a for a in history.get((employee_id, code), []) if a[0] <= at]
            days = cadence.get(employee.position_id, default)
            due = spacing.next_due(attempts, cadence_days=days)
            if due is not None and due > at:
                continue
            latest = max(attempts, key=lambda a: a[0]) if attempts else None
            if latest is None:
                reason = NEVER
            elif not latest[1] and (employee_id, code, latest[0]) in failed_drills:
                reason = FAILED
            else:
                reason = DUE
            group.people.append(
                RedrillPerson(
                    employee=employee,
                    duties=sorted(set(duties)),
                    last_at=latest[0] if latest else None,
                    passed=latest[1] if latest else None,
                    next_due=due,
                    reason=reason,
                )
            )
        if group.people:
            order = {FAILED: 0, DUE: 1, NEVER: 2}
            group.people.sort(key=lambda p: (order[p.reason], p.employee.name_en, p.employee.pk))
            groups.append(group)
    groups.sort(key=lambda g: (-g.failed, -len(g.people), g.scenario.code, g.unit.path))
    return groups
