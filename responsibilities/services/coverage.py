"""Map coverage, the writes (the reads and the computation: ``coverage_selectors``).

``coverage_recompute`` stores the result (``CoverageSnapshot`` per map, ``ScenarioCoverage``
per scenario), archives versions a future-dated one has taken over from, and alerts HR admins once
when a critical scenario drops below 100 %. The tick runs ``coverage_sweep`` (KEEL_TICK_SWEEPS):
it recomputes when something marked the snapshots stale (``coverage_mark_stale``: HR webhooks,
and the Employee/Absence/OrgUnit/Position signals) or when they are older than
``REFRESH_AFTER`` (absences start and end, evidence ages), so a change shows within a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hrcore.audit import AuditAction, audit
from hrcore.choices import Role
from hrcore.services.notifications import notification_send

from .. import coverage as pure
from ..choices import MapStatus, Severity
from ..coverage_selectors import MapCoverage, coverage_compute
from ..models import CoverageSnapshot, ResponsibilityMap, ScenarioCoverage
from ..selectors import in_force, maps_in_force

# Snapshots older than this are recomputed by the sweep (with the tick every few seconds, a
# change no signal saw still shows within a minute).
REFRESH_AFTER = timedelta(seconds=45)
ALERT_GAPS_LISTED = 5


def maps_take_over(*, at: datetime | None = None) -> list[ResponsibilityMap]:
    """Archive published versions that a newer version, effective from a date that has come,
    has taken over from (crises that started under them keep running them)."""
    at = at or timezone.now()
    published = list(ResponsibilityMap.objects.filter(status=MapStatus.PUBLISHED))
    current = {m.pk for m in in_force(published, at)}
    retired = []
    for m in published:
        superseded = m.pk not in current and (m.effective_from is None or m.effective_from <= at)
        if superseded:
            retired.append(m)
    for m in retired:
        ResponsibilityMap.objects.filter(pk=m.pk).update(status=MapStatus.ARCHIVED)
        audit(m, AuditAction.UPDATE, changes={"status": ["published", "archived"]})
    return retired


@transaction.atomic
def coverage_recompute(*, at: datetime | None = None) -> list[MapCoverage]:
    """Recompute and store the coverage of every map in force; alert HR admins once when a
    critical scenario drops below 100 % (again only after it recovered)."""
    at = at or timezone.now()
    maps_take_over(at=at)
    maps = maps_in_force(at)
    results = coverage_compute(maps, at=at)
    for r in results:
        CoverageSnapshot.objects.update_or_create(
            map=r.map,
            defaults={
                "computed_at": at,
                "covered": r.tally.covered,
                "total": r.tally.total,
                "rows": list(r.rows),
                "stale": False,
            },
        )
    CoverageSnapshot.objects.exclude(map__in=maps).delete()
    by_scenario: dict[int, list[MapCoverage]] = {}
    for r in results:
        by_scenario.setdefault(r.map.scenario_id, []).append(r)
    for scenario_results in by_scenario.values():
        _scenario_record(scenario_results, at)
    ScenarioCoverage.objects.exclude(scenario_id__in=by_scenario).delete()
    return results


def _scenario_record(results: list[MapCoverage], at: datetime) -> None:
    scenario = results[0].map.scenario
    total = pure.combined(r.tally for r in results)
    state = ScenarioCoverage.objects.select_for_update().filter(scenario=scenario).first()
    decision = pure.alert_decision(
        critical=scenario.default_severity == Severity.CRITICAL,
        score=total.score,
        alerted=bool(state and state.alerted),
    )
    ScenarioCoverage.objects.update_or_create(
        scenario=scenario,
        defaults={
            "computed_at": at,
            "covered": total.covered,
            "total": total.total,
            "alerted": decision.alerted,
        },
    )
    if decision.send:
        _alert_hr_admins(scenario, results, total, at)


def _alert_hr_admins(scenario, results: list[MapCoverage], total: pure.Tally, at) -> None:
    gaps = [row for r in results for row in r.rows if row["gaps"]]
    params = {
        "scenario": {"zh": scenario.name_zh, "en": scenario.name_en},
        "score": int(total.score * 100),
        "count": len(gaps),
        "gaps": [
            {"duty": g["duty"], "who": g["who"], "unit": g["unit_name"], "gaps": g["gaps"]}
            for g in gaps[:ALERT_GAPS_LISTED]
        ],
    }
    link = reverse("responsibilities:map_list") + f"#scenario-{scenario.code}"
    admins = get_user_model().objects.filter(groups__name=Role.HR_ADMIN, is_active=True).distinct()
    for admin in admins:
        notification_send(
            recipient=admin,
            kind="responsibility_map.coverage_dropped",
            params=params,
            link=link,
            data={"scenario": scenario.code},
            dedupe_key=f"coverage_dropped:{scenario.pk}:{int(at.timestamp())}:{admin.pk}",
        )


def coverage_mark_stale() -> None:
    """Something the coverage depends on changed (a hire, a departure, a transfer, an absence,
    a unit): the next tick recomputes. For the HR webhooks and the model signals; one UPDATE."""
    CoverageSnapshot.objects.filter(stale=False).update(stale=True)


def coverage_due(*, at: datetime | None = None) -> bool:
    """Whether the sweep should recompute: a snapshot is stale or old, or a map in force has
    none (a publication, a takeover)."""
    at = at or timezone.now()
    snapshots = CoverageSnapshot.objects.values_list("map_id", "computed_at", "stale")
    if any(stale or computed < at - REFRESH_AFTER for _m, computed, stale in snapshots):
        return True
    return {m.pk for m in maps_in_force(at)} != {m for m, _c, _s in snapshots}


def coverage_sweep() -> int:
    """The tick's sweep (KEEL_TICK_SWEEPS): recompute when due; the number of maps computed."""
    if not coverage_due():
        return 0
    return len(coverage_recompute())
