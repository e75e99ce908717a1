"""Performance events (issue 17 §1): one event per source with the points of the HR admins'
rule, its outbox row in the same transaction, the rules page, and who sees a person's events
(the API and the page)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import (
    OutboxMessage,
    PerformanceEvent,
    PerformanceGoal,
    PerformanceReview,
    PerformanceRule,
)
from hrcore.performance_selectors import performance_points_for, performance_summary
from hrcore.services.performance import (
    PERFORMANCE_CHANNEL,
    performance_event_record,
    performance_pulled_store,
    performance_rules_update,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _star(employee, key="star:t1", count=1):
    return performance_event_record(
        employee=employee,
        kind="star",
        source_key=key,
        summary=("按时处置", "Handled on time"),
        count=count,
    )


def test_an_event_is_recorded_once_with_its_outbox_row(users):
    staff = users["staff"].employee
    first = _star(staff, count=2)
    again = _star(staff, count=2)
    assert again.pk == first.pk
    assert PerformanceEvent.objects.filter(employee=staff).count() == 1
    assert first.points == 2  # the default star rule, 1 per star
    rows = OutboxMessage.objects.filter(channel=PERFORMANCE_CHANNEL)
    assert [(r.dedupe_key, r.payload) for r in rows] == [
        (
            "performance:star:t1",
            {
                "event_id": first.pk,
                "employee": "staff",
                "kind": "star",
                "reference": "star:t1",
                "points": 2,
            },
        )
    ]
    assert first.period == first.occurred_at.astimezone(SHANGHAI).strftime("%Y-%m")


def test_unknown_kind_or_variant_is_refused_and_nothing_written(users):
    staff = users["staff"].employee
    for kind, variant in (("bonus", ""), ("complaint", "huge"), ("star", "late")):
        with pytest.raises(ValidationFailed):
            performance_event_record(employee=staff, kind=kind, variant=variant, source_key="x")
    assert PerformanceEvent.objects.count() == 0
    assert OutboxMessage.objects.filter(channel=PERFORMANCE_CHANNEL).count() == 0


def test_no_person_no_event(users):
    event = performance_event_record(
        employee=None, kind="complaint", variant="high", source_key="complaint:nobody"
    )
    assert event is None and PerformanceEvent.objects.count() == 0


def test_hr_admins_change_the_points_new_events_count_old_ones_keep_theirs(users):
    staff = users["staff"].employee
    before = _star(staff, key="star:a")
    changed = performance_rules_update(
        points={("star", ""): 3, ("complaint", "high"): -4}, actor=users["hradmin"]
    )
    assert changed == 2
    assert performance_points_for("star") == 3
    assert performance_points_for("complaint", "high") == -4
    after = _star(staff, key="star:b", count=2)
    before.refresh_from_db()
    assert (before.points, after.points) == (1, 6)
    rule = PerformanceRule.objects.get(kind="star", variant="")
    assert rule.updated_by == users["hradmin"]


def test_only_hr_admins_change_points_and_a_bad_value_changes_nothing(users):
    with pytest.raises(PermissionDenied):
        performance_rules_update(points={("star", ""): 5}, actor=users["manager"])
    with pytest.raises(ValidationFailed):
        performance_rules_update(
            points={("star", ""): 5, ("commission", ""): 101}, actor=users["hradmin"]
        )
    assert performance_points_for("star") == 1  # all or nothing: the valid one was not saved
    assert performance_points_for("commission") == 1


def test_the_seeded_default_is_the_complaint_rule_keel_applied():
    assert [
        performance_points_for("complaint", severity)
        for severity in ("low", "medium", "high", "critical")
    ] == [-1, -2, -3, -5]


def test_summary_totals_by_month(users):
    staff = users["staff"].employee
    _star(staff, key="star:1")
    performance_event_record(
        employee=staff, kind="complaint", variant="critical", source_key="complaint:C-1"
    )
    summary = performance_summary(staff)
    assert summary.total == -4
    assert [points for _period, points in summary.periods] == [-4]
    assert [e.kind for e in summary.events] == ["complaint", "star"]
    assert summary.by_kind == {"star": 1, "complaint": -5}


def test_pulled_goals_and_reviews_replace_what_the_partner_no_longer_holds(users):
    staff = users["staff"].employee
    goal = {"external_id": "G-1", "title_en": "Collect", "progress": 140, "status": "on_track"}
    performance_pulled_store(
        employee=staff,
        goals=[goal, {**goal, "external_id": "G-2"}],
        reviews=[{"external_id": "R-1", "rating": "A"}],
    )
    performance_pulled_store(employee=staff, goals=[{**goal, "progress": 40}], reviews=[])
    assert list(PerformanceGoal.objects.values_list("external_id", "progress")) == [("G-1", 40)]
    assert PerformanceReview.objects.count() == 0


# --- who sees a person's events --------------------------------------------------------------


@pytest.fixture
def staff_event(users):
    return _star(users["staff"].employee, key="star:api")


@pytest.mark.parametrize("who", ["staff", "manager", "hradmin"])
def test_the_person_their_supervisor_and_hr_read_the_events(api_as, users, staff_event, who):
    staff = users["staff"].employee
    assert staff.manager.user.username == "manager"
    response = api_as(who).get(f"/api/v1/employees/{staff.pk}/performance-events/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["kind"], row["points"], row["source_key"], row["sent"]) == (
        staff_event.pk,
        "star",
        1,
        "star:api",
        False,
    )


@pytest.mark.parametrize("who", ["finance", "legal", "manager2"])
def test_others_get_the_404_of_a_hidden_person(api_as, users, staff_event, who):
    staff = users["staff"].employee
    response = api_as(who).get(f"/api/v1/employees/{staff.pk}/performance-events/")
    assert response.status_code == 404


def test_a_supervisor_up_the_chain_reads_the_events(api_client, users):
    staff = users["staff"].employee
    chain = []
    boss = staff.manager
    while boss is not None:
        chain.append(boss.user)
        boss = boss.manager
    assert len(chain) >= 2, chain  # staff → manager → their manager …
    _star(staff, key="star:chain")
    api_client.force_authenticate(user=chain[1])
    response = api_client.get(f"/api/v1/employees/{staff.pk}/performance-events/")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_the_list_costs_the_same_queries_for_1_and_25_events(api_as, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = users["staff"].employee
    client = api_as("manager")
    url = f"/api/v1/employees/{staff.pk}/performance-events/"
    client.get(url)  # the token's first use is recorded once
    counts = []
    for n in (1, 25):
        PerformanceEvent.objects.all().delete()
        for i in range(n):
            _star(staff, key=f"star:q{i}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.json()["count"] == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_unknown_person_and_anonymous(api_client, api_as, users):
    assert api_as("hradmin").get("/api/v1/employees/999999/performance-events/").status_code == 404
    staff = users["staff"].employee
    assert api_client.get(f"/api/v1/employees/{staff.pk}/performance-events/").status_code in (
        401,
        403,
    )


# --- pages -----------------------------------------------------------------------------------


def test_the_page_shows_own_events_total_goals_and_reviews(client_as, users, staff_event):
    staff = users["staff"].employee
    performance_pulled_store(
        employee=staff,
        goals=[{"external_id": "G-1", "title_zh": "回款", "title_en": "Collect", "progress": 60}],
        reviews=[{"external_id": "R-1", "rating": "B+", "period": "2026-H1"}],
    )
    response = client_as("staff").get(reverse("performance_page", args=[staff.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-total="1"' in html
    assert f'id="event-{staff_event.pk}"' in html
    assert 'value="60"' in html and "回款" in html
    assert "B+" in html
    assert "performance-rules" not in html  # the rules link is HR's


def test_the_page_is_hidden_from_others(client_as, users):
    staff = users["staff"].employee
    assert client_as("finance").get(reverse("performance_page", args=[staff.pk])).status_code == 404
    assert client_as("manager").get(reverse("performance_page", args=[staff.pk])).status_code == 200


def test_refresh_is_hr_only(client_as, users):
    staff = users["staff"].employee
    url = reverse("performance_refresh", args=[staff.pk])
    assert client_as("manager").post(url).status_code == 404
    assert client_as("staff").post(url).status_code == 404


def test_rules_page_edits_all_or_nothing(client_as, users):
    url = reverse("performance_rules")
    assert client_as("staff").get(url).status_code == 404
    hr = client_as("hradmin")
    page = hr.get(url)
    assert page.status_code == 200
    assert 'name="points-complaint-high" id="id_points-complaint-high" value="-3"' in (
        page.content.decode()
    )
    form = {
        row: value
        for row, value in (
            ("points-complaint-low", "-1"),
            ("points-complaint-medium", "-2"),
            ("points-complaint-high", "-3"),
            ("points-complaint-critical", "-5"),
            ("points-commission-all", "2"),
            ("points-crisis_duty-on_time", "1"),
            ("points-crisis_duty-late", "-1"),
            ("points-star-all", "1"),
            ("points-drill-on_time", "1"),
            ("points-drill-late", "0"),
            ("points-simulation-passed", "2"),
            ("points-simulation-failed", "0"),
        )
    }
    bad = hr.post(url, {**form, "points-star-all": "lots"})
    assert bad.status_code == 400
    assert performance_points_for("commission") == 1  # nothing saved
    good = hr.post(url, form)
    assert good.status_code == 302
    assert performance_points_for("commission") == 2
    assert performance_points_for("star") == 1
