"""The crisis page's "changing course" panel (issue 15 §4): who sees the controls, each form
calls its service, refusals are 403/messages, both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from crisis.choices import EventKind, TaskKind
from crisis.models import Crisis, CrisisLink, StatusUpdate, Task, TimelineEvent
from crisis.services.closure import crisis_close
from crisis.services.filing import crisis_file
from hrcore.models import Employee
from hrcore.services.org import user_preferences_update

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
CONTROLS = ("course-add-task", "course-severity", "course-cancel", "course-invite", "course-link")


def _file(users, title="Collectors in the office", **kw):
    return crisis_file(
        scenario="debt-collection-emergency", title=title, actor=users["manager"], **kw
    )


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Change course"), ("zh-hans", "调整处置")]
)
def test_managers_see_the_controls_in_their_language(
    crisis_world, users, client_as, language, heading
):
    user_preferences_update(user=users["manager"], language=language)
    crisis = _file(users)
    page = client_as("manager").get(reverse("crisis:detail", args=[crisis.pk]))
    assert page.status_code == 200
    assert heading in page.text
    for testid in (*CONTROLS, "status-update-form"):
        assert f'data-testid="{testid}"' in page.text


def test_staff_see_status_updates_but_no_controls(crisis_world, users, client_as):
    crisis = _file(users)
    page = client_as("finance").get(reverse("crisis:detail", args=[crisis.pk]))
    assert page.status_code == 200
    assert 'data-testid="course"' in page.text
    for testid in (*CONTROLS, "status-update-form"):
        assert f'data-testid="{testid}"' not in page.text
    refused = client_as("finance").post(
        reverse("crisis:course_severity", args=[crisis.pk]), {"severity": "low"}
    )
    assert refused.status_code == 403
    assert Crisis.objects.get(pk=crisis.pk).severity == crisis.severity != "low"
    assert (
        client_as("manager2")
        .post(reverse("crisis:course_severity", args=[crisis.pk]), {"severity": "low"})
        .status_code
        == 404
    )


def test_every_form_of_the_panel_works(crisis_world, users, client_as):
    crisis, other = _file(users), _file(users, title="Second visit")
    manager = client_as("manager")
    back = reverse("crisis:detail", args=[crisis.pk])

    def post(name, data, pk=crisis.pk):
        response = manager.post(reverse(f"crisis:{name}", args=[pk]), data)
        assert response.status_code == 302, response.content
        assert response["Location"] == back
        return response

    legal = Employee.objects.get(user__username="legal")
    post(
        "course_add_task",
        {"action": "Call the landlord", "assignee": legal.pk, "deadline_minutes": 20},
    )
    added = Task.objects.get(crisis=crisis, kind=TaskKind.ADHOC)
    assert (added.action, added.assignee_id, added.deadline_minutes) == (
        "Call the landlord",
        legal.pk,
        20,
    )
    post("course_severity", {"severity": "low"})
    assert Crisis.objects.get(pk=crisis.pk).severity == "low"
    post("status_update", {"body": "Police on site"})
    assert StatusUpdate.objects.get(crisis=crisis).body == "Police on site"
    post("course_invite", {"username": "staff"})
    post("course_link", {"crisis": other.pk})
    assert CrisisLink.objects.count() == 1
    post("task_cancel", {"reason": "Not needed"}, pk=added.pk)
    assert Task.objects.get(pk=added.pk).status == "cancelled"
    # a cancel without a reason is refused with a message, nothing changes
    open_task = crisis.tasks.filter(status="open").first()
    manager.post(reverse("crisis:task_cancel", args=[open_task.pk]), {"reason": ""})
    assert Task.objects.get(pk=open_task.pk).status == "open"

    page = manager.get(back)
    assert "Police on site" in page.text
    assert f'href="/crises/{other.pk}/"' in page.text  # the related crisis, together
    post("course_uninvite", {"username": "staff"})
    post("course_unlink", {"crisis": other.pk})
    assert not CrisisLink.objects.exists()
    kinds = set(TimelineEvent.objects.filter(crisis=crisis).values_list("kind", flat=True))
    assert {
        EventKind.SEVERITY_CHANGED,
        EventKind.STATUS_UPDATE,
        EventKind.PARTICIPANT_INVITED,
        EventKind.PARTICIPANT_UNINVITED,
        EventKind.CRISIS_LINKED,
        EventKind.CRISIS_UNLINKED,
    } <= kinds
    timeline = manager.get(reverse("crisis:detail_timeline", args=[crisis.pk])).text
    assert "changed the severity from" in timeline or "将严重程度从" in timeline


def test_reopen_button_within_seven_days_and_the_expired_notice(crisis_world, users, client_as):
    user_preferences_update(user=users["manager"], language="en")
    with time_machine.travel(T0, tick=False) as clock:
        crisis = _file(users)
        crisis_close(crisis=crisis, outcome="Collectors left", actor=users["manager"])
        manager = client_as("manager")
        page = manager.get(reverse("crisis:detail", args=[crisis.pk])).text
        assert 'data-testid="reopen-form"' in page
        assert (
            'data-testid="reopen-form"'
            not in client_as("finance").get(reverse("crisis:detail", args=[crisis.pk])).text
        )
        clock.move_to(T0 + timedelta(days=8))
        manager = client_as("manager")  # a fresh session (idle sessions end after 8 hours)
        page = manager.get(reverse("crisis:detail", args=[crisis.pk])).text
        assert 'data-testid="reopen-expired"' in page
        manager.post(reverse("crisis:reopen", args=[crisis.pk]), {"reason": "back"})
        assert Crisis.objects.get(pk=crisis.pk).status == "resolved"
        clock.move_to(T0 + timedelta(days=2))
        manager = client_as("manager")
        response = manager.post(reverse("crisis:reopen", args=[crisis.pk]), {"reason": "back"})
    assert response.status_code == 302
    assert Crisis.objects.get(pk=crisis.pk).status == "open"
