""" "Need help" becomes a task for administration (issue 13 §6): a task of kind ``need_help`` on
the crisis, assigned to the administration duty holder of the crisis's unit (the maps'
resolver), else the crisis's manager; its clock runs and the assignee is notified; once per
person and roll call however often they answer."""

from __future__ import annotations

import pytest

from crisis.models import Task
from hrcore.models import Employee, Notification
from hrcore.selectors import resolve_assignee
from integrations.models import RollCallAnswer
from integrations.rollcall import HELP_DEADLINE_MINUTES

pytestmark = pytest.mark.django_db


def answer(api, roll_call_id: int, value: str):
    response = api.post(
        f"/api/v1/roll-calls/{roll_call_id}/answer/", {"answer": value}, format="json"
    )
    assert response.status_code == 200, response.content
    return response


def roll_call_of(api, crisis) -> int:
    response = api.post(f"/api/v1/crises/{crisis.pk}/roll-calls/", {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_need_help_becomes_a_task_for_the_administration_duty_holder_once(
    file_crisis, api_as, users
):
    crisis = file_crisis()
    roll_call_id = roll_call_of(api_as("manager"), crisis)
    who = (
        RollCallAnswer.objects.filter(roll_call_id=roll_call_id)
        .exclude(user=users["manager"])
        .select_related("user__employee")
        .first()
    )
    api = api_as(who.user.username)
    answer(api, roll_call_id, "safe")
    assert not Task.objects.filter(crisis=crisis, kind="need_help").exists()
    answer(api, roll_call_id, "need_help")
    tasks = Task.objects.filter(crisis=crisis, kind="need_help")
    assert tasks.count() == 1
    task = tasks.get()
    holder = resolve_assignee(unit=crisis.unit, function="administration").employee
    assert task.assignee_id == holder.pk
    assert task.duty_id is None and task.status == "open"
    assert task.deadline_minutes == HELP_DEADLINE_MINUTES[crisis.severity]
    assert task.due_at is not None  # its clock runs like the map's duties
    asking = who.user.employee
    assert (asking.name_zh if holder.language.startswith("zh") else asking.name_en) in task.action
    who.refresh_from_db()
    assert who.help_task_id == task.pk
    assert Notification.objects.filter(
        kind="crisis.task", recipient=holder.user, data__task_id=task.pk
    ).exists()
    # Changing their answer and asking again makes no second task.
    answer(api, roll_call_id, "safe")
    answer(api, roll_call_id, "need_help")
    assert tasks.count() == 1
    # The crisis page lists it with the other tasks.
    page = api_as("manager").get(f"/api/v1/crises/{crisis.pk}/").json()
    assert task.pk in [t["id"] for t in page["tasks"]]


def test_without_an_administration_holder_the_crisis_manager_takes_it(file_crisis, api_as, users):
    crisis = file_crisis()
    roll_call_id = roll_call_of(api_as("manager"), crisis)
    Employee.objects.filter(unit__function="administration").update(is_active=False)
    who = (
        RollCallAnswer.objects.filter(roll_call_id=roll_call_id)
        .exclude(user=users["manager"])
        .exclude(user__employee__unit__function="administration")
        .first()
    )
    answer(api_as(who.user.username), roll_call_id, "need_help")
    task = Task.objects.get(crisis=crisis, kind="need_help")
    assert task.assignee.user_id == crisis.filed_by_id == users["manager"].pk


def test_two_people_asking_for_help_make_two_tasks(file_crisis, api_as, users):
    crisis = file_crisis()
    roll_call_id = roll_call_of(api_as("manager"), crisis)
    rows = list(
        RollCallAnswer.objects.filter(roll_call_id=roll_call_id, user__username__in=list(users))
        .exclude(user=users["manager"])
        .select_related("user")[:2]
    )
    assert len(rows) == 2
    for row in rows:
        answer(api_as(row.user.username), roll_call_id, "need_help")
    tasks = Task.objects.filter(crisis=crisis, kind="need_help")
    assert tasks.count() == 2
    assert {
        r.help_task_id for r in RollCallAnswer.objects.filter(pk__in=[r.pk for r in rows])
    } == set(tasks.values_list("pk", flat=True))
