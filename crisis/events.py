"""One function per timeline event kind (after saleor's ``order/events.py``).

Events are appended inside the business transaction of the service that caused them and never
change afterwards. ``data`` holds only JSON-safe facts (ids, codes, ISO times, short texts).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hrcore.inserts import insert_objects

from .choices import EventKind
from .models import Crisis, Decision, Task, TimelineEvent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event(
    crisis: Crisis | int,
    kind: str,
    *,
    task: Task | None = None,
    actor=None,
    at: datetime | None = None,
    data: dict | None = None,
    save: bool = True,
) -> TimelineEvent:
    crisis_id = crisis if isinstance(crisis, int) else crisis.pk
    event = TimelineEvent(
        crisis_id=crisis_id,
        task=task,
        kind=kind,
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        data=data or {},
    )
    if save:
        event.save(force_insert=True)
    return event


def record_all(events: list[TimelineEvent], *, keys: bool = True) -> list[TimelineEvent]:
    """Append events built with ``save=False`` in one INSERT (a filing writes a dozen at once).
    ``keys=False``: their primary keys are not read back (see ``insert_objects``)."""
    return insert_objects(events, keys=keys)


def crisis_filed_event(*, crisis: Crisis, actor, source: str, save: bool = True) -> TimelineEvent:
    return _event(
        crisis,
        EventKind.FILED,
        actor=actor,
        at=crisis.filed_at,
        data={
            "scenario": crisis.scenario.code,
            "map_id": crisis.map_id,
            "map_version": crisis.map_version,
            "unit": crisis.unit.code,
            "severity": crisis.severity,
            "source": source,
        },
        save=save,
    )


def task_created_event(*, task: Task, actor, save: bool = True) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_CREATED,
        task=task,
        actor=actor,
        at=task.created_at,
        data={
            "duty": task.duty_code,
            "assignee_id": task.assignee_id,
            "assignee": task.assignee.name if task.assignee else None,
            "status": task.status,
        },
        save=save,
    )


def assignee_unresolved_event(
    *,
    task: Task,
    reason: str,
    fallback_id: int | None,
    fallback_step: str | None,
    save: bool = True,
) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.ASSIGNEE_UNRESOLVED,
        task=task,
        at=task.created_at,
        data={
            "duty": task.duty_code,
            "reason": reason,
            "fallback_assignee_id": fallback_id,
            "fallback_step": fallback_step,
        },
        save=save,
    )


def clock_started_event(*, task: Task, at: datetime, save: bool = True) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.CLOCK_STARTED,
        task=task,
        at=at,
        data={"duty": task.duty_code, "warn_at": _iso(task.warn_at), "due_at": _iso(task.due_at)},
        save=save,
    )


def task_acknowledged_event(*, task: Task, actor) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_ACKNOWLEDGED,
        task=task,
        actor=actor,
        at=task.acknowledged_at,
        data={"duty": task.duty_code},
    )


def task_completed_event(*, task: Task, actor, deliverable_id: int, late: bool) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_COMPLETED,
        task=task,
        actor=actor,
        at=task.completed_at,
        data={
            "duty": task.duty_code,
            "deliverable_id": deliverable_id,
            "deliverable": task.deliverable_kind,
            "late": late,
        },
    )


def task_reassigned_event(
    *,
    task: Task,
    actor,
    from_id: int | None,
    to_id: int,
    delegated: bool,
    reason: str,
    handover: bool = False,
) -> TimelineEvent:
    data = {"duty": task.duty_code, "from_id": from_id, "to_id": to_id, "reason": reason}
    if handover:
        data["handover"] = True  # an HR handover (an employee leaving), not a crisis decision
    return _event(
        task.crisis_id,
        EventKind.TASK_DELEGATED if delegated else EventKind.TASK_REASSIGNED,
        task=task,
        actor=actor,
        data=data,
    )


def task_cancelled_event(*, task: Task, actor, reason: str) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_CANCELLED,
        task=task,
        actor=actor,
        data={"duty": task.duty_code, "reason": reason},
    )


def task_commented_event(*, task: Task, actor, comment_id: int) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_COMMENTED,
        task=task,
        actor=actor,
        data={"duty": task.duty_code, "comment_id": comment_id},
    )


def task_paused_event(*, task: Task, actor, reason: str) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_PAUSED,
        task=task,
        actor=actor,
        at=task.paused_at,
        data={"duty": task.duty_code, "reason": reason},
    )


def task_resumed_event(*, task: Task, actor, paused_seconds: int, at: datetime) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_RESUMED,
        task=task,
        actor=actor,
        at=at,
        data={
            "duty": task.duty_code,
            "paused_seconds": paused_seconds,
            "due_at": _iso(task.due_at),
        },
    )


def task_warning_event(
    *, task: Task, at: datetime, fired_at: datetime, late: bool = False, save: bool = True
) -> TimelineEvent:
    data = {
        "duty": task.duty_code,
        "warn_at": _iso(at),
        "due_at": _iso(task.due_at),
        "assignee_id": task.assignee_id,
    }
    if late:  # held up by an outage: fired after its time, said so
        data["late"] = True
        data["late_seconds"] = int((fired_at - at).total_seconds())
    return _event(
        task.crisis_id, EventKind.TASK_WARNING, task=task, at=fired_at, data=data, save=save
    )


def warning_superseded_event(
    *, task: Task, at: datetime, fired_at: datetime, save: bool = True
) -> TimelineEvent:
    """The warning's time and the deadline both passed during an outage: no warning was sent,
    the breach took its place."""
    return _event(
        task.crisis_id,
        EventKind.WARNING_SUPERSEDED,
        task=task,
        at=fired_at,
        data={
            "duty": task.duty_code,
            "warn_at": _iso(at),
            "due_at": _iso(task.due_at),
            "assignee_id": task.assignee_id,
        },
        save=save,
    )


def task_breached_event(
    *, task: Task, at: datetime, fired_at: datetime, save: bool = True
) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_BREACHED,
        task=task,
        at=fired_at,
        data={"duty": task.duty_code, "due_at": _iso(at), "assignee_id": task.assignee_id},
        save=save,
    )


def task_escalated_event(
    *,
    task: Task,
    step: int,
    target: str,
    target_id: int | None,
    fired_at: datetime,
    save: bool = True,
) -> TimelineEvent:
    return _event(
        task.crisis_id,
        EventKind.TASK_ESCALATED,
        task=task,
        at=fired_at,
        data={
            "duty": task.duty_code,
            "step": step,
            "target": target,
            "target_id": target_id,
        },
        save=save,
    )


def decision_made_event(*, decision: Decision, actor) -> TimelineEvent:
    return _event(
        decision.crisis_id,
        EventKind.DECISION_MADE,
        task=decision.task,
        actor=actor,
        at=decision.made_at,
        data={
            "decision_id": decision.pk,
            "text": decision.text[:500],
            "option": decision.option,
            "option_label": decision.option_labels,
            "supersedes": decision.supersedes_id,
        },
    )


def complaint_decided_event(*, crisis: Crisis, actor, outcome: str, note: str) -> TimelineEvent:
    """The walk-in complaint of ``crisis`` decided: its outcome and the reason given."""
    return _event(
        crisis, EventKind.COMPLAINT_DECIDED, actor=actor, data={"outcome": outcome, "note": note}
    )


def participant_invited_event(*, crisis: Crisis, actor, user_id: int) -> TimelineEvent:
    return _event(crisis, EventKind.PARTICIPANT_INVITED, actor=actor, data={"user_id": user_id})


def crisis_closed_event(
    *, crisis: Crisis, actor, credited_ids: list[int] = (), findings: list[dict] = ()
) -> TimelineEvent:
    return _event(
        crisis,
        EventKind.CLOSED,
        actor=actor,
        at=crisis.closed_at,
        data={
            "status": crisis.status,
            "outcome": crisis.outcome[:500],
            "credited_ids": list(credited_ids),
            "findings": [
                {"employee_id": f["employee_id"], "competency": f["competency"]} for f in findings
            ],
        },
    )


def reach_step_event(*, crisis_id: int, data: dict) -> TimelineEvent:
    """The escalation ladder tried another channel (or told the manager) because a message
    was not acknowledged in time (issue 13: ``hrcore.reach.ladder_sweep``)."""
    return _event(crisis_id, EventKind.REACH_STEP, data=data)


# --- Changing course (issue 15 §4) ----------------------------------------------------------


def severity_changed_event(
    *,
    crisis: Crisis,
    actor,
    old: str,
    new: str,
    old_factor: float,
    new_factor: float,
    tasks: list[dict],
    at: datetime,
) -> TimelineEvent:
    """``tasks``: each open task re-timed, ``{"task_id", "duty", "old_minutes", "new_minutes",
    "old_due_at", "new_due_at"}`` (due times None while a clock has not started)."""
    return _event(
        crisis,
        EventKind.SEVERITY_CHANGED,
        actor=actor,
        at=at,
        data={
            "from": old,
            "to": new,
            "old_factor": old_factor,
            "new_factor": new_factor,
            "tasks": tasks,
        },
    )


def participant_uninvited_event(*, crisis: Crisis, actor, user_id: int) -> TimelineEvent:
    return _event(crisis, EventKind.PARTICIPANT_UNINVITED, actor=actor, data={"user_id": user_id})


def crisis_linked_event(
    *, crisis: Crisis, other: Crisis, actor, reason: str, linked: bool
) -> TimelineEvent:
    return _event(
        crisis,
        EventKind.CRISIS_LINKED if linked else EventKind.CRISIS_UNLINKED,
        actor=actor,
        data={"other_id": other.pk, "reason": reason},
    )


def crisis_reopened_event(*, crisis: Crisis, actor, at: datetime, data: dict) -> TimelineEvent:
    return _event(crisis, EventKind.REOPENED, actor=actor, at=at, data=data)


def status_update_event(*, crisis: Crisis, actor, update_id: int, body: str, at) -> TimelineEvent:
    return _event(
        crisis,
        EventKind.STATUS_UPDATE,
        actor=actor,
        at=at,
        data={"status_update_id": update_id, "text": body[:500]},
    )


def status_update_overdue_event(
    *, crisis: Crisis, due_at: datetime, fired_at: datetime, every_minutes: int
) -> TimelineEvent:
    return _event(
        crisis,
        EventKind.STATUS_UPDATE_OVERDUE,
        at=fired_at,
        data={"due_at": _iso(due_at), "every_minutes": every_minutes},
    )
