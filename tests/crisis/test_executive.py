"""Who "the executive" of a crisis is comes from the organisation (Position.decides_crises), not
from a position code named in the crisis engine."""

from __future__ import annotations

from django.utils import timezone

from crisis.choices import EventKind
from crisis.selectors.people import resolve_escalation_target
from crisis.services.filing import crisis_file
from hrcore.models import Employee, Position

GAP_DUTY = {
    "code": "pr",
    "position": "pr-manager",
    "deliverable": "document",
    "deadline_minutes": 30,
    "escalation": ["executive"],
}


def _file_gap(make_map, users):
    make_map("gap", [GAP_DUTY])
    Employee.objects.filter(position__code="pr-manager").update(is_active=False)
    return crisis_file(scenario="gap", title="Press at the door", actor=users["manager"])


def test_a_group_whose_executive_position_has_another_code_still_escalates_to_it(make_map, users):
    Position.objects.filter(code="vice-president").update(code="chief-operating-officer")
    crisis = _file_gap(make_map, users)
    task = crisis.tasks.get()
    assert task.assignee_gap is True
    assert task.assignee.user.username == "vp"
    event = crisis.timeline.get(kind=EventKind.ASSIGNEE_UNRESOLVED)
    assert event.data["fallback_step"] == "executive"
    target = resolve_escalation_target("executive", task=task, crisis=crisis, at=timezone.now())
    assert target.user.username == "vp"


def test_the_executive_is_whoever_holds_the_position_the_organisation_marks(make_map, users):
    Position.objects.update(decides_crises=False)
    Position.objects.filter(code="president").update(decides_crises=True)
    crisis = _file_gap(make_map, users)
    task = crisis.tasks.get()
    assert task.assignee.user.username == "president"
    target = resolve_escalation_target("executive", task=task, crisis=crisis, at=timezone.now())
    assert target.user.username == "president"
