"""No blind strategy passes a shipped simulation, and the order of the choices is no strategy.

A blind player knows nothing of the situation: always the first choice on screen, or always a
random one, and a free-text answer that says nothing in particular. The first test walks every
path of every shipped simulation (an independent walk over the published graph, scored by the
pure scoring module) and proves that no path passes with a blind answer, while some path passes
with an answer that covers the key points: whatever order the choices come in, a blind player
cannot pass. The second plays both strategies through the services, as a person would.
"""

from __future__ import annotations

import random

import pytest

from competency import scoring, selectors
from competency.choices import NodeKind
from competency.library import simulation_specs
from competency.models import SimNode, Simulation
from competency.services import attempts

pytestmark = pytest.mark.django_db

BLIND_ANSWER = "好的，我们会处理。"


def _offered(node: SimNode, shown) -> tuple[scoring.Option, ...]:
    timeout = [c for c in node.choices.all() if c.is_timeout]
    return tuple(scoring.Option(c.pk, c.effects or {}, c.is_critical) for c in [*shown, *timeout])


def _model_answer(node: SimNode) -> str:
    return " ".join(i.phrases[0] for i in node.rubric_items.all() if not i.is_forbidden)


def _every_path(version, *, blind: bool) -> list[scoring.RunScore]:
    """Score every path through ``version`` (a free-text step goes on by its one choice)."""
    nodes = {n.pk: n for n in version.nodes.prefetch_related("choices__next_node", "rubric_items")}
    scores = []

    def walk(node, state, steps):
        if node is None or node.kind == NodeKind.ENDING:
            scores.append(
                scoring.score_run(
                    steps,
                    pass_mark=version.pass_mark,
                    competency_minimum=version.competency_minimum,
                )
            )
            return
        node = nodes[node.pk]
        shown = selectors.visible_choices(node, state)
        if node.kind == NodeKind.FREE_TEXT:
            rubric = tuple(
                scoring.RubricItem(i.pk, tuple(i.phrases), i.effects or {}, i.is_forbidden)
                for i in node.rubric_items.all()
            )
            answer = BLIND_ANSWER if blind else _model_answer(node)
            choice = shown[0]
            step = scoring.Step(_offered(node, shown), choice.pk, rubric, answer)
            walk(
                choice.next_node,
                scoring.apply_state_changes(state, choice.state_changes),
                [*steps, step],
            )
            return
        for choice in shown:
            step = scoring.Step(_offered(node, shown), choice.pk)
            walk(
                choice.next_node,
                scoring.apply_state_changes(state, choice.state_changes),
                [*steps, step],
            )

    walk(version.start_node, dict(version.initial_state or {}), [])
    return scores


def _shipped(competency_demo) -> list:
    codes = [spec["code"] for spec in simulation_specs()]
    assert len(codes) >= 3
    return [selectors.published_version(Simulation.objects.get(code=code)) for code in codes]


def test_no_path_passes_with_a_blind_answer_and_some_path_passes_with_a_good_one(competency_demo):
    for version in _shipped(competency_demo):
        code = version.simulation.code
        assert (version.pass_mark, version.competency_minimum) == (70, 70), code
        blind = _every_path(version, blind=True)
        assert len(blind) > 50, code  # a real branching graph, not a corridor
        assert [s for s in blind if s.passed] == [], code
        informed = [s for s in _every_path(version, blind=False) if s.passed]
        assert informed, f"{code}: nobody can pass"
        for score in informed:
            assert min(c.percent for c in score.competencies.values()) >= 70


def _play(simulation, user, pick) -> object:
    run = attempts.run_start(simulation=simulation, actor=user)
    for _ in range(50):
        run.refresh_from_db()
        if run.status == "finished":
            return run
        node = run.current_node
        if node.kind == NodeKind.FREE_TEXT:
            attempts.run_answer(run_id=run.pk, node_id=node.pk, free_text=BLIND_ANSWER, actor=user)
            continue
        choice = pick(selectors.choices_for_run(node, run))
        attempts.run_answer(run_id=run.pk, node_id=node.pk, choice_id=choice.pk, actor=user)
    raise AssertionError("the run never ended")


def test_always_first_and_always_random_fail_every_shipped_simulation(competency_demo, users):
    player = users["manager"]
    rng = random.Random(20261202)
    for version in _shipped(competency_demo):
        simulation = version.simulation
        for attempt in range(3):
            first = _play(simulation, player, lambda shown: shown[0])
            guess = _play(simulation, player, rng.choice)
            for run in (first, guess):
                assert run.status == "finished"
                assert run.passed is False, (simulation.code, attempt, run.competency_scores)


def test_the_order_of_the_choices_is_stable_in_a_run_and_changes_across_runs(
    competency_demo, users
):
    simulation = Simulation.objects.get(code="debt-collectors-office")
    node = selectors.published_version(simulation).nodes.get(key="first-words")
    run = attempts.run_start(simulation=simulation, actor=users["manager"])
    visible = selectors.visible_choices(node, run.state)
    firsts = set()
    for seed in range(12):
        run.shuffle_seed = seed
        order = selectors.choices_for_run(node, run)
        assert sorted(c.pk for c in order) == sorted(c.pk for c in visible)
        assert selectors.choices_for_run(node, run) == order  # a reload shows the same order
        firsts.add(order[0].pk)
    assert len(firsts) >= 2
    # each new attempt draws its own seed
    seeds = set()
    for _ in range(4):
        run = attempts.run_start(simulation=simulation, actor=users["finance"])
        seeds.add(run.shuffle_seed)
        run.status = "finished"
        run.save(update_fields=["status"])
    assert len(seeds) >= 3
