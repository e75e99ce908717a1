"""Labour cost and return per customer (pure): hours spent on a customer by grade — crisis duties,
complaints, and field visits the attendance system records — times the cost rate of each grade,
against the revenue from the customer and finance's gross margin; the margin after labour, the
cost-to-revenue ratio and which customers are flagged (the highest ratios)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Cost of an hour of work by grade (CNY, salary and overheads), the highest threshold at or
# below the grade applies.
HOURLY_COST: list[tuple[int, Decimal]] = [
    (1, Decimal("80")),
    (3, Decimal("120")),
    (5, Decimal("180")),
    (6, Decimal("260")),
    (8, Decimal("400")),
]

# Hours a complaint takes its owner to handle, by severity.
COMPLAINT_HOURS = {
    "low": Decimal("1"),
    "medium": Decimal("2"),
    "high": Decimal("4"),
    "critical": Decimal("8"),
}

# A crisis duty counts the hours from its start to its end, at most this many.
TASK_HOURS_CAP = Decimal("8")

# A field visit at a customer's site counts its hours on site, at most this many (a forgotten
# check-out must not bill a night).
VISIT_HOURS_CAP = Decimal("10")

# Customers whose labour cost is at least this share of their revenue are flagged, and so are
# customers with labour cost and no revenue.
FLAG_RATIO = Decimal("0.20")


def hourly_cost(grade: int) -> Decimal:
    rate = HOURLY_COST[0][1]
    for minimum, value in HOURLY_COST:
        if grade >= minimum:
            rate = value
    return rate


def task_hours(start: datetime, end: datetime) -> Decimal:
    """The hours a duty took, from its start to its end, at most ``TASK_HOURS_CAP``."""
    seconds = Decimal(max(0, int((end - start).total_seconds())))
    return min(TASK_HOURS_CAP, seconds / Decimal(3600)).quantize(CENT, rounding=ROUND_HALF_UP)


def visit_hours(checked_in: datetime, checked_out: datetime) -> Decimal:
    """The hours of a field visit, from check-in to check-out, at most ``VISIT_HOURS_CAP``."""
    seconds = Decimal(max(0, int((checked_out - checked_in).total_seconds())))
    return min(VISIT_HOURS_CAP, seconds / Decimal(3600)).quantize(CENT, rounding=ROUND_HALF_UP)


def complaint_hours(severity: str) -> Decimal:
    return COMPLAINT_HOURS.get(severity, COMPLAINT_HOURS["medium"])


@dataclass(frozen=True)
class Work:
    """Hours of one person of ``grade`` on a customer, from ``source`` (tasks, complaints,
    attendance)."""

    customer: str
    grade: int
    hours: Decimal
    source: str


@dataclass
class CustomerRoi:
    customer: str
    revenue: Decimal = Decimal("0.00")
    hours: Decimal = Decimal("0.00")
    cost: Decimal = Decimal("0.00")
    hours_by_source: dict = field(default_factory=dict)
    flagged: bool = False
    # Finance's gross margin (revenue less cost of sales) when finance reported it; None when
    # the revenue is Keel's own paid orders (no cost of sales known).
    gross_margin: Decimal | None = None
    revenue_source: str = "orders"  # "finance" or "orders"

    @property
    def margin(self) -> Decimal:
        """What is left after labour: finance's gross margin (or, without it, the revenue)
        less the labour cost."""
        base = self.revenue if self.gross_margin is None else self.gross_margin
        return base - self.cost

    @property
    def ratio(self) -> Decimal | None:
        """Labour cost per unit of revenue (None: no revenue)."""
        if self.revenue <= 0:
            return None
        return (self.cost / self.revenue).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def customer_roi(
    work: Iterable[Work],
    revenue: dict[str, Decimal],
    customers: Iterable[str],
    gross_margin: dict[str, Decimal] | None = None,
) -> dict[str, CustomerRoi]:
    """Per customer: hours (in total and by source), labour cost, revenue, margin after labour,
    ratio and the flag (ratio at or above ``FLAG_RATIO``, or cost without revenue).
    ``gross_margin`` given (finance answered): revenue and gross margin are finance's."""
    rows = {c: CustomerRoi(c, revenue=Decimal(revenue.get(c, 0)).quantize(CENT)) for c in customers}
    if gross_margin is not None:
        for code, row in rows.items():
            row.gross_margin = Decimal(gross_margin.get(code, 0)).quantize(CENT)
            row.revenue_source = "finance"
    by_source: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item in work:
        row = rows.get(item.customer)
        if row is None:
            continue
        row.hours += item.hours
        row.cost += (item.hours * hourly_cost(item.grade)).quantize(CENT, rounding=ROUND_HALF_UP)
        by_source[item.customer][item.source] += item.hours
    for code, row in rows.items():
        row.hours_by_source = dict(sorted(by_source[code].items()))
        ratio = row.ratio
        row.flagged = (ratio is None and row.cost > 0) or (
            ratio is not None and ratio >= FLAG_RATIO
        )
    return rows


SORTS = {
    "ratio": lambda r: (r.ratio is None and r.cost > 0, r.ratio or Decimal(0)),
    "cost": lambda r: r.cost,
    "revenue": lambda r: r.revenue,
    "margin": lambda r: r.margin,
    "hours": lambda r: r.hours,
    "customer": lambda r: r.customer,
}


def ranked(rows: Iterable[CustomerRoi], sort: str = "ratio", descending: bool = True) -> list:
    """The rows by ``sort`` (default: highest cost-to-revenue first, no-revenue-with-cost on
    top); an unknown key sorts by ratio."""
    key = SORTS.get(sort, SORTS["ratio"])
    by_code = sorted(rows, key=lambda r: r.customer)  # ties stay in customer order
    return sorted(by_code, key=key, reverse=descending)
