"""Security hardening (issue 10, items 4 and 6): only deciders decide; a crisis names only a
customer in the filer's and the crisis unit's scope. Each attack goes through the real path
(page or API) and asserts the refusal and that nothing changed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from crisis.models import Crisis, Decision, Deliverable, Task, TimelineEvent
from crisis.services.filing import crisis_file
from crisis.services.tasks import task_complete, tasks_hand_over
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Notification, OutboxMessage
from hrcore.services.org import user_preferences_update

from .conftest import row_counts

SCENARIO = "debt-collection-emergency"

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(users, crisis_world):
    for user in users.values():
        user_preferences_update(user=user, language="en")
    return users


@pytest.fixture
def crisis(english):
    return crisis_file(
        scenario=SCENARIO,
        title="Collectors in the office",
        description="Two collectors are shouting at reception.",
        actor=english["manager"],
    )


def _task(crisis, code) -> Task:
    return Task.objects.select_related("assignee", "crisis").get(crisis=crisis, duty_code=code)


def _inputs_delivered(crisis, users) -> Task:
    """Finance and legal deliver: the VP's decision task is open (its clock runs)."""
    for code, who in (("finance-records", "finance"), ("legal-support", "legal")):
        task_complete(task=_task(crisis, code), actor=users[who], note=f"{code} done")
    decision = _task(crisis, "vp-decision")
    assert decision.status == "open"
    return decision


def _snapshot(task: Task) -> tuple:
    task.refresh_from_db()
    return (
        task.assignee_id,
        task.status,
        task.delegated_from_id,
        row_counts(Notification, OutboxMessage),
    )


# --- 4. Only deciders decide ----------------------------------------------------------------


def test_manager_cannot_reassign_the_vps_decision_task_to_himself_on_the_page(
    client_as, crisis, english
):
    users = english
    decision = _task(crisis, "vp-decision")
    before = _snapshot(decision)
    response = client_as("manager").post(
        reverse("crisis:task_reassign", args=[decision.pk]),
        {"mode": "reassign", "assignee": str(users["manager"].employee.pk), "reason": "faster"},
    )
    assert response.status_code == 403
    assert "may decide for this crisis" in response.content.decode()
    assert _snapshot(decision) == before


def test_vp_cannot_delegate_the_decision_task_to_a_manager(client_as, crisis, english):
    decision = _task(crisis, "vp-decision")
    assert decision.assignee.user == english["vp"]
    before = _snapshot(decision)
    response = client_as("vp").post(
        reverse("crisis:task_reassign", args=[decision.pk]),
        {"mode": "delegate", "assignee": str(english["manager"].employee.pk), "reason": "busy"},
    )
    assert response.status_code == 403
    assert _snapshot(decision) == before


def test_a_non_decider_holding_a_decision_task_cannot_complete_it_through_the_api(
    api_as, crisis, english
):
    """The state the old reassignment left behind (the manager holds the VP's decision task):
    completing it is refused, no "decision by manager" is recorded or pushed to anyone."""
    decision = _inputs_delivered(crisis, english)
    Task.objects.filter(pk=decision.pk).update(assignee=english["manager"].employee)
    before = _snapshot(decision)
    response = api_as("manager").post(
        f"/api/v1/tasks/{decision.pk}/complete/",
        {"note": "Pay them"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_a_decider"
    assert "may decide for this crisis" in response.json()["detail"]
    assert _snapshot(decision) == before
    assert not Decision.objects.filter(crisis=crisis).exists()


def test_a_non_decider_cannot_complete_a_decision_task_on_the_page(client_as, crisis, english):
    decision = _inputs_delivered(crisis, english)
    Task.objects.filter(pk=decision.pk).update(assignee=english["manager"].employee)
    before = _snapshot(decision)
    response = client_as("manager").post(
        reverse("crisis:task_complete", args=[decision.pk]),
        {f"t{decision.pk}-note": "Pay them", f"t{decision.pk}-option": "pay"},
    )
    assert response.status_code == 403
    assert _snapshot(decision) == before


def test_the_decision_task_can_go_to_another_executive_and_the_vp_still_decides(crisis, english):
    """The rule does not get in a decider's way: the VP completes their own decision task."""
    decision = _inputs_delivered(crisis, english)
    task_complete(task=decision, actor=english["vp"], note="Negotiate", option="")
    decision.refresh_from_db()
    assert decision.status == "done"
    assert Decision.objects.get(crisis=crisis).made_by == english["vp"]


def test_handover_of_a_decision_task_to_a_non_decider_is_refused(crisis, english):
    decision = _task(crisis, "vp-decision")
    before = _snapshot(decision)
    with pytest.raises(PermissionDenied):
        tasks_hand_over(
            tasks=[decision], successor=english["manager"].employee, actor=english["hradmin"]
        )
    assert _snapshot(decision) == before


def test_decision_duty_named_for_a_non_executive_position_keeps_working(make_map, english):
    """A decision duty of a manager's own position (e.g. the customer-service manager's remedy)
    is still theirs: "decider" is the executive or whoever the duty names."""
    make_map(
        "local-decision",
        [
            {
                "code": "decide",
                "position": "department-manager",
                "deliverable": "decision",
                "deadline_minutes": 30,
            },
        ],
    )
    crisis = crisis_file(scenario="local-decision", title="x", actor=english["manager"])
    task = _task(crisis, "decide")
    assert task.assignee.user == english["manager"]
    task_complete(task=task, actor=english["manager"], note="Refund")
    task.refresh_from_db()
    assert task.status == "done"


# --- 6. Customer scope on filing --------------------------------------------------------------


def _unknown_customer_message(client, external_id: str) -> str:
    response = client.post(
        "/api/v1/crises/",
        {"scenario": SCENARIO, "title": "x", "customer": external_id},
        format="json",
    )
    assert response.status_code == 400, response.content
    return response.json()["errors"]["customer"]


def test_manager2_cannot_file_against_a_shanghai_customer_through_the_api(api_as, english):
    before = row_counts(Notification, OutboxMessage)
    client = api_as("manager2")
    refused = _unknown_customer_message(client, "CUST-1001")
    unknown = _unknown_customer_message(client, "NO-SUCH-1")
    # The same answer as for an id that does not exist (nothing says the customer exists).
    assert refused == unknown.replace("NO-SUCH-1", "CUST-1001")
    assert row_counts(Notification, OutboxMessage) == before
    assert not Crisis.objects.exists()


def test_manager2_cannot_file_against_a_shanghai_customer_on_the_page(client_as, english):
    before = row_counts(Notification, OutboxMessage)
    unit = english["manager2"].employee.unit.code
    client = client_as("manager2")
    response = client.post(
        reverse("crisis:file"),
        {"scenario": SCENARIO, "title": "x", "unit": unit, "customer": "CUST-1001"},
    )
    assert response.status_code == 400
    assert "Unknown customer “CUST-1001”" in response.content.decode()
    assert row_counts(Notification, OutboxMessage) == before


def test_a_customer_name_outside_the_scope_does_not_resolve_to_its_id(client_as, english):
    from integrations.models import Customer

    name = Customer.objects.get(external_id="CUST-1001").name_en
    unit = english["manager2"].employee.unit.code
    response = client_as("manager2").post(
        reverse("crisis:file"),
        {"scenario": SCENARIO, "title": "x", "unit": unit, "customer": name},
    )
    assert response.status_code == 400
    assert "CUST-1001" not in response.content.decode()
    assert not Crisis.objects.exists()


def test_manager_files_against_own_customer(api_as, english):
    response = api_as("manager").post(
        "/api/v1/crises/",
        {"scenario": SCENARIO, "title": "x", "customer": "CUST-1001"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Crisis.objects.get().customer.external_id == "CUST-1001"


def test_automatic_filing_names_only_a_customer_of_the_crisis_units_subsidiary(english):
    """Automatic paths (trigger rules, partner webhooks) have no person to scope by: the
    customer must belong to the crisis unit's subsidiary."""
    from integrations.models import Customer

    shenzhen = english["manager2"].employee.unit
    before = row_counts(Notification, OutboxMessage)
    with pytest.raises(ValidationFailed) as refused, translation.override("en"):
        crisis_file(
            scenario=SCENARIO,
            title="x",
            unit=shenzhen,
            customer_external_id="CUST-1001",
            actor=None,
            source="trigger",
        )
    assert refused.value.errors["customer"] == "Unknown customer “CUST-1001”."
    assert row_counts(Notification, OutboxMessage) == before
    # In the customer's own unit (what triggers and webhooks do) it files.
    customer = Customer.objects.get(external_id="CUST-1001")
    crisis = crisis_file(
        scenario=SCENARIO,
        title="x",
        unit=customer.unit,
        customer_external_id="CUST-1001",
        actor=None,
        source="trigger",
    )
    assert crisis.customer == customer


def test_dossier_of_a_refused_customer_was_never_built(api_as, english):
    """The attack's second half: with the filing refused there is no crisis whose dossier
    would show manager2 the customer's payment history, and the customer's own dossier stays
    out of reach."""
    _unknown_customer_message(api_as("manager2"), "CUST-1001")
    assert api_as("manager2").get("/api/v1/customers/CUST-1001/dossier/").status_code == 404
    assert not TimelineEvent.objects.exists() and not Deliverable.objects.exists()
