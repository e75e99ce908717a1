"""The monthly crisis report's arithmetic (issue 15 §5), pure: no ORM, no translation. The
selector (``crisis.selectors.review.monthly_report``) reduces the month's rows to the records
below and calls ``monthly_figures``; the page, the print view and the CSV read the result.

Targets are the seeds' headline (SPEC §3.3): all information in the manager's hands within
5 minutes, a response within 30 minutes. A crisis counts against a target once it reached the
milestone; "within" is at most the target (exactly 5 min holds)."""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from .metrics import BreachRate, breach_rates_ranked

INFO_TARGET_SECONDS = 5 * 60
RESPONSE_TARGET_SECONDS = 30 * 60


@dataclass(frozen=True)
class ReportCrisis:
    """One crisis filed in the month, as the report needs it."""

    pk: int
    title: str
    scenario: str
    unit: str
    status: str  # open / resolved / cancelled
    filed_at: datetime
    first_response_seconds: int | None
    all_info_seconds: int | None
    breach_count: int
    stars: int = 0


@dataclass(frozen=True)
class TargetFigure:
    """One target over the month: how many crises reached the milestone, how many within the
    target, the median in seconds."""

    key: str
    target_seconds: int
    measured: int
    within: int
    median_seconds: int | None

    @property
    def within_pct(self) -> int | None:
        return round(100 * self.within / self.measured) if self.measured else None


@dataclass(frozen=True)
class MonthlyFigures:
    year: int
    month: int
    crises: tuple[ReportCrisis, ...]
    resolved: int
    cancelled: int
    still_open: int
    response: TargetFigure
    information: TargetFigure
    breaches: tuple[BreachRate, ...]
    tasks_timed: int
    tasks_breached: int
    action_items_open: int
    action_items_overdue: int
    stars: int

    @property
    def total(self) -> int:
        return len(self.crises)


def month_bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in ``tz``."""
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=tz)
    last = calendar.monthrange(year, month)[1]
    end = datetime.combine(date(year, month, last) + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def target_figure(key: str, values: Iterable[int | None], target_seconds: int) -> TargetFigure:
    reached = sorted(v for v in values if v is not None)
    median = round(statistics.median(reached)) if reached else None
    return TargetFigure(
        key=key,
        target_seconds=target_seconds,
        measured=len(reached),
        within=sum(1 for v in reached if v <= target_seconds),
        median_seconds=median,
    )


def monthly_figures(
    *,
    year: int,
    month: int,
    crises: Sequence[ReportCrisis],
    breach_counts: Iterable[tuple[str, int, int]],
    action_items_open: int,
    action_items_overdue: int,
) -> MonthlyFigures:
    """The month's figures from its crises, the (department, breached, timed) task counts and
    the open action items."""
    rates = breach_rates_ranked(breach_counts)
    return MonthlyFigures(
        year=year,
        month=month,
        crises=tuple(crises),
        resolved=sum(1 for c in crises if c.status == "resolved"),
        cancelled=sum(1 for c in crises if c.status == "cancelled"),
        still_open=sum(1 for c in crises if c.status == "open"),
        response=target_figure(
            "response", (c.first_response_seconds for c in crises), RESPONSE_TARGET_SECONDS
        ),
        information=target_figure(
            "information", (c.all_info_seconds for c in crises), INFO_TARGET_SECONDS
        ),
        breaches=tuple(rates),
        tasks_timed=sum(r.total for r in rates),
        tasks_breached=sum(r.breached for r in rates),
        action_items_open=action_items_open,
        action_items_overdue=action_items_overdue,
        stars=sum(c.stars for c in crises),
    )


def _cell(seconds: int | None) -> str:
    return "" if seconds is None else str(seconds)


def csv_rows(figures: MonthlyFigures, *, headers: dict[str, str]) -> list[list[str]]:
    """The report as CSV rows: one per crisis, then the totals; ``headers`` names the columns in
    the reader's language (keys: the column codes below). Times are whole seconds."""
    columns = [
        "id",
        "title",
        "scenario",
        "unit",
        "status",
        "filed_at",
        "first_response_seconds",
        "response_within_target",
        "all_info_seconds",
        "info_within_target",
        "breaches",
        "stars",
    ]
    rows = [[headers.get(c, c) for c in columns]]
    for c in figures.crises:
        rows.append(
            [
                str(c.pk),
                c.title,
                c.scenario,
                c.unit,
                c.status,
                c.filed_at.isoformat(),
                _cell(c.first_response_seconds),
                ""
                if c.first_response_seconds is None
                else str(int(c.first_response_seconds <= RESPONSE_TARGET_SECONDS)),
                _cell(c.all_info_seconds),
                ""
                if c.all_info_seconds is None
                else str(int(c.all_info_seconds <= INFO_TARGET_SECONDS)),
                str(c.breach_count),
                str(c.stars),
            ]
        )
    rows.append(
        [
            headers.get("total", "total"),
            str(figures.total),
            "",
            "",
            "",
            "",
            _cell(figures.response.median_seconds),
            f"{figures.response.within}/{figures.response.measured}",
            _cell(figures.information.median_seconds),
            f"{figures.information.within}/{figures.information.measured}",
            str(sum(c.breach_count for c in figures.crises)),
            str(figures.stars),
        ]
    )
    return rows


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (text typed by people: crisis titles)."""
    if cell and cell[0] in "=+-@\t\r":
        return "'" + cell
    return cell
