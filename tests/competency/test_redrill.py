"""Drills count in spaced practice and drill currency (issue 16 §5): a participant's finished
drill is a practice of the scenario's role next to its simulations — it postpones the next
simulation, a failed one brings it forward, the due list proposes the next drill per scenario and
unit, and HR admins book it with one click through the crisis engine's drill scheduling."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from competency import selectors
from competency.drill_selectors import drill_attempts
from competency.models import Assignment, Simulation, SimulationRun
from competency.practice_selectors import DUE, FAILED, NEVER, redrill_due
from competency.services import assignments
from crisis.choices import TaskStatus
from crisis.models import DrillSchedule, Task
from crisis.services.drills import drill_stop
from crisis.services.filing import crisis_file
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_complete
from tests.crisis import conftest as crisis_fixtures
from tests.crisis.conftest import tasks_by_duty

crisis_world = crisis_fixtures.crisis_world

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"
T0 = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


def run_drill(users, *, at, done=(), breach=(), stop=True):
    """A drill of the emergency in the manager's unit on the real engine: the ``done`` duties
    delivered at once by their assignees, the ``breach`` duties left to breach (the sweep fires
    past their deadline), then stopped by HR."""
    with time_machine.travel(at, tick=False) as clock:
        crisis = crisis_file(
            scenario=SCENARIO,
            title="演练：催收人员到访",
            unit=users["manager"].employee.unit,
            actor=users["hradmin"],
            drill=True,
        )
        tasks = tasks_by_duty(crisis)
        clock.move_to(at + dt.timedelta(minutes=1))
        for duty in done:
            task_complete(task=tasks[duty], actor=tasks[duty].assignee.user, note="done")
        if breach:
            due = max(tasks[d].due_at for d in breach)
            clock.move_to(due + dt.timedelta(minutes=1))
            sla_sweep()
        if stop:
            drill_stop(crisis=crisis, actor=users["hradmin"])
    crisis.refresh_from_db()
    return crisis, tasks


def test_a_drill_is_a_practice_passed_by_whoever_met_their_deadlines(crisis_world, users):
    crisis, tasks = run_drill(
        users, at=T0, done=["finance-records", "manager-contact"], breach=["admin-on-site"]
    )
    finance, manager = tasks["finance-records"].assignee, tasks["manager-contact"].assignee
    admin = tasks["admin-on-site"].assignee
    # stopped before their deadline, never breached: not judged
    unjudged = {
        t.assignee_id
        for t in Task.objects.filter(crisis=crisis, status=TaskStatus.CANCELLED, breached_at=None)
        if t.assignee_id
    } - {finance.pk, manager.pk, admin.pk}
    found = drill_attempts([finance.pk, manager.pk, admin.pk, *unjudged])
    assert [(a.crisis_id, a.scenario_code, a.passed) for a in found[finance.pk]] == [
        (crisis.pk, SCENARIO, True)
    ]
    assert found[manager.pk][0].passed is True
    assert found[admin.pk][0].passed is False  # the breach fired: late
    assert found[finance.pk][0].at == crisis.closed_at
    assert unjudged and not unjudged & set(found)
    # an open drill is no practice yet, and other scenarios are filtered out
    run_drill(users, at=T0 + dt.timedelta(days=1), done=["finance-records"], stop=False)
    assert len(drill_attempts([finance.pk])[finance.pk]) == 1
    assert drill_attempts([finance.pk], scenario_codes=["strike"]) == {}


def test_a_passed_drill_postpones_the_simulation_and_a_failed_one_brings_it_forward(
    crisis_world, competency_demo, users
):
    Assignment.objects.all().delete()
    manager = users["manager"].employee
    debt = Simulation.objects.get(code="debt-collectors-office")
    SimulationRun.objects.create(
        version=selectors.published_version(debt),
        employee=manager,
        status="finished",
        started_at=T0 - dt.timedelta(days=40),
        finished_at=T0 - dt.timedelta(days=40),
        passed=True,
    )
    run_drill(users, at=T0, done=["manager-contact"])
    mine = manager.training_assignments.filter(simulation=debt)
    # the drill (a pass, second in a row) counts: the next practice is due 30 days after it
    with time_machine.travel(T0 + dt.timedelta(days=29), tick=False):
        assignments.pushes_run()
    assert not mine.exists()
    with time_machine.travel(T0 + dt.timedelta(days=31), tick=False):
        assignments.pushes_run()
    assert list(mine.values_list("reason", flat=True)) == ["periodic"]
    # a failed drill: the retry comes three days later, marked as a retry
    mine.delete()
    SimulationRun.objects.filter(employee=manager).delete()
    run_drill(users, at=T0 + dt.timedelta(days=40), breach=["manager-contact"])
    with time_machine.travel(T0 + dt.timedelta(days=42), tick=False):
        assignments.pushes_run()
    assert not mine.exists()
    with time_machine.travel(T0 + dt.timedelta(days=44), tick=False):
        assignments.pushes_run()
    assert list(mine.values_list("reason", flat=True)) == ["retry"]


def test_drill_currency_per_scenario_and_unit_on_known_data(crisis_world, users):
    unit = users["manager"].employee.unit
    with time_machine.travel(T0 - dt.timedelta(days=1), tick=False):
        before = selectors.drill_currency(scenario_code=SCENARIO, unit=unit)
    assert before["current"] == 0 and before["total"] > 2
    run_drill(users, at=T0, done=["finance-records", "manager-contact"], breach=["admin-on-site"])
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        data = selectors.readiness(unit=unit, scenario_code=SCENARIO)
        currency = selectors.drill_currency(scenario_code=SCENARIO, unit=unit)
    total = len({r["holder"].pk for r in data["rows"] if r["holder"]})
    assert currency == {"current": 2, "total": total, "percent": int(200 / total)}
    rows = {r["duty"].code: r for r in data["rows"]}
    assert rows["finance-records"]["practice"]["drill"].passed is True
    assert rows["admin-on-site"]["practice"]["current"] is False  # failed: not current
    # a week after the pass, the first interval has run out
    with time_machine.travel(T0 + dt.timedelta(days=8), tick=False):
        assert selectors.drill_currency(scenario_code=SCENARIO, unit=unit)["current"] == 0


def test_the_due_list_proposes_the_next_drill_and_books_it_in_one_click(
    crisis_world, users, client_as
):
    crisis, tasks = run_drill(users, at=T0, done=["finance-records"], breach=["admin-on-site"])
    finance, admin = tasks["finance-records"].assignee, tasks["admin-on-site"].assignee
    # the coverage's units are the companies: the manager's department belongs to its subsidiary
    unit = users["manager"].employee.unit.parent

    def due_in_unit(days: int) -> tuple:
        with time_machine.travel(T0 + dt.timedelta(days=days), tick=False):
            groups = redrill_due()
        group = next(g for g in groups if (g.scenario.code, g.unit.pk) == (SCENARIO, unit.pk))
        return group, {p.employee.pk: p for p in group.people}

    group, due = due_in_unit(2)
    assert finance.pk not in due and admin.pk not in due  # the failed one's retry: day 3
    group, due = due_in_unit(4)
    assert finance.pk not in due  # passed four days ago: next in a week
    assert due[admin.pk].reason == FAILED and group.people[0].reason == FAILED  # failed first
    assert due[admin.pk].next_due == crisis.closed_at + dt.timedelta(days=3)
    assert {p.reason for p in group.people} <= {FAILED, NEVER}
    # the Training page shows it to HR admins, with the one-click booking
    page = client_as("hradmin").get(reverse("competency:home")).content.decode()
    assert f'data-scenario="{SCENARIO}" data-unit="{unit.code}"' in page
    assert 'data-testid="redrill-schedule"' in page
    # staff neither see it nor may book
    assert (
        'data-testid="redrill-due"'
        not in client_as("staff").get(reverse("competency:home")).content.decode()
    )
    url = reverse("competency:redrill_schedule")
    assert (
        client_as("staff").post(url, {"scenario": SCENARIO, "unit": unit.code}).status_code == 404
    )
    assert not DrillSchedule.objects.exists()
    response = client_as("hradmin").post(url, {"scenario": SCENARIO, "unit": unit.code})
    assert response.status_code == 302
    schedule = DrillSchedule.objects.get()
    assert (schedule.scenario.code, schedule.unit, schedule.announced) == (SCENARIO, unit, True)
    assert (
        next(
            g for g in redrill_due() if (g.scenario.code, g.unit.pk) == (SCENARIO, unit.pk)
        ).booked_at
        == schedule.starts_at
    )
    # bad input: a clear message, nothing booked
    bad = client_as("hradmin").post(url, {"scenario": "no-such", "unit": unit.code}, follow=True)
    assert bad.status_code == 200 and DrillSchedule.objects.count() == 1
    assert '<li class="msg-error">' in bad.content.decode()


def test_the_due_list_never_tells_a_failed_simulation_from_a_due_one(
    crisis_world, competency_demo, users
):
    legal = users["legal"].employee
    SimulationRun.objects.create(
        version=selectors.published_version(Simulation.objects.get(code="debt-collectors-office")),
        employee=legal,
        status="finished",
        started_at=T0,
        finished_at=T0,
        passed=False,
    )
    with time_machine.travel(T0 + dt.timedelta(days=4), tick=False):
        groups = redrill_due()
    people = [
        p
        for g in groups
        if g.scenario.code == SCENARIO
        for p in g.people
        if p.employee.pk == legal.pk
    ]
    assert people and {p.reason for p in people} == {DUE}  # results are private
    assert {p.next_due for p in people} == {T0 + dt.timedelta(days=3)}
