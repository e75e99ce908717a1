"""Commission rates by grade (pure)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# (minimum grade, rate): the highest threshold at or below the owner's grade applies.
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
