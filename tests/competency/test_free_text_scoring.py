"""Free-text rubric scoring in the pure module: phrase matching, normalisation and properties."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competency import scoring
from competency.scoring import Option, RubricItem, Step

SUBMIT = (Option(99, {}),)
EMOTION = RubricItem(1, ("理解", "understand"), {"ec": 2})
RECORDS = RubricItem(2, ("付款记录", "payment record*"), {"rc": 2, "ng": 1})
LEGAL = RubricItem(3, ("委托", "mandate"), {"ng": 3})
PROMISE = RubricItem(4, ("当场付", "pay today"), {"ng": -3}, forbidden=True)
RUBRIC = (EMOTION, RECORDS, LEGAL, PROMISE)


def free_text(answer, rubric=RUBRIC):
    return Step(SUBMIT, chosen_id=99, rubric=rubric, answer=answer)


@pytest.mark.parametrize(
    ("answer", "phrase", "found"),
    [
        ("我理解您很着急", "理解", True),
        ("我 理解 您", "理解", True),  # spaces inside Chinese are ignored
        ("I UNDERSTAND", "understand", True),  # case-insensitive
        ("Ｉ ｕｎｄｅｒｓｔａｎｄ", "understand", True),  # full-width letters fold
        ("we misunderstand", "understand", False),  # English on word boundaries
        ("the payment records are coming", "payment record*", True),  # * lets the word go on
        ("the payment recorder", "payment record", False),
        ("财务在调付款记录", "付款记录", True),  # Chinese has no word boundaries
        ("财务legal团队", "legal", True),  # a CJK neighbour is a boundary for English
        ("我们今天不会当场付款", "当场付", False),  # negated in the same clause
        ("好，我今天当场付", "当场付", True),
        ("不行，今天当场付", "当场付", True),  # the negation was in another clause
        ("对不起，我今天当场付", "当场付", True),  # 对不起 negates nothing
        ("We will not pay today.", "pay today", False),
        ("We can’t pay today.", "pay today", False),  # curly apostrophe
        ("Fine, I'll pay today", "pay today", True),
        ("", "理解", False),
        ("anything", "  ", False),  # an empty phrase never matches
    ],
)
def test_phrase_found(answer, phrase, found):
    assert scoring.phrase_found(answer, phrase) is found


def test_answer_earns_the_effects_of_the_points_it_covers():
    result = scoring.score_run([free_text("我理解您着急，财务正在调取付款记录。")], pass_mark=60)
    # ec 2/2, rc 2/2, ng 1 of best 1 + 3
    assert {c: s.percent for c, s in result.competencies.items()} == {
        "ec": 100.0,
        "ng": 25.0,
        "rc": 100.0,
    }
    assert result.overall == 75.0
    assert result.critical_error is False


def test_an_answer_covering_nothing_earns_nothing_of_the_rubric_best():
    result = scoring.score_run([free_text("好的。")], pass_mark=60)
    assert {c: (s.earned, s.best) for c, s in result.competencies.items()} == {
        "ec": (0.0, 2.0),
        "ng": (0.0, 4.0),
        "rc": (0.0, 2.0),
    }
    assert result.overall == 0.0


def test_best_includes_the_free_text_maximum_next_to_choices():
    steps = [
        Step((Option(1, {"ng": 2}), Option(2, {"ng": 1})), chosen_id=1),
        free_text("The mandate is unstamped."),
    ]
    result = scoring.score_run(steps, pass_mark=60)
    assert (result.competencies["ng"].earned, result.competencies["ng"].best) == (5.0, 6.0)
    assert scoring.rubric_best(RUBRIC) == {"ec": 2.0, "rc": 2.0, "ng": 4.0}


def test_forbidden_phrase_is_a_critical_error_and_caps_the_score():
    answer = "我理解您着急，财务正在调付款记录，委托手续不全——但我今天当场付。"
    result = scoring.score_run([free_text(answer)], pass_mark=60)
    assert result.critical_error is True
    assert result.passed is False
    assert result.overall == 59.0
    # the forbidden phrase's own effect is applied: ng 1 + 3 - 3 of 4
    assert result.competencies["ng"].percent == 25.0


def test_review_lists_covered_missed_and_forbidden_with_the_phrase_found():
    review = scoring.rubric_review("I understand. I'll pay today.", RUBRIC)
    assert review.covered == (1,)
    assert review.missed == (2, 3)
    assert review.forbidden == (4,)
    assert review.found == {1: "understand", 4: "pay today"}


def test_suggestions_put_forbidden_first_then_missed_points_by_loss():
    steps = [
        Step((Option(1, {"ec": 5}), Option(2, {"ec": 4}, has_hint=True)), chosen_id=2),
        free_text("I understand, and I'll pay today."),
    ]
    result = scoring.score_run(steps, pass_mark=60)
    plan = scoring.suggestions_plan(result, steps)
    assert plan[0] == {"kind": "forbidden", "item_id": 4}
    # the missed points (worth 3 + 3) outweigh the choice (1 short of the best)
    assert plan[1] == {"kind": "missed_points", "item_ids": [2, 3]}
    assert plan[2] == {"kind": "choice", "choice_id": 2}


def test_a_step_without_rubric_scores_as_before():
    steps = [Step((Option(1, {"a": 2}), Option(2, {"a": 1})), chosen_id=2, answer="理解")]
    assert scoring.score_run(steps, pass_mark=60).competencies["a"].percent == 50.0


# --- properties ------------------------------------------------------------------------------

CODES = st.sampled_from(["ec", "rc", "ng", "ra"])
WORDS = st.sampled_from(
    ["理解", "付款记录", "法务", "授权", "understand", "records", "legal", "mandate", "today"]
)
FILLER = st.text(
    alphabet=st.sampled_from(list("好的我们会请稍等，。 abcxyz")), min_size=0, max_size=20
)


@st.composite
def rubrics(draw):
    items = []
    count = draw(st.integers(min_value=1, max_value=5))
    for index in range(count):
        forbidden = draw(st.booleans()) if index else False
        effects = draw(
            st.dictionaries(
                CODES,
                st.integers(min_value=-3, max_value=0)
                if forbidden
                else st.integers(min_value=0, max_value=4),
                max_size=3,
            )
        )
        phrases = tuple(draw(st.lists(WORDS, min_size=1, max_size=2, unique=True)))
        items.append(RubricItem(index + 1, phrases, effects, forbidden=forbidden))
    return tuple(items)


@settings(max_examples=200, deadline=None)
@given(rubric=rubrics(), answer=st.lists(st.one_of(WORDS, FILLER), max_size=8))
def test_scores_stay_in_range_and_best_is_the_rubric_maximum(rubric, answer):
    text = "".join(answer)
    result = scoring.score_run([free_text(text, rubric)], pass_mark=60)
    assert 0.0 <= result.overall <= 100.0
    best = scoring.rubric_best(rubric)
    for code, score in result.competencies.items():
        assert 0.0 <= score.percent <= 100.0
        assert score.best == best[code]
    review = scoring.rubric_review(text, rubric)
    assert result.critical_error is bool(review.forbidden)
    if review.forbidden:
        assert result.passed is False and result.overall < 60
    # every key point is either covered or missed, never both
    key_points = {i.id for i in rubric if not i.forbidden}
    assert set(review.covered) | set(review.missed) == key_points
    assert not set(review.covered) & set(review.missed)


@settings(max_examples=200, deadline=None)
@given(rubric=rubrics(), before=FILLER, after=FILLER, extra=WORDS)
def test_saying_one_more_phrase_never_lowers_a_score_without_forbidden_items(
    rubric, before, after, extra
):
    rubric = tuple(i for i in rubric if not i.forbidden)
    base = scoring.score_run([free_text(before + after, rubric)], pass_mark=60)
    more = scoring.score_run([free_text(f"{before}。{extra}。{after}", rubric)], pass_mark=60)
    assert more.overall >= base.overall
    for code, score in base.competencies.items():
        assert more.competencies[code].percent >= score.percent


@settings(max_examples=200, deadline=None)
@given(rubric=rubrics())
def test_an_answer_saying_every_key_point_and_nothing_forbidden_scores_full_marks(rubric):
    rubric = tuple(i for i in rubric if not i.forbidden)
    answer = "。".join(i.phrases[0] for i in rubric)
    result = scoring.score_run([free_text(answer, rubric)], pass_mark=60)
    assert all(s.percent == 100.0 for s in result.competencies.values())
    assert result.overall == (100.0 if result.competencies else 0.0)


@settings(max_examples=200, deadline=None)
@given(phrase=WORDS, before=FILLER, after=FILLER)
def test_matching_ignores_case_and_negation_hides_a_phrase(phrase, before, after):
    # the filler's clause marks keep the phrase in a clause of its own
    said = f"{before}。{phrase}。{after}"
    assert scoring.phrase_found(said, phrase)
    assert scoring.phrase_found(said.upper(), phrase)
    assert not scoring.phrase_found(f"{before}。不{phrase}", phrase)
    assert not scoring.phrase_found(f"{before}. never {phrase}", phrase)
