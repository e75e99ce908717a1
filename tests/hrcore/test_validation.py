"""Invalid organisation edits are refused with a message and change nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hrcore.errors import ValidationFailed
from hrcore.models import Absence, Employee, OrgUnit
from hrcore.services import org

pytestmark = pytest.mark.django_db


def test_unit_cycle_is_refused_and_nothing_changes(demo_org):
    sh = OrgUnit.objects.get(code="sh")
    dept = OrgUnit.objects.get(code="sh-finance")
    before = list(OrgUnit.objects.values_list("id", "parent_id", "path").order_by("id"))
    with pytest.raises(ValidationFailed) as excinfo:
        org.org_unit_save(unit=sh, parent_id=dept.pk)
    assert "parent" in excinfo.value.errors
    assert list(OrgUnit.objects.values_list("id", "parent_id", "path").order_by("id")) == before


def test_unit_cannot_be_its_own_parent(demo_org):
    sh = OrgUnit.objects.get(code="sh")
    with pytest.raises(ValidationFailed):
        org.org_unit_save(unit=sh, parent_id=sh.pk)
    assert OrgUnit.objects.get(code="sh").parent.code == "demo-group"


def test_unknown_function_and_function_on_a_subsidiary_are_refused(demo_org):
    group = OrgUnit.objects.get(code="demo-group")
    count = OrgUnit.objects.count()
    with pytest.raises(ValidationFailed) as excinfo:
        org.org_unit_save(
            code="x-mkt",
            name_zh="市场部",
            name_en="Marketing",
            kind="department",
            function="marketing",
            parent_id=group.pk,
        )
    assert "function" in excinfo.value.errors
    with pytest.raises(ValidationFailed):
        org.org_unit_save(
            code="x-sub",
            name_zh="子",
            name_en="Sub",
            kind="subsidiary",
            function="finance",
            parent_id=group.pk,
        )
    assert OrgUnit.objects.count() == count


def test_moving_a_subtree_rewrites_paths(demo_org):
    sz = OrgUnit.objects.get(code="sz")
    dept = OrgUnit.objects.get(code="sh-legal")
    org.org_unit_save(unit=dept, parent_id=sz.pk)
    dept.refresh_from_db()
    assert dept.path == f"{sz.path}{dept.pk}/"
    assert Employee.objects.get(user__username="legal").unit.path.startswith(sz.path)


def test_manager_cycle_is_refused_and_nothing_changes(demo_org):
    manager = Employee.objects.get(user__username="manager")
    staff = Employee.objects.get(user__username="staff")
    assert staff.manager == manager
    manager.manager = staff
    with pytest.raises(ValidationFailed) as excinfo:
        org.employee_save(employee=manager)
    assert excinfo.value.errors["manager"] == "该上级会使汇报关系形成循环。"
    manager.refresh_from_db()
    assert manager.manager.user.username == "sh-executive-head"


def test_self_manager_is_refused(demo_org):
    staff = Employee.objects.get(user__username="staff")
    staff.manager = staff
    with pytest.raises(ValidationFailed):
        org.employee_save(employee=staff)
    staff.refresh_from_db()
    assert staff.manager.user.username == "manager"


def test_manager_outside_the_group_is_refused(demo_org):
    other = org.org_unit_save(
        code="other-group", name_zh="别的集团", name_en="Other Group", kind="group", parent_id=None
    )
    outsider = org.employee_create(
        username="outsider", password=None, name_zh="外人", name_en="Outsider", unit=other
    )
    staff = Employee.objects.get(user__username="staff")
    staff.manager = outsider
    with pytest.raises(ValidationFailed) as excinfo:
        org.employee_save(employee=staff)
    assert excinfo.value.errors["manager"] == "直属上级必须属于同一集团。"
    staff.refresh_from_db()
    assert staff.manager.user.username == "manager"


def test_self_delegate_and_backwards_absence_are_refused(demo_org):
    finance = Employee.objects.get(user__username="finance")
    now = timezone.now()
    with pytest.raises(ValidationFailed) as excinfo:
        org.absence_record(
            employee=finance, starts_at=now, ends_at=now + timedelta(days=1), delegate=finance
        )
    assert "delegate" in excinfo.value.errors
    with pytest.raises(ValidationFailed):
        org.absence_record(employee=finance, starts_at=now, ends_at=now - timedelta(days=1))
    assert Absence.objects.count() == 0


def test_unknown_time_zone_is_refused(demo_org):
    staff = Employee.objects.get(user__username="staff")
    staff.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationFailed):
        org.employee_save(employee=staff)
    staff.refresh_from_db()
    assert staff.time_zone == "Asia/Shanghai"
