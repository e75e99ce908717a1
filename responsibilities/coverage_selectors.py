"""Reads of map coverage: computing it (``coverage_compute``, a read: nothing is written) and the
snapshots the pages, the dashboard and the API show (``services.coverage`` stores them).

``coverage_compute`` resolves every duty of the given maps in every unit they cover with the one
resolver (``hrcore.selectors.resolve_assignees_in_units``, three passes over one pool: who acts,
whose role it is, who stands in when the holder cannot) and asks the competency app once whose
evidence is current — a constant number of queries whatever the number of maps, units and
duties. The arithmetic is ``responsibilities.coverage`` (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone, translation

from hrcore.choices import Role, UnitKind
from hrcore.contact import ContactCard
from hrcore.models import Employee, OrgUnit
from hrcore.selectors import Resolution, employee_of, has_role, resolve_assignees_in_units

from . import coverage as pure
from .competencies import current_training, practice_currency
from .models import CoverageSnapshot, Duty, ResponsibilityMap, Scenario
from .selectors import maps_in_force

# A snapshot older than this (or marked stale) is not shown: the coverage is computed afresh
# for the reader, and the tick's sweep stores a new one (``services.coverage``).
FRESH_FOR = timedelta(seconds=60)


@dataclass(frozen=True)
class MapCoverage:
    """One map's coverage: the pure result and the rows as stored and served."""

    map: ResponsibilityMap
    units: tuple[OrgUnit, ...]
    result: pure.Coverage
    rows: tuple[dict, ...]

    @property
    def tally(self) -> pure.Tally:
        return self.result.tally


def covered_units(
    maps: Sequence[ResponsibilityMap], *, others: Iterable[ResponsibilityMap] = ()
) -> dict[int, list[OrgUnit]]:
    """The units each map covers: its scope and every group or subsidiary in its subtree that
    no nearer map of the same scenario (among ``maps`` and ``others``, the maps in force) takes
    over. Departments resolve like their company except for the duties they hold themselves;
    the API answers for one on demand (``?unit=``). One query."""
    all_maps = {m.pk: m for m in [*maps, *others]}.values()
    scopes_by_scenario: dict[int, list[OrgUnit]] = {}
    for m in all_maps:
        scopes_by_scenario.setdefault(m.scenario_id, []).append(m.scope)
    companies = list(OrgUnit.objects.exclude(kind=UnitKind.DEPARTMENT).order_by("path"))
    out: dict[int, list[OrgUnit]] = {}
    for m in maps:
        nearer = [
            s.path
            for s in scopes_by_scenario[m.scenario_id]
            if s.path != m.scope.path and s.path.startswith(m.scope.path)
        ]
        units = [m.scope] + [
            u
            for u in companies
            if u.pk != m.scope_id
            and u.path.startswith(m.scope.path)
            and not any(u.path.startswith(p) for p in nearer)
        ]
        out[m.pk] = units
    return out


def _both(make) -> dict[str, str]:
    out = {}
    for language, key in (("zh-hans", "zh"), ("en", "en")):
        with translation.override(language):
            out[key] = str(make())
    return out


def _person_row(employee: Employee, check: pure.PersonCheck) -> dict:
    return {
        "id": employee.pk,
        "name": {"zh": employee.name_zh, "en": employee.name_en},
        "position": (
            {"zh": employee.position.title_zh, "en": employee.position.title_en}
            if employee.position_id
            else None
        ),
        "unit": employee.unit.code,
        "unit_name": {"zh": employee.unit.name_zh, "en": employee.unit.name_en},
        "channels": list(check.channels),
        "issues": list(check.issues),
        "missing_skills": list(check.missing_skills),
        "practice_current": check.practice_current,
    }


def coverage_compute(
    maps: Sequence[ResponsibilityMap],
    *,
    at: datetime | None = None,
    units: dict[int, list[OrgUnit]] | None = None,
) -> list[MapCoverage]:
    """The coverage of ``maps`` at ``at`` (default now) over their covered units (or the given
    ``units`` per map id), in a constant number of queries."""
    at = at or timezone.now()
    maps = list(maps)
    if units is None:
        units = covered_units(maps, others=maps_in_force(at))
    duties_of: dict[int, list[Duty]] = {m.pk: [] for m in maps}
    for duty in (
        Duty.objects.filter(map__in=maps)
        .select_related("assignee_position")
        .order_by("order", "id")
    ):
        duties_of[duty.map_id].append(duty)
    all_units = {u.pk: u for unit_list in units.values() for u in unit_list}.values()
    keys = {d.assignee_key for duties in duties_of.values() for d in duties}
    acting = resolve_assignees_in_units(units=all_units, wanted=keys, at=at)
    nominal = resolve_assignees_in_units(units=all_units, wanted=keys, at=at, ignore_absences=True)
    holders = {
        (unit_pk, key): r.holder.pk
        for unit_pk, found in nominal.items()
        for key, r in found.items()
        if isinstance(r, Resolution)
    }
    standing_in = resolve_assignees_in_units(
        units=all_units, wanted=keys, at=at, passed_over=holders
    )

    # (unit id, key) → (holder, whether the holder is away, deputy)
    people: dict[tuple[int, tuple[str, str]], tuple[Employee | None, bool, Employee | None]] = {}
    for unit_pk, key in {(u.pk, k) for u in all_units for k in keys}:
        holder_r = nominal[unit_pk][key]
        if not isinstance(holder_r, Resolution):
            people[(unit_pk, key)] = (None, False, None)
            continue
        holder = holder_r.holder
        act = acting[unit_pk][key]
        present = (
            isinstance(act, Resolution) and act.holder.pk == holder.pk and not act.via_delegate
        )
        if not present and isinstance(act, Resolution):
            deputy = act.employee  # the delegate, or the next in line while the holder is away
        else:
            stand = standing_in[unit_pk][key]
            deputy = stand.employee if isinstance(stand, Resolution) else None
        people[(unit_pk, key)] = (holder, not present, deputy)

    scenario_code = dict(
        Scenario.objects.filter(pk__in={m.scenario_id for m in maps}).values_list("pk", "code")
    )
    pairs, role_pairs = set(), set()
    for m in maps:
        for duty in duties_of[m.pk]:
            for u in units[m.pk]:
                holder, _absent, deputy = people[(u.pk, duty.assignee_key)]
                role_pairs |= {
                    (p.pk, scenario_code[m.scenario_id]) for p in (holder, deputy) if p is not None
                }
                pairs |= {
                    (p.pk, skill)
                    for p in (holder, deputy)
                    if p is not None
                    for skill in duty.competencies or []
                }
    current = current_training(pairs, at)
    practised = practice_currency(role_pairs, at)
    channels: dict[int, tuple[str, ...]] = {}

    def check(person: Employee, duty: Duty, absent: bool, scenario: str) -> pure.PersonCheck:
        if person.pk not in channels:
            channels[person.pk] = pure.reach_channels(ContactCard.of(person))
        skills = list(duty.competencies or [])
        held = None if current is None else {s for s in skills if (person.pk, s) in current}
        practice = None if practised is None else practised.get((person.pk, scenario))
        issues = pure.person_issues(
            absent=absent,
            channels=channels[person.pk],
            skills=skills,
            current=held,
            practice_current=practice,
        )
        missing = () if held is None else tuple(s for s in skills if s not in held)
        return pure.PersonCheck(person.pk, channels[person.pk], issues, missing, practice)

    who = {d.pk: _both(lambda d=d: d.assignee_label) for ds in duties_of.values() for d in ds}
    out = []
    for m in maps:
        covers, rows = [], []
        for u in units[m.pk]:
            for duty in duties_of[m.pk]:
                holder, absent, deputy = people[(u.pk, duty.assignee_key)]
                code = scenario_code[m.scenario_id]
                h = check(holder, duty, absent, code) if holder is not None else None
                d = check(deputy, duty, False, code) if deputy is not None else None
                cover = pure.DutyCover(duty.code, u.code, h, d)
                covers.append(cover)
                rows.append(
                    {
                        "unit": u.code,
                        "unit_name": {"zh": u.name_zh, "en": u.name_en},
                        "duty": duty.code,
                        "who": who[duty.pk],
                        "holder": _person_row(holder, h) if holder is not None else None,
                        "deputy": _person_row(deputy, d) if deputy is not None else None,
                        "covered_by": cover.covered_by,
                        "gaps": list(cover.gaps),
                    }
                )
        out.append(MapCoverage(m, tuple(units[m.pk]), pure.Coverage(tuple(covers)), tuple(rows)))
    return out


def currency_of(rows: Sequence[dict]) -> dict:
    """Drill currency of coverage rows (``pure.practice_share``): ``{"current", "total",
    "percent", "units": [{"unit", "unit_name", "current", "total", "percent"}]}``."""
    overall, per_unit = pure.practice_share(rows)
    names = {r["unit"]: r["unit_name"] for r in rows}
    return {
        "current": overall.current,
        "total": overall.total,
        "percent": overall.percent,
        "units": [
            {
                "unit": unit,
                "unit_name": names[unit],
                "current": share.current,
                "total": share.total,
                "percent": share.percent,
            }
            for unit, share in per_unit
        ],
    }


@dataclass(frozen=True)
class CoverageView:
    """A map's coverage as pages and the API show it (from a fresh snapshot, else computed)."""

    map: ResponsibilityMap
    covered: int
    total: int
    rows: tuple[dict, ...]
    computed_at: datetime

    @property
    def score(self) -> float:
        return pure.Tally(self.covered, self.total).score

    @property
    def percent(self) -> int:
        return int(self.score * 100)

    @property
    def gaps(self) -> list[dict]:
        return [r for r in self.rows if r["gaps"]]

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(r["unit"] for r in self.rows))

    @property
    def currency(self) -> dict:
        return currency_of(self.rows)


def _view(result: MapCoverage, at: datetime) -> CoverageView:
    t = result.tally
    return CoverageView(result.map, t.covered, t.total, result.rows, at)


def coverages(
    maps: Sequence[ResponsibilityMap], *, at: datetime | None = None
) -> list[CoverageView]:
    """The coverage of each of ``maps`` (maps in force): fresh snapshots as stored, the rest
    computed together — a constant number of queries."""
    at = at or timezone.now()
    maps = list(maps)
    snapshots = {
        s.map_id: s
        for s in CoverageSnapshot.objects.filter(
            map__in=maps, stale=False, computed_at__gte=at - FRESH_FOR
        )
    }
    missing = [m for m in maps if m.pk not in snapshots]
    computed = {r.map.pk: _view(r, at) for r in coverage_compute(missing, at=at)} if missing else {}
    out = []
    for m in maps:
        s = snapshots.get(m.pk)
        if s is not None:
            out.append(CoverageView(m, s.covered, s.total, tuple(s.rows), s.computed_at))
        else:
            out.append(computed[m.pk])
    return out


def coverage_for_unit(
    responsibility_map: ResponsibilityMap, unit: OrgUnit, *, at: datetime | None = None
) -> CoverageView:
    """One map's coverage in one unit of its scope (a department too), computed now."""
    result = coverage_compute([responsibility_map], at=at, units={responsibility_map.pk: [unit]})
    return _view(result[0], at or timezone.now())


@dataclass(frozen=True)
class ScenarioCoverageView:
    scenario: object
    maps: tuple[CoverageView, ...]

    @property
    def tally(self) -> pure.Tally:
        return pure.combined(pure.Tally(v.covered, v.total) for v in self.maps)

    @property
    def score(self) -> float:
        return self.tally.score

    @property
    def percent(self) -> int:
        return int(self.score * 100)

    @property
    def gaps(self) -> list[dict]:
        return [dict(g, map=v.map) for v in self.maps for g in v.gaps]

    @property
    def critical(self) -> bool:
        return self.scenario.default_severity == "critical"

    @property
    def currency(self) -> dict:
        return currency_of([r for v in self.maps for r in v.rows])


def coverage_by_scenario(*, at: datetime | None = None) -> list[ScenarioCoverageView]:
    """Every scenario with maps in force and its coverage (maps pooled), critical first."""
    at = at or timezone.now()
    maps = maps_in_force(at)
    grouped: dict[int, list[CoverageView]] = {}
    for view in coverages(maps, at=at):
        grouped.setdefault(view.map.scenario_id, []).append(view)
    out = [ScenarioCoverageView(views[0].map.scenario, tuple(views)) for views in grouped.values()]
    return sorted(out, key=lambda s: (not s.critical, s.scenario.code))


def coverage_gaps_overview(*, at: datetime | None = None) -> list[ScenarioCoverageView]:
    """The scenarios below 100 %, for the dashboard and the home page."""
    return [s for s in coverage_by_scenario(at=at) if s.tally.covered < s.tally.total]


ALL_UNITS = ""  # a path prefix every unit's path starts with


def coverage_scope(user) -> str | None:
    """The units whose coverage ``user`` may read, as a path prefix: every unit for HR admins
    and executives (``ALL_UNITS``); for a manager their own company (the subsidiary their
    department belongs to) and what lies below it — the people they would work a crisis with;
    None for everyone else (coverage names who cannot be reached or is untrained)."""
    if has_role(user, Role.HR_ADMIN, Role.EXECUTIVE):
        return ALL_UNITS
    employee = employee_of(user)
    if employee is None or not has_role(user, Role.MANAGER):
        return None
    unit = employee.unit
    if unit.kind == UnitKind.DEPARTMENT and unit.parent_id is not None:
        unit = unit.parent
    return unit.path


def readable(view: CoverageView, scope: str, paths: dict[str, str]) -> CoverageView:
    """``view`` restricted to the units under ``scope`` (``paths``: unit code → path)."""
    if scope == ALL_UNITS:
        return view
    rows = tuple(r for r in view.rows if paths.get(r["unit"], "").startswith(scope))
    t = pure.Tally(sum(1 for r in rows if not r["gaps"]), len(rows))
    return CoverageView(view.map, t.covered, t.total, rows, view.computed_at)


def unit_paths(codes: Iterable[str]) -> dict[str, str]:
    return dict(OrgUnit.objects.filter(code__in=list(codes)).values_list("code", "path"))
