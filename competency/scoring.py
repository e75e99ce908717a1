"""Scoring arithmetic of simulation runs and the state machine of counterpart variables.

Pure: no ORM, no Django. The services turn rows into these plain structures and back.

* A competency's score is what the player earned on it divided by the best they could have earned
  *on the path they took*: at each step the best is the highest effect among the choices that were
  offered there (hidden choices do not count). Negative effects are allowed; a competency's earned
  total is clipped to ``[0, best]``.
* The overall score is the weighted mean of the competency percentages.
* One critical error caps the overall score below the pass mark (``pass_mark - CRITICAL_MARGIN``)
  and fails the run whatever else happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CRITICAL_MARGIN = 1.0
STATE_MIN, STATE_MAX = 0, 100
WEAK_BELOW = 80.0
OPERATORS = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


@dataclass(frozen=True)
class Option:
    """A choice as scoring sees it."""

    id: int
    effects: Mapping[str, float] = field(default_factory=dict)
    critical: bool = False
    has_hint: bool = False


@dataclass(frozen=True)
class Step:
    """One answered step: the options that were on offer and the one taken (None: no scoring)."""

    offered: tuple[Option, ...]
    chosen_id: int | None


@dataclass(frozen=True)
class CompetencyScore:
    code: str
    earned: float
    best: float
    percent: float


@dataclass(frozen=True)
class RunScore:
    competencies: dict[str, CompetencyScore]
    overall: float
    critical_error: bool
    passed: bool
    pass_mark: float


def score_run(
    steps: Iterable[Step], *, pass_mark: float, weights: Mapping[str, float] | None = None
) -> RunScore:
    earned: dict[str, float] = {}
    best: dict[str, float] = {}
    critical = False
    for step in steps:
        chosen = next((o for o in step.offered if o.id == step.chosen_id), None)
        if chosen is None:
            continue
        critical = critical or chosen.critical
        codes = {code for option in step.offered for code in option.effects}
        for code in codes:
            step_best = max(float(o.effects.get(code, 0)) for o in step.offered)
            best[code] = best.get(code, 0.0) + max(step_best, 0.0)
            earned[code] = earned.get(code, 0.0) + float(chosen.effects.get(code, 0))
    scores: dict[str, CompetencyScore] = {}
    for code in sorted(best):
        if best[code] <= 0:
            continue  # nothing could be earned on this path: no evidence either way
        clipped = min(max(earned[code], 0.0), best[code])
        scores[code] = CompetencyScore(
            code, earned[code], best[code], round(100.0 * clipped / best[code], 1)
        )
    overall = weighted_mean({c: s.percent for c, s in scores.items()}, weights)
    if critical:
        overall = min(overall, max(pass_mark - CRITICAL_MARGIN, 0.0))
    return RunScore(
        competencies=scores,
        overall=overall,
        critical_error=critical,
        passed=(not critical) and overall >= pass_mark,
        pass_mark=pass_mark,
    )


def weighted_mean(values: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """Mean of ``values`` weighted by ``weights`` (missing weight = 1); 0 when empty."""
    if not values:
        return 0.0
    total_weight = 0.0
    total = 0.0
    for code, value in values.items():
        weight = float((weights or {}).get(code, 1))
        total += weight * value
        total_weight += weight
    return round(total / total_weight, 1) if total_weight else 0.0


def suggestions_plan(run_score: RunScore, steps: Iterable[Step], *, limit: int = 2) -> list[dict]:
    """What to advise, most important first: critical errors, then choices that earned less than
    the best on offer (their coaching hints), then the weakest competencies."""
    plan: list[dict] = []
    suboptimal: list[dict] = []
    for step in steps:
        chosen = next((o for o in step.offered if o.id == step.chosen_id), None)
        if chosen is None:
            continue
        if chosen.critical:
            plan.append({"kind": "critical", "choice_id": chosen.id})
            continue
        missed = 0.0
        for code in {c for o in step.offered for c in o.effects}:
            step_best = max(float(o.effects.get(code, 0)) for o in step.offered)
            missed += max(step_best - float(chosen.effects.get(code, 0)), 0.0)
        if missed > 0 and chosen.has_hint:
            suboptimal.append({"kind": "choice", "choice_id": chosen.id, "missed": missed})
    suboptimal.sort(key=lambda s: -s["missed"])
    plan.extend({"kind": "choice", "choice_id": s["choice_id"]} for s in suboptimal)
    weakest = sorted(
        (s for s in run_score.competencies.values() if s.percent < WEAK_BELOW),
        key=lambda s: (s.percent, s.code),
    )[:limit]
    plan.extend({"kind": "competency", "code": s.code, "percent": s.percent} for s in weakest)
    return plan


def level_from_percent(percent: float, levels: list[int]) -> int:
    """Map a 0–100 score onto an ordered scale: equal-width bands, top band = top level."""
    if not levels:
        raise ValueError("empty scale")
    ordered = sorted(levels)
    band = 100.0 / len(ordered)
    index = min(int(max(percent, 0.0) // band), len(ordered) - 1)
    return ordered[index]


def percent_from_level(level: int, levels: list[int]) -> float:
    """The inverse used where a level has no score: the top of its band."""
    ordered = sorted(levels)
    return round(100.0 * (ordered.index(level) + 1) / len(ordered), 1)


# --- counterpart state ---------------------------------------------------------------------


def condition_holds(condition: Mapping | None, state: Mapping[str, float]) -> bool:
    """``{"var": "agitation", "op": "lt", "value": 70}``; None means always shown."""
    if not condition:
        return True
    op = OPERATORS.get(condition.get("op", ""))
    if op is None:
        return False
    return op(float(state.get(condition.get("var", ""), 0)), float(condition.get("value", 0)))


def apply_state_changes(state: Mapping[str, float], changes: Mapping[str, float]) -> dict:
    """Add ``changes`` to ``state``, each variable clamped to 0–100."""
    result = dict(state)
    for var, delta in (changes or {}).items():
        value = float(result.get(var, 0)) + float(delta)
        result[var] = int(min(max(value, STATE_MIN), STATE_MAX))
    return result


def resilience_score(
    component_scores: Mapping[str, float], weights: Mapping[str, float] | None = None
) -> float:
    """A person's resilience: weighted mean of their current per-competency scores (0–100)."""
    return weighted_mean(component_scores, weights)
