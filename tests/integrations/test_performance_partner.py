"""Performance events to the performance/OKR partner and goals and reviews back (issue 17 §1),
end to end against the sandbox partner over real HTTP: a complaint becomes one event at the
partner even when the partner times out and the outbox retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hrcore.choices import DeliveryResult, OutboxStatus
from hrcore.models import (
    DeliveryAttempt,
    OutboxMessage,
    PerformanceEvent,
    PerformanceGoal,
    PerformancePull,
    PerformanceReview,
)
from hrcore.services.outbox import outbox_relay_due
from hrcore.services.performance import PERFORMANCE_CHANNEL
from integrations.services import complaints
from integrations.services import partners as partners_services
from integrations.services.performance import performance_pull

from .conftest import SANDBOX_TOKEN, webhook_secret_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def performance_partner(sandbox, customers):
    return partners_services.partner_save(
        slug="sandbox-performance",
        name="Sandbox performance",
        kind="performance",
        base_url=sandbox.url,
        token=SANDBOX_TOKEN,
        webhook_secret=webhook_secret_of("performance"),
        timeout_seconds=0.3,
        max_attempts=2,
        backoff_seconds=0.01,
        enabled=True,
    )


def _at_partner(sandbox, username: str) -> list[dict]:
    with sandbox.app.lock:
        return [dict(e) for e in sandbox.app.performance if e["employee"] == username]


def _relay_later(minutes: int = 0) -> int:
    return outbox_relay_due(now=timezone.now() + timedelta(minutes=minutes))


def test_complaint_is_one_event_at_the_partner_even_when_it_times_out_and_is_retried(
    sandbox, performance_partner, customers
):
    customer = customers["CUST-1002"]  # owner: staff
    complaint = complaints.complaint_record(
        customer=customer, external_id="CMP-77", severity="high", summary_en="Rude on the phone"
    )
    event = PerformanceEvent.objects.get(source_key="complaint:CMP-77")
    assert (event.employee.user.username, event.kind, event.variant, event.points) == (
        "staff",
        "complaint",
        "high",
        -3,
    )
    assert complaint.performance_points == -3

    # The partner records the event, then answers too late: Keel's 0.3 s timeout fires on both
    # of the adapter's attempts, and the outbox keeps the row for a retry.
    sandbox.knobs(performance={"mode": "answer_late", "hang_seconds": 1.0})
    _relay_later()
    message = OutboxMessage.objects.get(channel=PERFORMANCE_CHANNEL)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "timed out" in message.last_error.lower() or "timeout" in message.last_error.lower()
    event.refresh_from_db()
    assert event.sent_at is None
    recorded = _at_partner(sandbox, "staff")
    assert [(e["kind"], e["reference"], e["points"]) for e in recorded] == [
        ("complaint", "complaint:CMP-77", -3)
    ]

    # The partner answers again; the outbox retries after its backoff with the same key.
    sandbox.knobs(performance={"mode": "ok"})
    _relay_later(minutes=5)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert _at_partner(sandbox, "staff") == recorded  # counted once
    event.refresh_from_db()
    assert event.partner_reference == recorded[0]["id"] and event.sent_at is not None
    assert list(
        DeliveryAttempt.objects.filter(message=message)
        .order_by("id")
        .values_list("result", "delivery_id")
    ) == [
        (DeliveryResult.FAILED, "keel:performance:complaint:CMP-77"),
        (DeliveryResult.DELIVERED, "keel:performance:complaint:CMP-77"),
    ]

    # The same complaint again (a replayed webhook) and another relay: nothing new anywhere.
    complaints.complaint_record(customer=customer, external_id="CMP-77", severity="high")
    _relay_later(minutes=10)
    assert OutboxMessage.objects.filter(channel=PERFORMANCE_CHANNEL).count() == 1
    assert PerformanceEvent.objects.filter(source_key="complaint:CMP-77").count() == 1
    assert _at_partner(sandbox, "staff") == recorded
    # The partner's score for staff: the seeded CRM complaint (−3) and this one (−3).
    assert sum(e.points for e in _partner_events(performance_partner, "staff")) == -6


def _partner_events(partner, username):
    from integrations import adapters

    return adapters.adapter_for(partner.config()).events(username)


def test_a_refused_event_is_not_retried(sandbox, performance_partner, users):
    from hrcore.services.performance import performance_event_record

    users["admin"].username = "ghost-account"  # unknown at the partner
    users["admin"].save(update_fields=["username"])
    performance_event_record(
        employee=users["admin"].employee, kind="star", source_key="star:ghost", count=1
    )
    before = sandbox.requests
    _relay_later()
    message = OutboxMessage.objects.get(channel=PERFORMANCE_CHANNEL)
    assert message.status == OutboxStatus.DEAD and "404" in message.last_error
    assert sandbox.requests - before == 1
    assert PerformanceEvent.objects.get(source_key="star:ghost").sent_at is None


def test_goals_and_reviews_are_pulled_back(sandbox, performance_partner, users):
    staff = users["staff"].employee
    assert performance_pull(staff) == (3, 1)
    goals = list(PerformanceGoal.objects.filter(employee=staff).order_by("external_id"))
    assert [g.external_id for g in goals] == [
        "G-staff-customers",
        "G-staff-drills",
        "G-staff-service",
    ]
    assert all(0 <= g.progress <= 100 and g.due_on is not None for g in goals)
    review = PerformanceReview.objects.get(employee=staff)
    assert review.external_id.startswith("R-staff-") and review.rating in ("A", "B+", "B", "B-")
    assert PerformancePull.objects.get(employee=staff).error == ""


def test_a_failed_pull_keeps_what_was_pulled_and_says_why(
    sandbox, performance_partner, users, client_as
):
    staff = users["staff"].employee
    performance_pull(staff)
    sandbox.knobs(performance={"mode": "error"})
    response = client_as("hradmin").post(
        reverse("performance_refresh", args=[staff.pk]), follow=True
    )
    assert response.status_code == 200
    assert PerformanceGoal.objects.filter(employee=staff).count() == 3
    assert "HTTP 500" in PerformancePull.objects.get(employee=staff).error
    assert "HTTP 500" in response.content.decode()


def test_hr_refresh_button_pulls_goals(sandbox, performance_partner, users, client_as):
    staff = users["staff"].employee
    response = client_as("hradmin").post(reverse("performance_refresh", args=[staff.pk]))
    assert response.status_code == 302
    assert PerformanceGoal.objects.filter(employee=staff).count() == 3
    page = client_as("staff").get(reverse("performance_page", args=[staff.pk]))
    assert 'data-goal="G-staff-service"' in page.content.decode()


def test_an_approved_commission_counts_once(customers, users):
    from integrations.services import commissions

    commission = commissions.order_mark_paid(
        customer=customers["CUST-1001"], external_id="SO-P1", amount="1000.00"
    )
    commissions.commission_approve(commission=commission, actor=users["finance"])
    assert not PerformanceEvent.objects.filter(kind="commission").exists()  # HR not yet
    commissions.commission_approve(commission=commission, actor=users["hradmin"])
    assert list(
        PerformanceEvent.objects.filter(kind="commission").values_list(
            "employee__user__username", "points", "source_key"
        )
    ) == [("manager", 1, f"commission:{commission.pk}")]


def test_the_periodic_pull_covers_everyone_and_a_stranger_does_not_stop_it(
    sandbox, performance_partner, users
):
    from hrcore.models import Employee
    from integrations.sandbox.data import known_employee
    from integrations.tasks import performance_pull as performance_pull_task

    users["admin"].username = "ghost-account"  # unknown at the partner: its pull fails
    users["admin"].save(update_fields=["username"])
    result = performance_pull_task()
    names = Employee.objects.filter(is_active=True).values_list("user__username", flat=True)
    strangers = [n for n in names if not known_employee(n)]
    assert "ghost-account" in strangers
    assert result == {"pulled": len(names) - len(strangers), "failed": len(strangers)}
    assert "404" in PerformancePull.objects.get(employee=users["admin"].employee).error
    assert PerformanceGoal.objects.filter(employee=users["staff"].employee).count() == 3


def test_goal_and_review_records_refuse_off_contract_payloads():
    from integrations import adapters

    goal = {"id": "G-1", "progress": 50}
    assert adapters.PerformanceGoal.from_payload(goal).due_on is None
    with pytest.raises(adapters.MalformedPayload, match="percentage"):
        adapters.PerformanceGoal.from_payload({**goal, "progress": 140})
    with pytest.raises(adapters.MalformedPayload, match="non-negative whole number"):
        adapters.PerformanceGoal.from_payload({**goal, "progress": -1})
    with pytest.raises(adapters.MalformedPayload, match="not a date"):
        adapters.PerformanceGoal.from_payload({**goal, "due_on": "soon"})
    with pytest.raises(adapters.MalformedPayload, match="missing field “rating”"):
        adapters.PerformanceReview.from_payload({"id": "R-1"})


def test_a_commission_reversed_after_approval_takes_its_points_back_once(customers, users):
    from integrations.services import commissions

    commission = commissions.order_mark_paid(
        customer=customers["CUST-1001"], external_id="SO-P2", amount="1000.00"
    )
    commissions.commission_approve(commission=commission, actor=users["finance"])
    commissions.commission_approve(commission=commission, actor=users["hradmin"])
    commissions.order_reverse(external_id="SO-P2", reason="refunded")
    commissions.order_reverse(external_id="SO-P2", reason="refunded")  # a replayed webhook
    events = list(
        PerformanceEvent.objects.filter(kind="commission")
        .order_by("id")
        .values_list("employee__user__username", "points", "source_key")
    )
    assert events == [
        ("manager", 1, f"commission:{commission.pk}"),
        ("manager", -1, f"commission:{commission.pk}:reversed"),
    ]
    assert (
        OutboxMessage.objects.filter(
            channel=PERFORMANCE_CHANNEL,
            dedupe_key=f"performance:commission:{commission.pk}:reversed",
        )
        .get()
        .payload["points"]
        == -1
    )


def test_a_commission_reversed_before_approval_counted_nothing(customers, users):
    from integrations.services import commissions

    commissions.order_mark_paid(
        customer=customers["CUST-1001"], external_id="SO-P3", amount="1000.00"
    )
    commissions.order_reverse(external_id="SO-P3", reason="cancelled")
    assert not PerformanceEvent.objects.filter(kind="commission").exists()


def test_a_dismissed_complaint_takes_its_points_back_at_the_partner_once(
    sandbox, performance_partner, customers, users, client_as
):
    from integrations.models import Complaint

    complaint = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-88", severity="high"
    )
    _relay_later()
    staff = complaint.employee
    url = reverse("integrations:complaint_outcome", args=[complaint.pk])
    person = reverse("hrcore:person", args=[staff.pk])
    page = client_as("manager").get(person).content.decode()
    assert 'data-complaint="CMP-88"' in page and url in page  # open, with the supervisor's form

    # The owner cannot decide their own complaint; a dismissal needs a reason.
    client_as("staff").post(url, {"outcome": "dismissed", "note": "not me"})
    client_as("manager").post(url, {"outcome": "dismissed", "note": ""})
    client_as("manager").post(url, {"outcome": "forgotten", "note": "x"})
    complaint.refresh_from_db()
    assert complaint.outcome == "open"
    assert not PerformanceEvent.objects.filter(source_key="complaint:CMP-88:reversed").exists()

    response = client_as("manager").post(url, {"outcome": "dismissed", "note": "Wrong store"})
    assert response.status_code == 302 and response["Location"] == person
    client_as("manager").post(url, {"outcome": "dismissed", "note": "Wrong store"})  # again
    complaint.refresh_from_db()
    assert (complaint.outcome, complaint.outcome_note, complaint.decided_by) == (
        "dismissed",
        "Wrong store",
        users["manager"],
    )
    assert list(
        PerformanceEvent.objects.filter(source_key__startswith="complaint:CMP-88")
        .order_by("id")
        .values_list("kind", "variant", "points")
    ) == [("complaint", "high", -3), ("complaint", "high", 3)]
    _relay_later(minutes=1)
    _relay_later(minutes=2)
    at_partner = [
        (e["reference"], e["points"])
        for e in _at_partner(sandbox, "staff")
        if e["reference"].startswith("complaint:CMP-88")
    ]
    assert at_partner == [("complaint:CMP-88", -3), ("complaint:CMP-88:reversed", 3)]
    # Decided otherwise afterwards: refused, nothing changes.
    client_as("hradmin").post(url, {"outcome": "upheld"})
    assert Complaint.objects.get(pk=complaint.pk).outcome == "dismissed"
    page = client_as("manager").get(person).content.decode()
    assert 'data-complaint="CMP-88"' not in page  # no longer open


def test_an_upheld_complaint_keeps_its_points_and_leaves_the_open_list(customers, users):
    from integrations.selectors import complaints_against

    complaint = complaints.complaint_record(
        customer=customers["CUST-1002"], external_id="CMP-89", severity="low"
    )
    staff = complaint.employee
    before = complaints_against(users["hradmin"], staff, limit=10)
    assert "CMP-89" in [c.external_id for c in before.complaints]
    complaints.complaint_outcome_record(
        complaint=complaint, outcome="upheld", actor=users["hradmin"]
    )
    after = complaints_against(users["hradmin"], staff, limit=10)
    assert "CMP-89" not in [c.external_id for c in after.complaints]
    assert (after.total, after.points, after.open) == (
        before.total,
        before.points,
        before.open - 1,
    )
    assert not PerformanceEvent.objects.filter(source_key="complaint:CMP-89:reversed").exists()
