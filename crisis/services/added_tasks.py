"""Tasks added to a running crisis (decision follow-ups, ad-hoc tasks, help requests): same clock, escalation and notices as the map's duties."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore import sla
from hrcore.errors import ValidationFailed
from hrcore.models import Employee
from hrcore.selectors import calendar_for_unit
from hrcore.text import check_length

from .. import events
from ..choices import DeliverableKind, ParticipantRole, TaskKind
from ..drill_timing import drill_deadline
from ..models import ACTION_MAX_LENGTH, Crisis, Task
from .assignment import notify_task_assigned, start_clock
from .board import crisis_board_flags_refresh
from .common import participant_add, require_manager, require_open_crisis

# Longest clock a task added by hand may run: thirty days (a statutory or follow-up horizon).
MAX_DEADLINE_MINUTES = 30 * 24 * 60
# Who is told when an added task breaches, in order (the map's duties name their own chain).
DEFAULT_ESCALATION = ["manager", "executive"]


@transaction.atomic
def task_add(
    *,
    crisis: Crisis,
    kind: str,
    assignee: Employee,
    action: str,
    deadline_minutes: int,
    actor,
    deliverable_kind: str = DeliverableKind.CONFIRMATION,
    business_hours: bool = False,
) -> Task:
    """Add one task to an open crisis and start its clock now.

    ``actor`` None means Keel itself (a roll call's "need help"); otherwise the actor must be
    able to manage the crisis (its filer, managers and executives). The clock, warning, breach
    and escalation run on the same engine as the map's duties; a drill's clock is compressed
    like its duties' (the deadline divided by the drill's speed, at least a minute).
    """
    if kind == TaskKind.DUTY or kind not in TaskKind.values:
        raise ValidationFailed(
            _("Unknown task kind."), errors={"kind": _("Choose one of the listed kinds.")}
        )
    crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
    if actor is not None:
        require_manager(
            actor,
            crisis,
            refusal=_("Only the crisis owner, managers and executives can add tasks."),
        )
    require_open_crisis(crisis)
    errors: dict[str, str] = {}
    action = (action or "").strip()
    if not action:
        errors["action"] = _("Say what is to be done.")
    check_length(errors, "action", action, ACTION_MAX_LENGTH)
    if (
        isinstance(deadline_minutes, bool)
        or not isinstance(deadline_minutes, int)
        or not 1 <= deadline_minutes <= MAX_DEADLINE_MINUTES
    ):
        errors["deadline_minutes"] = _("The deadline must be between 1 minute and 30 days.")
    if assignee is None or not assignee.is_active:
        errors["assignee"] = _("Not an active employee.")
    if errors:
        raise ValidationFailed(_("The task cannot be added."), errors=errors)
    if crisis.is_drill:
        deadline_minutes = drill_deadline(deadline_minutes, crisis.drill_speed)
    now = timezone.now()
    order = (crisis.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    task = Task(
        crisis=crisis,
        kind=kind,
        duty=None,
        # One code per task (a crisis holds one task per code): "adhoc-7", "follow-up-8".
        duty_code=f"{kind.replace('_', '-')}-{order}",
        action=action,
        deliverable_kind=deliverable_kind,
        deadline_minutes=deadline_minutes,
        business_hours=business_hours,
        escalation=list(DEFAULT_ESCALATION),
        order=order,
        created_at=now,
        assignee=assignee,
    )
    calendar = calendar_for_unit(crisis.unit) if business_hours else sla.Calendar()
    start_clock(task, at=now, calendar=calendar)
    task.save()
    events.record_all(
        [
            events.task_created_event(task=task, actor=actor, save=False),
            events.clock_started_event(task=task, at=now, save=False),
        ]
    )
    participant_add(crisis, assignee, ParticipantRole.ASSIGNEE)
    notify_task_assigned(task, crisis)
    crisis_board_flags_refresh([crisis.pk])
    return task
