"""An independent reference for the assignee rules, for differential tests: the per-level walk
Keel used before the one-pass resolver (``hrcore.selectors.resolve_assignees``), kept here —
not in the product — so the product's resolver is compared with a second implementation of
the same rules rather than with itself.

Walk from the unit up to the root; at each level look in that unit's whole subtree; within a
level prefer a unit head, then the highest grade, then the shallowest unit, then the lowest
id; an absent holder hands over to their (present, active) delegate, along a chain of at most
five delegates without loops."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.errors import AssigneeNotFound
from hrcore.models import Absence, Employee, OrgUnit


def _absence(employee_id: int, at):
    return (
        Absence.objects.filter(employee_id=employee_id, starts_at__lte=at, ends_at__gt=at)
        .select_related("delegate")
        .order_by("starts_at")
        .last()
    )


def _delegate_of(absence, at):
    seen = {absence.employee_id}
    current = absence
    for _step in range(5):
        delegate = current.delegate
        if delegate is None or delegate.pk in seen or not delegate.is_active:
            return None
        seen.add(delegate.pk)
        nxt = _absence(delegate.pk, at)
        if nxt is None:
            return delegate
        current = nxt
    return None


def reference_resolve(*, unit: OrgUnit, function: str | None, position: str | None, at) -> int:
    """The id of the person who answers for ``function`` or ``position`` in ``unit`` at ``at``;
    raises the same ``AssigneeNotFound`` as the product when nobody does."""
    candidates = Employee.objects.filter(is_active=True).select_related("unit")
    if function:
        candidates = candidates.filter(unit__kind=UnitKind.DEPARTMENT, unit__function=function)
        label = DepartmentFunction(function).label
    else:
        candidates = candidates.filter(position__code=position)
        label = position
    for ancestor_id in unit.ancestor_ids():
        ancestor = OrgUnit.objects.get(pk=ancestor_id)
        pool = list(candidates.filter(unit__path__startswith=ancestor.path))
        heads = set(OrgUnit.objects.filter(head__in=pool).values_list("head_id", flat=True))
        pool.sort(key=lambda e: (e.pk not in heads, -e.grade, e.unit.depth, e.pk))
        for holder in pool:
            absence = _absence(holder.pk, at)
            if absence is None:
                return holder.pk
            delegate = _delegate_of(absence, at)
            if delegate is not None:
                return delegate.pk
    raise AssigneeNotFound(
        _("Nobody holds “%(who)s” in %(unit)s or any unit above it.")
        % {"who": label, "unit": unit.name}
    )
