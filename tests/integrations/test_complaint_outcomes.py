"""Issue 17 §1/§5: a company complaint's outcome is told to its owner and their supervisor (not
to whoever decided it), and a person's page lists the decided complaints — company and walk-in —
with their date, outcome and points for those who may see the page, in a fixed number of
queries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisis.models import WalkInConsumer
from crisis.services.walk_in import walk_in_complaint_file, walk_in_complaint_outcome_record
from hrcore.errors import PermissionDenied
from hrcore.models import Employee, Notification
from hrcore.notification_kinds import render
from integrations.models import Complaint
from integrations.selectors import complaints_against
from integrations.services import complaints

pytestmark = pytest.mark.django_db


def test_a_decided_company_complaint_is_told_to_owner_and_supervisor(customers, users):
    complaint = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-N1", severity="high"
    )
    complaints.complaint_outcome_record(
        complaint=complaint, outcome="upheld", actor=users["hradmin"], note="Confirmed by CCTV"
    )
    notices = {
        n.recipient.username: n
        for n in Notification.objects.filter(kind="complaint.outcome").select_related("recipient")
    }
    assert set(notices) == {complaint.employee.user.username, complaint.supervisor.user.username}
    customer = customers["CUST-1002"]
    en = render("complaint.outcome", notices["staff"].params, "en")
    zh = render("complaint.outcome", notices["staff"].params, "zh-hans")
    assert en.subject == f"Complaint about {customer.name_en} decided: Upheld"
    assert zh.subject == f"关于{customer.name_zh}的投诉已有结论：投诉成立"
    assert "Confirmed by CCTV" in en.body and "stays on" in en.body
    # Decided by the supervisor: the supervisor is not told of their own decision.
    second = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-N2", severity="low"
    )
    complaints.complaint_outcome_record(
        complaint=second, outcome="dismissed", note="Wrong shop", actor=users["manager"]
    )
    assert list(
        Notification.objects.filter(
            kind="complaint.outcome", dedupe_key__contains=str(second.pk)
        ).values_list("recipient__username", flat=True)
    ) == ["staff"]


def _decide_some(customers, users, start: int, n: int) -> None:
    for i in range(start, start + n):
        complaint = complaints.complaint_record(
            customer=customers["CUST-1002"], external_id=f"CMP-D{i}", severity="medium"
        )
        complaints.complaint_outcome_record(
            complaint=complaint, outcome="resolved", actor=users["hradmin"]
        )


def test_the_person_page_lists_decided_complaints_of_both_kinds(customers, users, client_as):
    upheld = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-L1", severity="high"
    )
    dismissed = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-L2", severity="low"
    )
    complaints.complaint_outcome_record(complaint=upheld, outcome="upheld", actor=users["hradmin"])
    complaints.complaint_outcome_record(
        complaint=dismissed, outcome="dismissed", note="Not our shop", actor=users["hradmin"]
    )
    crisis = walk_in_complaint_file(
        scenario="customer-complaint",
        title="Kettle leaks",
        consumer_name="Li Na",
        consumer_phone="13800138000",
        consumer_purchase="Kettle",
        responsible="staff",
        severity="medium",
        actor=users["manager"],
    )
    walk_in_complaint_outcome_record(
        walk_in=WalkInConsumer.objects.get(crisis=crisis), outcome="upheld", actor=users["hradmin"]
    )
    staff = upheld.employee
    found = complaints_against(users["hradmin"], staff, limit=10)
    assert [(d.kind, d.outcome, d.points) for d in found.decided] == [
        ("walk_in", "upheld", -2),
        ("company", "dismissed", -1),
        ("company", "upheld", -3),
    ]
    # The totals count the walk-in complaint too; the dismissed one counts nothing.
    assert (found.total, found.points, found.open, found.decided_total) == (2, -5, 0, 3)

    person = reverse("hrcore:person", args=[staff.pk])
    for who in ("staff", "manager", "hradmin"):
        page = client_as(who).get(person).content.decode()
        assert 'data-testid="decided-complaints"' in page, who
        for ref in ("CMP-L1", "CMP-L2", f"walk-in-{crisis.pk}"):
            assert f'data-decided-complaint="{ref}"' in page, (who, ref)
    Employee.objects.filter(pk=staff.pk).update(language="en")  # the reader's own language
    page = client_as("staff").get(person).content.decode()
    assert "-1 points, taken back" in page and "Not our shop" in page
    upheld.refresh_from_db()
    local = upheld.decided_at.astimezone(ZoneInfo(Employee.objects.get(pk=staff.pk).time_zone))
    assert local.strftime("%Y-%m-%d") in page  # the decision's date, in the reader's time zone
    # Someone who may not see the page does not see them.
    assert client_as("legal").get(person).status_code == 404


def test_the_complaints_section_reads_in_a_fixed_number_of_queries(customers, users):
    staff = customers["CUST-1002"].account_owner
    _decide_some(customers, users, 0, 1)
    complaints_against(users["manager"], staff, limit=10)  # the reader's roles, cached per user
    with CaptureQueriesContext(connection) as one:
        complaints_against(users["manager"], staff, limit=10)
    _decide_some(customers, users, 1, 8)
    with CaptureQueriesContext(connection) as many:
        found = complaints_against(users["manager"], staff, limit=10)
    assert len(found.decided) == 9
    assert len(one.captured_queries) == len(many.captured_queries)


def test_an_hr_admin_never_decides_a_complaint_against_themselves(customers, users):
    """HR admins decide complaints — except one against themselves (the employee never does)."""
    complaint = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-SELF", severity="high"
    )
    Complaint.objects.filter(pk=complaint.pk).update(
        employee=Employee.objects.get(user=users["hradmin"])
    )
    complaint.refresh_from_db()
    assert not complaints.may_decide_complaint(users["hradmin"], complaint)
    with pytest.raises(PermissionDenied):
        complaints.complaint_outcome_record(
            complaint=complaint, outcome="dismissed", note="Not me", actor=users["hradmin"]
        )
    complaint.refresh_from_db()
    assert complaint.outcome == "open" and complaint.decided_by is None
    # Their own supervisor (the VP) still decides it.
    assert complaints.may_decide_complaint(users["vp"], complaint)
