"""Two answers to the same step at the same moment: one wins, nothing is scored twice."""

import threading

import pytest
from django.db import connections

from competency import selectors
from competency.models import Evidence, RunStep, Simulation
from competency.services import attempts
from hrcore.errors import Conflict
from tests.competency.test_play import GOOD_ANSWER


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_to_the_last_step_score_once(competency_demo, users):
    manager = users["manager"]
    run = attempts.run_start(
        simulation=Simulation.objects.get(code="debt-collectors-office"), actor=manager
    )
    # start → first-words → ask-details → verify-docs (a written answer covering every key
    # point) → call-team → team-arrives: the path that passes (tests/competency/test_play.py)
    for index in (0, 0, 0, None, 0):
        run.refresh_from_db()
        if index is None:
            attempts.run_answer(
                run_id=run.pk, node_id=run.current_node_id, free_text=GOOD_ANSWER, actor=manager
            )
            continue
        choice = selectors.visible_choices(run.current_node, run.state)[index]
        attempts.run_answer(
            run_id=run.pk, node_id=run.current_node_id, choice_id=choice.pk, actor=manager
        )
    run.refresh_from_db()
    node_id = run.current_node_id
    choice_id = selectors.visible_choices(run.current_node, run.state)[0].pk
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def answer():
        try:
            barrier.wait()
            attempts.run_answer(run_id=run.pk, node_id=node_id, choice_id=choice_id, actor=manager)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(outcomes) == ["conflict", "ok"]
    run.refresh_from_db()
    assert run.status == "finished"
    assert (
        RunStep.objects.filter(run=run).count() == 6
    )  # five steps before the last, one last answer that won
    assert Evidence.objects.filter(run=run).count() == 4
    assert (
        manager.employee.recognition.filter(
            source_key="training:pass:debt-collectors-office"
        ).count()
        == 1
    )
