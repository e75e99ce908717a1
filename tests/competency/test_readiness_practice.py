"""Readiness answers "who responds and how ready are they" for every role holder: their last
practice of the scenario, its scores, whether it is current; staff see it too, without others'
scores."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from competency import selectors
from competency.models import Simulation, SimulationRun

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


def _practised(employee, *, at, passed, scores):
    version = selectors.published_version(Simulation.objects.get(code="debt-collectors-office"))
    SimulationRun.objects.create(
        version=version,
        employee=employee,
        status="finished",
        started_at=at,
        finished_at=at,
        passed=passed,
        competency_scores={c: {"percent": p} for c, p in scores.items()},
    )


def test_practice_and_currency_per_duty(competency_demo, users):
    unit = users["manager"].employee.unit
    _practised(users["manager"].employee, at=T0, passed=True, scores={"emotional-control": 90.0})
    _practised(users["finance"].employee, at=T0, passed=False, scores={"emotional-control": 40.0})
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        data = selectors.readiness(unit=unit, scenario_code="debt-collection-emergency")
    rows = {r["duty"].code: r for r in data["rows"]}
    manager = rows["manager-contact"]["practice"]
    assert (manager["passed"], manager["current"], manager["scores"]) == (
        True,
        True,  # a pass two days ago: next practice in a week
        {"emotional-control": 90.0},
    )
    finance = rows["finance-records"]["practice"]
    # The latest result counts: a failed attempt is not current (its retry is due on day 3).
    assert (finance["passed"], finance["current"]) == (False, False)
    assert finance["next_due"] == T0 + dt.timedelta(days=3)
    legal = rows["legal-support"]["practice"]
    assert (legal["last_at"], legal["current"]) == (None, False)
    holders = {r["holder"].pk for r in data["rows"] if r["holder"]}
    assert data["currency"] == {
        "current": 1,
        "total": len(holders),
        "percent": int(100 / len(holders)),
    }
    with time_machine.travel(T0 + dt.timedelta(days=7), tick=False):
        later = selectors.readiness(unit=unit, scenario_code="debt-collection-emergency")
    assert later["currency"]["current"] == 0  # the pass's first interval (a week) has run out


def test_every_role_opens_readiness_and_only_sees_its_own_scores(competency_demo, users, client_as):
    _practised(users["finance"].employee, at=T0, passed=True, scores={"emotional-control": 77.0})
    url = reverse("competency:readiness") + "?scenario=debt-collection-emergency"
    for name in ("staff", "admin", "legal", "manager", "vp", "hradmin"):
        assert client_as(name).get(url).status_code == 200, name
    assert b"77" in client_as("finance").get(url).content  # their own
    assert b"emotional-control</span> 77" not in client_as("legal").get(url).content


def test_staff_see_every_duty_with_holder_deputy_last_drill_and_currency(
    competency_demo, users, client_as
):
    from tests.competency.test_redrill import run_drill

    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)
    _crisis, tasks = run_drill(users, at=start, done=["finance-records"])
    unit = users["manager"].employee.unit
    url = reverse("competency:readiness") + f"?unit={unit.code}&scenario=debt-collection-emergency"
    data = selectors.readiness(unit=unit, scenario_code="debt-collection-emergency")
    duties = [r["duty"].code for r in data["rows"]]
    page = client_as("staff").get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for code in duties:  # every role of the map answers
        assert f'data-duty="{code}"' in html
    assert html.count('data-testid="deputy"') == len(duties)
    assert html.count('data-testid="last-drill"') == len(duties)
    assert f'data-current="1" data-total="{data["currency"]["total"]}"' in html
    finance_row = html[html.index('data-duty="finance-records"') :]
    finance_row = finance_row[: finance_row.index("</tr>")]
    drilled = tasks["finance-records"].assignee
    assert drilled.name_zh in finance_row or drilled.name_en in finance_row
    when = data["rows"][duties.index("finance-records")]["practice"]["drill"].at
    # …in the reader's time zone (the page's): after 16:00 UTC it is already tomorrow in Shanghai.
    reader_zone = zoneinfo.ZoneInfo(users["staff"].employee.time_zone)
    assert (
        when.astimezone(reader_zone).strftime("%Y-%m-%d") in finance_row
    )  # the last drill's date…
    assert (
        'class="tag tag-ok">'
        not in finance_row.split('data-testid="last-drill"')[1].split("</td>")[0]
    )  # …but not its result: that is finance's own
    own = client_as(drilled.user.username).get(url).content.decode()
    own_row = own[own.index('data-duty="finance-records"') :]
    cell = own_row.split('data-testid="last-drill"')[1].split("</td>")[0]
    assert 'class="tag tag-ok"' in cell  # on time
    deputy = data["rows"][duties.index("finance-records")]["deputy"]
    assert deputy is not None and deputy.pk != drilled.pk
