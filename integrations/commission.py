"""Commission arithmetic (pure): which rule is in force, overlaps between rules, the amount of an
order, and a rule change's effect on a set of paid orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# The default table when no configured rule covers a grade: (minimum grade, rate), the highest
# threshold at or below the owner's grade applies.
GRADE_RATES: list[tuple[int, Decimal]] = [
    (1, Decimal("0.0100")),
    (3, Decimal("0.0200")),
    (5, Decimal("0.0250")),
    (6, Decimal("0.0300")),
]


def rate_for_grade(grade: int) -> Decimal:
    rate = GRADE_RATES[0][1]
    for minimum, value in GRADE_RATES:
        if grade >= minimum:
            rate = value
    return rate


def commission_amount(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    """A rate for a grade and product line from ``start`` to ``end`` (exclusive; None: open)."""

    grade: int
    product_line: str
    rate: Decimal
    start: date
    end: date | None = None
    id: int | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def overlaps(a: Rule, b: Rule) -> bool:
    """Whether two rules of the same grade and product line are in force on a common day."""
    if (a.grade, a.product_line) != (b.grade, b.product_line):
        return False
    a_end, b_end = a.end or date.max, b.end or date.max
    return a.start < b_end and b.start < a_end


def rule_in_force(rules: Iterable[Rule], *, grade: int, product_line: str, day: date):
    """The rule for the grade and product line on ``day``; a rule for the exact product line wins
    over one for every line (empty product line). None: no rule (the default table applies)."""
    general = None
    for rule in rules:
        if rule.grade != grade or not rule.covers(day):
            continue
        if rule.product_line == product_line:
            return rule
        if rule.product_line == "" and general is None:
            general = rule
    return general


def rate_on(rules: Iterable[Rule], *, grade: int, product_line: str, day: date) -> Decimal:
    rule = rule_in_force(rules, grade=grade, product_line=product_line, day=day)
    return rule.rate if rule else rate_for_grade(grade)


@dataclass(frozen=True)
class PaidOrder:
    employee_id: int
    grade: int
    product_line: str
    amount: Decimal
    paid_on: date


@dataclass(frozen=True)
class PreviewLine:
    employee_id: int
    current: Decimal
    proposed: Decimal

    @property
    def change(self) -> Decimal:
        return self.proposed - self.current


@dataclass(frozen=True)
class Preview:
    lines: list[PreviewLine]
    current: Decimal
    proposed: Decimal

    @property
    def change(self) -> Decimal:
        return self.proposed - self.current


def with_rule(rules: Sequence[Rule], proposed: Rule) -> list[Rule]:
    """The rules as they would be with ``proposed``: it replaces the rule it edits (same id) and
    takes precedence over the others of its grade and product line on the days it covers."""
    kept = [r for r in rules if proposed.id is None or r.id != proposed.id]
    return [proposed, *kept]


def preview(orders: Iterable[PaidOrder], current: Sequence[Rule], proposed: Rule) -> Preview:
    """What the orders earn under the rules in force and under the rules with ``proposed``: per
    person (by employee id) and in total."""
    changed = with_rule(current, proposed)
    per: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for order in orders:
        key = {"grade": order.grade, "product_line": order.product_line, "day": order.paid_on}
        per[order.employee_id][0] += commission_amount(order.amount, rate_on(current, **key))
        per[order.employee_id][1] += commission_amount(order.amount, rate_on(changed, **key))
    lines = [PreviewLine(e, now, then) for e, (now, then) in sorted(per.items())]
    return Preview(
        lines=lines,
        current=sum((line.current for line in lines), Decimal("0.00")),
        proposed=sum((line.proposed for line in lines), Decimal("0.00")),
    )


def previous_month(day: date) -> tuple[date, date]:
    """The first day of the month before ``day`` and the first day of ``day``'s month."""
    first = day.replace(day=1)
    start = (
        date(first.year - 1, 12, 1) if first.month == 1 else first.replace(month=first.month - 1)
    )
    return start, first
