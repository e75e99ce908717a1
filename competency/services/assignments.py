"""Assignments: creating them, gap-driven pushes, reminders and overdue notices."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.claims import fire_each
from hrcore.errors import ValidationFailed
from hrcore.models import Employee
from hrcore.notification_kinds import both, person, when
from hrcore.services.notifications import notification_send

from .. import spacing
from ..choices import (
    AssignmentReason,
    RubricItemKind,
    VersionStatus,
)
from ..drill_selectors import drill_attempts
from ..models import (
    Assignment,
    Evidence,
    PositionProfile,
    SimChoice,
    SimRubricItem,
    Simulation,
    SimulationVersion,
)
from ..selectors import (
    current_levels,
    gaps_for,
    practice_history,
    profile_for,
    published_version,
)
from .guards import require_hr_admin

REMIND_BEFORE = timedelta(days=2)
DEFAULT_DUE_DAYS = 14


# --- assignments and pushes -------------------------------------------------------------------


def _assignment_link(assignment: Assignment) -> str:
    return reverse("competency:assignment_start", args=[assignment.pk])


@transaction.atomic
def assignment_create(
    *,
    employee: Employee,
    simulation: Simulation,
    reason: str,
    source_key: str,
    actor=None,
    due_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Assignment | None:
    """Assign a simulation once per ``source_key`` and tell the employee; None if it existed."""
    if reason not in AssignmentReason.values:
        raise ValidationFailed(
            _("Unknown assignment reason."),
            errors={
                "reason": [_("“%(reason)s” is not an assignment reason.") % {"reason": reason}]
            },
        )
    if published_version(simulation) is None:
        raise ValidationFailed(
            _("Only a published simulation can be assigned."),
            errors={"simulation": [_("This simulation has no published version yet.")]},
        )
    now = now or timezone.now()
    due_at = due_at or now + timedelta(days=DEFAULT_DUE_DAYS)
    if due_at <= now:
        raise ValidationFailed(
            _("The due date must be in the future."),
            errors={"due_at": [_("Pick a date after today.")]},
        )
    if Assignment.objects.filter(source_key=source_key).exists():
        return None
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                employee=employee,
                simulation=simulation,
                reason=reason,
                source_key=source_key,
                note=note[:300],
                assigned_by=actor,
                assigned_at=now,
                due_at=due_at,
            )
    except IntegrityError:
        return None
    notification_send(
        recipient=employee.user,
        kind="training.assigned",
        params={
            "simulation": both(simulation, "title"),
            "due_at": when(due_at),
            "note": note,
        },
        link=_assignment_link(assignment),
        data={"assignment_id": assignment.pk},
        dedupe_key=f"competency:assigned:{assignment.pk}",
    )
    return assignment


def assignments_assign_manual(
    *, simulation: Simulation, employees: list[Employee], due_at: datetime, actor, note: str = ""
) -> list[Assignment]:
    """HR assigns a published simulation to people (once per person and day)."""
    require_hr_admin(actor)
    day = timezone.localdate()
    created = []
    for employee in employees:
        assignment = assignment_create(
            employee=employee,
            simulation=simulation,
            reason=AssignmentReason.MANUAL,
            source_key=f"manual:{simulation.code}:{employee.pk}:{day.isoformat()}",
            actor=actor,
            due_at=due_at,
            note=note,
        )
        if assignment:
            created.append(assignment)
    return created


def _published_simulations() -> list[tuple[Simulation, SimulationVersion]]:
    versions = SimulationVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "simulation"
    )
    return [(v.simulation, v) for v in versions]


# Each published simulation with the competency codes it trains.
Catalogue = list[tuple[Simulation, frozenset[str]]]


def _trained(effects: dict | None) -> set[str]:
    return {k for k, v in (effects or {}).items() if v and v > 0}


def training_catalogue() -> Catalogue:
    """Each published simulation with the codes it trains (a positive effect of one of its
    choices or key points), in three queries whatever the number of simulations."""
    published = _published_simulations()
    trains: dict[int, set[str]] = {version.pk: set() for _s, version in published}
    for version_id, effects in SimChoice.objects.filter(node__version_id__in=trains).values_list(
        "node__version_id", "effects"
    ):
        trains[version_id] |= _trained(effects)
    for version_id, effects in SimRubricItem.objects.filter(
        node__version_id__in=trains, kind=RubricItemKind.KEY_POINT
    ).values_list("node__version_id", "effects"):
        trains[version_id] |= _trained(effects)
    return [(simulation, frozenset(trains[version.pk])) for simulation, version in published]


def simulation_for_competency(
    code: str, scenario_codes: list[str], *, catalogue: Catalogue | None = None
) -> Simulation | None:
    """A published simulation training ``code``, preferring the given scenarios (``catalogue``:
    ``training_catalogue()`` read once by a caller that asks many times)."""
    catalogue = training_catalogue() if catalogue is None else catalogue
    candidates = [simulation for simulation, trains in catalogue if code in trains]
    candidates.sort(key=lambda s: (s.scenario_code not in scenario_codes, s.code))
    return candidates[0] if candidates else None


def _open_assignment_exists(employee: Employee, simulation: Simulation) -> bool:
    return Assignment.objects.filter(
        employee=employee, simulation=simulation, completed_at__isnull=True
    ).exists()


def gap_pushes_for(
    *, employee: Employee, now: datetime | None = None, catalogue: Catalogue | None = None
) -> int:
    """Assign a simulation for each competency where the employee is below the required level,
    once per latest-evidence state, never while one for that simulation is still open."""
    now = now or timezone.now()
    profile = profile_for(employee)
    if profile is None:
        return 0
    catalogue = training_catalogue() if catalogue is None else catalogue
    created = 0
    levels = current_levels(employee)
    latest_ids = dict(
        Evidence.objects.filter(employee=employee)
        .order_by("competency_code", "observed_at", "id")
        .values_list("competency_code", "id")
    )
    for gap in gaps_for(employee, levels=levels):
        simulation = simulation_for_competency(
            gap["code"], profile.scenario_codes, catalogue=catalogue
        )
        if simulation is None or _open_assignment_exists(employee, simulation):
            continue
        key = f"gap:{employee.pk}:{gap['code']}:{latest_ids.get(gap['code'], 0)}"
        if assignment_create(
            employee=employee,
            simulation=simulation,
            reason=AssignmentReason.GAP,
            source_key=key,
            due_at=now + timedelta(days=profile.due_days),
            note=f"{gap['competency'].name_zh} {gap['current']}→{gap['required']}",
            now=now,
        ):
            created += 1
    return created


def pushes_run(*, now: datetime | None = None) -> dict[str, int]:
    """The beat sweep: spaced practice for every holder of a profiled position (expanding
    intervals after passes, soon again after a failure: ``competency.spacing``), gap-driven
    pushes, reminders and overdue notices. Idempotent: keys and compare-and-set flags stop any
    duplicate; a practice not played yet is followed up, never assigned twice."""
    now = now or timezone.now()
    counts = {"periodic": 0, "gap": 0, "reminders": 0, "overdue": 0}
    published = _published_simulations()
    catalogue = training_catalogue()  # what each simulation trains, read once for every gap
    for profile in PositionProfile.objects.filter(is_active=True).select_related("position"):
        holders = list(
            Employee.objects.filter(is_active=True, position=profile.position).select_related(
                "user", "position"
            )
        )
        simulations = [s for s, _v in published if s.scenario_code in profile.scenario_codes]
        attempts = practice_history(holders, simulations)
        # A drill of the scenario is a practice of the role too (issue 16 §5): it counts in the
        # history of each of the scenario's simulations.
        drills = drill_attempts([h.pk for h in holders], scenario_codes=profile.scenario_codes)
        pending = set(
            Assignment.objects.filter(
                employee__in=holders, simulation__in=simulations, completed_at__isnull=True
            ).values_list("employee_id", "simulation_id")
        )
        for holder in holders:
            for simulation in simulations:
                if (holder.pk, simulation.pk) in pending:
                    continue  # not played yet: reminders and overdue notices follow it up
                history = attempts.get((holder.pk, simulation.pk), []) + [
                    (d.at, d.passed)
                    for d in drills.get(holder.pk, [])
                    if d.scenario_code == simulation.scenario_code
                ]
                due = spacing.next_due(history, cadence_days=profile.cadence_days)
                if due is not None and due > now:
                    continue
                retry = bool(history) and not max(history, key=lambda a: a[0])[1]
                with transaction.atomic():
                    if assignment_create(
                        employee=holder,
                        simulation=simulation,
                        reason=AssignmentReason.RETRY if retry else AssignmentReason.PERIODIC,
                        source_key=(
                            f"periodic:{holder.pk}:{simulation.code}:"
                            f"{(due or now).strftime('%Y%m%d%H%M')}"
                        ),
                        due_at=now + timedelta(days=profile.due_days),
                        now=now,
                    ):
                        counts["periodic"] += 1
            with transaction.atomic():
                counts["gap"] += gap_pushes_for(employee=holder, now=now, catalogue=catalogue)
    counts["reminders"] = _remind_due(now)
    counts["overdue"] = _notify_overdue(now)
    return counts


def _remind_due(now: datetime) -> int:
    due_soon = Assignment.objects.filter(
        completed_at__isnull=True,
        reminded_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + REMIND_BEFORE,
    ).select_related("employee__user", "simulation")

    def remind(assignment: Assignment) -> bool:
        if not Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            return False
        notification_send(
            recipient=assignment.employee.user,
            kind="training.reminder",
            params={
                "simulation": both(assignment.simulation, "title"),
                "due_at": when(assignment.due_at),
            },
            link=_assignment_link(assignment),
            dedupe_key=f"competency:reminder:{assignment.pk}",
        )
        return True

    return fire_each(due_soon, remind, what="training reminder")


def _notify_overdue(now: datetime) -> int:
    overdue = Assignment.objects.filter(
        completed_at__isnull=True, overdue_notified_at__isnull=True, due_at__lte=now
    ).select_related("employee__user", "employee__manager__user", "simulation")

    def notify(assignment: Assignment) -> bool:
        if not Assignment.objects.filter(pk=assignment.pk, overdue_notified_at__isnull=True).update(
            overdue_notified_at=now
        ):
            return False
        employee = assignment.employee
        recipients = [employee.user]
        if employee.manager_id and employee.manager.user_id:
            recipients.append(employee.manager.user)
        for recipient in recipients:
            notification_send(
                recipient=recipient,
                kind="training.overdue",
                params={
                    "employee": person(employee),
                    "simulation": both(assignment.simulation, "title"),
                },
                link=reverse("competency:home"),
                dedupe_key=f"competency:overdue:{assignment.pk}:{recipient.pk}",
            )
        return True

    return fire_each(overdue, notify, what="overdue training notice")
