"""An escalation step never points at someone who has left: unresolved instead, so the chain
falls back (the one-row and the batch resolver alike)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crisis.models import Task
from crisis.selectors.people import resolve_escalation_target, resolve_escalation_targets
from hrcore.models import Employee

pytestmark = pytest.mark.django_db


def test_a_manager_who_left_is_not_an_escalation_target(file_emergency):
    crisis = file_emergency()
    now = timezone.now()
    task = (
        Task.objects.select_related("assignee", "crisis__unit")
        .filter(crisis=crisis, assignee__manager__isnull=False)
        .first()
    )
    manager = task.assignee.manager
    assert resolve_escalation_target("manager", task=task, crisis=crisis, at=now) == manager
    assert resolve_escalation_targets([(task, "manager")], at=now) == {
        (task.pk, "manager"): manager
    }
    Employee.objects.filter(pk=manager.pk).update(is_active=False)
    task = Task.objects.select_related("assignee", "crisis__unit").get(pk=task.pk)
    assert resolve_escalation_target("manager", task=task, crisis=crisis, at=now) is None
    assert resolve_escalation_targets([(task, "manager")], at=now) == {(task.pk, "manager"): None}
