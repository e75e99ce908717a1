"""Issue 14's "done when", end to end: an HR webhook that removes the finance manager drops the
debt-collection emergency map's coverage below 100 % at the next tick and names the gap; the
hire of a successor (with their training recorded) restores it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from hrcore.models import Employee
from integrations import demo
from responsibilities.models import CoverageSnapshot
from responsibilities.services import coverage as coverage_services
from tests.responsibilities.test_coverage import SZ_SKILLS, emergency, person, train

from .master_data_helpers import hr_partner_save, signed_post
from .master_data_helpers import person as hr_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def covered(demo_org):
    for username, codes in SZ_SKILLS.items():
        train(person(username), *codes)
    get_user_model().objects.create(username="hr-bot")
    hr_partner_save(service_user=get_user_model().objects.get(username="hr-bot"))
    demo.seed_hr_links()
    Employee.objects.filter(user__username="sh-executive-head").update(external_id="HR-0100")
    coverage_services.coverage_recompute()
    assert CoverageSnapshot.objects.get(map=emergency()).score == 1.0


def _finance_row():
    snapshot = CoverageSnapshot.objects.get(map=emergency())
    return snapshot, next(
        r for r in snapshot.rows if r["unit"] == "sh" and r["duty"] == "finance-records"
    )


def test_a_departure_by_webhook_drops_coverage_and_a_hire_restores_it(
    covered, client, django_capture_on_commit_callbacks
):
    finance_id = person("finance").external_id
    assert finance_id
    with django_capture_on_commit_callbacks(execute=True):
        left = signed_post(
            client,
            "sandbox-hr",
            {"event": "employee.left", "employee": {"external_id": finance_id}},
            delivery="left-1",
            kind="hr",
        )
    assert left.status_code == 200, left.content
    coverage_services.coverage_sweep()  # the next tick
    snapshot, row = _finance_row()
    assert snapshot.score < 1.0
    assert row["gaps"] == ["untrained"]  # an accountant inherits the duty, untrained for it
    assert row["holder"]["id"] != person("finance").pk

    with django_capture_on_commit_callbacks(execute=True):
        hired = signed_post(
            client,
            "sandbox-hr",
            {"event": "employee.hired", "employee": hr_person("HR-2001")},
            delivery="hired-1",
            kind="hr",
        )
    assert hired.status_code == 200, hired.content
    coverage_services.coverage_sweep()
    _snapshot, row = _finance_row()
    newcomer = person_by_external_id("HR-2001")
    assert row["holder"]["id"] == newcomer.pk
    assert row["gaps"] == ["untrained"]  # named until their training is on record
    with django_capture_on_commit_callbacks(execute=True):
        train(newcomer, "financial-evidence", days_ago=0)
    coverage_services.coverage_sweep()
    assert CoverageSnapshot.objects.get(map=emergency()).score == 1.0


def person_by_external_id(external_id: str):
    return Employee.objects.get(external_id=external_id)
