"""Guards and helpers every crisis write shares: visibility/open/assignee checks, row locks, links, event payloads, participant rows, notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore import sla
from hrcore.errors import Conflict, NotFound, PermissionDenied
from hrcore.models import Employee
from hrcore.selectors import employee_of
from hrcore.services.notifications import (
    NotificationSpec,
    notification_spec_send,
)

from ..choices import (
    CrisisStatus,
    DeliverableKind,
)
from ..models import (
    Crisis,
    CrisisParticipant,
    Task,
)
from ..selectors.access import can_manage, crises_visible_to, may_hold_decision


def crisis_link(crisis_id: int) -> str:
    """The crisis page, as notifications link to it."""
    return reverse("crisis:detail", args=[crisis_id])


def fmt_time(moment: datetime | None, tz_name: str) -> str:
    if moment is None:
        return "—"
    return timezone.localtime(moment, sla.Calendar(time_zone=tz_name).zone).strftime(
        "%Y-%m-%d %H:%M"
    )


def participant_add(crisis: Crisis, employee: Employee | None, role: str) -> None:
    if employee is None:
        return
    CrisisParticipant.objects.get_or_create(
        crisis=crisis, employee=employee, defaults={"role": role}
    )


def event_payload(crisis: Crisis, name: str, data: dict) -> dict:
    payload = {"event": name, "crisis_id": crisis.pk, "data": data}
    if crisis.is_drill:  # partners and webhooks can tell a drill from a real crisis
        payload["drill"] = True
    return payload


def event_message(crisis: Crisis, name: str, data: dict, *, key: int) -> dict:
    """The outbox row of a partner event (``outbox_enqueue(**…)``, or one of a batch): channel
    ``event``, deduplicated per event name and ``key`` (the task or crisis it is about)."""
    return {
        "channel": "event",
        "dedupe_key": f"event:{name}:{key}",
        "payload": event_payload(crisis, name, data),
    }


def drill_marked(crisis: Crisis, params: dict) -> dict:
    """A notification's parameters, marked as a drill's (subject prefixed 演练 / DRILL)."""
    return {**params, "drill": True} if crisis.is_drill else params


def task_brief(task: Task) -> dict:
    return {
        "id": task.pk,
        "duty": task.duty_code,
        "status": task.status,
        "assignee_id": task.assignee_id,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


def lock_task(task: Task | int) -> Task:
    pk = task if isinstance(task, int) else task.pk
    crisis_id = Task.objects.filter(pk=pk).values_list("crisis_id", flat=True).first()
    if crisis_id is None:
        raise NotFound(_("Task not found."))
    # Crisis first, then the task: the order crisis_close and decision_make take, and what lets
    # the milestone stamps read the crisis's other tasks without a race.
    list(Crisis.objects.select_for_update().filter(pk=crisis_id).values_list("pk", flat=True))
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("crisis", "crisis__unit", "assignee", "assignee__user", "duty")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Task not found."))
    return locked


def require_visible(user, crisis: Crisis) -> None:
    if not crises_visible_to(user).filter(pk=crisis.pk).exists():
        raise NotFound(_("Not found, or not visible to you."))


def require_manager(actor, crisis: Crisis, *, refusal: str, code: str | None = None) -> None:
    """The check every write that manages a crisis shares: the crisis is visible to ``actor``
    (else 404) and they may manage it (owner, managers, executives, HR admins; else 403 with
    ``refusal``)."""
    require_visible(actor, crisis)
    if not can_manage(actor, crisis):
        raise PermissionDenied(refusal, code=code)


def lock_managed(
    crisis: Crisis, actor, *, refusal: str, related: Iterable[str] = ("unit", "map")
) -> Crisis:
    """``crisis`` locked for this transaction (``select_for_update``), after
    ``require_manager``."""
    crisis = (
        Crisis.objects.select_for_update(of=("self",)).select_related(*related).get(pk=crisis.pk)
    )
    require_manager(actor, crisis, refusal=refusal)
    return crisis


def require_open_crisis(crisis: Crisis) -> None:
    if crisis.status != CrisisStatus.OPEN:
        raise Conflict(_("The crisis is closed."), code="crisis_closed")


def is_assignee(user, task: Task) -> bool:
    employee = employee_of(user)
    return employee is not None and task.assignee_id == employee.pk


def require_decider(task: Task, employee: Employee | None) -> None:
    """Only deciders decide: a decision task is completed by, and handed to, only someone who
    may decide for its crisis (``selectors.may_hold_decision``)."""
    if task.deliverable_kind == DeliverableKind.DECISION and not may_hold_decision(employee, task):
        raise PermissionDenied(
            _(
                "Only someone who may decide for this crisis (its executive, or the person "
                "its decision duty names) can hold or complete its decision task."
            ),
            code="not_a_decider",
        )


def notification_specs(
    task: Task, recipients: Iterable[Employee | None], *, kind: str, key: str, params: dict
) -> list[NotificationSpec]:
    """The notifications ``notify_people`` writes, as specs for ``notifications_send_many``
    (one per active recipient, once each; the dedupe key names the task, the key and the
    person)."""
    specs = []
    seen = set()
    for employee in recipients:
        if employee is None or employee.pk in seen or not employee.is_active:
            continue
        seen.add(employee.pk)
        specs.append(
            NotificationSpec(
                recipient=employee.user,
                kind=kind,
                params=drill_marked(task.crisis, params),
                link=crisis_link(task.crisis_id),
                data={"crisis_id": task.crisis_id, "task_id": task.pk},
                dedupe_key=f"crisis:task:{task.pk}:{key}:{employee.pk}",
            )
        )
    return specs


def notify_people(
    task: Task, recipients: Iterable[Employee | None], *, kind: str, key: str, params: dict
) -> list[int]:
    sent = []
    active = [e for e in dict.fromkeys(recipients) if e is not None and e.is_active]
    specs = notification_specs(task, active, kind=kind, key=key, params=params)
    for employee, spec in zip(active, specs, strict=True):
        notification_spec_send(spec)
        sent.append(employee.pk)
    return sent


def filer_employee(crisis: Crisis) -> Employee | None:
    if not crisis.filed_by_id:
        return None
    try:
        return crisis.filed_by.employee  # joined by the sweep's claim query
    except Employee.DoesNotExist:
        return None
