"""Filing costs a constant number of queries (issue 12, item 1): the one-pass assignee resolver
gives exactly what resolving each duty on its own gave, and a map of 10 duties files in as many
queries as a map of 3."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisis.models import Crisis, Task
from crisis.selectors.people import duty_assignments, resolve_escalation_target
from crisis.services.filing import crisis_file
from hrcore.errors import KeelError
from hrcore.models import Absence, Employee, OrgUnit, Position
from hrcore.services import org
from responsibilities.models import Duty, ResponsibilityMap
from tests.reference_resolver import reference_resolve


def per_duty(unit: OrgUnit, duty: Duty, at, memo: dict | None = None) -> tuple:
    """What filing did before the one-pass resolver: the per-level walk (the reference
    implementation in tests/reference_resolver.py) for the duty, and for a duty nobody holds the
    first resolvable step of its escalation chain, then the executive.

    ``memo`` keeps the answer per (unit, function, position, escalation): the reference is a
    function of exactly these (and the database, which does not change during a comparison), so
    duties of different maps that ask the same question in the same unit are answered once —
    each duty is still compared with the reference's answer to its question."""
    key = (
        unit.pk,
        duty.assignee_function or None,
        duty.assignee_position.code if duty.assignee_position_id else None,
        tuple(duty.escalation or ()),
    )
    if memo is not None and key in memo:
        return memo[key]
    answer = _per_duty(unit, duty, at)
    if memo is not None:
        memo[key] = answer
    return answer


def _per_duty(unit: OrgUnit, duty: Duty, at) -> tuple:
    try:
        employee_pk = reference_resolve(
            unit=unit,
            function=duty.assignee_function or None,
            position=duty.assignee_position.code if duty.assignee_position_id else None,
            at=at,
        )
        return (employee_pk, None, None)
    except KeelError as exc:
        reason = exc.message
    probe_task, probe_crisis = Task(), Crisis(unit=unit)  # a gap task has no assignee yet
    for step in [*(duty.escalation or []), "executive"]:
        target = resolve_escalation_target(step, task=probe_task, crisis=probe_crisis, at=at)
        if target is not None:
            return (target.pk, reason, step)
    return (None, reason, None)


def one_pass(unit: OrgUnit, duties: list[Duty], at) -> list[tuple]:
    return [
        (a.employee.pk if a.employee else None, a.gap_reason, a.fallback_step)
        for a in duty_assignments(unit=unit, duties=duties, at=at)
    ]


def _compare_everywhere(maps: list[ResponsibilityMap], at) -> int:
    compared = 0
    memo: dict = {}
    units = list(OrgUnit.objects.order_by("path"))
    for rmap in maps:
        duties = list(rmap.duties.select_related("assignee_position").order_by("order", "id"))
        for unit in units:
            expected = [per_duty(unit, duty, at, memo) for duty in duties]
            assert one_pass(unit, duties, at) == expected, (rmap.scenario.code, unit.code)
            compared += len(duties)
    return compared


def _absences(seed: int, at) -> None:
    """A deterministic mess: about a third of the org away, delegates that are away too, chains,
    loops, delegates who left the company, absences without a delegate, overlapping absences."""
    rng = random.Random(seed)
    people = list(Employee.objects.order_by("pk"))
    Absence.objects.all().delete()
    for person in rng.sample(people, k=len(people) // 3):
        delegate = rng.choice([None, *rng.sample(people, k=3)])
        for _ in range(rng.choice([1, 1, 2])):  # sometimes two overlapping absences
            Absence.objects.create(
                employee=person,
                delegate=delegate if delegate != person else None,
                starts_at=at - timedelta(hours=rng.randint(1, 48)),
                ends_at=at + timedelta(hours=rng.randint(1, 48)),
                reason="leave",
            )
            delegate = rng.choice([None, *people])
    for gone in rng.sample(people, k=3):
        Employee.objects.filter(pk=gone.pk).update(is_active=False)


@pytest.fixture
def every_map(crisis_world, make_map):
    """Every scenario's published maps, plus a map whose duties nobody can hold (escalation
    fallbacks: a position without holders, a manager step, an unknown step, a bad function)."""
    Position.objects.create(code="nobody-holds", title_zh="无人", title_en="Nobody", grade=1)
    make_map(
        "gaps",
        [
            {
                "code": "g1",
                "deadline_minutes": 30,
                "position": "nobody-holds",
                "escalation": ["manager", "position:cfo"],
            },
            {
                "code": "g2",
                "deadline_minutes": 30,
                "position": "nobody-holds",
                "escalation": ["position:nobody-holds"],
            },
            {
                "code": "g3",
                "deadline_minutes": 30,
                "position": "nobody-holds",
                "escalation": ["bogus", "executive"],
            },
            {
                "code": "g4",
                "deadline_minutes": 30,
                "function": "finance",
                "escalation": ["manager"],
            },
        ],
    )
    maps = list(ResponsibilityMap.objects.filter(status="published").select_related("scenario"))
    scenarios = {m.scenario.code for m in maps}
    from responsibilities.library import scenario_specs

    assert {s.code for s in scenario_specs()} <= scenarios  # every library scenario is covered
    return maps


def test_one_pass_resolver_agrees_with_the_per_duty_resolver_without_absences(every_map):
    assert _compare_everywhere(every_map, timezone.now()) > 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_pass_resolver_agrees_with_absences_and_delegates(every_map, seed):
    at = timezone.now()
    _absences(seed, at)
    assert Absence.objects.filter(delegate__isnull=False).exists()
    assert _compare_everywhere(every_map, at) > 100


def test_one_pass_resolver_follows_a_delegate_chain_and_stops_at_a_loop(every_map):
    at = timezone.now()
    legal = OrgUnit.objects.get(code="sh-legal").head
    a, b = Employee.objects.filter(unit__code="sh-legal").exclude(pk=legal.pk)[:2]
    window = {"starts_at": at - timedelta(hours=1), "ends_at": at + timedelta(hours=5)}
    org.absence_record(employee=legal, delegate=a, **window)
    org.absence_record(employee=a, delegate=b, **window)
    _compare_everywhere(every_map, at)
    org.absence_record(employee=b, delegate=legal, **window)
    _compare_everywhere(every_map, at)


# What one filing costs (crisis_file, inside the test's transaction; the filer's employee
# record and roles are already on the user object, as after the first filing of a request),
# pinned so a regression fails: SAVEPOINT; the map in force and its duties; INSERT the crisis;
# the resolver (the executive's position, the holders, running absences, the people chosen with
# their users — the ancestors' paths come from the unit's own path); INSERT tasks, timeline events, participants,
# notifications and the one fan-out outbox row; the scenario's statutory obligations;
# the crisis added to the dashboard's rollup of its day (``services.rollup``: the day row's
# upsert, the update of the duties' rows, the insert of the missing ones — all missing here, each
# map is new); RELEASE SAVEPOINT. On PostgreSQL the timeline, participants, notifications and
# outbox row go in a pipeline, and so do the rollup's statements: still one query each here.
# (The API adds the token, the unit by code, the filer and their roles.)
FILING_QUERIES = 18


def filing_queries() -> int:
    """On PostgreSQL the rollup's update also takes its bucket's advisory lock."""
    return FILING_QUERIES + (connection.vendor == "postgresql")


def _file_with_duties(make_map, users, n: int) -> int:
    """File a crisis on a fresh map of ``n`` duties (assigned, gap-filled, chained, delegated)
    and return how many queries the filing took."""
    functions = ["finance", "legal", "administration", "hr", "customer_service"]
    duties = []
    for i in range(n):
        duty = {"code": f"d{i}", "deadline_minutes": 30 + i, "escalation": ["manager", "executive"]}
        if i % 4 == 3:
            duty["position"] = "nobody-holds"  # a gap: the executive takes it
        else:
            duty["function"] = functions[i % len(functions)]
        if i % 3 == 2:
            duty["after"] = [f"d{i - 1}"]  # waits for its prerequisite
        duties.append(duty)
    make_map(f"bulk-{n}", duties, scope="demo-group")
    with CaptureQueriesContext(connection) as queries:
        crisis = crisis_file(scenario=f"bulk-{n}", title=f"{n} duties", actor=users["manager"])
    assert crisis.tasks.count() == n
    return len(queries.captured_queries)


def test_filing_query_count_does_not_grow_with_the_number_of_duties(crisis_world, users, make_map):
    Position.objects.create(code="nobody-holds", title_zh="无人", title_en="Nobody", grade=1)
    at = timezone.now()
    # The Shanghai finance head is away: their delegate takes the finance duties.
    finance = OrgUnit.objects.get(code="sh-finance").head
    stand_in = Employee.objects.filter(unit__code="sh-finance").exclude(pk=finance.pk).first()
    org.absence_record(
        employee=finance,
        delegate=stand_in,
        starts_at=at - timedelta(hours=1),
        ends_at=at + timedelta(days=1),
    )
    _file_with_duties(make_map, users, 2)  # warm the per-process caches (content types, …)
    three = _file_with_duties(make_map, users, 3)
    ten = _file_with_duties(make_map, users, 10)
    assert ten == three  # k = 0 queries per duty
    assert three == filing_queries(), three
