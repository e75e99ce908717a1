"""The dashboard: board rows, task facts and the metrics (medians, breach rates) per scope."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from hrcore.choices import DepartmentFunction
from hrcore.i18n import is_chinese
from hrcore.reach import decision_ack_counts, recipient_label
from responsibilities.models import Duty

from ..choices import (
    CrisisStatus,
    TaskKind,
    TaskStatus,
)
from ..metrics import (
    METRIC_KEYS,
    DayPoint,
    MetricSummary,
    PeriodMetrics,
    TaskFact,
    breach_rates_ranked,
    period_window,
)
from ..models import Crisis, CrisisDayRollup, CrisisDutyRollup, Decision, Task, TimelineEvent
from .access import crises_visible_to, crises_with_visibility, crisis_visibility_q
from .crises import page_filters, page_task_prefetch

DASHBOARD_PAGE_SIZE = 25
# The board's order: awaiting a decision first, then the most urgent, then the oldest filing.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BOARD_ORDER = (F("decision_pending").desc(), "urgency", "filed_at", "id")


@dataclass(frozen=True)
class BoardKey:
    """A crisis's place in the board's order: the keyset cursor of the board's pages. Its
    ``token`` is what the page links carry (``1.0.1764680000123456.42``); ``start`` (1-based)
    only numbers the rows shown ("26–50 of 10,000"), it is never used to find them."""

    decision_pending: bool
    urgency: int
    filed_at: datetime
    id: int

    @classmethod
    def of(cls, crisis: Crisis) -> BoardKey:
        return cls(crisis.decision_pending, crisis.urgency, crisis.filed_at, crisis.pk)

    @property
    def token(self) -> str:
        micros = (self.filed_at - _EPOCH) // timedelta(microseconds=1)  # exact, no float
        return f"{int(self.decision_pending)}.{self.urgency}.{micros}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> BoardKey | None:
        """The key of a token, or None for anything that is not one (the first page)."""
        parts = (token or "").split(".")
        if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 20 for p in parts):
            return None
        pending, urgency, micros, pk = (int(p) for p in parts)
        if pending > 1 or urgency > 2 or not 0 < pk < 2**63:
            return None
        try:
            filed_at = _EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(bool(pending), urgency, filed_at, pk)

    def after_q(self, *, inclusive: bool = False) -> Q:
        """The crises after this key in the board's order (from it, when ``inclusive``)."""
        same = Q(decision_pending=self.decision_pending) & (
            Q(urgency__gt=self.urgency)
            | Q(urgency=self.urgency, filed_at__gt=self.filed_at)
            | Q(
                urgency=self.urgency,
                filed_at=self.filed_at,
                **{"id__gte" if inclusive else "id__gt": self.id},
            )
        )
        return (Q(decision_pending=False) | same) if self.decision_pending else same

    def before_q(self) -> Q:
        """The crises before this key in the board's order."""
        same = Q(decision_pending=self.decision_pending) & (
            Q(urgency__lt=self.urgency)
            | Q(urgency=self.urgency, filed_at__lt=self.filed_at)
            | Q(urgency=self.urgency, filed_at=self.filed_at, id__lt=self.id)
        )
        return same if self.decision_pending else (Q(decision_pending=True) | same)


@dataclass(frozen=True)
class BoardPage:
    """One keyset page of the board: its crises, where it starts (1-based, for "26–50 of N")
    and the cursors of its neighbours (``None`` at either end)."""

    crises: list
    start: int
    first: BoardKey | None
    previous: BoardKey | None  # rows before ``first`` exist: link with before=first
    next: BoardKey | None  # the last row shown, when more follow: link with after=next


def board_page(
    crises: QuerySet[Crisis],
    *,
    after: str | None = None,
    before: str | None = None,
    at: str | None = None,
    start: str | None = None,
    size: int = DASHBOARD_PAGE_SIZE,
) -> BoardPage:
    """One page of the board in its order by keyset (``crisis_board_order``): the page after
    the ``after`` cursor, the one before ``before``, or the one starting at ``at`` (the polled
    partial reloads the page being looked at); the first page otherwise, and for a cursor that
    is not one. One query however deep the page — no OFFSET — and rows that move while someone
    pages (a decision taken, a task breached) are neither shown twice nor skipped among the
    rows that stay put. ``start`` is the first row's number, carried by the links."""

    try:
        number = max(int(start or 1), 1)
    except ValueError:
        number = 1
    back = BoardKey.parse(before)
    if back is not None:
        rows = list(
            crises.filter(back.before_q()).order_by(
                F("decision_pending").asc(), "-urgency", "-filed_at", "-id"
            )[: size + 1]
        )[::-1]
        more_before = len(rows) > size
        rows = rows[-size:]
        if rows:
            number = max(number - len(rows), 1) if more_before else 1
            return BoardPage(
                rows,
                number,
                BoardKey.of(rows[0]),
                BoardKey.of(rows[0]) if more_before else None,
                BoardKey.of(rows[-1]),
            )
        after = at = None  # nothing before it any more: the first page
        number = 1
    key = BoardKey.parse(after) or BoardKey.parse(at)
    if key is None:
        number = 1
    page = crises if key is None else crises.filter(key.after_q(inclusive=not after))
    rows = list(page[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    first = BoardKey.of(rows[0]) if rows else None
    return BoardPage(
        rows,
        number,
        first,
        first if key is not None and first is not None else None,
        BoardKey.of(rows[-1]) if more else None,
    )


def _dashboard_scope(user: AbstractBaseUser, filters: dict) -> QuerySet[Crisis]:
    return page_filters(crises_visible_to(user), {**filters, "status": CrisisStatus.OPEN})


def dashboard_board(
    user: AbstractBaseUser, *, filters: dict, now
) -> tuple[dict[str, int], QuerySet[Crisis]]:
    """The executive board: the totals of the whole filtered set (open crises, crises with a
    breached task, crises awaiting an executive decision) from one aggregate query over the
    flags kept on the crisis row, and the crises in the board's order — awaiting a decision
    first, then with a breached task, then with a warning, then by filing time — which is the
    partial index ``crisis_board_order``. The queryset is lazy: slice it to a page. Each crisis
    carries its version stamp (``last_event``: its newest timeline event, the cache key of its
    card, ``crisis.board_cards``); the tasks of the cards to draw come from
    ``board_page_tasks`` in one more query, so the count stays constant however many crises
    match."""

    scope = _dashboard_scope(user, filters)  # resolves a unit filter once for both queries
    totals = _board_totals(user, filters, scope, now)
    decision_count = (
        Decision.objects.filter(crisis=OuterRef("pk"))
        .order_by()
        .values("crisis")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # MAX over the crisis's own events (its index): not the newest id overall walked backwards.
    last_event = (
        TimelineEvent.objects.filter(crisis=OuterRef("pk"))
        .order_by()
        .values("crisis")
        .annotate(last=Max("pk"))
        .values("last")
    )
    crises = (
        scope.select_related("customer")
        .annotate(
            decision_count=Coalesce(Subquery(decision_count, output_field=IntegerField()), 0),
            last_event=Subquery(last_event),
        )
        .order_by(*BOARD_ORDER)
    )
    return totals, crises


# The board's totals are counted again when a timeline event was appended or the minute turned.
BOARD_TOTALS_SECONDS = 120


def _board_totals(
    user: AbstractBaseUser, filters: dict, scope: QuerySet[Crisis], now
) -> dict[str, int]:
    """The board's totals — open crises, with a breached task, awaiting a decision — counted
    over the whole filtered set (one aggregate query that walks every open crisis) and kept in
    the cache for this viewer and filters while nothing changed: the key holds the newest
    timeline event and the newest crisis (``_board_stamp``; every change that moves a total —
    a crisis filed, closed or cancelled, a task breached or delivered, a decision taken —
    appends an event, and a crisis written without one is still a new crisis) and the minute (a task turns to breach with time before the sweep
    writes its event; a change of the viewer's scope shows within the minute)."""
    newest = _board_stamp()
    shape = repr(sorted((k, str(getattr(v, "pk", v))) for k, v in filters.items()))
    key = (
        "board-totals:"
        + hashlib.blake2b(
            f"{user.pk}|{shape}|{int(now.timestamp() // 60)}|{newest}".encode(), digest_size=16
        ).hexdigest()
    )
    totals = cache.get(key)
    if totals is None:
        totals = scope.order_by().aggregate(
            open=Count("pk"),
            breached=Count("pk", filter=Q(urgency=0)),
            awaiting_decision=Count("pk", filter=Q(decision_pending=True)),
        )
        cache.set(key, totals, BOARD_TOTALS_SECONDS)
    return totals


def _board_stamp() -> tuple[int, int]:
    """The newest timeline event and the newest crisis, in one query of two steps down their
    primary keys (however long the history). Ids are taken at insert, not at commit: a long
    transaction that commits after a shorter, newer one adds no higher id, so its change shows
    when the minute in the cache key turns — at most a minute late, the crisis page's rule."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {TimelineEvent._meta.db_table}),"
            f" (SELECT MAX(id) FROM {Crisis._meta.db_table})"
        )
        event, crisis = cursor.fetchone()
    return event or 0, crisis or 0


def board_page_tasks(crises: list[Crisis]) -> None:
    """Load the tasks of these crises of a board page (one query): the cards to draw."""
    prefetch_related_objects(crises, page_task_prefetch())


# What a task contributes to the metrics, read as plain rows (no model instances).
_DEPARTMENT_FIELDS = (
    "duty__assignee_position__title_zh",
    "duty__assignee_position__title_en",
    "duty__assignee_function",
    "duty_code",
)


def _department(title_zh: str | None, title_en: str | None, function: str | None, code: str) -> str:
    """The department a task counts for in the metrics — the one definition, used by the
    dashboard and the closure alike: the duty's position title (``Duty.assignee_label``, in the
    viewer's language), else its department function, else the duty code."""
    if title_zh or title_en:
        return (title_zh or title_en) if is_chinese() else (title_en or title_zh)
    if function:
        return str(DepartmentFunction(function).label)
    return code


def crisis_task_facts(crisis_id: int) -> list:
    """The map's duties of one crisis as ``crisis.metrics.TaskFact`` (one query). Tasks added
    while it runs (follow-ups, ad-hoc tasks, help requests) are not information milestones."""

    rows = Task.objects.filter(crisis_id=crisis_id, kind=TaskKind.DUTY).values_list(
        *_DEPARTMENT_FIELDS, "deliverable_kind", "status", "due_at", "completed_at", "breached_at"
    )
    return [
        TaskFact(
            department=_department(*department),
            deliverable=deliverable,
            status=status,
            due_at=due_at,
            completed_at=completed_at,
            breached=breached_at is not None,
        )
        for *department, deliverable, status, due_at, completed_at, breached_at in rows
    ]


def breach_conditions(now) -> tuple[Q, Q]:
    """``crisis.metrics.task_breached`` as database conditions: (timed, breached). A task is timed
    once its clock started and it was not cancelled; it is breached when the engine fired its
    breach, it was completed after its due time, or it is still not done past it."""
    timed = Q(due_at__isnull=False) & ~Q(status=TaskStatus.CANCELLED)
    late = timed & (
        Q(breached_at__isnull=False)
        | Q(completed_at__isnull=False, completed_at__gt=F("due_at"))
        | Q(completed_at__isnull=True, due_at__lt=now)
    )
    return timed, late


def _window_medians(scope: QuerySet[Crisis], column: str, day) -> tuple[dict, timedelta | None]:
    """The median of ``column - filed_at`` per local day and over the whole window, computed by
    the database (window functions: the one or two middle rows of each partition, so Python
    reads at most two rows per day, however many crises reached the milestone)."""

    duration = ExpressionWrapper(F(column) - F("filed_at"), output_field=DurationField())
    inner = (
        scope.filter(**{f"{column}__isnull": False})
        .order_by()
        .annotate(
            m_day=day,
            m_d=duration,
        )
        .annotate(
            rn_day=Window(RowNumber(), partition_by=[F("m_day")], order_by=[F("m_d"), F("pk")]),
            n_day=Window(Count("pk"), partition_by=[F("m_day")]),
            rn_all=Window(RowNumber(), order_by=[F("m_d"), F("pk")]),
            n_all=Window(Count("pk")),
        )
        .values_list("m_day", "m_d", "rn_day", "n_day", "rn_all", "n_all")
    )
    sql, params = inner.query.sql_with_params()
    middle = (
        f"SELECT * FROM ({sql}) m WHERE 2 * rn_day IN (n_day, n_day + 1, n_day + 2)"
        " OR 2 * rn_all IN (n_all, n_all + 1, n_all + 2)"
    )
    per_day: dict = {}
    overall: list[timedelta] = []
    with connection.cursor() as cursor:
        cursor.execute(middle, params)
        rows = cursor.fetchall()
    for m_day, m_d, rn_day, n_day, rn_all, n_all in rows:
        if not isinstance(m_d, timedelta):
            m_d = timedelta(microseconds=int(m_d))
        if isinstance(m_day, str):
            m_day = datetime.fromisoformat(m_day).date()
        if 2 * rn_day in (n_day, n_day + 1, n_day + 2):
            per_day.setdefault(m_day, []).append(m_d)
        if 2 * rn_all in (n_all, n_all + 1, n_all + 2):
            overall.append(m_d)
    days = {d: max(sum(v, timedelta()) / len(v), timedelta(0)) for d, v in per_day.items()}
    total = max(sum(overall, timedelta()) / len(overall), timedelta(0)) if overall else None
    return days, total


# milestone key (``crisis.metrics.METRIC_KEYS``) → the column stamped on the crisis row
MILESTONE_COLUMNS = {
    "first_response": "first_response_at",
    "all_information": "all_info_at",
    "decision": "decided_at",
    "resolution": "closed_at",
}


def _named_by_department(per_duty: list) -> list[tuple[str, int, int]]:
    """``(duty_id, duty_code, late, timed)`` rows as (department, late, timed), named from the
    handful of duties involved — duties are bounded by the maps, not by the crises."""
    duties = {
        row[0]: row[1:]
        for row in Duty.objects.filter(pk__in={d for d, *_ in per_duty if d}).values_list(
            "pk",
            "assignee_position__title_zh",
            "assignee_position__title_en",
            "assignee_function",
        )
    }
    return [
        (_department(*duties.get(duty_id, (None, None, None)), code), breached, total)
        for duty_id, code, breached, total in per_duty
    ]


def _breach_counts_by_duty(scope: QuerySet[Crisis], now) -> list[tuple[str, int, int]]:
    """(department, late, timed) of the window's tasks: counted per duty by the database over
    the task table alone (an integer GROUP BY, no join), then named per department."""

    timed, late = breach_conditions(now)
    per_duty = list(
        Task.objects.filter(crisis__in=scope.values("pk"))
        .order_by()
        .values("duty_id", "duty_code")
        .annotate(timed=Count("pk", filter=timed), late=Count("pk", filter=late))
        .values_list("duty_id", "duty_code", "late", "timed")
    )
    return _named_by_department(per_duty)


def _rollups_answer(visibility: Q | None, tz) -> bool:
    """Whether the rollups (per day × unit × scenario of the organisation's calendar) answer
    a viewer of this visibility (``crisis_visibility_q``): one who sees every crisis, looking in
    the organisation's time zone. Anyone else (a unit's executive with personal crises, another
    time zone) gets the same figures aggregated from the window's crises."""
    return visibility is None and getattr(tz, "key", str(tz)) == settings.TIME_ZONE


def _from_rollups(start, end) -> tuple[dict, dict, list]:
    """Totals, filed per day and per-duty breach counts of the window from the rollups: at most
    a row per day and one per duty, however many crises."""
    per_day = list(
        CrisisDayRollup.objects.filter(day__gte=start, day__lte=end)
        .order_by()
        .values("day")
        .annotate(
            filed_sum=Sum("filed"),
            **{f"{key}_n_sum": Sum(f"{key}_n") for key in MILESTONE_COLUMNS},
            **{f"{key}_us_sum": Sum(f"{key}_us") for key in MILESTONE_COLUMNS},
        )
    )
    filed = {
        (r["day"] if not isinstance(r["day"], str) else date.fromisoformat(r["day"])): r[
            "filed_sum"
        ]
        for r in per_day
    }
    totals: dict = {"crises": sum(r["filed_sum"] for r in per_day)}
    for key in MILESTONE_COLUMNS:
        n = sum(r[f"{key}_n_sum"] for r in per_day)
        micros = sum(r[f"{key}_us_sum"] for r in per_day)
        totals[f"{key}_n"] = n
        totals[f"{key}_mean"] = timedelta(microseconds=micros / n) if n else None
    per_duty = list(
        CrisisDutyRollup.objects.filter(day__gte=start, day__lte=end)
        .order_by()
        .values("duty_id", "duty_code")
        .annotate(late_sum=Sum("late"), timed_sum=Sum("timed"))
        .values_list("duty_id", "duty_code", "late_sum", "timed_sum")
    )
    return totals, filed, _named_by_department(per_duty)


def _from_crises(scope: QuerySet[Crisis], day, now) -> tuple[dict, dict, list]:
    """The same figures aggregated by the database over the window's crises and their tasks."""
    durations = {
        key: ExpressionWrapper(F(col) - F("filed_at"), output_field=DurationField())
        for key, col in MILESTONE_COLUMNS.items()
    }
    totals = scope.aggregate(
        crises=Count("pk"),
        **{f"{key}_n": Count(col) for key, col in MILESTONE_COLUMNS.items()},
        **{f"{key}_mean": Avg(expr) for key, expr in durations.items()},
    )
    filed = {
        (d if not isinstance(d, str) else datetime.fromisoformat(d).date()): n
        for d, n in scope.annotate(m_day=day)
        .values("m_day")
        .annotate(n=Count("pk"))
        .values_list("m_day", "n")
    }
    return totals, filed, _breach_counts_by_duty(scope, now)


def dashboard_metrics(user: AbstractBaseUser, *, days: int, now):
    """The dashboard's metrics panel as ``crisis.metrics.PeriodMetrics``, aggregated by the
    database (issue 12): crises filed per local day, and for each milestone how many reached it,
    its mean and its median — overall and per day — plus the breach counts per department.
    Counts, means, crises per day and breach counts come from the rollups kept per day × unit ×
    scenario by the services (``services.rollup``) when they answer the viewer, else from
    aggregates over the window; medians from window functions. A constant number of queries
    returning at most a few rows per day: no crisis of the window is loaded into Python."""

    tz = timezone.get_current_timezone()
    start, end = period_window(
        days=days, now=now, local_date=lambda dt: timezone.localtime(dt).date()
    )
    since = timezone.make_aware(datetime.combine(start, time.min))
    visibility = crisis_visibility_q(user)  # worked out once: the scope and the rollups' test
    scope = (
        crises_with_visibility(visibility)
        .filter(filed_at__gte=since, filed_at__lte=now, is_drill=False)
        .exclude(status=CrisisStatus.CANCELLED)
        .order_by()
    )
    day = TruncDate("filed_at", tzinfo=tz)
    if _rollups_answer(visibility, tz):
        aggregates, filed, department_counts = _from_rollups(start, end)
    else:
        aggregates, filed, department_counts = _from_crises(scope, day, now)
    # Medians need the order of the durations: window functions over the crises that reached
    # each milestone, two middle rows a day read back (no rollup can add up a median).
    medians = {key: _window_medians(scope, col, day) for key, col in MILESTONE_COLUMNS.items()}

    def minutes(value: timedelta | None) -> float | None:
        return None if value is None else round(value.total_seconds() / 60, 1)

    summaries = {}
    for key in METRIC_KEYS:
        n = aggregates[f"{key}_n"]
        mean = aggregates[f"{key}_mean"]
        if mean is not None and not isinstance(mean, timedelta):
            mean = timedelta(microseconds=float(mean))
        summaries[key] = MetricSummary(
            key,
            n,
            minutes(medians[key][1]) if n else None,
            minutes(max(mean, timedelta(0))) if n and mean is not None else None,
        )
    daily = []
    for offset in range(days):
        d = start + timedelta(days=offset)
        daily.append(
            DayPoint(
                day=d,
                filed=filed.get(d, 0),
                median_minutes={key: minutes(medians[key][0].get(d)) for key in METRIC_KEYS},
            )
        )
    rates = breach_rates_ranked(department_counts)
    return PeriodMetrics(
        days=days,
        start=start,
        end=end,
        crises=aggregates["crises"],
        summaries=summaries,
        daily=daily,
        breach_rates=rates,
        tasks_timed=sum(r.total for r in rates),
        tasks_breached=sum(r.breached for r in rates),
    )


# --- decisions reach everyone, provably (issue 13 §5) ---------------------------------------

DECISIONS_PER_CRISIS = 3  # the latest ones per board card; the crisis page lists them all
PENDING_NAMES_SHOWN = 8


def dashboard_decision_acks(crisis_ids: list[int]) -> dict[int, list[dict]]:
    """Per crisis of the board's page: its latest decisions with "n of m participants
    acknowledged" and who has not. Three queries however many crises, decisions and
    participants: the decisions (a window per crisis), their acknowledgement counts
    (``hrcore.reach.decision_ack_counts``) and the names of those pending."""
    if not crisis_ids:
        return {}
    decisions = list(
        Decision.objects.filter(crisis_id__in=crisis_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("crisis_id")],
                order_by=[F("made_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=DECISIONS_PER_CRISIS)
        .order_by("crisis_id", "rank")
        .values("pk", "crisis_id", "text", "made_at")
    )
    counts = decision_ack_counts([d["pk"] for d in decisions])
    shown = {u for c in counts.values() for u in c.pending_user_ids[:PENDING_NAMES_SHOWN]}
    names = {
        u.pk: recipient_label(u)
        for u in get_user_model().objects.filter(pk__in=shown).select_related("employee")
    }
    board: dict[int, list[dict]] = {}
    for d in decisions:
        c = counts[d["pk"]]
        board.setdefault(d["crisis_id"], []).append(
            {
                "decision_id": d["pk"],
                "text": d["text"],
                "made_at": d["made_at"],
                "acknowledged": c.acknowledged,
                "total": c.acknowledged + c.pending,
                "pending_names": [
                    names[u] for u in c.pending_user_ids[:PENDING_NAMES_SHOWN] if u in names
                ],
                "pending_more": max(0, c.pending - PENDING_NAMES_SHOWN),
            }
        )
    return board
