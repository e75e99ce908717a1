"""Two human raters score written answers per key point; Keel shows their agreement (ICC), the
key points they split on, and how far each rater is from the expert on reference answers."""

import pytest
from django.urls import reverse

from competency import selectors
from competency.agreement import icc_2_1
from competency.models import RunStep, Simulation
from competency.rating_models import AnswerRating
from competency.rating_selectors import agreement_overview, answers_to_rate
from competency.services import attempts, rating
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

TO_FREE_TEXT = [("start", 0), ("first-words", 0), ("ask-details", 0)]


def _written_answer(simulation, user, text) -> RunStep:
    run = attempts.run_start(simulation=simulation, actor=user)
    for key, index in TO_FREE_TEXT:
        run.refresh_from_db()
        assert run.current_node.key == key
        choice = selectors.visible_choices(run.current_node, run.state)[index]
        attempts.run_answer(
            run_id=run.pk, node_id=run.current_node_id, choice_id=choice.pk, actor=user
        )
    run.refresh_from_db()
    node_id = run.current_node_id
    attempts.run_answer(run_id=run.pk, node_id=node_id, free_text=text, actor=user)
    for key in ("call-team", "team-arrives"):
        run.refresh_from_db()
        assert run.current_node.key == key
        choice = selectors.visible_choices(run.current_node, run.state)[0]
        attempts.run_answer(
            run_id=run.pk, node_id=run.current_node_id, choice_id=choice.pk, actor=user
        )
    return RunStep.objects.get(run=run, node_id=node_id)


@pytest.fixture
def debt(competency_demo, users):
    simulation = Simulation.objects.get(code="debt-collectors-office")
    rating.raters_set(simulation=simulation, usernames=["legal", "finance"], actor=users["hradmin"])
    return simulation


def _points(step) -> list[int]:
    return [item.pk for item in rating.key_points(step.node)]


def _rate(user, step, values) -> None:
    rating.answer_rate(actor=user, step=step, scores=dict(zip(_points(step), values, strict=True)))


def test_only_hr_admins_set_raters_and_only_known_people(debt, users):
    with pytest.raises(PermissionDenied):
        rating.raters_set(simulation=debt, usernames=["legal"], actor=users["manager"])
    with pytest.raises(ValidationFailed):
        rating.raters_set(
            simulation=debt, usernames=["legal", "nobody-here"], actor=users["hradmin"]
        )
    assert sorted(r.user.username for r in debt.raters.all()) == ["finance", "legal"]


def test_two_raters_score_an_answer_once_and_never_their_own(debt, users):
    step = _written_answer(debt, users["manager"], "委托书没有盖章，请补齐材料。")
    points = _points(step)
    assert len(points) >= 3
    assert [s.pk for s in answers_to_rate(users["legal"])] == [step.pk]
    # incomplete or out-of-scale scores: refused, nothing written
    with pytest.raises(ValidationFailed):
        rating.answer_rate(actor=users["legal"], step=step, scores={points[0]: 2})
    with pytest.raises(ValidationFailed):
        _rate(users["legal"], step, [3] * len(points))
    assert AnswerRating.objects.count() == 0
    # someone who is not a rater of this simulation
    with pytest.raises(PermissionDenied):
        _rate(users["admin"], step, [1] * len(points))
    _rate(users["legal"], step, [2] + [0] * (len(points) - 1))
    with pytest.raises(Conflict):
        _rate(users["legal"], step, [1] * len(points))
    assert answers_to_rate(users["legal"]) == []
    _rate(users["finance"], step, [2] + [1] * (len(points) - 1))
    # a third rater is not asked
    rating.raters_set(
        simulation=debt, usernames=["legal", "finance", "admin"], actor=users["hradmin"]
    )
    assert answers_to_rate(users["admin"]) == []
    with pytest.raises(Conflict):
        _rate(users["admin"], step, [1] * len(points))
    # a rater's own answer is never theirs to rate
    own = _written_answer(debt, users["legal"], "我理解您着急。")
    assert own.pk not in [s.pk for s in answers_to_rate(users["legal"])]
    with pytest.raises(PermissionDenied):
        _rate(users["legal"], own, [2] * len(points))
    assert AnswerRating.objects.filter(step=step).count() == 2 * len(points)


def test_agreement_icc_flags_and_calibration_from_known_scores(debt, users):
    answers = [
        _written_answer(debt, users[name], text)
        for name, text in (
            ("manager", "委托书没有盖章，请补齐材料，法务三个工作日内答复。"),
            ("admin", "请你们先回去。"),
            ("staff", "我理解您着急，财务正在调取付款记录。"),
        )
    ]
    n = len(_points(answers[0]))
    legal = [[2] * n, [0] * n, [1] * n]
    # finance agrees everywhere except the first key point, where it is always one point off
    finance = [[1] + [2] * (n - 1), [1] + [0] * (n - 1), [2] + [1] * (n - 1)]
    for step, mine, theirs in zip(answers, legal, finance, strict=True):
        _rate(users["legal"], step, mine)
        _rate(users["finance"], step, theirs)
    # the reference: rows are (answer, key point), columns the two raters
    matrix = [[legal[a][i], finance[a][i]] for a in range(3) for i in range(n)]
    # calibration: the expert's reference answer, scored by legal with one point off on one item
    node = answers[0].node
    expert = dict.fromkeys(_points(answers[0]), 2)
    reference = rating.reference_answer_create(
        node=node, text="委托手续不完整……", expert_scores=expert, actor=users["hradmin"]
    )
    off_by_one = dict(expert) | {_points(answers[0])[0]: 1}
    rating.answer_rate(actor=users["legal"], reference=reference, scores=off_by_one)

    row = next(a for a in agreement_overview() if a.simulation.pk == debt.pk)
    assert row.answers_rated_twice == 3
    assert row.icc == pytest.approx(icc_2_1(matrix))
    assert 0.5 < row.icc < 1.0
    flagged = [i["item_id"] for i in row.items if i["flagged"]]
    assert flagged == [_points(answers[0])[0]]
    first = next(i for i in row.items if i["item_id"] == flagged[0])
    assert (first["pairs"], first["mean_difference"]) == (3, 1.0)
    assert row.calibration == [{"rater": "legal", "rated": n, "deviation": round(1 / n, 2)}]


def test_rating_pages(debt, users, client_as):
    step = _written_answer(debt, users["manager"], "委托书没有盖章，请补齐材料。")
    legal = client_as("legal")
    page = legal.get(reverse("competency:answers_rate"))
    assert page.status_code == 200
    assert "委托书没有盖章".encode() in page.content
    assert users["manager"].employee.name_zh.encode() not in page.content  # blind rating
    points = _points(step)
    incomplete = legal.post(
        reverse("competency:answers_rate"), {"target": f"step:{step.pk}", f"item-{points[0]}": "2"}
    )
    assert incomplete.status_code == 302 and AnswerRating.objects.count() == 0
    data = {"target": f"step:{step.pk}"} | {f"item-{p}": "1" for p in points}
    assert legal.post(reverse("competency:answers_rate"), data).status_code == 302
    assert AnswerRating.objects.filter(step=step, rater=users["legal"]).count() == len(points)
    assert (
        legal.post(reverse("competency:answers_rate"), {"target": "step:junk"}).status_code == 404
    )
    assert client_as("manager").get(reverse("competency:rating_agreement")).status_code == 404
    hr = client_as("hradmin").get(reverse("competency:rating_agreement"))
    assert hr.status_code == 200
    assert b'data-testid="agreement-debt-collectors-office"' in hr.content
