"""HR↔CRM offboarding: handing an employee's customers and tasks to a successor, and reverting it."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.models import Task
from crisis.selectors.people import open_tasks_of
from crisis.services.tasks import tasks_hand_over
from customers.models import Customer
from hrcore.audit import AuditAction, audit
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.notification_kinds import person
from hrcore.selectors import is_hr_admin
from hrcore.services.notifications import notification_send

from ..models import (
    Handover,
)


def _can_hand_over(actor, employee: Employee) -> bool:
    if is_hr_admin(actor):
        return True
    mine = getattr(actor, "employee", None)
    return bool(mine and employee.manager_id == mine.pk)


def _log_change(obj, field: str, old, new, actor, note: str) -> None:
    """Bulk updates bypass auditlog's signals, so each change is written explicitly."""
    audit(
        obj,
        AuditAction.UPDATE,
        changes={field: [str(old), str(new)]},
        actor=actor,
        data={"reason": note},
    )


@transaction.atomic
def handover_execute(
    *,
    employee: Employee,
    successor: Employee,
    actor,
    window_hours: int = 72,
    note: str = "",
) -> Handover:
    """Hand a leaving employee's customers and open crisis tasks to the successor, in one
    audited action that can be reverted within ``window_hours``."""
    if not _can_hand_over(actor, employee):
        raise PermissionDenied(_("Only HR admins or the employee's manager may hand over."))
    if successor.pk == employee.pk:
        raise ValidationFailed(
            _("The successor must be someone else."), errors={"successor": _("Same person.")}
        )
    if not successor.is_active:
        raise ValidationFailed(
            _("The successor has left the company."), errors={"successor": _("Not employed.")}
        )
    customers = list(Customer.objects.select_for_update().filter(account_owner=employee))
    tasks = list(open_tasks_of(employee))
    if not customers and not tasks:
        raise Conflict(_("%(name)s holds no customers or open tasks.") % {"name": employee.name})
    now = timezone.now()
    handover = Handover.objects.create(
        employee=employee,
        successor=successor,
        customer_ids=[c.pk for c in customers],
        task_ids=[t.pk for t in tasks],
        executed_by=actor,
        executed_at=now,
        revertible_until=now + timedelta(hours=window_hours),
        note=note,
    )
    reason = f"handover #{handover.pk}"
    Customer.objects.filter(pk__in=handover.customer_ids).update(
        account_owner=successor, updated_at=now
    )
    for c in customers:
        _log_change(c, "account_owner", employee, successor, actor, reason)
    if tasks:
        # Through the crisis engine: timeline event, participant, assignment notification.
        for t in tasks_hand_over(tasks=tasks, successor=successor, actor=actor, reason=reason):
            _log_change(t, "assignee", employee, successor, actor, reason)
    audit(handover, action=AuditAction.CREATE, changes={}, actor=actor)
    notification_send(
        recipient=successor.user,
        kind="handover_received",
        params={"customers": len(customers), "tasks": len(tasks), "from": person(employee)},
        link="/integrations/customers/",
        dedupe_key=f"handover:{handover.pk}",
    )
    return handover


@transaction.atomic
def handover_revert(*, handover: Handover, actor) -> Handover:
    """Undo a handover within its window; only items still with the successor move back."""
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    if not _can_hand_over(actor, handover.employee):
        raise PermissionDenied(_("Only HR admins or the employee's manager may revert."))
    if handover.reverted_at is not None:
        raise Conflict(_("This handover was already reverted."))
    now = timezone.now()
    if now > handover.revertible_until:
        raise Conflict(_("The window to revert this handover has closed."))
    reason = f"revert handover #{handover.pk}"
    customers = list(
        Customer.objects.filter(pk__in=handover.customer_ids, account_owner=handover.successor)
    )
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        account_owner=handover.employee, updated_at=now
    )
    for c in customers:
        _log_change(c, "account_owner", handover.successor, handover.employee, actor, reason)
    if handover.task_ids:
        tasks = list(Task.objects.filter(pk__in=handover.task_ids, assignee=handover.successor))
        for t in tasks_hand_over(
            tasks=tasks, successor=handover.employee, actor=actor, reason=reason
        ):
            _log_change(t, "assignee", handover.successor, handover.employee, actor, reason)
    handover.reverted_at, handover.reverted_by = now, actor
    handover.save(update_fields=["reverted_at", "reverted_by"])
    return handover
