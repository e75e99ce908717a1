"""HR ↔ CRM: offboarding preview, successor suggestions, audited handover and its revert;
complaints routed to owner and supervisor; commission on a paid order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.utils import timezone

from customers.models import Customer
from hrcore.errors import Conflict, PermissionDenied
from hrcore.models import Employee, Notification
from integrations import selectors
from integrations.models import Commission, Complaint
from integrations.services import commissions, complaints, handovers

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaver(customers):
    return Employee.objects.get(user__username="staff")  # owns CUST-1002


def test_offboarding_preview_and_suggestions(leaver):
    preview = selectors.offboarding_preview(employee=leaver)
    assert [c.external_id for c in preview["customers"]] == ["CUST-1002"]
    assert preview["tasks"] == [] and preview["crisis_roles"] == []
    suggestions = preview["suggestions"]
    assert suggestions and all(s.unit_id == leaver.unit_id for s in suggestions)
    assert leaver not in suggestions
    loads = [s.customer_load + s.task_load for s in suggestions]
    assert loads == sorted(loads)
    # Same unit, least loaded first: sh-business-2 (0 customers), sh-business-1 (1), manager (2).
    assert [s.user.username for s in suggestions] == ["sh-business-2", "sh-business-1", "manager"]


def test_handover_execute_audit_and_revert(leaver, users):
    successor = Employee.objects.get(user__username="sh-business-2")
    handover = handovers.handover_execute(
        employee=leaver, successor=successor, actor=users["hradmin"]
    )
    customer = Customer.objects.get(external_id="CUST-1002")
    assert customer.account_owner == successor
    entry = LogEntry.objects.get_for_object(customer).get()
    assert entry.actor == users["hradmin"]
    assert entry.changes_dict["account_owner"] == [str(leaver), str(successor)]
    assert Notification.objects.filter(recipient=successor.user, kind="handover_received").exists()
    handovers.handover_revert(handover=handover, actor=users["hradmin"])
    customer.refresh_from_db()
    assert customer.account_owner == leaver
    assert LogEntry.objects.get_for_object(customer).count() == 2
    with pytest.raises(Conflict):
        handovers.handover_revert(handover=handover, actor=users["hradmin"])


def test_handover_revert_window_closes(leaver, users):
    successor = Employee.objects.get(user__username="sh-business-2")
    handover = handovers.handover_execute(
        employee=leaver, successor=successor, actor=users["hradmin"], window_hours=1
    )
    with time_machine.travel(timezone.now() + timedelta(hours=2)), pytest.raises(Conflict):
        handovers.handover_revert(handover=handover, actor=users["hradmin"])
    assert Customer.objects.get(external_id="CUST-1002").account_owner == successor


def test_handover_denied_for_unrelated_user_changes_nothing(leaver, users):
    successor = Employee.objects.get(user__username="sh-business-2")
    with pytest.raises(PermissionDenied):
        handovers.handover_execute(employee=leaver, successor=successor, actor=users["manager2"])
    assert Customer.objects.get(external_id="CUST-1002").account_owner == leaver
    assert not LogEntry.objects.filter(object_repr__contains="CUST-1002").exists()


def test_handover_moves_open_crisis_tasks(file_crisis, users):
    from crisis.models import Task

    crisis = file_crisis(title="Test")
    finance = users["finance"].employee
    tasks = list(Task.objects.filter(crisis=crisis, assignee=finance))
    assert tasks
    preview = selectors.offboarding_preview(employee=finance)
    assert {t.pk for t in preview["tasks"]} >= {t.pk for t in tasks if t.status != "done"}
    successor = preview["suggestions"][0]
    handover = handovers.handover_execute(
        employee=finance, successor=successor, actor=users["hradmin"]
    )
    assert set(
        Task.objects.filter(pk__in=handover.task_ids).values_list("assignee", flat=True)
    ) == {successor.pk}
    handovers.handover_revert(handover=handover, actor=users["hradmin"])
    assert set(
        Task.objects.filter(pk__in=handover.task_ids).values_list("assignee", flat=True)
    ) == {finance.pk}


def test_handover_goes_through_the_crisis_engine_and_revert_moves_tasks_back(file_crisis, users):
    from crisis.choices import EventKind
    from crisis.models import CrisisParticipant, Task, TimelineEvent
    from crisis.services.tasks import task_acknowledge

    crisis = file_crisis("debt-collection-emergency")
    finance = users["finance"].employee
    successor = Employee.objects.get(user__username="sh-business-2")
    task = Task.objects.get(crisis=crisis, assignee=finance)
    task_acknowledge(task=task, actor=users["finance"])
    due_before = Task.objects.get(pk=task.pk).due_at
    handover = handovers.handover_execute(
        employee=finance, successor=successor, actor=users["hradmin"]
    )
    assert handover.task_ids == [task.pk]
    task.refresh_from_db()
    # the successor holds the task, must acknowledge it afresh; the clock is untouched
    assert (task.assignee_id, task.status, task.acknowledged_at) == (successor.pk, "open", None)
    assert task.due_at == due_before
    event = TimelineEvent.objects.get(task=task, kind=EventKind.TASK_REASSIGNED)
    assert event.actor == users["hradmin"]
    assert event.data == {
        "duty": "finance-records",
        "from_id": finance.pk,
        "to_id": successor.pk,
        "reason": f"handover #{handover.pk}",
        "handover": True,
    }
    assert CrisisParticipant.objects.filter(crisis=crisis, employee=successor).exists()
    assigned = Notification.objects.filter(
        recipient=successor.user, kind="crisis.task", data__task_id=task.pk
    )
    assert assigned.count() == 1
    # the integrations audit log still records the change
    entry = LogEntry.objects.get_for_object(task).get()
    assert entry.changes_dict["assignee"] == [str(finance), str(successor)]
    assert entry.additional_data == {"reason": f"handover #{handover.pk}"}
    # the crisis page's timeline says it in words
    from django.test import Client
    from django.urls import reverse

    from hrcore.services.org import user_preferences_update

    user_preferences_update(user=users["manager"], language="en")
    client = Client()
    client.force_login(users["manager"])
    timeline = client.get(reverse("crisis:detail_timeline", args=[crisis.pk])).content.decode()
    assert (
        f"handed the task of Finance over from {finance.name_en} to {successor.name_en} "
        "(handover)." in timeline
    )

    handovers.handover_revert(handover=handover, actor=users["hradmin"])
    task.refresh_from_db()
    assert task.assignee_id == finance.pk
    back = TimelineEvent.objects.filter(task=task, kind=EventKind.TASK_REASSIGNED).order_by("id")
    assert [(e.data["from_id"], e.data["to_id"], e.data["reason"]) for e in back] == [
        (finance.pk, successor.pk, f"handover #{handover.pk}"),
        (successor.pk, finance.pk, f"revert handover #{handover.pk}"),
    ]
    assert (
        Notification.objects.filter(
            recipient=finance.user, kind="crisis.task", data__task_id=task.pk
        ).count()
        == 2
    )  # at filing, and when the task came back
    assert LogEntry.objects.get_for_object(task).count() == 2


def test_handover_leaves_finished_tasks_with_whoever_did_them(file_crisis, users):
    from crisis.choices import EventKind
    from crisis.models import Task, TimelineEvent
    from crisis.services.tasks import task_complete

    crisis = file_crisis("debt-collection-emergency")
    finance = users["finance"].employee
    successor = Employee.objects.get(user__username="sh-business-2")
    task = Task.objects.get(crisis=crisis, assignee=finance)
    handover = handovers.handover_execute(
        employee=finance, successor=successor, actor=users["hradmin"]
    )
    task_complete(task=task, actor=successor.user, note="records uploaded")
    handovers.handover_revert(handover=handover, actor=users["hradmin"])
    task.refresh_from_db()
    # the successor delivered it: it stays theirs, with no event or audit entry for a move back
    assert (task.assignee_id, task.status) == (successor.pk, "done")
    assert TimelineEvent.objects.filter(task=task, kind=EventKind.TASK_REASSIGNED).count() == 1
    assert LogEntry.objects.get_for_object(task).count() == 1


def test_complaint_routes_to_owner_and_supervisor(customers, users):
    customer = customers["CUST-1002"]
    owner = customer.account_owner
    complaint = complaints.complaint_record(
        customer=customer, external_id="CMP-1", severity="high", summary_en="Late delivery"
    )
    assert complaint.employee == owner and complaint.supervisor == owner.manager
    assert complaint.performance_points == -3
    assert set(
        Notification.objects.filter(kind="complaint").values_list("recipient", flat=True)
    ) == {
        owner.user_id,
        owner.manager.user_id,
    }
    again = complaints.complaint_record(customer=customer, external_id="CMP-1", severity="high")
    assert again.pk == complaint.pk and Complaint.objects.count() == 1
    assert selectors.performance_points(owner) == -3


def test_paid_order_creates_pending_commission_approved_by_finance_then_hr(customers, users):
    customer = customers["CUST-1001"]  # owner: manager, grade 6 → 3 %
    commission = commissions.order_mark_paid(
        customer=customer, external_id="SO-9", amount="500000.00"
    )
    assert commission.status == "pending"
    assert (commission.grade, commission.rate, commission.amount) == (
        6,
        Decimal("0.0300"),
        Decimal("15000.00"),
    )
    assert commissions.order_mark_paid(customer=customer, external_id="SO-9").pk == commission.pk
    with pytest.raises(PermissionDenied):
        commissions.commission_approve(commission=commission, actor=users["hradmin"])
    commission.refresh_from_db()
    assert commission.status == "pending"
    commission = commissions.commission_approve(commission=commission, actor=users["finance"])
    assert commission.status == "finance_approved"
    with pytest.raises(Conflict):  # finance's step is taken
        commissions.commission_approve(commission=commission, actor=users["finance"])
    commission = commissions.commission_approve(commission=commission, actor=users["hradmin"])
    assert commission.status == "approved"
    assert Commission.objects.count() == 1


def test_order_paid_webhook_and_grade_rate(customers, partners, client):
    import json

    from integrations import signing

    from .conftest import webhook_secret_of

    raw = json.dumps(
        {"event": "order.paid", "customer": "CUST-1002", "order": "SO-77", "amount": "10000"}
    ).encode()
    headers = signing.signed_headers(webhook_secret_of("crm"), raw, delivery_id="o-1")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    response = client.post(
        "/api/v1/integrations/webhooks/sandbox-crm/",
        data=raw,
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 200, response.content
    commission = Commission.objects.get()
    assert commission.employee.user.username == "staff"  # grade 3 → 2 %
    assert commission.amount == Decimal("200.00")


def test_offboarding_page_for_hr_admin_only(leaver, client_as):
    assert (
        client_as("hradmin").get(f"/integrations/offboarding/?employee={leaver.pk}").status_code
        == 200
    )
    assert client_as("staff").get("/integrations/offboarding/").status_code == 404
