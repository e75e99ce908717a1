"""Reads of the competency app that depend on who is asking."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When

from hrcore.errors import KeelError
from hrcore.i18n import pick
from hrcore.ids import parse_id
from hrcore.models import Employee, OrgUnit
from hrcore.selectors import employee_of, is_hr_admin

from . import graph as graph_mod
from . import scoring, spacing
from .choices import FrameworkStatus, RunStatus, VersionStatus
from .drill_selectors import drill_attempts
from .models import (
    Assignment,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    ProfileRequirement,
    RecognitionEntry,
    SimChoice,
    SimNode,
    SimRubricItem,
    Simulation,
    SimulationRun,
    SimulationVersion,
)


def _own_and_reports_q(user: AbstractBaseUser, field: str = "employee") -> Q | None:
    employee = employee_of(user)
    if employee is None:
        return None
    return Q(**{field: employee}) | Q(**{f"{field}__manager": employee})


def _own_reports_or_all_for_hr(qs: QuerySet, user: AbstractBaseUser) -> QuerySet:
    """HR admins see every row; others their own and their direct reports' rows; anonymous
    users none."""
    if not user.is_authenticated:
        return qs.none()
    if is_hr_admin(user):
        return qs
    q = _own_and_reports_q(user)
    return qs.filter(q) if q is not None else qs.none()


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
    return _own_reports_or_all_for_hr(
        Assignment.objects.select_related("simulation", "employee", "employee__unit"), user
    )


def evidence_visible_to(user: AbstractBaseUser) -> QuerySet[Evidence]:
    """Levels are HR data: the person, their manager and HR admins."""
    return _own_reports_or_all_for_hr(
        Evidence.objects.select_related("employee", "competency", "actor"), user
    )


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
    failure (nobody else present can take the role, or one person holds several roles).

    The same queries for a map of 3 duties as of 30: the roles are resolved in one pass
    (``resolve_assignees``), and the pools of people, the unit heads among them, the acting
    people's evidence, their position profiles with requirements and the competencies named
    are each read once for all duties."""
    from django.utils import timezone

    from hrcore.choices import UnitKind
    from hrcore.models import Absence
    from hrcore.selectors import resolve_assignees
    from responsibilities.selectors import published_map_for

    at = at or timezone.now()
    responsibility_map = published_map_for(scenario=scenario_code, unit=unit)
    if responsibility_map is None:
        return {"map": None, "rows": [], "currency": {"current": 0, "total": 0, "percent": 100}}
    absent_ids = set(
        Absence.objects.filter(starts_at__lte=at, ends_at__gt=at).values_list(
            "employee_id", flat=True
        )
    )
    duties = list(responsibility_map.duties.all())  # in duties_ordered's order, already loaded

    resolved = resolve_assignees(unit=unit, wanted=[d.assignee_key for d in duties], at=at)
    found = {k: r for k, r in resolved.items() if not isinstance(r, KeelError)}
    # Everyone who could hold one of the roles (the pools below), read once.
    functions = {f for f, _p in found if f}
    positions = {p for f, p in found if not f}
    everyone = (
        list(
            Employee.objects.filter(is_active=True)
            .filter(
                Q(unit__kind=UnitKind.DEPARTMENT, unit__function__in=functions)
                | Q(position__code__in=positions)
            )
            .select_related("unit", "user", "position")
        )
        if found
        else []
    )
    head_ids = set(OrgUnit.objects.filter(head__in=everyone).values_list("head_id", flat=True))
    acting = {r.employee.pk: r.employee for r in found.values()}
    levels_of = _current_levels_of(list(acting))
    profiles = _profiles_of({e.position_id for e in acting.values() if e.position_id})
    codes = {code for d in duties for code in (d.competencies or [])}
    names = _competency_names(codes, {framework_id for framework_id, _r in profiles.values()})

    rows = []
    holders_count: dict[int, int] = {}
    for duty in duties:
        row = {
            "duty": duty,
            "holder": None,
            "acting": None,
            "absent": False,
            "levels": [],
            "spof": False,
            "error": "",
            "deputy": None,
        }
        resolution = resolved[duty.assignee_key]
        if isinstance(resolution, KeelError):
            row["error"] = resolution.message
            row["spof"] = True
            rows.append(row)
            continue
        function, position = duty.assignee_key
        row["holder"] = resolution.holder
        row["acting"] = resolution.employee
        row["absent"] = resolution.holder.pk in absent_ids
        path = resolution.unit.path
        people = [
            e
            for e in everyone
            if e.unit.path.startswith(path)
            and (
                (e.unit.kind == UnitKind.DEPARTMENT and e.unit.function == function)
                if function
                else (e.position_id is not None and e.position.code == position)
            )
        ]
        # the nominal holder, ranked as the resolver ranks (head, grade, depth, id), absent or not
        people.sort(key=lambda e: (e.pk not in head_ids, -e.grade, e.unit.depth, e.pk))
        if people:
            row["holder"] = people[0]
            row["absent"] = people[0].pk in absent_ids
        present = [e.pk for e in people if e.pk not in absent_ids]
        row["spof"] = len(present) <= 1
        # The deputy: who acts while the holder is away (the delegate or the next in line),
        # else the next present person in the resolver's order.
        if row["holder"] is not None and resolution.employee.pk != row["holder"].pk:
            row["deputy"] = resolution.employee
        else:
            row["deputy"] = next(
                (e for e in people[1:] if e.pk not in absent_ids and e.pk != row["holder"].pk),
                None,
            )
        levels = levels_of.get(resolution.employee.pk, {})
        framework_id, required = profiles.get(resolution.employee.position_id, (None, {}))
        for code in duty.competencies or []:
            current = levels.get(code, 0)
            need = required.get(code, 3)
            row["levels"].append(
                {
                    "code": code,
                    "name": names.get((framework_id, code)) or names.get((None, code)) or code,
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
    people = {r["holder"].pk: r["holder"] for r in rows if r["holder"] is not None}
    practice = practice_currency(list(people.values()), scenario_code=scenario_code, now=at)
    for row in rows:
        row["practice"] = practice.get(row["holder"].pk) if row["holder"] else None
    scores = _last_scores(people, {c for r in rows for c in (r["duty"].competencies or [])})
    for row in rows:
        holder = row["holder"]
        row["scores"] = (
            [
                {
                    "code": level["code"],
                    "name": level["name"],
                    "score": scores.get((holder.pk, level["code"])),
                }
                for level in row["levels"]
            ]
            if holder is not None
            else []
        )
    holders = {r["holder"].pk for r in rows if r["holder"] is not None}
    current = sum(1 for pk in holders if practice.get(pk, {}).get("current"))
    return {
        "map": responsibility_map,
        "rows": rows,
        "currency": {
            "current": current,
            "total": len(holders),
            "percent": spacing.currency_share(current, len(holders)),
        },
    }


def _last_scores(people: dict[int, Employee], codes: set[str]) -> dict[tuple[int, str], float]:
    """The latest scored evidence (a simulation, a drill, a rating…) per (person, competency):
    the last score per competency the readiness view shows. One query."""
    latest: dict[tuple[int, str], float] = {}
    for employee_id, code, score in (
        Evidence.objects.filter(employee_id__in=list(people), competency_code__in=codes)
        .exclude(score=None)
        .order_by("observed_at", "id")
        .values_list("employee_id", "competency_code", "score")
    ):
        latest[(employee_id, code)] = score
    return latest


def _current_levels_of(employee_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per employee, ``{code: level}`` from the latest evidence per competency (the level of
    ``current_levels``), for many people in one query."""
    latest: dict[int, dict[str, int]] = {}
    for employee_id, code, level in (
        Evidence.objects.filter(employee_id__in=employee_ids)
        .order_by("employee_id", "competency_code", "observed_at", "id")
        .values_list("employee_id", "competency_code", "level")
    ):
        latest.setdefault(employee_id, {})[code] = level
    return latest


def _profiles_of(position_ids: set[int]) -> dict[int, tuple[int, dict[str, int]]]:
    """Per position, its active profile (``profile_for``) as (framework id, ``{competency code:
    required level}`` of its requirements). Two queries."""
    frameworks: dict[int, tuple[int, int]] = {}  # position id -> (profile id, framework id)
    for profile_id, position_id, framework_id in (
        PositionProfile.objects.filter(position_id__in=position_ids, is_active=True)
        .order_by("position__code", "pk")
        .values_list("pk", "position_id", "framework_id")
    ):
        frameworks.setdefault(position_id, (profile_id, framework_id))
    required: dict[int, dict[str, int]] = {profile_id: {} for profile_id, _f in frameworks.values()}
    for profile_id, code, level in ProfileRequirement.objects.filter(
        profile_id__in=list(required)
    ).values_list("profile_id", "competency__code", "required_level"):
        required[profile_id][code] = level
    return {
        position_id: (framework_id, required[profile_id])
        for position_id, (profile_id, framework_id) in frameworks.items()
    }


def _competency_names(codes: set[str], framework_ids: set[int]) -> dict[tuple, str]:
    """The names ``competency_for_code`` would give: ``{(framework id, code): name}`` for the
    codes in those frameworks, and ``{(None, code): name}`` from a published framework, else
    the newest one holding the code. Two queries."""
    names: dict[tuple, str] = {}
    for competency in Competency.objects.filter(framework_id__in=framework_ids, code__in=codes):
        names.setdefault((competency.framework_id, competency.code), competency.name)
    published_first = Case(
        When(framework__status=FrameworkStatus.PUBLISHED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    for competency in Competency.objects.filter(code__in=codes).order_by(
        "code", published_first, "-framework__version"
    ):
        names.setdefault((None, competency.code), competency.name)
    return names


def drill_currency(*, scenario_code: str, unit, at=None) -> dict:
    """Drill currency of a scenario in a unit (issue 16 §5): of the people holding the roles of
    the scenario's map for the unit, how many have a current last drill or simulation —
    ``{"current", "total", "percent"}`` (no map: nobody holds a role, 100 %)."""
    data = readiness(unit=unit, scenario_code=scenario_code, at=at)
    return data.get("currency") or {"current": 0, "total": 0, "percent": 100}


def finished_runs(employees, **filters) -> QuerySet[SimulationRun]:
    """The finished runs of ``employees`` (their practice history), narrowed by ``filters``."""
    return SimulationRun.objects.filter(
        employee__in=employees, status=RunStatus.FINISHED, finished_at__isnull=False, **filters
    )


def practice_history(employees, simulations) -> dict[tuple[int, int], list[tuple[datetime, bool]]]:
    """Finished attempts ``(finished_at, passed)`` per (employee, simulation), in one query."""
    history: dict[tuple[int, int], list[tuple[datetime, bool]]] = {}
    for employee_id, simulation_id, at, passed in finished_runs(
        employees, version__simulation__in=simulations
    ).values_list("employee_id", "version__simulation_id", "finished_at", "passed"):
        history.setdefault((employee_id, simulation_id), []).append((at, bool(passed)))
    return history


def _cadences(position_ids) -> dict[int, int]:
    return dict(
        PositionProfile.objects.filter(
            is_active=True, position_id__in={p for p in position_ids if p}
        ).values_list("position_id", "cadence_days")
    )


def role_histories(
    employee_ids, scenario_codes
) -> dict[tuple[int, str], list[tuple[datetime, bool]]]:
    """Every practice ``(finished_at, passed)`` per (employee, scenario): their finished runs of
    the scenario's simulations and the finished drills of it they held a duty in. Two queries."""
    employee_ids, scenario_codes = set(employee_ids), set(scenario_codes)
    history: dict[tuple[int, str], list[tuple[datetime, bool]]] = {}
    for employee_id, code, at, passed in finished_runs(
        employee_ids, version__simulation__scenario_code__in=scenario_codes
    ).values_list("employee_id", "version__simulation__scenario_code", "finished_at", "passed"):
        history.setdefault((employee_id, code), []).append((at, bool(passed)))
    for employee_id, attempts in drill_attempts(
        employee_ids, scenario_codes=scenario_codes
    ).items():
        for attempt in attempts:
            history.setdefault((employee_id, attempt.scenario_code), []).append(
                (attempt.at, attempt.passed)
            )
    return history


def practice_current(pairs, at: datetime) -> dict[tuple[int, str], bool]:
    """For each (employee id, scenario code) with any practice (a simulation or a drill),
    whether it is current at ``at`` (``spacing.is_current`` with their profile's cadence); pairs
    without practice are left out. Three queries: the coverage's "trained" test asks this."""
    pairs = set(pairs)
    if not pairs:
        return {}
    history = role_histories({e for e, _c in pairs}, {c for _e, c in pairs})
    position_of = dict(
        Employee.objects.filter(pk__in={e for e, _c in pairs}).values_list("pk", "position_id")
    )
    cadence = _cadences(position_of.values())
    default = spacing.default_cadence_days()
    out = {}
    for pair in pairs:
        attempts = [a for a in history.get(pair, []) if a[0] <= at]
        if attempts:
            days = cadence.get(position_of.get(pair[0]), default)
            out[pair] = spacing.is_current(attempts, cadence_days=days, now=at)
    return out


def practice_currency(employees: list[Employee], *, scenario_code: str, now) -> dict[int, dict]:
    """Per employee, their practice of the scenario's role: the last finished simulation (when,
    passed, the score per competency), the last drill (when, passed, which), and whether the
    practice is current (``competency.spacing`` over simulations and drills together, with
    their profile's cadence) and when the next is due. Three queries."""
    cadence = _cadences(e.position_id for e in employees)
    default = spacing.default_cadence_days()
    history: dict[int, list] = {}
    last: dict[int, SimulationRun] = {}
    for run in finished_runs(employees, version__simulation__scenario_code=scenario_code).only(
        "employee_id", "finished_at", "passed", "competency_scores"
    ):
        history.setdefault(run.employee_id, []).append((run.finished_at, bool(run.passed)))
        if run.employee_id not in last or run.finished_at > last[run.employee_id].finished_at:
            last[run.employee_id] = run
    drills = drill_attempts([e.pk for e in employees], scenario_codes=[scenario_code])
    for employee_id, attempts in drills.items():
        history.setdefault(employee_id, []).extend((a.at, a.passed) for a in attempts)
    out = {}
    for employee in employees:
        run = last.get(employee.pk)
        drill = drills[employee.pk][-1] if drills.get(employee.pk) else None
        attempts = history.get(employee.pk, [])
        days = cadence.get(employee.position_id, default)
        latest = max(attempts, key=lambda a: a[0]) if attempts else None
        out[employee.pk] = {
            "last_at": latest[0] if latest else None,
            "passed": latest[1] if latest else None,
            "sim_at": run.finished_at if run else None,
            "sim_passed": bool(run.passed) if run else None,
            "scores": {c: s.get("percent") for c, s in (run.competency_scores or {}).items()}
            if run
            else {},
            "drill": drill,
            "current": spacing.is_current(attempts, cadence_days=days, now=now),
            "next_due": spacing.next_due(attempts, cadence_days=days),
        }
    return out


# --- levels, gaps and resilience (the ledger read back) ----------------------------------------


def scale_values(framework: Framework) -> list[int]:
    return sorted(framework.scale.levels.values_list("value", flat=True))


def profile_for(employee: Employee) -> PositionProfile | None:
    if not employee.position_id:
        return None
    return (
        PositionProfile.objects.filter(position_id=employee.position_id, is_active=True)
        .select_related("framework__scale", "position")
        .first()
    )


def competency_for_code(code: str, employee: Employee | None = None) -> Competency | None:
    """The competency called ``code`` in the employee's profile framework, else in a published
    framework, else the newest one holding that code."""
    if employee is not None:
        profile = profile_for(employee)
        if profile is not None:
            found = Competency.objects.filter(framework=profile.framework, code=code).first()
            if found is not None:
                return found
    published_first = Case(
        When(framework__status=FrameworkStatus.PUBLISHED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Competency.objects.filter(code=code)
        .select_related("framework__scale")
        .order_by(published_first, "-framework__version")
        .first()
    )


def current_levels(employee: Employee, at: datetime | None = None) -> dict[str, dict]:
    """``{code: {"level", "score", "at", "kind"}}`` from the latest evidence per competency."""
    rows = Evidence.objects.filter(employee=employee)
    if at is not None:
        rows = rows.filter(observed_at__lte=at)
    return _latest_by_code(rows.select_related("competency__framework__scale"))


def _latest_by_code(rows) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for row in rows.order_by("competency_code", "observed_at", "id"):
        latest[row.competency_code] = {
            "level": row.level,
            "score": row.score,
            "at": row.observed_at,
            "kind": row.kind,
        }
    return latest


def level_history(employee: Employee, code: str) -> list[dict]:
    return [
        {"at": e.observed_at, "level": e.level, "score": e.score, "kind": e.kind, "note": e.note}
        for e in Evidence.objects.filter(employee=employee, competency_code=code).order_by(
            "observed_at", "id"
        )
    ]


def _gap_rows(requirements, levels: dict[str, dict]) -> list[dict]:
    """Requirement rows + latest levels → the gap rows pages show (arithmetic in ``scoring``)."""
    requirements = list(requirements)
    current = {code: v.get("level", 0) for code, v in levels.items()}
    by_code = scoring.gaps({r.competency.code: r.required_level for r in requirements}, current)
    return [
        {
            "code": r.competency.code,
            "competency": r.competency,
            "required": r.required_level,
            "current": current.get(r.competency.code, 0),
            "gap": by_code[r.competency.code],
            "weight": r.weight,
        }
        for r in requirements
        if r.competency.code in by_code
    ]


def gaps_for(employee: Employee, *, levels: dict | None = None) -> list[dict]:
    """Required − current per competency of the employee's profile (only positive gaps)."""
    profile = profile_for(employee)
    if profile is None:
        return []
    levels = current_levels(employee) if levels is None else levels
    return _gap_rows(profile.requirements.select_related("competency"), levels)


def unit_gaps(unit) -> list[dict]:
    """Per person of the unit's subtree: their gaps (in a fixed number of queries)."""
    people = list(
        Employee.objects.filter(is_active=True, unit__path__startswith=unit.path).select_related(
            "position", "unit"
        )
    )
    profiles = {
        p.position_id: p
        for p in PositionProfile.objects.filter(
            is_active=True, position_id__in={e.position_id for e in people}
        ).prefetch_related("requirements__competency")
    }
    evidence: dict[int, dict] = {}
    for row in Evidence.objects.filter(employee__in=people).order_by(
        "competency_code", "observed_at", "id"
    ):
        evidence.setdefault(row.employee_id, {})[row.competency_code] = {"level": row.level}
    result = []
    for person in people:
        profile = profiles.get(person.position_id)
        if profile is None:
            continue
        gaps = _gap_rows(profile.requirements.all(), evidence.get(person.pk, {}))
        result.append({"employee": person, "gaps": gaps, "total": sum(g["gap"] for g in gaps)})
    return result


def resilience_series(employee: Employee) -> list[dict]:
    """The employee's resilience score (0–100) after each evidence date, over the competencies
    of their profile (weighted); before a profile exists, over every competency with evidence."""
    profile = profile_for(employee)
    weights: dict[str, float] = {}
    levels_of_scale: list[int] = [1, 2, 3, 4]
    if profile is not None:
        weights = {
            r.competency.code: r.weight for r in profile.requirements.select_related("competency")
        }
        levels_of_scale = scale_values(profile.framework)
    rows = Evidence.objects.filter(employee=employee).order_by("observed_at", "id")
    if weights:
        rows = rows.filter(competency_code__in=weights)
    latest: dict[str, float] = {}
    points: list[dict] = []
    for row in rows:
        value = row.score
        if value is None:
            value = (
                scoring.percent_from_level(row.level, levels_of_scale)
                if row.level in levels_of_scale
                else 0.0
            )
        latest[row.competency_code] = value
        point = {"at": row.observed_at, "score": scoring.resilience_score(latest, weights)}
        if points and points[-1]["at"].date() == row.observed_at.date():
            points[-1] = point
        else:
            points.append(point)
    return points


def graph_of(version: SimulationVersion) -> dict:
    """The version as the plain graph structure of ``competency.graph``."""
    nodes = list(version.nodes.all())
    keys = {n.pk: n.key for n in nodes}
    graph = {
        "start": keys.get(version.start_node_id),
        "nodes": {
            n.key: {"kind": n.kind, "time_limit": n.time_limit_seconds, "choices": []}
            for n in nodes
        },
    }
    for choice in SimChoice.objects.filter(node__version=version).order_by("node", "order", "id"):
        graph["nodes"][keys[choice.node_id]]["choices"].append(
            {
                "id": choice.pk,
                "next": keys.get(choice.next_node_id),
                "condition": choice.condition,
                "timeout": choice.is_timeout,
                "effects": choice.effects,
                "critical": choice.is_critical,
            }
        )
    for item in SimRubricItem.objects.filter(node__version=version).order_by("node", "order", "id"):
        graph["nodes"][keys[item.node_id]].setdefault("rubric", []).append(
            {
                "id": item.pk,
                "forbidden": item.is_forbidden,
                "phrases": item.phrases,
                "effects": item.effects,
            }
        )
    return graph


def version_problems(version: SimulationVersion) -> list[dict]:
    known = set(Competency.objects.values_list("code", flat=True))
    return graph_mod.validate_graph(graph_of(version), known_competencies=known)


def published_version(simulation: Simulation) -> SimulationVersion | None:
    return simulation.versions.filter(status=VersionStatus.PUBLISHED).first()


def visible_choices(node: SimNode, state: dict) -> list[SimChoice]:
    """Choices the player sees: conditions hold; a timed node's time-out choice is never shown."""
    return [
        c
        for c in node.choices.all()
        if not c.is_timeout and scoring.condition_holds(c.condition, state)
    ]


def choices_for_run(node: SimNode, run) -> list[SimChoice]:
    """The visible choices of ``node`` in the order this run shows them: shuffled with the run's
    seed and the node, so the order is stable within an attempt (a reload shows the same) and
    different across attempts (the first choice on screen is no strategy)."""
    shown = visible_choices(node, run.state)
    random.Random(f"{run.shuffle_seed}:{node.pk}").shuffle(shown)
    return shown


# --- what the pages list ----------------------------------------------------------------------


def rateable_competencies() -> list[dict]:
    """Competencies a manager can rate: the leaves of the published frameworks."""
    return [
        {"code": c.code, "name": c.name}
        for c in Competency.objects.filter(
            framework__status=FrameworkStatus.PUBLISHED, parent__isnull=False
        ).order_by("order")
    ]


def employees_rateable_by(user: AbstractBaseUser) -> QuerySet[Employee]:
    """Whom ``user`` may rate: HR admins anyone active, a manager their direct reports."""
    qs = Employee.objects.filter(is_active=True).select_related("unit", "position")
    if not user.is_authenticated:
        return qs.none()
    if is_hr_admin(user):
        return qs
    me = employee_of(user)
    return qs.filter(manager=me) if me is not None else qs.none()


def playable_simulations(user: AbstractBaseUser) -> list[Simulation]:
    """Simulations visible to ``user`` that have a published version to play."""
    return list(
        simulations_visible_to(user)
        .filter(versions__status=VersionStatus.PUBLISHED)
        .distinct()
        .order_by("code")
    )


def own_open_assignments(user: AbstractBaseUser) -> QuerySet[Assignment]:
    """The assignments ``user`` may start a run for: their own."""
    return assignments_visible_to(user).filter(employee__user=user)


def leaderboard(entries: QuerySet[RecognitionEntry]) -> list[dict]:
    """Stars per person over ``entries``, most first, names in the active language."""
    board = (
        entries.values("employee")
        .annotate(stars=Sum("stars"))
        .order_by("-stars", "employee__name_en")
    )
    rows = list(board)
    people = Employee.objects.select_related("unit").in_bulk([r["employee"] for r in rows])
    return [
        {
            "name": pick(people[r["employee"]], "name"),
            "unit": pick(people[r["employee"]].unit, "name"),
            "stars": r["stars"],
        }
        for r in rows
    ]


def recognition_between(user: AbstractBaseUser, start: datetime, end: datetime):
    return recognition_visible_to(user).filter(awarded_at__gte=start, awarded_at__lte=end)


def readiness_units() -> list[OrgUnit]:
    """Units a readiness view can be asked for (groups, subsidiaries, departments)."""
    return list(
        OrgUnit.objects.filter(kind__in=["group", "subsidiary", "department"]).order_by("path")
    )


def readiness_scenarios() -> list:
    from responsibilities.models import Scenario

    return list(Scenario.objects.order_by("code"))


def simulations_for_authoring() -> QuerySet[Simulation]:
    return Simulation.objects.prefetch_related("versions").order_by("code")


def version_for_authoring(pk: object) -> SimulationVersion | None:
    pk = parse_id(pk)
    if pk is None:
        return None
    return SimulationVersion.objects.select_related("simulation").filter(pk=pk).first()


def node_of(version: SimulationVersion, pk: object) -> SimNode | None:
    pk = parse_id(pk)
    return None if pk is None else SimNode.objects.filter(pk=pk, version=version).first()


def choice_of(version: SimulationVersion, pk: object) -> SimChoice | None:
    pk = parse_id(pk)
    if pk is None:
        return None
    return SimChoice.objects.filter(pk=pk, node__version=version).first()


def rubric_item_of(version: SimulationVersion, pk: object) -> SimRubricItem | None:
    pk = parse_id(pk)
    if pk is None:
        return None
    return SimRubricItem.objects.filter(pk=pk, node__version=version).first()


# --- A person's page (issue 17 §5): competencies, training and practice currency ------------


@dataclass
class TrainingRecord:
    """What a person's page shows of their training: levels per competency (latest evidence),
    gaps against their position's profile, open assignments, and per simulation their last
    practice and whether it is current (``competency.spacing``)."""

    levels: list[dict]
    gaps: list[dict]
    assignments: list[Assignment]
    practice: list[dict]


def training_record(employee: Employee, *, now: datetime, limit: int) -> TrainingRecord:
    """``employee``'s training record in a fixed number of queries (six) whatever its length."""
    latest: dict[str, Evidence] = {}
    for row in (
        Evidence.objects.filter(employee=employee)
        .select_related("competency")
        .order_by("competency_code", "observed_at", "id")
    ):
        latest[row.competency_code] = row
    levels = {code: {"level": row.level} for code, row in latest.items()}
    profile = profile_for(employee)
    gaps = (
        _gap_rows(profile.requirements.select_related("competency"), levels)
        if profile is not None
        else []
    )
    cadence = profile.cadence_days if profile is not None else spacing.DEFAULT_CADENCE_DAYS
    attempts: dict[int, list[tuple[datetime, bool]]] = {}
    simulations: dict[int, Simulation] = {}
    for run in finished_runs([employee]).select_related("version__simulation"):
        simulation = run.version.simulation
        simulations[simulation.pk] = simulation
        attempts.setdefault(simulation.pk, []).append((run.finished_at, bool(run.passed)))
    practice = []
    for pk, history in attempts.items():
        last_at, last_passed = max(history, key=lambda attempt: attempt[0])
        practice.append(
            {
                "simulation": simulations[pk],
                "last_at": last_at,
                "passed": last_passed,
                "attempts": len(history),
                "next_due": spacing.next_due(history, cadence_days=cadence),
                "current": spacing.is_current(history, cadence_days=cadence, now=now),
            }
        )
    practice.sort(key=lambda p: p["last_at"], reverse=True)
    return TrainingRecord(
        levels=[
            {"competency": row.competency, "level": row.level, "at": row.observed_at}
            for row in sorted(latest.values(), key=lambda r: r.competency.name)
        ][:limit],
        gaps=gaps,
        assignments=list(
            Assignment.objects.filter(employee=employee, completed_at__isnull=True)
            .select_related("simulation")
            .order_by("due_at", "pk")[:limit]
        ),
        practice=practice[:limit],
    )
