"""Agreement between human raters of free-text answers: the intraclass correlation and the
rubric items raters disagree on.

Pure: no ORM, no Django. ``icc_2_1`` is ICC(2,1) of Shrout & Fleiss (1979) — two-way random
effects, absolute agreement, one rater — the question "if another trained rater scored this
answer, would they give the same score?". It is computed from the two-way ANOVA mean squares:

    ICC(2,1) = (MSR − MSE) / (MSR + (k − 1)·MSE + k·(MSC − MSE) / n)

with n targets (rows), k raters (columns), MSR the mean square between targets, MSC between
raters and MSE the residual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A rubric item is flagged when its two ratings differ, on average, by this much or more on the
# 0–2 scale (half a point: the raters often split "partly" from "fully" or "not at all").
DISAGREEMENT_FLAG = 0.5
# Fewer targets than this make an ICC meaningless: it is not reported.
MIN_TARGETS = 3


def icc_2_1(ratings: Sequence[Sequence[float]]) -> float | None:
    """ICC(2,1) of a complete targets × raters matrix; None when it is undefined (fewer than
    ``MIN_TARGETS`` targets, fewer than two raters, a ragged matrix or no variance at all)."""
    n = len(ratings)
    if n < MIN_TARGETS:
        return None
    k = len(ratings[0])
    if k < 2 or any(len(row) != k for row in ratings):
        return None
    grand = sum(sum(row) for row in ratings) / (n * k)
    row_means = [sum(row) / k for row in ratings]
    col_means = [sum(row[j] for row in ratings) / n for j in range(k)]
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_total = sum((x - grand) ** 2 for row in ratings for x in row)
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    if denominator == 0:
        return None
    return (msr - mse) / denominator


@dataclass(frozen=True)
class ItemAgreement:
    item_id: int
    pairs: int
    mean_difference: float
    flagged: bool


def item_agreement(
    pairs_by_item: Mapping[int, Sequence[tuple[float, float]]],
) -> list[ItemAgreement]:
    """Per rubric item, the mean absolute difference between its two raters; flagged at
    ``DISAGREEMENT_FLAG`` or more."""
    out = []
    for item_id, pairs in sorted(pairs_by_item.items()):
        if not pairs:
            continue
        mean = sum(abs(a - b) for a, b in pairs) / len(pairs)
        out.append(ItemAgreement(item_id, len(pairs), round(mean, 2), mean >= DISAGREEMENT_FLAG))
    return out


def calibration_deviation(rater: Mapping[int, float], expert: Mapping[int, float]) -> float | None:
    """Mean absolute difference between a rater's scores of reference answers and the expert
    scores, over the items both scored (None when none)."""
    shared = [key for key in rater if key in expert]
    if not shared:
        return None
    return round(sum(abs(rater[key] - expert[key]) for key in shared) / len(shared), 2)
