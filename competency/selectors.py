"""Reads of the competency app that depend on who is asking."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Prefetch, Q, QuerySet

from hrcore.selectors import employee_of, is_hr_admin

from .choices import RunStatus, VersionStatus
from .models import (
    Assignment,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    RecognitionEntry,
    Simulation,
    SimulationRun,
)


def _own_and_reports_q(user: AbstractBaseUser, field: str = "employee") -> Q | None:
    employee = employee_of(user)
    if employee is None:
        return None
    return Q(**{field: employee}) | Q(**{f"{field}__manager": employee})


def runs_visible_to(user: AbstractBaseUser) -> QuerySet[SimulationRun]:
    """Results are private: the player and their direct manager. HR sees aggregates only
    (``run_aggregates``), never individual runs."""
    if not user.is_authenticated:
        return SimulationRun.objects.none()
    q = _own_and_reports_q(user)
    if q is None:
        return SimulationRun.objects.none()
    return SimulationRun.objects.filter(q).select_related(
        "version__simulation", "employee", "current_node"
    )


def assignments_visible_to(user: AbstractBaseUser) -> QuerySet[Assignment]:
    """Own assignments, the direct reports' (managers watch overdue ones) and, for HR admins,
    all (they assign them)."""
    qs = Assignment.objects.select_related("simulation", "employee", "employee__unit")
    if not user.is_authenticated:
        return qs.none()
    if is_hr_admin(user):
        return qs
    q = _own_and_reports_q(user)
    return qs.filter(q) if q is not None else qs.none()


def evidence_visible_to(user: AbstractBaseUser) -> QuerySet[Evidence]:
    """Levels are HR data: the person, their manager and HR admins."""
    qs = Evidence.objects.select_related("employee", "competency", "actor")
    if not user.is_authenticated:
        return qs.none()
    if is_hr_admin(user):
        return qs
    q = _own_and_reports_q(user)
    return qs.filter(q) if q is not None else qs.none()


def frameworks_visible_to(user: AbstractBaseUser) -> QuerySet[Framework]:
    if not user.is_authenticated:
        return Framework.objects.none()
    return Framework.objects.select_related("scale").prefetch_related(
        "scale__levels",
        Prefetch(
            "competencies",
            queryset=Competency.objects.select_related("parent").prefetch_related("anchors"),
        ),
    )


def profiles_visible_to(user: AbstractBaseUser) -> QuerySet[PositionProfile]:
    if not user.is_authenticated:
        return PositionProfile.objects.none()
    return PositionProfile.objects.select_related("position", "framework").prefetch_related(
        "requirements__competency"
    )


def simulations_visible_to(user: AbstractBaseUser) -> QuerySet[Simulation]:
    """Everyone sees published simulations; HR admins also drafts."""
    if not user.is_authenticated:
        return Simulation.objects.none()
    if is_hr_admin(user):
        return Simulation.objects.all()
    return Simulation.objects.filter(versions__status=VersionStatus.PUBLISHED).distinct()


def recognition_visible_to(user: AbstractBaseUser) -> QuerySet[RecognitionEntry]:
    """Recognition is public inside the group (that is its point)."""
    if not user.is_authenticated:
        return RecognitionEntry.objects.none()
    return RecognitionEntry.objects.select_related("employee", "employee__unit")


def run_aggregates(user: AbstractBaseUser) -> list[dict]:
    """HR's view of results: per simulation, count, mean and pass rate — no names."""
    if not is_hr_admin(user):
        return []
    rows = (
        SimulationRun.objects.filter(status=RunStatus.FINISHED)
        .values(
            "version__simulation__code",
            "version__simulation__title_zh",
            "version__simulation__title_en",
        )
        .annotate(
            runs=Count("id"),
            mean=Avg("overall_score"),
            passed=Count("id", filter=Q(passed=True)),
        )
        .order_by("version__simulation__code")
    )
    return [
        {
            "code": r["version__simulation__code"],
            "title_zh": r["version__simulation__title_zh"],
            "title_en": r["version__simulation__title_en"],
            "runs": r["runs"],
            "mean": round(r["mean"] or 0, 1),
            "pass_rate": round(100 * r["passed"] / r["runs"], 1) if r["runs"] else 0,
        }
        for r in rows
    ]


def readiness(*, unit, scenario_code: str, at=None) -> dict:
    """Who holds each role the scenario's map needs for ``unit``, at what level (against the
    competencies the duty names), who is absent now, and where one person is a single point of
    failure (nobody else present can take the role, or one person holds several roles)."""
    from django.utils import timezone

    from hrcore.choices import UnitKind
    from hrcore.errors import KeelError
    from hrcore.models import Absence, Employee, OrgUnit
    from hrcore.services import resolve_assignee
    from responsibilities.selectors import published_map_for

    from . import services

    at = at or timezone.now()
    responsibility_map = published_map_for(scenario=scenario_code, unit=unit)
    if responsibility_map is None:
        return {"map": None, "rows": []}
    absent_ids = set(
        Absence.objects.filter(starts_at__lte=at, ends_at__gt=at).values_list(
            "employee_id", flat=True
        )
    )
    rows = []
    holders_count: dict[int, int] = {}
    for duty in responsibility_map.duties.all().order_by("order", "id"):
        function = duty.assignee_function or None
        position = duty.assignee_position.code if duty.assignee_position_id else None
        row = {
            "duty": duty,
            "holder": None,
            "acting": None,
            "absent": False,
            "levels": [],
            "spof": False,
            "error": "",
        }
        try:
            resolution = resolve_assignee(unit=unit, function=function, position=position, at=at)
        except KeelError as exc:
            row["error"] = exc.message
            row["spof"] = True
            rows.append(row)
            continue
        row["holder"] = resolution.holder
        row["acting"] = resolution.employee
        row["absent"] = resolution.holder.pk in absent_ids
        pool = Employee.objects.filter(is_active=True, unit__path__startswith=resolution.unit.path)
        if function:
            pool = pool.filter(unit__kind=UnitKind.DEPARTMENT, unit__function=function)
        else:
            pool = pool.filter(position__code=position)
        people = list(pool.select_related("unit", "user", "position"))
        head_ids = set(OrgUnit.objects.filter(head__in=people).values_list("head_id", flat=True))
        # the nominal holder, ranked as the resolver ranks (head, grade, depth, id), absent or not
        people.sort(key=lambda e: (e.pk not in head_ids, -e.grade, e.unit.depth, e.pk))
        if people:
            row["holder"] = people[0]
            row["absent"] = people[0].pk in absent_ids
        present = [e.pk for e in people if e.pk not in absent_ids]
        row["spof"] = len(present) <= 1
        levels = services.current_levels(resolution.employee)
        profile = services.profile_for(resolution.employee)
        required = {}
        if profile is not None:
            required = {
                r.competency.code: r.required_level
                for r in profile.requirements.select_related("competency")
            }
        for code in duty.competencies or []:
            competency = services.competency_for_code(code, resolution.employee)
            current = levels.get(code, {}).get("level", 0)
            need = required.get(code, 3)
            row["levels"].append(
                {
                    "code": code,
                    "name": competency.name if competency else code,
                    "current": current,
                    "required": need,
                    "ok": current >= need,
                }
            )
        holders_count[resolution.employee.pk] = holders_count.get(resolution.employee.pk, 0) + 1
        rows.append(row)
    for row in rows:
        if row["acting"] is not None and holders_count.get(row["acting"].pk, 0) > 1:
            row["spof"] = True
            row["multi"] = True
    return {"map": responsibility_map, "rows": rows}
