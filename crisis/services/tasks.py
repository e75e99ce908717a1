"""Work on one task: acknowledge, complete with a deliverable, reassign, hand over, comment, cancel."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.selectors import employee_of
from hrcore.text import check_length

from .. import events
from ..choices import (
    TASK_OPEN_STATES,
    CrisisStatus,
    DeliverableKind,
    ParticipantRole,
    TaskStatus,
    TimerState,
)
from ..contact_log import clean_deliverable_fields as _clean_deliverable_fields
from ..models import (
    COMMENT_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Deliverable,
    Task,
    TaskComment,
)
from ..selectors.access import can_manage
from .assignment import notify_task_assigned
from .board import crisis_board_flags_refresh
from .common import (
    is_assignee,
    lock_task,
    participant_add,
    require_decider,
    require_manager,
    require_open_crisis,
    require_visible,
)
from .decisions import decision_record
from .ledger import option_choice
from .progress import all_info_refresh, finish_task, milestone_stamp, start_ready_dependents
from .uploads import validate_upload


@transaction.atomic
def task_acknowledge(*, task: Task, actor) -> Task:
    """The assignee says "on it" (first response)."""
    task = lock_task(task)
    require_visible(actor, task.crisis)
    if not is_assignee(actor, task):
        raise PermissionDenied(_("Only the assignee can acknowledge this task."))
    require_open_crisis(task.crisis)
    if task.status == TaskStatus.ACKNOWLEDGED:
        return task
    if task.status not in (TaskStatus.OPEN, TaskStatus.WAITING):
        raise Conflict(
            _("This task is already %(status)s.") % {"status": task.get_status_display()}
        )
    task.acknowledged_at = timezone.now()
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.ACKNOWLEDGED
    task.save(update_fields=["status", "acknowledged_at"])
    events.task_acknowledged_event(task=task, actor=actor)
    milestone_stamp(task.crisis, "first_response_at", task.acknowledged_at)
    return task


@transaction.atomic
def task_complete(
    *,
    task: Task,
    actor,
    note: str = "",
    file: UploadedFile | None = None,
    location: str = "",
    option: str = "",
    fields: dict | None = None,
) -> Deliverable:
    """The assignee delivers; completion starts the clocks of the tasks that waited for it.
    ``fields``: a structured deliverable's content (a contact log's person, channel code and
    outcome), stored as such and rendered in each reader's language."""
    task = lock_task(task)
    crisis = task.crisis
    require_visible(actor, crisis)
    if not is_assignee(actor, task):
        raise PermissionDenied(_("Only the assignee can complete this task."))
    require_decider(task, employee_of(actor))
    require_open_crisis(crisis)
    if task.status == TaskStatus.DONE:
        raise Conflict(_("This task is already done."), code="already_done")
    if task.status == TaskStatus.CANCELLED:
        raise Conflict(_("This task was cancelled."), code="cancelled")
    if task.status == TaskStatus.WAITING:
        raise Conflict(
            _("This task waits for %(after)s to be done first.") % {"after": ", ".join(task.after)},
            code="waiting",
        )
    note = (note or "").strip()
    errors: dict[str, str] = {}
    check_length(errors, "note", note, NOTE_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The note is too long."), errors=errors)
    choice = option_choice(crisis, option)  # the map's options, or free text
    kind = task.deliverable_kind
    needs_content = (
        DeliverableKind.DOCUMENT,
        DeliverableKind.CONTACT_LOG,
        DeliverableKind.DECISION,
    )
    fields = _clean_deliverable_fields(kind, fields)
    if kind in needs_content and not note and file is None and not fields:
        field = "file" if kind == DeliverableKind.DOCUMENT else "note"
        raise ValidationFailed(
            _("Attach the file or write the note this task asks for."),
            errors={field: _("This field is required.")},
        )
    file_name, content_type = "", ""
    if file is not None:
        file_name, content_type = validate_upload(file)
    now = timezone.now()
    decision = None
    if kind == DeliverableKind.DECISION:
        decision = decision_record(
            crisis=crisis, text=note or file_name, option=choice, task=task, actor=actor, at=now
        )
    deliverable = Deliverable(
        task=task,
        kind=kind,
        note=note,
        location=location[:200],
        fields=fields,
        decision=decision,
        submitted_by=actor,
        submitted_at=now,
    )
    if file is not None:
        deliverable.file_name = file_name
        deliverable.file_size = file.size
        deliverable.content_type = content_type
        deliverable.file.save(file_name, file, save=False)
    deliverable.save()
    finish_task(task, actor=actor, at=now, deliverable=deliverable)
    crisis_board_flags_refresh([task.crisis_id])
    return deliverable


@transaction.atomic
def task_reassign(
    *, task: Task, assignee: Employee, actor, reason: str = "", delegate: bool = False
) -> Task:
    """Give the task to someone else: managers of the crisis reassign; the assignee delegates."""
    task = lock_task(task)
    crisis = task.crisis
    require_visible(actor, crisis)
    require_open_crisis(crisis)
    if delegate:
        if not is_assignee(actor, task):
            raise PermissionDenied(_("Only the assignee can delegate this task."))
    elif not can_manage(actor, crisis):
        raise PermissionDenied(_("Only the crisis owner, managers and executives can reassign."))
    if task.status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise Conflict(
            _("This task is already %(status)s.") % {"status": task.get_status_display()}
        )
    if assignee is None or not assignee.is_active:
        raise ValidationFailed(
            _("Choose an active employee."), errors={"assignee": _("Not an active employee.")}
        )
    if assignee.pk == task.assignee_id:
        raise ValidationFailed(
            _("The task is already assigned to %(name)s.") % {"name": assignee.name},
            errors={"assignee": _("Same person.")},
        )
    require_decider(task, assignee)
    previous = task.assignee_id
    if delegate:
        task.delegated_from_id = previous
    task.assignee = assignee
    task.assignee_gap = False
    if task.status == TaskStatus.ACKNOWLEDGED:
        task.status = TaskStatus.OPEN  # the new assignee has not acknowledged yet
        task.acknowledged_at = None
    task.save(
        update_fields=["assignee", "assignee_gap", "delegated_from", "status", "acknowledged_at"]
    )
    events.task_reassigned_event(
        task=task,
        actor=actor,
        from_id=previous,
        to_id=assignee.pk,
        delegated=delegate,
        reason=reason[:300],
    )
    participant_add(crisis, assignee, ParticipantRole.ASSIGNEE)
    notify_task_assigned(task, crisis, reason="reassigned")
    return task


@transaction.atomic
def tasks_hand_over(
    *, tasks: Iterable[Task], successor: Employee, actor, reason: str = ""
) -> list[Task]:
    """Hand open tasks to ``successor`` for HR (offboarding handover and its revert): like a
    reassignment, each task gets a timeline event, the successor becomes a participant and is
    notified as the task's assignee; clocks and deadlines are untouched. Authorisation is the
    caller's (the HR handover checks who may hand over); tasks already done or cancelled, in a
    closed crisis, or already with the successor are left alone. Returns the tasks moved."""
    if successor is None or not successor.is_active:
        raise ValidationFailed(
            _("Crisis tasks can only go to an active employee."),
            errors={"successor": _("Not an active employee.")},
        )
    pks = sorted({t.pk for t in tasks})
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("crisis", "assignee", "duty")
        .filter(pk__in=pks, status__in=TASK_OPEN_STATES, crisis__status=CrisisStatus.OPEN)
        .exclude(assignee=successor)
        .order_by("crisis_id", "order", "id")
    )
    moved = []
    for task in locked:
        require_decider(task, successor)
        previous = task.assignee_id
        task.assignee = successor
        task.assignee_gap = False
        if task.status == TaskStatus.ACKNOWLEDGED:
            task.status = TaskStatus.OPEN  # the successor has not acknowledged yet
            task.acknowledged_at = None
        task.save(update_fields=["assignee", "assignee_gap", "status", "acknowledged_at"])
        event = events.task_reassigned_event(
            task=task,
            actor=actor,
            from_id=previous,
            to_id=successor.pk,
            delegated=False,
            reason=reason[:300],
            handover=True,
        )
        participant_add(task.crisis, successor, ParticipantRole.ASSIGNEE)
        notify_task_assigned(task, task.crisis, reason=f"handover:{event.pk}")
        moved.append(task)
    return moved


@transaction.atomic
def task_comment(*, task: Task, body: str, actor) -> TaskComment:
    """Anyone who sees the crisis may comment on its tasks."""
    task = Task.objects.select_related("crisis").get(pk=task.pk)
    require_visible(actor, task.crisis)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            _("The comment is empty."), errors={"body": _("This field is required.")}
        )
    errors: dict[str, str] = {}
    check_length(errors, "body", body, COMMENT_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The comment is too long."), errors=errors)
    comment = TaskComment.objects.create(task=task, author=actor, body=body)
    events.task_commented_event(task=task, actor=actor, comment_id=comment.pk)
    milestone_stamp(task.crisis, "first_response_at", comment.created_at)
    return comment


@transaction.atomic
def task_cancel(*, task: Task, actor, reason: str = "") -> Task:
    """Cancel a task that no longer applies, saying why; tasks waiting for it may start."""
    task = lock_task(task)
    crisis = task.crisis
    require_manager(
        actor, crisis, refusal=_("Only the crisis owner, managers and executives can cancel.")
    )
    require_open_crisis(crisis)
    if task.status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise Conflict(
            _("This task is already %(status)s.") % {"status": task.get_status_display()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the task is cancelled."), errors={"reason": _("This field is required.")}
        )
    task.status = TaskStatus.CANCELLED
    task.timer_state = TimerState.STOPPED
    task.escalate_at = None
    task.save(update_fields=["status", "timer_state", "escalate_at"])
    events.task_cancelled_event(task=task, actor=actor, reason=reason[:300])
    all_info_refresh(crisis)
    start_ready_dependents(crisis, at=timezone.now())
    crisis_board_flags_refresh([task.crisis_id])
    return task
