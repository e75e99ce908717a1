"""Scoring arithmetic of simulation runs and the state machine of counterpart variables.

Pure: no ORM, no Django. The services turn rows into these plain structures and back.

* A competency's score is what the player earned on it divided by the best they could have earned
  *on the path they took*: at each step the best is the highest effect among the choices that were
  offered there (hidden choices do not count). Negative effects are allowed; a competency's earned
  total is clipped to ``[0, best]``.
* The overall score is the weighted mean of the competency percentages.
* A pass needs the pass mark overall *and* the version's minimum on every competency the run
  measured (so a high total cannot hide a competency the player never showed).
* One critical error caps the overall score below the pass mark (``pass_mark - CRITICAL_MARGIN``)
  and fails the run whatever else happened.
* A free-text answer is scored against its node's rubric: it earns the effects of every key point
  whose phrases it contains; the best reachable on that step is the sum of the key points'
  positive effects (all of them can be said at once). A forbidden phrase in the answer is a
  critical error. Matching is by phrase: case-insensitive, Chinese phrases as plain substrings
  (no word boundaries in Chinese), other phrases on word boundaries (a trailing ``*`` lets the word
  go on: ``promis*``); a phrase right after a negation in the same clause ("不会当场付款",
  "we will not pay today") does not count as said.
"""

from __future__ import annotations

import re
import unicodedata
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
class RubricItem:
    """A key point (or, if ``forbidden``, a phrase that must not be said) of a free-text node."""

    id: int
    phrases: tuple[str, ...]
    effects: Mapping[str, float] = field(default_factory=dict)
    forbidden: bool = False


@dataclass(frozen=True)
class Step:
    """One answered step: the options that were on offer and the one taken (None: no scoring);
    for a free-text step also the node's rubric and the answer written."""

    offered: tuple[Option, ...]
    chosen_id: int | None
    rubric: tuple[RubricItem, ...] = ()
    answer: str = ""


@dataclass(frozen=True)
class RubricReview:
    """Which rubric items an answer covered, missed, or hit as forbidden (with the phrase found)."""

    covered: tuple[int, ...]
    missed: tuple[int, ...]
    forbidden: tuple[int, ...]
    found: Mapping[int, str]


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
    below_minimum: tuple[str, ...] = ()  # measured competencies under the version's minimum


def score_run(
    steps: Iterable[Step],
    *,
    pass_mark: float,
    weights: Mapping[str, float] | None = None,
    competency_minimum: float = 0.0,
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
        if step.rubric:
            review = rubric_review(step.answer, step.rubric)
            critical = critical or bool(review.forbidden)
            said = set(review.covered) | set(review.forbidden)
            for item in step.rubric:
                for code, value in item.effects.items():
                    best.setdefault(code, 0.0)
                    earned.setdefault(code, 0.0)
                    if not item.forbidden:
                        best[code] += max(float(value), 0.0)
                    if item.id in said:
                        earned[code] += float(value)
    scores: dict[str, CompetencyScore] = {}
    for code in sorted(best):
        if best[code] <= 0:
            continue  # nothing could be earned on this path: no evidence either way
        clipped = min(max(earned[code], 0.0), best[code])
        scores[code] = CompetencyScore(
            code, earned[code], best[code], round(100.0 * clipped / best[code], 1)
        )
    overall = weighted_mean({c: s.percent for c, s in scores.items()}, weights)
    below = tuple(code for code, s in scores.items() if s.percent < competency_minimum)
    if critical:
        overall = min(overall, max(pass_mark - CRITICAL_MARGIN, 0.0))
    return RunScore(
        competencies=scores,
        overall=overall,
        critical_error=critical,
        passed=(not critical) and overall >= pass_mark and not below,
        pass_mark=pass_mark,
        below_minimum=below,
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
    """What to advise, most important first: critical errors (critical choices, forbidden phrases),
    then choices that earned less than the best on offer (their coaching hints) and the key points
    a free-text answer missed, biggest loss first, then the weakest competencies."""
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
        if step.rubric:
            review = rubric_review(step.answer, step.rubric)
            plan.extend({"kind": "forbidden", "item_id": i} for i in review.forbidden)
            worth = {
                item.id: sum(max(float(v), 0.0) for v in item.effects.values())
                for item in step.rubric
            }
            if review.missed:
                suboptimal.append(
                    {
                        "kind": "missed_points",
                        "item_ids": list(review.missed),
                        "missed": sum(worth[i] for i in review.missed),
                    }
                )
    suboptimal.sort(key=lambda s: -s["missed"])
    for s in suboptimal:
        if s["kind"] == "choice":
            plan.append({"kind": "choice", "choice_id": s["choice_id"]})
        else:
            plan.append({"kind": "missed_points", "item_ids": s["item_ids"]})
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


# --- free-text rubric matching -------------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u2fff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = "0-9a-z\u00c0-\u024f"  # what continues a (Latin) word; CJK text has no word boundaries
_CLAUSE = re.compile(r"[,.!?;:\n\u3001\u3002\uff0c\uff01\uff1f\uff1b\uff1a]")
NEGATIONS_ZH = ("不", "没", "别", "未", "无法", "勿", "绝非", "并非")
# Everyday words holding 不 that negate nothing: dropped before looking for a negation.
NOT_NEGATIONS_ZH = ("对不起", "不好意思", "了不起", "不错", "不少", "不管", "不仅", "不但")
NEGATIONS_EN = frozenset(
    {"not", "no", "never", "cannot", "without", "neither", "nor", "nothing", "refuse"}
)
NEGATION_WINDOW_ZH = 6  # characters of the same clause before the phrase
NEGATION_WINDOW_EN = 4  # words of the same clause before the phrase


def normalise_text(text: str) -> str:
    """Width-fold (full-width Latin → ASCII), case-fold, straighten apostrophes, one space."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = folded.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", folded).strip()


def _is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _negated(prefix: str) -> bool:
    """Whether the end of ``prefix`` (text just before a phrase) negates it."""
    clause = _CLAUSE.split(prefix)[-1]
    tail = clause.replace(" ", "")
    for word in NOT_NEGATIONS_ZH:
        tail = tail.replace(word, "　")
    tail = tail[-NEGATION_WINDOW_ZH:]
    if any(cue in tail for cue in NEGATIONS_ZH):
        return True
    words = re.findall(r"[a-z']+", clause)[-NEGATION_WINDOW_EN:]
    return any(w in NEGATIONS_EN or w.endswith("n't") for w in words)


def phrase_pattern(phrase: str) -> re.Pattern | None:
    """The regular expression a rubric phrase matches with (None for an empty phrase)."""
    text = normalise_text(phrase)
    stem = text.endswith("*")
    text = text.rstrip("*").strip()
    if not text:
        return None
    if _is_cjk(text):
        # Chinese: a plain substring, spaces inside ignored on both sides
        return re.compile(re.escape(text.replace(" ", "")))
    body = re.escape(text).replace(r"\ ", " ")
    head = f"(?<![{_WORD}])" if re.match(f"[{_WORD}]", text) else ""
    tail = f"[{_WORD}]*" if stem else (f"(?![{_WORD}])" if re.search(f"[{_WORD}]$", text) else "")
    return re.compile(head + body + tail)


def phrase_found(answer: str, phrase: str) -> bool:
    """Whether ``answer`` says ``phrase`` (not negated)."""
    pattern = phrase_pattern(phrase)
    if pattern is None:
        return False
    text = normalise_text(answer)
    if _is_cjk(pattern.pattern):
        text = text.replace(" ", "")
    return any(not _negated(text[: m.start()]) for m in pattern.finditer(text))


def rubric_review(answer: str, items: Iterable[RubricItem]) -> RubricReview:
    """Match an answer against a rubric: key points covered and missed, forbidden phrases said."""
    covered: list[int] = []
    missed: list[int] = []
    forbidden: list[int] = []
    found: dict[int, str] = {}
    for item in items:
        hit = next((p for p in item.phrases if phrase_found(answer, p)), None)
        if hit is not None:
            found[item.id] = hit
            (forbidden if item.forbidden else covered).append(item.id)
        elif not item.forbidden:
            missed.append(item.id)
    return RubricReview(tuple(covered), tuple(missed), tuple(forbidden), found)


def rubric_best(items: Iterable[RubricItem]) -> dict[str, float]:
    """The most a free-text step can earn per competency: every key point's positive effects."""
    best: dict[str, float] = {}
    for item in items:
        if item.forbidden:
            continue
        for code, value in item.effects.items():
            best[code] = best.get(code, 0.0) + max(float(value), 0.0)
    return best


def gaps(required: Mapping[str, int], current: Mapping[str, int]) -> dict[str, int]:
    """``{code: required − current}`` for every competency below its required level (a missing
    current level counts as 0), in the order of ``required``."""
    result = {}
    for code, need in required.items():
        gap = need - current.get(code, 0)
        if gap > 0:
            result[code] = gap
    return result
