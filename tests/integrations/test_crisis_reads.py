"""Integrations read crises only through the crisis app's selectors (open = ``CrisisStatus.OPEN``,
tasks to do = ``TASK_OPEN_STATES``), and imports the apps it ships with directly."""

from __future__ import annotations

import pathlib
from datetime import timedelta

import pytest

import integrations.services
from crisis.choices import CrisisStatus, TaskStatus
from crisis.models import Crisis, Task
from crisis.selectors.crises import open_crisis_ids
from crisis.selectors.people import crisis_unit_people
from hrcore.models import Employee
from integrations import selectors
from integrations.models import Dossier

from .test_webhooks import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_crises(file_crisis):
    """Two debt crises of CUST-1001; the second is resolved."""
    crises = [file_crisis(title=f"Test {n}") for n in (1, 2)]
    Crisis.objects.filter(pk=crises[1].pk).update(status=CrisisStatus.RESOLVED)
    return crises


def test_only_open_crises_count_for_offboarding(two_crises, users):
    open_crisis, resolved = two_crises
    finance = users["finance"].employee
    # Tasks still waiting for prerequisites are work to hand over too.
    Task.objects.filter(crisis=open_crisis, assignee=finance).update(status=TaskStatus.WAITING)
    assert Task.objects.filter(crisis=resolved, assignee=finance).exists()
    preview = selectors.offboarding_preview(employee=finance)
    assert preview["tasks"] and {t.crisis_id for t in preview["tasks"]} == {open_crisis.pk}
    assert {r.crisis_id for r in preview["crisis_roles"]} <= {open_crisis.pk}
    assert set(open_crisis_ids(customer=open_crisis.customer)) == {open_crisis.pk}


def test_credit_webhook_refreshes_only_open_crises_of_the_customer(two_crises, client):
    open_crisis, resolved = two_crises
    before = {c.pk: Dossier.objects.filter(crisis_id=c.pk).count() for c in two_crises}
    payload = {
        "event": "payment.recorded",
        "customer": "CUST-1001",
        "overdue_days": 3,
        "outstanding_amount": "1000.00",
    }
    response = post(client, payload, delivery="d-open-only")
    assert response.status_code == 200, response.content
    assert Dossier.objects.filter(crisis_id=open_crisis.pk).count() == before[open_crisis.pk] + 1
    assert Dossier.objects.filter(crisis_id=resolved.pk).count() == before[resolved.pk]


def test_crisis_task_reads_customers_through_the_integrations_selector(customers):
    """The task finds the customer by id through the integrations selector and evaluates the
    trigger rules on what it read: 45 days overdue fires the overdue rule once."""
    from django.utils import timezone

    from crisis.models import TriggerAlert
    from crisis.services.triggers import trigger_rules_ensure_defaults
    from crisis.tasks import triggers_evaluate_customer

    trigger_rules_ensure_defaults()
    customer = customers["CUST-1001"]
    customer.overdue_days = 45
    customer.overdue_since = timezone.localdate() - timedelta(days=45)
    customer.save(update_fields=["overdue_days", "overdue_since"])
    assert triggers_evaluate_customer(customer.pk) == 1
    assert TriggerAlert.objects.filter(customer=customer, overdue_days=45).count() == 1
    assert triggers_evaluate_customer(customer.pk) == 0  # once per overdue episode
    assert triggers_evaluate_customer(10**9) == 0


def test_no_fallbacks_for_apps_that_always_ship():
    """All apps ship together: no "not installed yet" branches hiding real import errors."""
    root = pathlib.Path(integrations.services.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "except ImportError" in path.read_text() or "NoReverseMatch" in path.read_text()
    ]
    assert offenders == []


def test_crisis_unit_people_lists_assignees_first(two_crises):
    crisis = two_crises[0]
    people = crisis_unit_people(crisis)
    assignees = set(Task.objects.filter(crisis=crisis).values_list("assignee_id", flat=True))
    assignees.discard(None)
    unit_people = set(
        Employee.objects.filter(unit=crisis.unit, is_active=True).values_list("pk", flat=True)
    )
    assert {e.pk for e in people} == assignees | unit_people
    assert {e.pk for e in people[: len(assignees)]} == assignees
