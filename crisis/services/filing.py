"""Filing a crisis: the checks, the crisis row and one task per duty of the responsibility map, in one transaction."""

from __future__ import annotations

import contextlib
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore import sla
from hrcore.choices import Role
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.inserts import insert_objects, pipelined
from hrcore.models import OrgUnit
from hrcore.selectors import (
    calendar_for_unit,
    employee_of,
    employee_with_unit,
    has_role,
    is_hr_admin,
)
from hrcore.services.notifications import NotificationSpec, notifications_create_many
from hrcore.services.outbox import outbox_fan_out
from hrcore.text import check_length, has_line_break
from responsibilities.models import Scenario
from responsibilities.selectors import published_map_for

from .. import events
from ..choices import (
    CrisisSource,
    ParticipantRole,
    Severity,
)
from ..drill_timing import MAX_DRILL_SPEED, drill_deadline
from ..models import (
    DESCRIPTION_MAX_LENGTH,
    Crisis,
    CrisisParticipant,
    Task,
)
from ..notifications import duty_action as _duty_action
from ..selectors.access import executive_scope
from ..selectors.filing import customer_for_filing
from ..selectors.people import duty_assignments
from ..task_state import board_flags
from .assignment import start_clock, task_assigned_spec
from .common import crisis_link, drill_marked, event_message, task_brief
from .obligations import obligations_sync
from .rollup import crisis_rollup_count_filed


def _may_file(actor, unit: OrgUnit) -> bool:
    if actor is None:  # automatic triggers
        return True
    if is_hr_admin(actor) or has_role(actor, Role.PARTNER):
        return True
    employee = employee_of(actor)
    if employee is None:
        return False
    if has_role(actor, Role.EXECUTIVE):
        return unit.path.startswith(executive_scope(employee).path)
    if has_role(actor, Role.MANAGER):
        # A manager files for anything in their own subsidiary (or group, at group level).
        own_ids = employee.unit.ancestor_ids()
        top = own_ids[-2] if len(own_ids) >= 2 else own_ids[-1]
        return str(top) in unit.path.strip("/").split("/")
    return False


def _file_tasks(*, crisis: Crisis, crisis_map, actor, source: str, now: datetime) -> list[Task]:
    """Every row of a new crisis after the crisis row itself, in a constant number of queries
    whatever the number of duties: assignees resolved in one pass, then one INSERT each for the
    tasks, the timeline, the participants and the notifications, and one outbox row that fans
    out (in the worker) into the partner event and the e-mails. No savepoint per row: the rows
    are new, so there is nothing to deduplicate; the caller's transaction keeps it all-or-nothing.
    """
    timeline = [events.crisis_filed_event(crisis=crisis, actor=actor, source=source, save=False)]
    filer = employee_of(actor) if actor is not None else None
    # Participants of a new crisis are written in one statement (filer first: their role wins).
    participants: dict[int, str] = {filer.pk: ParticipantRole.FILER} if filer else {}

    if "duties" in getattr(crisis_map, "_prefetched_objects_cache", {}):
        duties = list(crisis_map.duties.all())  # published_map_for loaded them, in order
    else:
        duties = list(crisis_map.duties.select_related("assignee_position").order_by("order", "id"))
    # Filing needs only each assignee's user (the notification's recipient) beside the person.
    assignments = duty_assignments(unit=crisis.unit, duties=duties, at=now, people_with=("user",))
    # The business calendar matters only to clocks that count business hours (most do not).
    needs_calendar = any(d.business_hours and not d.after for d in duties)
    calendar = calendar_for_unit(crisis.unit) if needs_calendar else sla.Calendar()
    tasks: list[Task] = []
    for assignment in assignments:
        duty = assignment.duty
        task = Task(
            crisis=crisis,
            duty=duty,
            duty_code=duty.code,
            deliverable_kind=duty.deliverable,
            deadline_minutes=drill_deadline(duty.deadline_minutes, crisis.drill_speed),
            warn_ratio=duty.warn_ratio,
            business_hours=duty.business_hours,
            after=list(duty.after or []),
            escalation=list(duty.escalation or []),
            order=duty.order,
            created_at=now,
            assignee=assignment.employee,
            assignee_gap=assignment.gap_reason is not None,
        )
        if not task.after:
            start_clock(task, at=now, calendar=calendar)
        tasks.append(task)
    insert_objects(tasks)

    notifications: list[NotificationSpec] = []
    link = crisis_link(crisis.pk)
    for task, assignment in zip(tasks, assignments, strict=True):
        timeline.append(events.task_created_event(task=task, actor=actor, save=False))
        if assignment.gap_reason is not None:
            # Nobody holds the role: the task went to the first resolvable escalation target
            # (the executive when the chain names none); the gap is flagged on the timeline.
            timeline.append(
                events.assignee_unresolved_event(
                    task=task,
                    reason=assignment.gap_reason,
                    fallback_id=task.assignee_id,
                    fallback_step=assignment.fallback_step,
                    save=False,
                )
            )
        if task.started_at:
            timeline.append(events.clock_started_event(task=task, at=now, save=False))
        if task.assignee_id:
            participants.setdefault(task.assignee_id, ParticipantRole.ASSIGNEE)
            notifications.append(task_assigned_spec(task, crisis, link=link))
    if filer is not None:
        notifications.append(
            NotificationSpec(
                recipient=filer.user,
                kind="crisis.filed",
                params=drill_marked(
                    crisis,
                    {"crisis_title": crisis.title, "actions": [_duty_action(t) for t in tasks]},
                ),
                link=link,
                data={"crisis_id": crisis.pk},
                dedupe_key=f"crisis:{crisis.pk}:filed:{filer.user_id}",
                email=False,
            )
        )
    event = event_message(
        crisis,
        "crisis.filed",
        {
            "scenario": crisis.scenario.code,
            "title": crisis.title,
            "severity": crisis.severity,
            "unit": crisis.unit.code,
            "customer": crisis.customer.external_id if crisis.customer_id else None,
            "map_version": crisis.map_version,
            "source": source,
            "tasks": [task_brief(t) for t in tasks],
        },
        key=crisis.pk,
    )
    # Sent without waiting for each answer (PostgreSQL): only the notifications' keys are read
    # back (the e-mails name them), so the four inserts cost two round trips.
    with pipelined():
        events.record_all(timeline, keys=False)
        insert_objects(
            [
                CrisisParticipant(crisis=crisis, employee_id=pk, role=role, added_at=now)
                for pk, role in participants.items()
            ],
            ignore_conflicts=True,
            keys=False,
        )
        emails = notifications_create_many(notifications)
        # The partner event first: it also requests the dossier, which should not wait for
        # e-mails.
        outbox_fan_out(
            dedupe_key=f"fanout:crisis.filed:{crisis.pk}",
            messages=[event, *emails],
            crisis_id=crisis.pk,
            keys=False,
        )
    return tasks


@transaction.atomic
def crisis_file(
    *,
    scenario: str,
    title: str,
    description: str = "",
    unit: OrgUnit | None = None,
    customer_external_id: str | None = None,
    severity: str | None = None,
    actor,
    source: str = CrisisSource.WEB,
    idempotency_key: str | None = None,
    drill: bool = False,
    drill_speed: int = 1,
) -> Crisis:
    """File a crisis: freeze the published map, one task per duty with its resolved assignee,
    start the clocks of duties without prerequisites, notify everyone (in-app, e-mail, outbox
    event ``crisis.filed``). Replaying ``idempotency_key`` returns the crisis filed the first time.

    ``drill``: a drill (issue 16) — only an HR admin (or an automatic trigger) starts one; its
    deadlines run ``drill_speed`` times faster (each divided by it, at least a minute).
    """

    stored_key = f"{source}:{idempotency_key}" if idempotency_key else ""
    if stored_key:
        existing = Crisis.objects.filter(idempotency_key=stored_key).first()
        if existing is not None:
            return existing

    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Say in a few words what is happening.")
    elif len(title) > 200:
        errors["title"] = _("At most 200 characters.")
    elif has_line_break(title):
        # The title is the subject of every e-mail about the crisis: one line only.
        errors["title"] = _("The title must be one line, without line breaks.")
    description = description or ""
    check_length(errors, "description", description, DESCRIPTION_MAX_LENGTH)
    if source not in CrisisSource.values:
        errors["source"] = _("Unknown source.")
    # The filer with their unit in one query (the permission check and the default unit need it).
    employee = employee_with_unit(actor) if actor is not None else None
    if unit is None:
        if employee is None:
            errors["unit"] = _("Say which org unit the crisis concerns.")
        else:
            unit = employee.unit
    customer = None
    if customer_external_id:
        # Only a customer in the filer's and the crisis unit's scope (see the selector).
        customer = customer_for_filing(actor, customer_external_id, unit=unit)
        if customer is None:
            errors["customer"] = _("Unknown customer “%(id)s”.") % {"id": customer_external_id}
        elif unit is None:
            unit = customer.unit
    # The map in force comes with its scenario (one query fewer); the scenario alone is read
    # only when there is no map, to tell an unknown scenario from a unit without a map.
    crisis_map = published_map_for(scenario=scenario, unit=unit) if scenario and unit else None
    scenario_obj = crisis_map.scenario if crisis_map is not None else None
    if scenario_obj is None and scenario:
        scenario_obj = Scenario.objects.filter(code=scenario).first()
    if scenario_obj is None:
        errors["scenario"] = _("Unknown scenario “%(code)s”.") % {"code": scenario or ""}
    if severity and severity not in Severity.values:
        errors["severity"] = _("Severity must be one of: %(choices)s.") % {
            "choices": ", ".join(Severity.values)
        }
    if not drill and drill_speed != 1:
        errors["speed"] = _("Only a drill runs on a faster clock.")
    if drill and not (isinstance(drill_speed, int) and 1 <= drill_speed <= MAX_DRILL_SPEED):
        errors["speed"] = _("The drill speed is a whole number from 1 to %(max)s.") % {
            "max": MAX_DRILL_SPEED
        }
    if errors:
        raise ValidationFailed(_("The crisis cannot be filed."), errors=errors)
    if drill and actor is not None and not is_hr_admin(actor):
        raise PermissionDenied(_("Only an HR admin may start a drill."), code="drill_not_allowed")
    if actor is not None and not _may_file(actor, unit):
        raise PermissionDenied(_("You may not file a crisis for this unit."))
    if crisis_map is None:
        raise ValidationFailed(
            _("There is no published responsibility map for “%(scenario)s” in %(unit)s.")
            % {"scenario": scenario_obj.name, "unit": unit.name},
            errors={"scenario": _("No published map for this unit.")},
            code="no_published_map",
        )

    now = timezone.now()
    # Without a key nothing can clash with the insert: no savepoint is needed to catch it.
    guard = transaction.atomic() if stored_key else contextlib.nullcontext()
    try:
        with guard:
            crisis = Crisis(
                scenario=scenario_obj,
                map=crisis_map,
                map_version=crisis_map.version,
                unit=unit,
                customer=customer,
                title=title,
                description=description or "",
                severity=severity or scenario_obj.default_severity or Severity.MEDIUM,
                source=source,
                idempotency_key=stored_key,
                filed_by=actor if actor is not None and actor.is_authenticated else None,
                filed_at=now,
                is_drill=bool(drill),
                drill_speed=drill_speed if drill else 1,
            )
            insert_objects([crisis])
        # A crisis just made has no walk-in consumer (the walk-in service adds one after):
        # rendering it need not ask.
        Crisis._meta.get_field("walk_in").set_cached_value(crisis, None)
    except IntegrityError:
        # A concurrent replay of the same key won the race.
        existing = Crisis.objects.filter(idempotency_key=stored_key).first()
        if existing is None:
            raise
        return existing

    # ``filed_tasks``: a snapshot of the tasks just written, in order, so the API can answer
    # without reading them back (``crisis.tasks`` still reads the database).
    crisis.filed_tasks = _file_tasks(
        crisis=crisis, crisis_map=crisis_map, actor=actor, source=source, now=now
    )
    obligations_sync(
        crisis, at=now, fresh=True
    )  # the statutory clocks its filing and severity start
    # The board flags from the tasks just made (the rule of ``crisis_board_flags_refresh``, in
    # memory): written only when they differ from the new row's defaults — an open decision.
    flags = board_flags(crisis.filed_tasks, now)
    if flags != (crisis.decision_pending, crisis.urgency):
        crisis.decision_pending, crisis.urgency = flags
        Crisis.objects.filter(pk=crisis.pk).update(decision_pending=flags[0], urgency=flags[1])
    crisis_rollup_count_filed(crisis, crisis.filed_tasks, now=now)  # counted on its day
    return crisis
