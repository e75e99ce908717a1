"""The map coverage's "trained" test counts the latest result and drill currency (issue 16 §5):
a newer failed result makes a holder untrained however good an older one was; a holder whose
last drill or simulation for the scenario's role is not current (failed, or overdue) is
untrained; the maps page and the API show the drill currency per scenario and unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from competency import selectors as competency_selectors
from competency.choices import EvidenceKind
from competency.models import Simulation, SimulationRun
from competency.services.evidence import evidence_record
from responsibilities import coverage as pure
from tests.competency.test_redrill import run_drill
from tests.responsibilities.test_coverage import emergency, now_coverage, person, train

pytestmark = pytest.mark.django_db

FINANCE = ("sh", "finance-records")


def simulated(employee, *, days_ago: float, passed: bool) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    SimulationRun.objects.create(
        version=competency_selectors.published_version(
            Simulation.objects.get(code="debt-collectors-office")
        ),
        employee=employee,
        status="finished",
        started_at=at,
        finished_at=at,
        passed=passed,
    )


def test_practice_share_counts_each_holder_once_per_unit():
    rows = [
        {"unit": "sh", "holder": {"id": 1, "practice_current": True}},
        {"unit": "sh", "holder": {"id": 1, "practice_current": True}},  # a second duty
        {"unit": "sh", "holder": {"id": 2, "practice_current": False}},
        {"unit": "sz", "holder": {"id": 3, "practice_current": None}},  # never practised
        {"unit": "sz", "holder": None},  # vacant: nobody to count
        {"unit": "sz", "holder": {"id": 4}},  # an older snapshot without the field
    ]
    overall, per_unit = pure.practice_share(rows)
    assert (overall.current, overall.total, overall.percent) == (1, 4, 25)
    assert [(u, s.current, s.total) for u, s in per_unit] == [("sh", 1, 2), ("sz", 0, 2)]
    assert pure.PracticeShare().percent == 100
    issues = dict(absent=False, channels=("email", "mobile"), skills=["x"], current={"x"})
    assert pure.person_issues(**issues, practice_current=None) == ()
    assert pure.person_issues(**issues, practice_current=True) == ()
    assert pure.person_issues(**issues, practice_current=False) == (pure.UNTRAINED,)


def test_a_newer_failed_result_makes_the_holder_untrained(seeded_maps):
    finance = person("finance")
    assert now_coverage()[FINANCE]["gaps"] == []  # trained in the demo world
    evidence_record(
        employee=finance,
        competency_code="financial-evidence",
        level=1,  # the bottom of the four-level scale: a failed simulation
        kind=EvidenceKind.SIMULATION,
        actor=None,
        observed_at=timezone.now() - timedelta(hours=1),
        push=False,
    )
    r = now_coverage()[FINANCE]
    assert r["holder"]["issues"] == ["untrained"]
    assert r["holder"]["missing_skills"] == ["financial-evidence"]
    train(finance, "financial-evidence", days_ago=0)  # a pass after the fail: trained again
    assert now_coverage()[FINANCE]["holder"]["issues"] == []


def test_drill_currency_decides_trained_where_the_holder_has_practised(seeded_maps):
    finance = person("finance")
    r = now_coverage()[FINANCE]
    assert (r["holder"]["practice_current"], r["gaps"]) == (None, [])  # never: not checked
    simulated(finance, days_ago=2, passed=True)
    r = now_coverage()[FINANCE]
    assert (r["holder"]["practice_current"], r["gaps"]) == (True, [])
    simulated(finance, days_ago=1, passed=False)  # the latest result counts
    r = now_coverage()[FINANCE]
    assert r["holder"]["practice_current"] is False
    assert r["holder"]["issues"] == ["untrained"]
    assert r["holder"]["missing_skills"] == []  # the skills' evidence is fine: the practice is not
    # a pass a week ago has run out of its first interval
    SimulationRun.objects.filter(employee=finance).delete()
    simulated(finance, days_ago=8, passed=True)
    assert now_coverage()[FINANCE]["holder"]["practice_current"] is False


def test_a_failed_drill_makes_its_participant_untrained_and_shows_on_the_maps_page(
    seeded_maps, users, client_as, api_as
):
    start = timezone.now() - timedelta(hours=6)
    _crisis, tasks = run_drill(users, at=start, breach=["finance-records"])
    assert tasks["finance-records"].assignee == person("finance")
    r = now_coverage()[FINANCE]
    assert (r["holder"]["practice_current"], r["holder"]["issues"]) == (False, ["untrained"])
    page = client_as("hradmin").get("/maps/").content.decode()
    block = page[page.index('data-scenario="debt-collection-emergency"') :]
    block = block[: block.index("</section>")]
    assert 'data-testid="drill-currency"' in block
    assert 'data-testid="practice-due"' in block  # the finance head's gap names the practice
    body = api_as("hradmin").get(f"/api/v1/responsibility-maps/{emergency().pk}/coverage/").json()
    sh = next(u for u in body["drill_currency"]["units"] if u["unit"] == "sh")
    assert sh["current"] == 0 and sh["total"] >= 3  # the one who drilled failed; others never
