"""Drills (issue 16 §1–2): stop one at once, and hand its participants' timings to the app that
keeps competency evidence."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, PermissionDenied
from hrcore.services.outbox import outbox_enqueue

from .. import events
from ..choices import TASK_OPEN_STATES, CrisisStatus, TaskStatus, TimerState
from ..hooks import drill_results
from ..models import Crisis, CrisisObligation, Task
from ..obligations import OBLIGATION_OPEN_STATES, ObligationState
from ..selectors.drills import drill_report, may_stop_drill
from .board import crisis_board_flags_refresh
from .common import event_payload, require_visible


def drill_results_record(crisis: Crisis, *, actor) -> int:
    """Each participant's timings as competency evidence for the duty's skills (the registered
    hook; none registered: nothing). Only tasks that were done count."""
    hook = drill_results()
    if hook is None or not crisis.is_drill:
        return 0
    report = drill_report(crisis)
    competencies = dict(Task.objects.filter(crisis=crisis).values_list("pk", "duty__competencies"))
    results = [
        {
            "employee_id": p.employee.pk,
            "task_id": p.task_id,
            "duty": p.duty,
            "competencies": list(competencies.get(p.task_id) or []),
            "deadline_s": p.deadline_s,
            "done_after_s": p.done_after_s,
            "late": p.late,
        }
        for p in report.participants
        if p.employee is not None and p.done_after_s is not None
    ]
    return hook.drill_results_record(crisis=crisis, results=results, actor=actor)


@transaction.atomic
def drill_stop(*, crisis: Crisis | int, actor) -> Crisis:
    """Stop a drill at once: every open task cancelled with its timer stopped, every statutory
    clock it started stopped, the drill closed (cancelled, "drill stopped") — nothing it started
    fires afterwards. HR admins and the executive over the drill's unit."""
    pk = crisis.pk if isinstance(crisis, Crisis) else crisis
    crisis = Crisis.objects.select_for_update(of=("self",)).select_related("unit").get(pk=pk)
    require_visible(actor, crisis)
    if not crisis.is_drill:
        raise Conflict(_("This is not a drill: close it as a crisis."), code="not_a_drill")
    if not may_stop_drill(actor, crisis):
        raise PermissionDenied(
            _("Only an HR admin or the unit's executive can stop a drill."), code="drill_stop"
        )
    if crisis.status != CrisisStatus.OPEN:
        raise Conflict(_("The drill is already over."), code="crisis_closed")
    now = timezone.now()
    open_tasks = list(crisis.tasks.filter(status__in=TASK_OPEN_STATES).select_related("crisis"))
    Task.objects.filter(pk__in=[t.pk for t in open_tasks]).update(
        status=TaskStatus.CANCELLED,
        timer_state=TimerState.STOPPED,
        escalate_at=None,
    )
    for task in open_tasks:
        events.task_cancelled_event(task=task, actor=actor, reason="drill stopped")
    CrisisObligation.objects.filter(crisis=crisis, state__in=OBLIGATION_OPEN_STATES).update(
        state=ObligationState.NOT_APPLICABLE,
        reason="drill stopped",
        filed_at=now,
        filed_by=actor,
        escalate_at=None,
    )
    crisis.status = CrisisStatus.CANCELLED
    crisis.outcome = _("Drill stopped.")
    crisis.closed_at, crisis.closed_by = now, actor
    crisis.save(update_fields=["status", "outcome", "closed_at", "closed_by"])
    events.crisis_closed_event(crisis=crisis, actor=actor, credited_ids=[], findings=[])
    drill_results_record(crisis, actor=actor)
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:crisis.closed:{crisis.pk}",
        payload=event_payload(crisis, "crisis.closed", {"status": crisis.status, "stopped": True}),
    )
    crisis_board_flags_refresh([crisis.pk])
    return crisis
