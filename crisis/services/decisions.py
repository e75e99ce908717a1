"""Executive decisions: recording one, notifying participants and completing the decision task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
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
    DeliverableKind,
    ParticipantRole,
    TaskKind,
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
from .added_tasks import task_add
from .board import crisis_board_flags_refresh
from .common import (
    crisis_link,
    drill_marked,
    event_message,
    participant_add,
    require_open_crisis,
    require_visible,
)
from .ledger import OptionChoice, follow_up_rows, option_choice, superseded_decision
from .obligations import obligations_sync
from .progress import finish_task, milestone_stamp


def decision_record(
    *,
    crisis: Crisis,
    text: str,
    option: str | OptionChoice,
    task: Task | None,
    actor,
    at: datetime,
    **ledger,
) -> Decision:
    """Write the decision (its option checked against the crisis's map), its timeline event, the
    milestones, and tell every participant. ``ledger``: situation, rationale, review_by,
    supersedes (the Decision model's ledger fields)."""
    choice = option if isinstance(option, OptionChoice) else option_choice(crisis, option)
    decision = Decision.objects.create(
        crisis=crisis,
        task=task,
        text=text,
        option=choice.code,
        option_labels=choice.label,
        options_considered=choice.considered,
        made_by=actor,
        made_at=at,
        **ledger,
    )
    events.decision_made_event(decision=decision, actor=actor)
    obligations_sync(crisis, at=at)  # statutory clocks a decision starts (e.g. a layoff)
    milestone_stamp(crisis, "first_response_at", at)
    milestone_stamp(crisis, "decided_at", at)
    participant_add(crisis, employee_of(actor), ParticipantRole.EXECUTIVE)
    # The option as its code and its label in both languages (shown in the reader's language,
    # never the code) and the maker's name in both scripts.
    params = {
        "crisis_title": crisis.title,
        "maker": person(employee_of(actor), actor.get_username()),
        "text": text,
        "option": choice.code,
        "option_label": choice.label,
    }
    for user in crisis_participant_users(crisis):
        notification_send(
            recipient=user,
            kind="crisis.decision",
            params=drill_marked(crisis, params),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk, "decision_id": decision.pk},
            dedupe_key=f"crisis:{crisis.pk}:decision:{decision.pk}:{user.pk}",
        )
    outbox_enqueue(
        **event_message(
            crisis,
            "decision.made",
            {
                "decision_id": decision.pk,
                "text": text,
                "option": choice.code,
                "made_by": actor.get_username(),
                "made_at": at.isoformat(),
                "supersedes": decision.supersedes_id,
            },
            key=decision.pk,
        )
    )
    return decision


@transaction.atomic
def decision_make(
    *,
    crisis: Crisis,
    text: str,
    option: str = "",
    actor,
    situation: str = "",
    rationale: str = "",
    review_by: datetime | None = None,
    supersedes: Decision | int | None = None,
    follow_ups: Sequence[Mapping] | None = None,
    option_follow_ups: bool = False,
) -> Decision:
    """An executive decides; the decision is pushed to every participant and completes the
    crisis's open decision task. It may supersede an earlier decision of the crisis and spawn
    follow-up tasks (督办: ``[{"action", "assignee": <username or Employee>,
    "deadline_minutes"}]``, plus with ``option_follow_ups`` the ones the chosen map option
    foresees) on the duties' SLA engine. All or nothing: a bad follow-up row writes nothing."""
    crisis = (
        Crisis.objects.select_for_update(of=("self",))
        .select_related("unit", "filed_by")
        .get(pk=crisis.pk)
    )
    require_visible(actor, crisis)
    if not can_decide(actor, crisis):
        raise PermissionDenied(_("Only executives can decide on a crisis."))
    require_open_crisis(crisis)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Write the decision."), errors={"text": _("This field is required.")}
        )
    now = timezone.now()
    situation, rationale = (situation or "").strip(), (rationale or "").strip()
    errors: dict[str, str] = {}
    check_length(errors, "text", text, DECISION_MAX_LENGTH)
    check_length(errors, "situation", situation, DECISION_MAX_LENGTH)
    check_length(errors, "rationale", rationale, DECISION_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The decision is too long."), errors=errors)
    if review_by is not None and review_by <= now:
        raise ValidationFailed(
            _("The review time must be in the future."),
            errors={"review_by": _("Give a time after now.")},
        )
    choice = option_choice(crisis, option)
    earlier = superseded_decision(crisis, supersedes)
    rows = follow_up_rows(crisis, choice, follow_ups, actor=actor, foreseen=option_follow_ups)
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
        crisis=crisis,
        text=text,
        option=choice,
        task=task,
        actor=actor,
        at=now,
        situation=situation,
        rationale=rationale,
        review_by=review_by,
        supersedes=earlier,
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
    for row in rows:
        follow_up = task_add(
            crisis=crisis,
            kind=TaskKind.FOLLOW_UP,
            assignee=row.assignee,
            action=row.action,
            deadline_minutes=row.deadline_minutes,
            actor=actor,
        )
        follow_up.follow_up_of = decision
        follow_up.save(update_fields=["follow_up_of"])
    crisis_board_flags_refresh([crisis.pk])
    return decision
