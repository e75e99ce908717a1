"""Crisis response metrics, computed from timeline events and task facts (pure: no ORM).

The pages turn database rows into the small frozen records below (``Event``, ``TaskFact``,
``CrisisFact``) and call these functions; the same code answers the dashboard, the closure and
tests. Durations are ``timedelta`` (``None`` when the milestone has not happened).

Milestones of one crisis (SPEC §3.3, the seeds' headline "all information in the manager's hands
within 5 minutes, response cut from 3 hours to 30 minutes"):

* first response — the first thing any assignee did on a task (acknowledge, complete, comment,
  check in) or the first decision, measured from filing;
* all information — every information task (every task whose deliverable is not a decision) is
  done; cancelled tasks do not count, and a crisis with no information task has none;
* decision — the first executive decision;
* resolution — the crisis was resolved (closed with an outcome).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Timeline kinds that count as "someone responded". Both dotted and underscored spellings are
# accepted so the metrics do not depend on the engine's naming style.
RESPONSE_KINDS = frozenset(
    {
        "task.acknowledged",
        "task_acknowledged",
        "task.completed",
        "task_completed",
        "task.done",
        "task_done",
        "task.commented",
        "task_commented",
        "comment.added",
        "comment",
        "task.checked_in",
        "deliverable.added",
        "deliverable_added",
        "decision.made",
        "decision_made",
        "decision",
    }
)
DECISION_KINDS = frozenset({"decision.made", "decision_made", "decision"})
RESOLUTION_KINDS = frozenset(
    {"closed", "crisis.closed", "crisis_closed", "crisis.resolved", "crisis_resolved"}
)
FILED_KINDS = frozenset({"filed", "crisis.filed", "crisis_filed"})

METRIC_KEYS = ("first_response", "all_information", "decision", "resolution")


@dataclass(frozen=True)
class Event:
    """One timeline entry: its kind, when, and its data."""

    kind: str
    at: datetime
    data: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class TaskFact:
    """What the metrics need of a task."""

    department: str  # a stable key: the department function (or the position) of the duty
    deliverable: str  # responsibilities DeliverableKind value: document, decision, ...
    status: str  # waiting, open, acknowledged, done, cancelled
    due_at: datetime | None = None
    completed_at: datetime | None = None
    breached: bool = False  # the engine marked it breached (it fired), even if done later


@dataclass(frozen=True)
class Durations:
    """The four milestones of one crisis, as time since filing."""

    first_response: timedelta | None = None
    all_information: timedelta | None = None
    decision: timedelta | None = None
    resolution: timedelta | None = None

    def as_dict(self) -> dict[str, timedelta | None]:
        return {key: getattr(self, key) for key in METRIC_KEYS}


@dataclass(frozen=True)
class CrisisFact:
    """One crisis reduced to what the aggregates need."""

    filed_at: datetime
    durations: Durations
    tasks: tuple[TaskFact, ...] = ()


def _first(events: Iterable[Event], kinds: frozenset[str], not_before: datetime) -> datetime | None:
    times = [e.at for e in events if e.kind in kinds and e.at >= not_before]
    return min(times) if times else None


def _since(filed_at: datetime, at: datetime | None) -> timedelta | None:
    if at is None:
        return None
    return max(at - filed_at, timedelta(0))


def all_information_at(tasks: Iterable[TaskFact]) -> datetime | None:
    """When the last information task was done; ``None`` while any is still missing."""
    info = [t for t in tasks if t.deliverable != "decision" and t.status != "cancelled"]
    if not info or any(t.status != "done" or t.completed_at is None for t in info):
        return None
    return max(t.completed_at for t in info)


def crisis_durations(
    *, filed_at: datetime, events: Iterable[Event], tasks: Iterable[TaskFact] = ()
) -> Durations:
    """The four milestones of one crisis from its timeline (and its tasks, for "all info")."""
    events = list(events)
    return Durations(
        first_response=_since(filed_at, _first(events, RESPONSE_KINDS, filed_at)),
        all_information=_since(filed_at, all_information_at(tasks)),
        decision=_since(filed_at, _first(events, DECISION_KINDS, filed_at)),
        resolution=_since(filed_at, _first(events, RESOLUTION_KINDS, filed_at)),
    )


def milestone_durations(
    *,
    filed_at: datetime,
    first_response_at: datetime | None = None,
    all_info_at: datetime | None = None,
    decided_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> Durations:
    """The four milestones from the times stored on the crisis row (what ``crisis_durations``
    derives from the timeline, stamped when each happened)."""
    return Durations(
        first_response=_since(filed_at, first_response_at),
        all_information=_since(filed_at, all_info_at),
        decision=_since(filed_at, decided_at),
        resolution=_since(filed_at, resolved_at),
    )


def task_breached(task: TaskFact, *, now: datetime) -> bool | None:
    """Whether a task missed its deadline; ``None`` when its clock never started or it was
    cancelled (such tasks are left out of breach rates)."""
    if task.status == "cancelled" or task.due_at is None:
        return None
    if task.breached:
        return True
    if task.completed_at is not None:
        return task.completed_at > task.due_at
    return now > task.due_at


@dataclass(frozen=True)
class BreachRate:
    department: str
    breached: int
    total: int

    @property
    def rate(self) -> float:
        return self.breached / self.total if self.total else 0.0


def breach_rates_ranked(counts: Iterable[tuple[str, int, int]]) -> list[BreachRate]:
    """``(department, breached, timed)`` counts — several rows of one department are added up
    (e.g. a database aggregate grouped by duty) — as rates, worst first (ties by name)."""
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for department, breached, total in counts:
        merged[department][0] += breached
        merged[department][1] += total
    rows = [BreachRate(dept, b, t) for dept, (b, t) in merged.items() if t]
    return sorted(rows, key=lambda r: (-r.rate, -r.total, r.department))


def breach_rate_by_department(tasks: Iterable[TaskFact], *, now: datetime) -> list[BreachRate]:
    """Breached ÷ timed tasks per department, worst first (ties by name)."""
    counts = []
    for task in tasks:
        late = task_breached(task, now=now)
        if late is not None:
            counts.append((task.department, int(late), 1))
    return breach_rates_ranked(counts)


@dataclass(frozen=True)
class MetricSummary:
    """One metric over a period: how many crises reached it, median and mean (in minutes)."""

    key: str
    count: int
    median_minutes: float | None
    mean_minutes: float | None


@dataclass(frozen=True)
class DayPoint:
    day: date
    filed: int
    median_minutes: dict[str, float | None]


@dataclass(frozen=True)
class PeriodMetrics:
    """Aggregates over the last ``days`` days (crises filed in the window)."""

    days: int
    start: date
    end: date
    crises: int
    summaries: dict[str, MetricSummary]
    daily: list[DayPoint]
    breach_rates: list[BreachRate]
    tasks_timed: int
    tasks_breached: int

    @property
    def breach_rate(self) -> float:
        return self.tasks_breached / self.tasks_timed if self.tasks_timed else 0.0


def _minutes(value: timedelta) -> float:
    return value.total_seconds() / 60


def summarise(key: str, values: Sequence[timedelta | None]) -> MetricSummary:
    reached = [_minutes(v) for v in values if v is not None]
    if not reached:
        return MetricSummary(key, 0, None, None)
    return MetricSummary(
        key, len(reached), round(statistics.median(reached), 1), round(statistics.fmean(reached), 1)
    )


def period_window(*, days: int, now: datetime, local_date=None) -> tuple[date, date]:
    """The first and last calendar day of the last ``days`` days (today included)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    end = (local_date or (lambda dt: dt.date()))(now)
    return end - timedelta(days=days - 1), end


def period_metrics(
    crises: Iterable[CrisisFact],
    *,
    days: int,
    now: datetime,
    local_date=None,
    breach_rates: Sequence[BreachRate] | None = None,
) -> PeriodMetrics:
    """Aggregate the crises filed in the last ``days`` days (today included).

    ``local_date`` maps an aware datetime to the viewer's calendar date (default: its own date),
    so that the daily buckets follow the viewer's time zone. ``breach_rates``, when given, are the
    window's per-department breach counts already aggregated (by the database, with the rules of
    ``task_breached``) instead of being computed from the crises' ``tasks``.
    """
    to_date = local_date or (lambda dt: dt.date())
    start, end = period_window(days=days, now=now, local_date=to_date)
    window = [c for c in crises if start <= to_date(c.filed_at) <= end and c.filed_at <= now]
    summaries = {
        key: summarise(key, [getattr(c.durations, key) for c in window]) for key in METRIC_KEYS
    }
    per_day: dict[date, list[CrisisFact]] = defaultdict(list)
    for crisis in window:
        per_day[to_date(crisis.filed_at)].append(crisis)
    daily = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        bucket = per_day.get(day, [])
        daily.append(
            DayPoint(
                day=day,
                filed=len(bucket),
                median_minutes={
                    key: summarise(key, [getattr(c.durations, key) for c in bucket]).median_minutes
                    for key in METRIC_KEYS
                },
            )
        )
    if breach_rates is None:
        breach_rates = breach_rate_by_department((t for c in window for t in c.tasks), now=now)
    return PeriodMetrics(
        days=days,
        start=start,
        end=end,
        crises=len(window),
        summaries=summaries,
        daily=daily,
        breach_rates=list(breach_rates),
        tasks_timed=sum(r.total for r in breach_rates),
        tasks_breached=sum(r.breached for r in breach_rates),
    )


def format_minutes(minutes: float | None) -> str:
    """A duration in the reader's language ("45 s", "12 min", "3 h 5 min", "2 d 2 h"); "—" for
    none. The product's one duration formatter is ``hrcore.durations.format_duration``."""
    from hrcore.durations import format_duration

    return format_duration(minutes=minutes)
