"""What an employee's departure (``employee.left`` from the HR system) means beyond their
record: their open crisis tasks are re-resolved at once by the maps' rules, a role nobody else
holds is flagged as a gap on the crisis timeline, and the handover preview of their customers
opens for their manager and the HR admins (customers wait for a person's choice of successor;
a running SLA clock cannot)."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crisis import events
from crisis.models import Task
from crisis.selectors.people import duty_assignments, open_tasks_of
from crisis.services.tasks import tasks_hand_over
from customers.models import Customer
from hrcore.choices import Role
from hrcore.errors import KeelError
from hrcore.notification_kinds import person
from hrcore.services.master_data import Departure
from hrcore.services.notifications import notification_send

logger = logging.getLogger(__name__)
User = get_user_model()


def _reassign(task: Task, *, actor, leaver_name: str) -> dict:
    """Hand one open task of a leaver to whoever the map's rules name now."""
    outcome = {"task_id": task.pk, "crisis_id": task.crisis_id, "duty": task.duty_code}
    assignment = duty_assignments(unit=task.crisis.unit, duties=[task.duty], at=timezone.now())[0]
    successor = assignment.employee
    outcome["to_id"] = successor.pk if successor else None
    if successor is None:
        outcome["gap"] = "nobody"
        return outcome
    try:
        with transaction.atomic():
            moved = tasks_hand_over(
                tasks=[task],
                successor=successor,
                actor=actor,
                reason=f"{leaver_name} left (HR): re-resolved by the map's rules",
            )
    except KeelError as exc:
        outcome.update(gap="refused", to_id=None, reason=exc.code)
        return outcome
    if moved and assignment.gap_reason is not None:
        # Nobody else holds the role: the escalation target took it; flagged like at filing.
        Task.objects.filter(pk=task.pk).update(assignee_gap=True)
        events.assignee_unresolved_event(
            task=task,
            reason=f"{leaver_name} left: {assignment.gap_reason}",
            fallback_id=successor.pk,
            fallback_step=assignment.fallback_step,
        )
        outcome["gap"] = "role_vacant"
    return outcome


def departure_follow_up(*, departure: Departure, actor) -> dict:
    """Inside the departure's transaction: re-resolve the leaver's open crisis tasks, flag gaps,
    open the handover preview (a notification linking to it) for their manager and HR admins."""
    employee = departure.employee
    tasks = list(open_tasks_of(employee).select_related("duty__assignee_position", "crisis__unit"))
    reassigned = [_reassign(t, actor=actor, leaver_name=employee.name_en) for t in tasks]
    gaps = [r for r in reassigned if r.get("gap")]
    customers = Customer.objects.filter(account_owner=employee).count()
    recipients = {
        u.pk: u
        for u in User.objects.filter(
            is_active=True, groups__name=Role.HR_ADMIN, employee__isnull=False
        )
    }
    if employee.manager_id and employee.manager.is_active:
        recipients[employee.manager.user_id] = employee.manager.user
    link = f"/integrations/offboarding/?employee={employee.pk}"
    for user in recipients.values():
        notification_send(
            recipient=user,
            kind="hr.employee_left",
            params={
                "name": person(employee),
                "customers": customers,
                "tasks": len(reassigned),
                "gaps": len(gaps),
            },
            link=link,
            data={"employee_id": employee.pk},
            dedupe_key=f"hr:left:{employee.pk}:{user.pk}:{timezone.now():%Y%m%d%H%M%S}",
        )
    return {
        "customers_to_hand_over": customers,
        "tasks_reassigned": reassigned,
        "gaps": len(gaps),
        "handover_preview": link,
    }


def absence_follow_up(*, absence, actor) -> list[int]:
    """An absence that has begun (recorded late, or starting now): the absent person's open
    crisis tasks go to the delegate at once — new crises already resolve to the delegate for
    the absence's dates. Returns the ids of the tasks handed over."""
    now = timezone.now()
    if absence.delegate is None or not (absence.starts_at <= now < absence.ends_at):
        return []
    employee = absence.employee
    moved: list[int] = []
    for task in open_tasks_of(employee):
        try:  # a decision task the delegate may not hold stays (the escalation chain runs)
            with transaction.atomic():
                moved += [
                    t.pk
                    for t in tasks_hand_over(
                        tasks=[task],
                        successor=absence.delegate,
                        actor=actor,
                        reason=f"{employee.name_en} away until {absence.ends_at:%Y-%m-%d}",
                    )
                ]
        except KeelError:
            continue
    return moved
