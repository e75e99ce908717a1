"""crisis.metrics and the charts it feeds (hrcore.charts): pure arithmetic and SVG, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crisis.metrics import (
    CrisisFact,
    Durations,
    Event,
    TaskFact,
    all_information_at,
    breach_rate_by_department,
    crisis_durations,
    format_minutes,
    period_metrics,
    task_breached,
)
from hrcore import charts

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def emergency_tasks(**overrides) -> list[TaskFact]:
    tasks = {
        "finance": TaskFact("finance", "document", "done", due_at=m(30), completed_at=m(12)),
        "legal": TaskFact("legal", "document", "done", due_at=m(60), completed_at=m(41)),
        "admin": TaskFact("administration", "on_site", "done", due_at=m(20), completed_at=m(25)),
        "vp": TaskFact("executive", "decision", "done", due_at=m(101), completed_at=m(55)),
    }
    tasks.update(overrides)
    return list(tasks.values())


def test_durations_of_the_emergency_flow():
    events = [
        Event("crisis.filed", m(0)),
        Event("task.acknowledged", m(3)),
        Event("task.completed", m(12)),
        Event("task.completed", m(25)),
        Event("task.completed", m(41)),
        Event("decision.made", m(55)),
        Event("decision.made", m(70)),
        Event("crisis.closed", m(90)),
    ]
    d = crisis_durations(filed_at=T0, events=events, tasks=emergency_tasks())
    assert d == Durations(
        first_response=timedelta(minutes=3),
        all_information=timedelta(minutes=41),
        decision=timedelta(minutes=55),
        resolution=timedelta(minutes=90),
    )


def test_durations_ignore_events_before_filing_and_unrelated_kinds():
    events = [
        Event("task.warning", m(1)),
        Event("task.breached", m(2)),
        Event("task.acknowledged", m(-5)),
        Event("crisis.paused", m(4)),
    ]
    d = crisis_durations(filed_at=T0, events=events, tasks=[])
    assert d == Durations(None, None, None, None)


def test_underscored_kinds_count_too():
    d = crisis_durations(
        filed_at=T0,
        events=[Event("task_completed", m(7)), Event("decision_made", m(8))],
    )
    assert d.first_response == timedelta(minutes=7)
    assert d.decision == timedelta(minutes=8)


def test_all_information_waits_for_every_information_task_and_skips_cancelled():
    pending = TaskFact("legal", "document", "acknowledged", due_at=m(60))
    assert all_information_at(emergency_tasks(legal=pending)) is None
    cancelled = TaskFact("legal", "document", "cancelled")
    assert all_information_at(emergency_tasks(legal=cancelled)) == m(25)
    # the decision task never counts as information
    assert (
        all_information_at([TaskFact("executive", "decision", "done", completed_at=m(5))]) is None
    )


def test_task_breached_rules():
    now = m(100)
    assert (
        task_breached(TaskFact("f", "document", "done", due_at=m(30), completed_at=m(30)), now=now)
        is False
    )
    assert (
        task_breached(TaskFact("f", "document", "done", due_at=m(30), completed_at=m(31)), now=now)
        is True
    )
    assert task_breached(TaskFact("f", "document", "open", due_at=m(99)), now=now) is True
    assert task_breached(TaskFact("f", "document", "open", due_at=m(101)), now=now) is False
    assert task_breached(TaskFact("f", "document", "waiting"), now=now) is None
    assert task_breached(TaskFact("f", "document", "cancelled", due_at=m(1)), now=now) is None
    # marked breached by the engine, finished in time after a pause: still a breach
    flagged = TaskFact("f", "document", "done", due_at=m(90), completed_at=m(10), breached=True)
    assert task_breached(flagged, now=now) is True


def test_breach_rate_by_department_worst_first():
    tasks = [
        *emergency_tasks(),
        TaskFact("finance", "document", "done", due_at=m(30), completed_at=m(45)),
        TaskFact("finance", "document", "waiting"),
    ]
    rows = breach_rate_by_department(tasks, now=m(200))
    assert [(r.department, r.breached, r.total) for r in rows] == [
        ("administration", 1, 1),
        ("finance", 1, 2),
        ("executive", 0, 1),
        ("legal", 0, 1),
    ]
    assert rows[1].rate == 0.5


def fact(days_ago: float, first: float | None, tasks=()) -> CrisisFact:
    filed = datetime(2026, 11, 22, 4, 0, tzinfo=UTC) - timedelta(days=days_ago)
    return CrisisFact(
        filed_at=filed,
        durations=Durations(
            first_response=None if first is None else timedelta(minutes=first),
            resolution=timedelta(hours=2),
        ),
        tasks=tuple(tasks),
    )


def test_period_metrics_window_medians_and_daily_buckets():
    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    late = TaskFact("legal", "document", "done", due_at=now - timedelta(days=1), completed_at=now)
    crises = [
        fact(0, 4),
        fact(0, 10),
        fact(3, 30, [late]),
        fact(29, None),
        fact(30, 1),  # outside 30 days
        fact(89, 2),
        fact(120, 5),  # outside 90 days
    ]
    p30 = period_metrics(crises, days=30, now=now)
    assert p30.crises == 4
    assert p30.summaries["first_response"].count == 3
    assert p30.summaries["first_response"].median_minutes == 10.0
    assert p30.summaries["first_response"].mean_minutes == round(44 / 3, 1)
    assert p30.summaries["decision"].count == 0 and p30.summaries["decision"].median_minutes is None
    assert len(p30.daily) == 30
    assert p30.daily[-1].day == now.date() and p30.daily[-1].filed == 2
    assert p30.daily[-1].median_minutes["first_response"] == 7.0
    assert p30.daily[0].day == now.date() - timedelta(days=29) and p30.daily[0].filed == 1
    assert (p30.tasks_timed, p30.tasks_breached, p30.breach_rate) == (1, 1, 1.0)
    p90 = period_metrics(crises, days=90, now=now)
    assert p90.crises == 6
    assert p90.summaries["first_response"].median_minutes == 4.0


def test_period_metrics_buckets_follow_the_viewers_time_zone():
    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    # 17:00 UTC on the 21st is already the 22nd in Shanghai
    crisis = CrisisFact(datetime(2026, 11, 21, 17, 0, tzinfo=UTC), Durations())
    shanghai = ZoneInfo("Asia/Shanghai")
    local = period_metrics(
        [crisis], days=2, now=now, local_date=lambda dt: dt.astimezone(shanghai).date()
    )
    assert [p.filed for p in local.daily] == [0, 1]
    utc = period_metrics([crisis], days=2, now=now)
    assert [p.filed for p in utc.daily] == [1, 0]


def test_period_metrics_rejects_empty_window():
    with pytest.raises(ValueError):
        period_metrics([], days=0, now=T0)


@pytest.mark.parametrize(
    ("minutes", "language", "text"),
    [
        (None, "en", "—"),
        (0.5, "en", "30 s"),
        (12.4, "en", "12 min"),
        (185, "en", "3 h 5 min"),
        (60 * 50, "en", "2 d 2 h"),
        (12.4, "zh-hans", "12 分钟"),
        (60 * 50, "zh-hans", "2 天 2 小时"),
        (0.5, "zh-hans", "30 秒"),
    ],
)
def test_format_minutes_in_the_readers_language(minutes, language, text):
    from django.utils import translation

    with translation.override(language):
        assert format_minutes(minutes) == text


def test_charts_are_escaped_svg():
    svg = charts.bar_chart([1, 3, 0], ["<a>", "b", "c"], title='Filed "per" day')
    assert svg.startswith('<svg class="chart chart-bar"') and svg.endswith("</svg>")
    assert "&lt;a&gt;" in svg and "<a>" not in svg
    assert 'aria-label="Filed &quot;per&quot; day"' in svg
    assert svg.count("<rect") == 3
    line = charts.line_chart(
        [("first", [1, None, 3, 4])], ["1", "2", "3", "4"], title="t", unit="m"
    )
    assert line.count("<polyline") == 1  # the gap splits the run; a single point draws no line
    assert line.count("<circle") == 3
    hbar = charts.hbar_chart([("财务", 0.5, "1/2"), ("法务", 0.0, "0/3")], title="breaches")
    assert "#b3261e" in hbar and "#1e7d45" in hbar and "财务" in hbar


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1.0), (0.3, 0.5), (7, 10.0), (12, 20.0), (100, 100.0)]
)
def test_nice_max(value, top):
    assert charts.nice_max(value) == top
