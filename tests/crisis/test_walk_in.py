"""Issue 17 §6: a customer complaint about a walk-in consumer (no company record: name, phone,
what they bought) naming the employee responsible — through the service, the filing page and
the API; bad input is a 400 naming the field and writes nothing."""

from __future__ import annotations

import pytest

from crisis.models import Crisis, CrisisParticipant, WalkInConsumer
from crisis.services.walk_in import walk_in_complaint_file
from hrcore.errors import ValidationFailed
from hrcore.models import Employee, Notification

GOOD = {
    "scenario": "customer-complaint",
    "title": "顾客投诉电水壶漏水",
    "consumer_name": "李娜",
    "consumer_phone": "+86 138-0013-8000",
    "consumer_purchase": "电水壶，小票 0042",
    "responsible": "staff",
}


def _counts() -> tuple[int, int, int]:
    return Crisis.objects.count(), WalkInConsumer.objects.count(), Notification.objects.count()


@pytest.mark.django_db
def test_walk_in_complaint_names_the_consumer_and_routes_to_employee_and_supervisor(
    crisis_world, users
):
    crisis = walk_in_complaint_file(**GOOD, actor=users["manager"])
    walk_in = WalkInConsumer.objects.get(crisis=crisis)
    staff = Employee.objects.get(user__username="staff")
    assert crisis.customer is None and crisis.scenario.code == "customer-complaint"
    assert (walk_in.name, walk_in.phone, walk_in.purchase) == (
        "李娜",
        "+8613800138000",  # separators dropped, then checked like every mobile number
        "电水壶，小票 0042",
    )
    assert walk_in.responsible == staff and walk_in.supervisor == staff.manager
    roles = dict(CrisisParticipant.objects.filter(crisis=crisis).values_list("employee_id", "role"))
    assert roles[staff.pk] == "responsible"
    assert staff.manager_id in roles  # the supervisor takes part (here: the filer himself)
    told = set(
        Notification.objects.filter(kind="crisis.walk_in_complaint").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"staff", staff.manager.user.username}
    # The map routes the complaint's duties as for any customer complaint.
    assert crisis.tasks.filter(duty_code="route-responsible").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consumer_phone": "138-abc"}, "consumer_phone"),
        ({"consumer_phone": ""}, "consumer_phone"),
        ({"consumer_name": ""}, "consumer_name"),
        ({"consumer_name": "Li\nNa"}, "consumer_name"),
        ({"consumer_purchase": ""}, "consumer_purchase"),
        ({"responsible": "nobody-here"}, "responsible"),
        ({"responsible": ""}, "responsible"),
        ({"scenario": "debt-collection"}, "scenario"),
        ({"customer_external_id": "CUST-1001"}, "customer"),
    ],
)
def test_bad_walk_in_input_names_the_field_and_writes_nothing(crisis_world, users, change, field):
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        walk_in_complaint_file(**{**GOOD, **change}, actor=users["manager"])
    assert field in refused.value.errors
    assert _counts() == before


@pytest.mark.django_db
def test_a_former_employee_cannot_be_named_responsible(crisis_world, users):
    Employee.objects.filter(user__username="staff").update(is_active=False)
    with pytest.raises(ValidationFailed) as refused:
        walk_in_complaint_file(**GOOD, actor=users["manager"])
    assert "responsible" in refused.value.errors


@pytest.mark.django_db
def test_api_files_a_walk_in_complaint_and_shows_it(crisis_world, api_as):
    api = api_as("manager")
    response = api.post("/api/v1/crises/", GOOD, format="json", HTTP_IDEMPOTENCY_KEY="w1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] is None
    assert body["walk_in"]["name"] == "李娜" and body["walk_in"]["phone"] == "+8613800138000"
    assert body["walk_in"]["responsible"] == "staff"
    again = api.get(f"/api/v1/crises/{body['id']}/").json()
    assert again["walk_in"] == body["walk_in"]
    assert api.get("/api/v1/crises/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consumer_phone": "call me"}, "consumer_phone"),
        ({"responsible": "ghost"}, "responsible"),
        ({"consumer_purchase": ""}, "consumer_purchase"),
        ({"customer": "CUST-1001"}, "customer"),
        ({"drill": True}, "drill"),
        ({"consumer_name": "x" * 101}, "consumer_name"),
    ],
)
def test_api_bad_walk_in_input_is_400_naming_the_field(crisis_world, api_as, change, field):
    before = _counts()
    response = api_as("manager").post(
        "/api/v1/crises/", {**GOOD, **change}, format="json", HTTP_IDEMPOTENCY_KEY="w2"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert _counts() == before


@pytest.mark.django_db
def test_filing_page_files_a_walk_in_complaint(crisis_world, client_as):
    client = client_as("manager")
    page = client.get("/crises/new/?scenario=customer-complaint")
    assert page.status_code == 200
    assert 'data-testid="walk-in" open' in page.content.decode()
    form = {
        "scenario": "customer-complaint",
        "title": "顾客投诉电水壶漏水",
        "unit": "sh-business",
        "walk_in": "on",
        "consumer_name": "李娜",
        "consumer_phone": "13800138000",
        "consumer_purchase": "电水壶",
        "responsible": "staff · 周婷",
    }
    response = client.post("/crises/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    crisis = Crisis.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert crisis.walk_in.responsible.user.username == "staff"
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="walk-in-consumer"' in detail and "13800138000" in detail


@pytest.mark.django_db
def test_filing_page_refuses_a_bad_phone_naming_it(crisis_world, client_as):
    client = client_as("manager")
    before = _counts()
    response = client.post(
        "/crises/new/",
        {
            "scenario": "customer-complaint",
            "title": "顾客投诉",
            "unit": "sh-business",
            "walk_in": "on",
            "consumer_name": "李娜",
            "consumer_phone": "12",
            "consumer_purchase": "电水壶",
            "responsible": "staff",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["consumer_phone"]
    assert _counts() == before


@pytest.mark.django_db
def test_walk_in_complaint_counts_on_the_named_employee_like_a_company_complaint(
    crisis_world, users
):
    from hrcore.models import OutboxMessage, PerformanceEvent

    crisis = walk_in_complaint_file(
        **GOOD, severity="high", actor=users["manager"], idempotency_key="walk-in-perf-1"
    )
    again = walk_in_complaint_file(
        **GOOD, severity="high", actor=users["manager"], idempotency_key="walk-in-perf-1"
    )
    assert again.pk == crisis.pk
    events = list(
        PerformanceEvent.objects.filter(kind="complaint").values_list(
            "employee__user__username", "variant", "points", "source_key"
        )
    )
    # The rule of a company complaint of the same severity (−3 for high), once per crisis, under
    # a key no company complaint ("complaint:<external id>") can take.
    assert events == [("staff", "high", -3, f"walk-in-complaint:{crisis.pk}")]
    assert (
        OutboxMessage.objects.filter(
            channel="performance", dedupe_key=f"performance:walk-in-complaint:{crisis.pk}"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_walk_in_supervisor_review_goes_to_the_named_employees_supervisor(crisis_world, users):
    from crisis.models import TimelineEvent

    other = Employee.objects.filter(is_active=True, manager__isnull=False).exclude(
        user__username="staff"
    )
    crisis = walk_in_complaint_file(**GOOD, actor=users["manager"])
    staff = Employee.objects.get(user__username="staff")
    review = crisis.tasks.get(duty_code="supervisor-review")
    assert review.assignee_id == staff.manager_id
    # Someone else's supervisor reviews their own walk-in complaint.
    named = next(e for e in other.select_related("user") if e.manager_id != staff.manager_id)
    second = walk_in_complaint_file(
        **{**GOOD, "responsible": named.user.username}, actor=users["hradmin"], unit=staff.unit
    )
    assert second.tasks.get(duty_code="supervisor-review").assignee_id == named.manager_id
    assert TimelineEvent.objects.filter(crisis=second, kind="task_reassigned").exists()
