"""Whose competency evidence is current, for the coverage of responsibility maps (registered in
``responsibilities.competencies`` by ``CompetencyConfig.ready``).

Evidence for a skill is current when the person's latest evidence for it, observed at or before
the moment, is no older than their position profile's practice cadence (``cadence_days``;
``DEFAULT_VALID_DAYS`` without an active profile) and shows a level of at least 1. Whether the
level meets the profile's requirement is the readiness page's question (competency gaps), not
coverage's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Max

from hrcore.models import Employee

from .models import Evidence, PositionProfile

DEFAULT_VALID_DAYS = 365


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
    latest = {
        (row["employee_id"], row["competency_code"]): row["at"]
        for row in Evidence.objects.filter(
            employee_id__in=employee_ids,
            competency_code__in=codes,
            observed_at__lte=at,
            level__gte=1,
        )
        .values("employee_id", "competency_code")
        .annotate(at=Max("observed_at"))
        .order_by()
    }
    current = set()
    for employee_id, code in pairs:
        seen = latest.get((employee_id, code))
        days = cadence.get(position_of.get(employee_id), DEFAULT_VALID_DAYS)
        if seen is not None and seen >= at - timedelta(days=days):
            current.add((employee_id, code))
    return current


def _evidence_recorded(sender, **kwargs) -> None:
    from django.db import transaction

    from responsibilities.services.coverage import coverage_mark_stale

    if not kwargs.get("raw"):
        transaction.on_commit(coverage_mark_stale)


def connect() -> None:
    """New evidence can make a holder trained: mark the map coverage stale (after commit)."""
    from django.db.models.signals import post_save

    post_save.connect(_evidence_recorded, sender=Evidence, dispatch_uid="coverage-stale-evidence")
