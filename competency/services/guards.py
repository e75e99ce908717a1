"""Permission and argument guards shared by the competency writes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.ids import parse_id
from hrcore.models import Employee
from hrcore.selectors import is_hr_admin


def _require_hr_admin(actor) -> None:
    if actor is None or not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins may do this."))


def _as_employee(employee: Employee | int) -> Employee:
    if isinstance(employee, Employee):
        return employee
    pk = parse_id(employee)
    found = (
        Employee.objects.filter(pk=pk).select_related("user", "position").first()
        if pk is not None
        else None
    )
    if found is None:
        raise ValidationFailed(
            _("Unknown employee."), errors={"employee": [_("No active employee has this id.")]}
        )
    return found
