"""Resilience stars and simulation results count on the person's performance record (issue 17
§1), once per award and per finished run."""

from __future__ import annotations

import pytest

from competency import selectors
from competency.models import Simulation
from competency.services import attempts
from competency.services.recognition import recognition_award
from hrcore.models import PerformanceEvent

pytestmark = pytest.mark.django_db


def test_stars_count_per_star_once_per_award(competency_demo, users):
    staff = users["staff"].employee
    for _ in range(2):
        recognition_award(
            employee=staff,
            kind="crisis",
            source_key="crisis:4242",
            stars=3,
            reason=("按时处置", "Handled on time"),
        )
    assert list(
        PerformanceEvent.objects.filter(kind="star").values_list("employee_id", "points")
    ) == [(staff.pk, 3)]


def test_a_finished_simulation_counts_failed_or_passed(competency_demo, users):
    debt = Simulation.objects.get(code="debt-collectors-office")
    run = attempts.run_start(simulation=debt, actor=users["manager"])
    # start → first-words (promise) → promise-trap → promise-sign (sign) → ending-bad-promise
    for index in (0, 2, 0, 1):
        run.refresh_from_db()
        choice = selectors.visible_choices(run.current_node, run.state)[index]
        attempts.run_answer(
            run_id=run.pk, node_id=run.current_node_id, choice_id=choice.pk, actor=users["manager"]
        )
    run.refresh_from_db()
    assert (run.status, run.passed) == ("finished", False)
    assert list(
        PerformanceEvent.objects.filter(kind="simulation").values_list(
            "employee__user__username", "variant", "points", "source_key"
        )
    ) == [("manager", "failed", 0, f"simulation_run:{run.pk}")]
