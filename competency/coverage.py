"""Whose competency evidence is current, for the coverage of responsibility maps (registered in
``responsibilities.competencies`` by ``CompetencyConfig.ready``).

Evidence for a skill is current when the person's latest evidence for it, observed at or before
the moment, is no older than their position profile's practice cadence (``cadence_days``; the one
default ``spacing.default_cadence_days()`` without an active profile) and shows a level above the
bottom of the competency's scale (and above 0). The latest result counts: a newer failed result
(a late drill, a simulation in the lowest band) makes the skill not current, however good an
older one was. Whether the level meets the profile's requirement is the readiness
page's question (competency gaps), not coverage's.

``current_practice`` answers the second half of "trained": whether the person's last drill or
simulation for the scenario's role is current (drill currency, ``selectors.practice_current``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Min

from hrcore.models import Employee

from . import spacing
from .models import Competency, Evidence, PositionProfile
from .selectors import practice_current


def current_evidence(pairs: Iterable[tuple[int, str]], at: datetime) -> set[tuple[int, str]]:
    """The (employee id, competency code) pairs whose evidence is current at ``at``: three
    queries whatever the number of pairs."""
    pairs = set(pairs)
    if not pairs:
        return set()
    employee_ids = {e for e, _c in pairs}
    codes = {c for _e, c in pairs}
    position_of = dict(
        Employee.objects.filter(pk__in=employee_ids).values_list("pk", "position_id")
    )
    cadence = dict(
        PositionProfile.objects.filter(
            is_active=True, position_id__in={p for p in position_of.values() if p}
        ).values_list("position_id", "cadence_days")
    )
    default = spacing.default_cadence_days()
    oldest = at - timedelta(days=max([default, *cadence.values()]))
    # The latest row per pair within the longest cadence (an older latest is not current anyway).
    latest: dict[tuple[int, str], tuple[datetime, int, int]] = {}
    for employee_id, code, seen, level, competency_id in (
        Evidence.objects.filter(
            employee_id__in=employee_ids,
            competency_code__in=codes,
            observed_at__lte=at,
            observed_at__gte=oldest,
        )
        .order_by("observed_at", "id")
        .values_list("employee_id", "competency_code", "observed_at", "level", "competency_id")
    ):
        latest[(employee_id, code)] = (seen, level, competency_id)
    # The bottom of each competency's scale: a result there is a failed one (a late drill, a
    # simulation in the lowest band, a rating of "aware" only).
    floor = dict(
        Competency.objects.filter(pk__in={c for _s, _l, c in latest.values()})
        .annotate(floor=Min("framework__scale__levels__value"))
        .values_list("pk", "floor")
    )
    current = set()
    for employee_id, code in pairs:
        found = latest.get((employee_id, code))
        days = cadence.get(position_of.get(employee_id), default)
        if found is None or found[0] < at - timedelta(days=days):
            continue
        if found[1] > max(floor.get(found[2]) or 0, 0):
            current.add((employee_id, code))
    return current


def current_practice(pairs: Iterable[tuple[int, str]], at: datetime) -> dict[tuple[int, str], bool]:
    """For map coverage: per (employee id, scenario code) with any practice, whether the last
    drill or simulation for the role is current (pairs without practice are left out)."""
    return practice_current(pairs, at)


def _evidence_recorded(sender, **kwargs) -> None:
    from django.db import transaction

    from responsibilities.services.coverage import coverage_mark_stale

    if not kwargs.get("raw"):
        transaction.on_commit(coverage_mark_stale)


def connect() -> None:
    """New evidence can make a holder trained: mark the map coverage stale (after commit)."""
    from django.db.models.signals import post_save

    post_save.connect(_evidence_recorded, sender=Evidence, dispatch_uid="coverage-stale-evidence")
