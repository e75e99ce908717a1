"""The dashboard's metrics rollups (issue 12 §2): per local day × unit × scenario, the crises
filed, each milestone's count and summed duration (``CrisisDayRollup``) and the timed/breached
tasks per duty (``CrisisDutyRollup``). A service that changes a task or a milestone recomputes
the rollups of its crisis's day in its own transaction — recomputed from the rows of that one
bucket rather than adjusted by a delta, so they cannot drift; the dashboard then reads a few
rows per day instead of aggregating every crisis of the window. The one exception is filing
(``crisis_rollup_count_filed``): a new crisis only adds its own contribution — one crisis, its
timed tasks — to its bucket, under the same bucket lock, in two or three statements instead of
re-aggregating the whole bucket on every filing."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from hrcore.inserts import pipelined

from ..choices import CrisisStatus
from ..metrics import TaskFact, task_breached
from ..models import Crisis, CrisisDayRollup, CrisisDutyRollup, Task
from ..selectors.dashboard import MILESTONE_COLUMNS, breach_conditions


def rollup_zone() -> ZoneInfo:
    """The calendar the rollups' days follow: the organisation's (``TIME_ZONE``)."""
    return ZoneInfo(settings.TIME_ZONE)


def counted_crises() -> QuerySet[Crisis]:
    """The crises the metrics count: real ones (no drill) that were not cancelled."""
    return Crisis.objects.filter(is_drill=False).exclude(status=CrisisStatus.CANCELLED)


def _day_bounds(day) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=rollup_zone())
    return start, start + timedelta(days=1)


def crisis_rollup_refresh(crisis_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute the rollups of the days (× unit × scenario) of these crises; returns how many
    buckets. One query finds the buckets, then per bucket: two aggregates, a delete and a bulk
    insert — the work of one day's crises of one unit and scenario, however long the history."""
    now = now or timezone.now()
    ids = [i for i in crisis_ids if i is not None]
    if not ids:
        return 0
    buckets = set(
        Crisis.objects.filter(pk__in=ids)
        .annotate(r_day=TruncDate("filed_at", tzinfo=rollup_zone()))
        .values_list("r_day", "unit_id", "scenario_id")
        .order_by()
        .distinct()
    )
    for day, unit_id, scenario_id in sorted(buckets, key=lambda b: (str(b[0]), b[1], b[2])):
        _bucket_refresh(day, unit_id, scenario_id, now)
    return len(buckets)


def crisis_rollup_count_filed(
    crisis: Crisis, tasks: Iterable[Task], *, now: datetime | None = None
) -> None:
    """Add a crisis just filed (with ``tasks``, its tasks as written) to the rollups of its day:
    what a refresh of its bucket would find, since every other crisis of the bucket is unchanged
    — one more crisis filed (and whatever milestones it already has) and, per duty, its timed
    and breached tasks. Taken under the bucket's lock like a refresh, so a concurrent refresh
    either sees the committed crisis or waits for it and is added to.

    Statements: the lock (PostgreSQL), an upsert of the day row, an update of the duties' rows
    the bucket has, and an insert of those it lacks — sent in one pipeline on PostgreSQL. A new
    task breached at filing — impossible with a deadline in the future, but the rule is the
    metrics' — is left to a full refresh of the bucket instead."""
    if crisis.is_drill:
        return
    now = now or timezone.now()
    day = timezone.localtime(crisis.filed_at, rollup_zone()).date()
    timed: list[tuple[int, str]] = []
    for task in tasks:
        breached = task_breached(
            TaskFact(
                department="",
                deliverable=task.deliverable_kind,
                status=task.status,
                due_at=task.due_at,
                completed_at=task.completed_at,
                breached=task.breached_at is not None,
            ),
            now=now,
        )
        if breached is None:
            continue  # not timed: no clock yet (waiting), or cancelled
        if breached or task.duty_id is None:
            _bucket_refresh(day, crisis.unit_id, crisis.scenario_id, now)
            return
        timed.append((task.duty_id, task.duty_code))
    with pipelined():  # none of these waits for the one before (PostgreSQL): one round trip
        _bucket_lock(day, crisis.unit_id, crisis.scenario_id)
        _add_crisis_to_day(crisis, day)
        if timed:
            _add_timed_duties(day, crisis.unit_id, crisis.scenario_id, timed)


def _add_crisis_to_day(crisis: Crisis, day) -> None:
    """One crisis more in the day row of its bucket (made when it is the first): an upsert on
    the row's unique key, adding the crisis's milestones as a refresh would count them."""
    counts: list[int] = [1]
    for column in MILESTONE_COLUMNS.values():
        at = getattr(crisis, column)
        counts += [0, 0] if at is None else [1, (at - crisis.filed_at) // timedelta(microseconds=1)]
    columns = ["filed"]
    for name in MILESTONE_COLUMNS:
        columns += [f"{name}_n", f"{name}_us"]
    table = connection.ops.quote_name(CrisisDayRollup._meta.db_table)
    adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    sql = (
        f"INSERT INTO {table} (day, unit_id, scenario_id, {', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * (3 + len(columns)))}) "
        f"ON CONFLICT (day, unit_id, scenario_id) DO UPDATE SET {adds}"
    )
    key = [connection.ops.adapt_datefield_value(day), crisis.unit_id, crisis.scenario_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, key + counts)


def _add_timed_duties(day, unit_id: int, scenario_id: int, duties: list[tuple[int, str]]) -> None:
    """One timed (not breached) task more for each of these duties (id, code) in the bucket:
    the rows it has are updated, the missing ones inserted (a refresh groups by id and code)."""
    table = connection.ops.quote_name(CrisisDutyRollup._meta.db_table)
    key = [connection.ops.adapt_datefield_value(day), unit_id, scenario_id]
    pairs = ", ".join(["(%s, %s)"] * len(duties))
    flat = [value for duty in duties for value in duty]
    # Both statements always: the insert adds only what the update found missing, and neither
    # waits for the other's answer (the filing sends them in a pipeline).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET timed = timed + 1 "
            f"WHERE day = %s AND unit_id = %s AND scenario_id = %s "
            f"AND (duty_id, duty_code) IN (VALUES {pairs})",
            key + flat,
        )
        cursor.execute(
            f"INSERT INTO {table} (day, unit_id, scenario_id, duty_id, duty_code, timed, late) "
            f"SELECT %s, %s, %s, v.column1, v.column2, 1, 0 FROM (VALUES {pairs}) AS v "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE r.day = %s AND r.unit_id = %s "
            f"AND r.scenario_id = %s AND r.duty_id = v.column1 AND r.duty_code = v.column2)",
            key + flat + key,
        )


# The class of the PostgreSQL advisory locks that serialise the refresh of one bucket.
_BUCKET_LOCK_CLASS = 0x4B31  # "K1"


def _bucket_lock(day, unit_id: int, scenario_id: int) -> None:
    """Serialise refreshes of one bucket until the transaction ends. Two transactions that
    refresh the same day × unit × scenario at once (two filings, a filing and the sweep) would
    otherwise both delete and insert its row — a unique-key conflict for the second, and a sum
    computed before the first committed. With the lock the second waits, then aggregates what
    the first committed. SQLite serialises writers already."""
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(f"{day}:{unit_id}:{scenario_id}".encode()) - 2**31  # a signed int4
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_BUCKET_LOCK_CLASS, key])


def _bucket_refresh(day, unit_id: int, scenario_id: int, now: datetime) -> None:
    if isinstance(day, str):  # SQLite hands dates back as text in a values_list
        day = datetime.fromisoformat(day).date()
    _bucket_lock(day, unit_id, scenario_id)
    start, end = _day_bounds(day)
    scope = counted_crises().filter(
        filed_at__gte=start, filed_at__lt=end, unit_id=unit_id, scenario_id=scenario_id
    )
    key = {"day": day, "unit_id": unit_id, "scenario_id": scenario_id}
    durations = {
        name: ExpressionWrapper(F(column) - F("filed_at"), output_field=DurationField())
        for name, column in MILESTONE_COLUMNS.items()
    }
    sums = scope.order_by().aggregate(
        filed=Count("pk"),
        **{f"{name}_n": Count(column) for name, column in MILESTONE_COLUMNS.items()},
        **{f"{name}_sum": Sum(expr) for name, expr in durations.items()},
    )
    CrisisDayRollup.objects.filter(**key).delete()
    CrisisDutyRollup.objects.filter(**key).delete()
    if not sums["filed"]:
        return
    CrisisDayRollup.objects.create(
        **key,
        filed=sums["filed"],
        **{f"{name}_n": sums[f"{name}_n"] for name in MILESTONE_COLUMNS},
        **{f"{name}_us": _micros(sums[f"{name}_sum"]) for name in MILESTONE_COLUMNS},
    )
    timed, late = breach_conditions(now)
    per_duty = (
        Task.objects.filter(crisis__in=scope.values("pk"))
        .order_by()
        .values("duty_id", "duty_code")
        .annotate(timed=Count("pk", filter=timed), late=Count("pk", filter=late))
        .values_list("duty_id", "duty_code", "timed", "late")
    )
    CrisisDutyRollup.objects.bulk_create(
        CrisisDutyRollup(**key, duty_id=duty, duty_code=code, timed=t, late=n)
        for duty, code, t, n in per_duty
        if t
    )


def _micros(value) -> int:
    """A summed duration in microseconds (PostgreSQL: a timedelta; SQLite: microseconds)."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    return int(value)
