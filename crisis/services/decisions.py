"""Executive decisions: recording one, notifying participants and completing the decision task."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.notification_kinds import person
from hrcore.selectors import employee_of
from hrcore.services.notifications import notification_send
from hrcore.services.outbox import outbox_enqueue
from hrcore.text import check_length

from .. import events
from ..choices import (
    TASK_ACTIVE_STATES,
    DecisionOption,
    DeliverableKind,
    ParticipantRole,
)
from ..models import (
    DECISION_MAX_LENGTH,
    Crisis,
    Decision,
    Deliverable,
    Task,
)
from ..selectors.access import can_decide
from ..selectors.people import crisis_participant_users
from .board import crisis_board_flags_refresh
from .common import (
    clean_option,
    crisis_link,
    event_payload,
    participant_add,
    require_open_crisis,
    require_visible,
)
from .obligations import obligations_sync
from .progress import finish_task, milestone_stamp


def _option_label(option: str, language: str) -> str:

    if option not in DecisionOption.values:
        return option
    with translation.override(language):
        return str(DecisionOption(option).label)


def decision_record(
    *, crisis: Crisis, text: str, option: str, task: Task | None, actor, at: datetime
) -> Decision:
    option = clean_option(option)
    decision = Decision.objects.create(
        crisis=crisis, task=task, text=text, option=option, made_by=actor, made_at=at
    )
    events.decision_made_event(decision=decision, actor=actor)
    obligations_sync(crisis, at=at)  # statutory clocks a decision starts (e.g. a layoff)
    milestone_stamp(crisis, "first_response_at", at)
    milestone_stamp(crisis, "decided_at", at)
    participant_add(crisis, employee_of(actor), ParticipantRole.EXECUTIVE)
    # The option as its code (shown as its label in the reader's language, never the code) and
    # the maker's name in both scripts.
    params = {
        "crisis_title": crisis.title,
        "maker": person(employee_of(actor), actor.get_username()),
        "text": text,
        "option": option or "",
    }
    for user in crisis_participant_users(crisis):
        notification_send(
            recipient=user,
            kind="crisis.decision",
            params=params,
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk, "decision_id": decision.pk},
            dedupe_key=f"crisis:{crisis.pk}:decision:{decision.pk}:{user.pk}",
        )
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:decision.made:{decision.pk}",
        payload=event_payload(
            crisis,
            "decision.made",
            {
                "decision_id": decision.pk,
                "text": text,
                "option": option,
                "made_by": actor.get_username(),
                "made_at": at.isoformat(),
            },
        ),
    )
    return decision


@transaction.atomic
def decision_make(*, crisis: Crisis, text: str, option: str = "", actor) -> Decision:
    """An executive decides; the decision is pushed to every participant and completes the
    crisis's open decision task."""
    crisis = Crisis.objects.select_for_update(of=("self",)).select_related("unit").get(pk=crisis.pk)
    require_visible(actor, crisis)
    if not can_decide(actor, crisis):
        raise PermissionDenied(_("Only executives can decide on a crisis."))
    require_open_crisis(crisis)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Write the decision."), errors={"text": _("This field is required.")}
        )
    errors: dict[str, str] = {}
    check_length(errors, "text", text, DECISION_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The decision is too long."), errors=errors)
    option = clean_option(option)
    now = timezone.now()
    decision_tasks = list(
        crisis.tasks.filter(
            deliverable_kind=DeliverableKind.DECISION, status__in=TASK_ACTIVE_STATES
        ).select_related("duty", "crisis", "assignee")
    )
    employee = employee_of(actor)
    # Prefer the decision task assigned to this executive, else any open decision task.
    decision_tasks.sort(key=lambda t: t.assignee_id != (employee.pk if employee else None))
    task = decision_tasks[0] if decision_tasks else None
    decision = decision_record(
        crisis=crisis, text=text, option=option, task=task, actor=actor, at=now
    )
    if task is not None:
        task.crisis = crisis
        deliverable = Deliverable.objects.create(
            task=task,
            kind=DeliverableKind.DECISION,
            note=text,
            decision=decision,
            submitted_by=actor,
            submitted_at=now,
        )
        finish_task(task, actor=actor, at=now, deliverable=deliverable)
    crisis_board_flags_refresh([crisis.pk])
    return decision
