"""Drill pages (issue 16 §1–2): the drills page and its start form, the banner, stop now, the
report page — in both languages."""

from __future__ import annotations

import pytest

from crisis.models import Crisis, Task
from hrcore.models import Employee

pytestmark = pytest.mark.django_db(transaction=False)


def test_hr_admin_starts_a_drill_from_the_drills_page(crisis_world, users, client_as):
    client = client_as("hradmin")
    assert 'data-testid="drills-link"' in client.get("/crises/").content.decode()
    assert 'data-testid="drills-link"' not in client_as("manager").get("/crises/").content.decode()
    page = client.get("/crises/drills/")
    assert page.status_code == 200
    assert b'data-testid="drill-start"' in page.content
    response = client.post(
        "/crises/drills/",
        {"scenario": "debt-collection-emergency", "unit": "sh", "speed": "4"},
    )
    drill = Crisis.objects.get(is_drill=True)
    assert response.status_code == 302 and response["Location"] == f"/crises/{drill.pk}/"
    assert (drill.drill_speed, drill.unit.code, drill.filed_by_id) == (
        4,
        "sh",
        users["hradmin"].pk,
    )
    detail = client.get(f"/crises/{drill.pk}/").content.decode()
    assert 'data-testid="drill-banner"' in detail and 'data-testid="stop-drill"' in detail
    listing = client.get("/crises/drills/").content.decode()
    assert f"/crises/{drill.pk}/drill-report/" in listing
    # The ordinary crisis list leaves drills out.
    assert f'href="/crises/{drill.pk}/"' not in client.get("/crises/").content.decode()
    bad = client.post("/crises/drills/", {"scenario": "debt-collection-emergency", "speed": "0"})
    assert bad.status_code == 400 and Crisis.objects.filter(is_drill=True).count() == 1


def test_staff_may_not_run_drills(crisis_world, client_as):
    assert client_as("staff").get("/crises/drills/").status_code == 403
    assert (
        client_as("manager")
        .post(
            "/crises/drills/",
            {"scenario": "debt-collection-emergency", "unit": "sh", "speed": "1"},
        )
        .status_code
        == 403
    )
    assert not Crisis.objects.filter(is_drill=True).exists()


@pytest.mark.parametrize(
    ("language", "banner", "report"),
    [("zh-hans", "演练", "演练报告"), ("en", "DRILL", "Drill report")],
)
def test_participant_acknowledges_from_the_banner_and_the_admin_stops_it(
    crisis_world, users, client_as, language, banner, report
):
    from crisis.services.filing import crisis_file

    drill = crisis_file(
        scenario="debt-collection-emergency",
        title="Drill",
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    task = drill.tasks.filter(status="open").select_related("assignee__user").first()
    Employee.objects.filter(user__in=[task.assignee.user, users["hradmin"]]).update(
        language=language
    )
    participant = client_as(task.assignee.user.username)
    page = participant.get(f"/crises/{drill.pk}/").content.decode()
    assert banner in page and 'data-testid="drill-acknowledge"' in page
    assert 'data-testid="stop-drill"' not in page
    assert 'data-testid="drill-tag"' in participant.get("/crises/").content.decode()
    participant.post(f"/crises/tasks/{task.pk}/acknowledge/")
    assert Task.objects.get(pk=task.pk).status == "acknowledged"
    admin = client_as("hradmin")
    shown = admin.get(f"/crises/{drill.pk}/drill-report/")
    assert shown.status_code == 200 and report in shown.content.decode()
    assert admin.post(f"/crises/{drill.pk}/stop-drill/").status_code == 302
    assert Crisis.objects.get(pk=drill.pk).status == "cancelled"
    assert not Task.objects.filter(
        crisis=drill, status__in=["open", "waiting", "acknowledged"]
    ).exists()


def test_hr_admin_schedules_an_unannounced_drill_from_the_page(crisis_world, client_as):
    from crisis.models import DrillSchedule

    client = client_as("hradmin")
    response = client.post(
        "/crises/drills/",
        {
            "schedule-scenario": "debt-collection-emergency",
            "schedule-unit": "sh",
            "schedule-speed": "2",
            "schedule-window_start": "2030-03-04T00:00",
            "schedule-window_end": "2030-03-08T00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    schedule = DrillSchedule.objects.get()
    assert (schedule.announced, schedule.speed, schedule.unit.code) == (False, 2, "sh")
    assert 'data-testid="drill-schedules"' in client.get("/crises/drills/").content.decode()
    bad = client.post(
        "/crises/drills/",
        {
            "schedule-scenario": "debt-collection-emergency",
            "schedule-unit": "sh",
            "schedule-speed": "1",
            "schedule-window_start": "2030-03-09T00:00",  # a Saturday and Sunday only
            "schedule-window_end": "2030-03-10T23:00",
        },
    )
    assert bad.status_code == 400 and DrillSchedule.objects.count() == 1
