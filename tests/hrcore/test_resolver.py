"""The resolver: holder in the unit, walk up the tree, delegate when absent, nobody."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hrcore import selectors
from hrcore.errors import AssigneeNotFound, ValidationFailed
from hrcore.models import Employee, OrgUnit
from hrcore.services import org

pytestmark = pytest.mark.django_db


def emp(username: str) -> Employee:
    return Employee.objects.get(user__username=username)


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def test_function_resolves_to_the_department_head_of_the_same_subsidiary(demo_org):
    result = selectors.resolve_assignee(unit=unit("sh-business"), function="finance")
    assert result.employee == emp("finance")
    assert result.holder == emp("finance")
    assert result.via_delegate is False
    assert result.walked_up is True
    assert result.unit == unit("sh")


def test_other_subsidiary_gets_its_own_finance_head(demo_org):
    result = selectors.resolve_assignee(unit=unit("sz-business"), function="finance")
    assert result.employee.unit.code == "sz-finance"
    assert result.employee == unit("sz-finance").head


def test_holder_in_the_unit_itself_is_found_without_walking_up(demo_org):
    result = selectors.resolve_assignee(unit=unit("sh-business"), position="department-manager")
    assert result.employee == emp("manager")
    assert result.walked_up is False


def test_position_walks_up_to_the_group(demo_org):
    result = selectors.resolve_assignee(unit=unit("sh-business"), position="vice-president")
    assert result.employee == emp("vp")
    assert result.unit == unit("demo-group")


def test_absent_holder_hands_over_to_the_delegate(demo_org):
    now = timezone.now()
    stand_in = Employee.objects.get(user__username="sh-finance-1")
    org.absence_record(
        employee=emp("finance"),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        delegate=stand_in,
        reason="leave",
    )
    result = selectors.resolve_assignee(unit=unit("sh-business"), function="finance", at=now)
    assert result.employee == stand_in
    assert result.holder == emp("finance")
    assert result.via_delegate is True
    # After the absence ends the holder is back.
    later = selectors.resolve_assignee(
        unit=unit("sh-business"), function="finance", at=now + timedelta(days=3)
    )
    assert later.employee == emp("finance")


def test_absent_holder_without_delegate_falls_to_the_next_person_in_the_department(demo_org):
    now = timezone.now()
    org.absence_record(
        employee=emp("finance"),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )
    result = selectors.resolve_assignee(unit=unit("sh-business"), function="finance", at=now)
    assert result.employee.unit.code == "sh-finance"
    assert result.employee != emp("finance")
    assert result.via_delegate is False


def test_chained_delegates_are_followed_and_cycles_stop(demo_org):
    now = timezone.now()
    a, b = (
        Employee.objects.get(user__username="sh-legal-1"),
        Employee.objects.get(user__username="sh-legal-2"),
    )
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=5)}
    org.absence_record(employee=emp("legal"), delegate=a, **window)
    org.absence_record(employee=a, delegate=b, **window)
    assert selectors.resolve_assignee(unit=unit("sh"), function="legal", at=now).employee == b
    org.absence_record(employee=b, delegate=emp("legal"), **window)  # everyone away, in a loop
    # The loop ends the delegate chain; with all of Shanghai legal away the walk goes up to the
    # group and finds the nearest legal department elsewhere (Shenzhen's head).
    result = selectors.resolve_assignee(unit=unit("sh"), function="legal", at=now)
    assert result.employee == unit("sz-legal").head
    assert result.walked_up is True


def test_nobody_found_is_a_clear_error(demo_org):
    with pytest.raises(AssigneeNotFound) as excinfo:
        selectors.resolve_assignee(unit=unit("sh-business"), position="chief-astronaut")
    assert "chief-astronaut" in excinfo.value.message


def test_exactly_one_of_function_or_position(demo_org):
    with pytest.raises(ValidationFailed):
        selectors.resolve_assignee(unit=unit("sh"), function="finance", position="vice-president")
    with pytest.raises(ValidationFailed):
        selectors.resolve_assignee(unit=unit("sh"))
    with pytest.raises(ValidationFailed):
        selectors.resolve_assignee(unit=unit("sh"), function="marketing")
