"""Every write of the crisis engine: filing, tasks, deliverables, decisions, closure, the SLA sweep
and the automatic triggers over customers.

Pattern (ENGINEERING §2/§3): validate → write → timeline event → notification and outbox rows in
the same transaction (the relay delivers them after commit and retries; nothing is lost if a
process dies). Timers live in the database and are moved by compare-and-set updates.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.choices import Role
from hrcore.errors import Conflict, KeelError, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Employee, OrgUnit
from hrcore.selectors import employee_of, has_role, is_hr_admin, resolve_assignee
from hrcore.services.notifications import (
    NotificationSpec,
    notification_send,
    notifications_create_many,
)
from hrcore.services.outbox import outbox_enqueue, outbox_fan_out
from hrcore.text import has_line_break, single_line

from . import events, metrics, sla
from .choices import (
    EXECUTIVE_POSITION,
    TASK_ACTIVE_STATES,
    TASK_OPEN_STATES,
    TIMER_TICKING_STATES,
    CrisisSource,
    CrisisStatus,
    DecisionOption,
    DeliverableKind,
    ParticipantRole,
    Severity,
    TaskStatus,
    TimerState,
    TriggerAction,
    TriggerKind,
)
from .models import (
    COMMENT_MAX_LENGTH,
    DECISION_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    OUTCOME_MAX_LENGTH,
    BusinessCalendar,
    Crisis,
    CrisisParticipant,
    Decision,
    Deliverable,
    Task,
    TaskComment,
    TriggerAlert,
    TriggerRule,
)
from .selectors import (
    can_decide,
    can_manage,
    crises_visible_to,
    crisis_participant_users,
    crisis_people,
    crisis_task_facts,
    customer_for_filing,
    duty_assignments,
    may_hold_decision,
)

logger = logging.getLogger(__name__)
User = get_user_model()

# Upload limits for deliverable files (overridable in settings).
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
ALLOWED_UPLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
}
# Leading bytes of the binary types: a renamed executable is refused.
MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}
SWEEP_BATCH = 200


def _upload_max_bytes() -> int:
    return int(getattr(settings, "KEEL_CRISIS_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _too_long(errors: dict, field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[field] = _("At most %(n)d characters.") % {"n": limit}


def _clean_option(option: str | None) -> str:
    """A decision's chosen option: empty or one of ``DecisionOption``."""
    option = (option or "").strip()
    if option and option not in DecisionOption.values:
        raise ValidationFailed(
            _("Unknown decision option “%(option)s”.") % {"option": option[:50]},
            errors={
                "option": _("Choose one of: %(options)s.")
                % {"options": ", ".join(DecisionOption.values)}
            },
        )
    return option


def crisis_link(crisis_id: int) -> str:
    try:
        return reverse("crisis:detail", args=[crisis_id])
    except NoReverseMatch:
        return f"/crises/{crisis_id}/"


def _fmt_time(moment: datetime | None, tz_name: str) -> str:
    if moment is None:
        return "—"
    return timezone.localtime(moment, sla.Calendar(time_zone=tz_name).zone).strftime(
        "%Y-%m-%d %H:%M"
    )


# --- Calendars -----------------------------------------------------------------------------


def calendar_for_unit(unit: OrgUnit) -> sla.Calendar:
    """The business calendar of ``unit`` or its nearest ancestor; Monday–Friday 9:00–18:00 in the
    unit's time zone when none is configured."""
    ids = unit.ancestor_ids()
    calendars = {
        c.unit_id: c
        for c in BusinessCalendar.objects.filter(unit_id__in=ids).prefetch_related("holidays")
    }
    for unit_id in ids:
        calendar = calendars.get(unit_id)
        if calendar is not None:
            return sla.calendar_from_rows(
                time_zone=calendar.time_zone,
                working_days=calendar.working_days,
                day_start=calendar.day_start,
                day_end=calendar.day_end,
                holidays=[(h.date, h.is_working_day) for h in calendar.holidays.all()],
            )
    return sla.Calendar(time_zone=unit.time_zone or settings.TIME_ZONE)


@transaction.atomic
def business_calendar_save(
    *,
    unit: OrgUnit,
    time_zone: str = "Asia/Shanghai",
    working_days: Iterable[int] = (0, 1, 2, 3, 4),
    day_start=None,
    day_end=None,
    holidays: Iterable[tuple[date, str, str, bool]] = (),
    name: str = "",
    actor=None,
) -> BusinessCalendar:
    """Create or replace the calendar of ``unit``; holidays are (date, zh, en, is_working_day)."""
    from datetime import time as dtime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    errors: dict[str, str] = {}
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Unknown time zone “%(tz)s”.") % {"tz": time_zone}
    days = sorted({int(d) for d in working_days})
    if any(d < 0 or d > 6 for d in days):
        errors["working_days"] = _("Weekdays are numbered 0 (Monday) to 6 (Sunday).")
    day_start = day_start or dtime(9, 0)
    day_end = day_end or dtime(18, 0)
    if day_end <= day_start:
        errors["day_end"] = _("The working day must end after it starts.")
    if errors:
        raise ValidationFailed(_("The business calendar is not valid."), errors=errors)
    calendar, _created = BusinessCalendar.objects.update_or_create(
        unit=unit,
        defaults={
            "name": name,
            "time_zone": time_zone,
            "working_days": days,
            "day_start": day_start,
            "day_end": day_end,
        },
    )
    calendar.holidays.all().delete()
    for day, zh, en, is_working in holidays:
        calendar.holidays.create(date=day, name_zh=zh, name_en=en, is_working_day=is_working)
    return calendar


# --- Filing --------------------------------------------------------------------------------


def _may_file(actor, unit: OrgUnit) -> bool:
    if actor is None:  # automatic triggers
        return True
    if is_hr_admin(actor) or has_role(actor, Role.PARTNER):
        return True
    employee = employee_of(actor)
    if employee is None:
        return False
    if has_role(actor, Role.EXECUTIVE):
        from .selectors import executive_scope

        return unit.path.startswith(executive_scope(employee).path)
    if has_role(actor, Role.MANAGER):
        # A manager files for anything in their own subsidiary (or group, at group level).
        own_ids = employee.unit.ancestor_ids()
        top = own_ids[-2] if len(own_ids) >= 2 else own_ids[-1]
        return str(top) in unit.path.strip("/").split("/")
    return False


def _participant_add(crisis: Crisis, employee: Employee | None, role: str) -> None:
    if employee is None:
        return
    CrisisParticipant.objects.get_or_create(
        crisis=crisis, employee=employee, defaults={"role": role}
    )


def _resolve_escalation_target(
    step: str, *, task: Task, crisis: Crisis, at: datetime
) -> Employee | None:
    """The person an escalation step points at, or None when it cannot be resolved."""
    try:
        if step == "manager":
            if task.assignee_id and task.assignee.manager_id:
                return Employee.objects.select_related("user").get(pk=task.assignee.manager_id)
            return None
        if step == "executive":
            return resolve_assignee(unit=crisis.unit, position=EXECUTIVE_POSITION, at=at).employee
        if step.startswith("position:"):
            return resolve_assignee(
                unit=crisis.unit, position=step.split(":", 1)[1], at=at
            ).employee
    except KeelError:
        return None
    return None


def _start_clock(task: Task, *, at: datetime, calendar: sla.Calendar) -> None:
    deadlines = sla.deadlines_for(
        started_at=at,
        deadline_minutes=task.deadline_minutes,
        warn_ratio=task.warn_ratio,
        business_hours=task.business_hours,
        calendar=calendar,
    )
    task.status = TaskStatus.OPEN
    task.started_at = at
    task.warn_at = deadlines.warn_at
    task.due_at = deadlines.due_at
    task.timer_state = TimerState.RUNNING


def _task_assigned_spec(
    task: Task, crisis: Crisis, *, reason: str = "assigned"
) -> NotificationSpec:
    tz = task.assignee.time_zone
    due = _fmt_time(task.due_at, tz)
    # Duty actions are whole sentences ("…解决方案。"); the message adds its own ending.
    action_zh = (task.duty.action_zh or task.duty_code).rstrip("。.！!；; ")
    action_en = (task.duty.action_en or task.duty_code).rstrip(".!; ")
    if task.status == TaskStatus.WAITING:
        body = (
            f"{action_zh}。前置任务完成后开始计时。",
            f"{action_en}. The clock starts when the prerequisites are done.",
        )
    else:
        body = (f"{action_zh}，截止 {due}。", f"{action_en} — due {due}.")
    return NotificationSpec(
        recipient=task.assignee.user,
        kind="crisis.task",
        subject=(f"危机任务：{crisis.title}", f"Crisis task: {crisis.title}"),
        body=body,
        link=crisis_link(crisis.pk),
        data={"crisis_id": crisis.pk, "task_id": task.pk},
        dedupe_key=f"crisis:task:{task.pk}:{reason}:{task.assignee_id}:{task.status}",
    )


def _notify_task_assigned(task: Task, crisis: Crisis, *, reason: str = "assigned") -> None:
    if task.assignee is None:
        return
    spec = _task_assigned_spec(task, crisis, reason=reason)
    notification_send(
        recipient=spec.recipient,
        kind=spec.kind,
        subject=spec.subject,
        body=spec.body,
        link=spec.link,
        data=spec.data,
        dedupe_key=spec.dedupe_key,
    )


def _event_payload(crisis: Crisis, name: str, data: dict) -> dict:
    return {"event": name, "crisis_id": crisis.pk, "data": data}


def _task_brief(task: Task) -> dict:
    return {
        "id": task.pk,
        "duty": task.duty_code,
        "status": task.status,
        "assignee_id": task.assignee_id,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


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
    assignments = duty_assignments(unit=crisis.unit, duties=duties, at=now)
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
            deadline_minutes=duty.deadline_minutes,
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
            _start_clock(task, at=now, calendar=calendar)
        tasks.append(task)
    Task.objects.bulk_create(tasks)

    notifications: list[NotificationSpec] = []
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
            notifications.append(_task_assigned_spec(task, crisis))
    events.record_all(timeline)

    CrisisParticipant.objects.bulk_create(
        [
            CrisisParticipant(crisis=crisis, employee_id=pk, role=role, added_at=now)
            for pk, role in participants.items()
        ],
        ignore_conflicts=True,
    )
    if filer is not None:
        lines_zh = [f"{t.duty.action_zh or t.duty_code}" for t in tasks]
        lines_en = [f"{t.duty.action_en or t.duty_code}" for t in tasks]
        notifications.append(
            NotificationSpec(
                recipient=filer.user,
                kind="crisis.filed",
                subject=(f"已提交危机：{crisis.title}", f"Crisis filed: {crisis.title}"),
                body=("；".join(lines_zh), "; ".join(lines_en)),
                link=crisis_link(crisis.pk),
                data={"crisis_id": crisis.pk},
                dedupe_key=f"crisis:{crisis.pk}:filed:{filer.user_id}",
                email=False,
            )
        )
    emails = notifications_create_many(notifications)
    event = {
        "channel": "event",
        "dedupe_key": f"event:crisis.filed:{crisis.pk}",
        "payload": _event_payload(
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
                "tasks": [_task_brief(t) for t in tasks],
            },
        ),
    }
    # The partner event first: it also requests the dossier, which should not wait for e-mails.
    outbox_fan_out(
        dedupe_key=f"fanout:crisis.filed:{crisis.pk}",
        messages=[event, *emails],
        crisis_id=crisis.pk,
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
) -> Crisis:
    """File a crisis: freeze the published map, one task per duty with its resolved assignee,
    start the clocks of duties without prerequisites, notify everyone (in-app, e-mail, outbox
    event ``crisis.filed``). Replaying ``idempotency_key`` returns the crisis filed the first time.
    """
    from responsibilities.models import Scenario
    from responsibilities.selectors import published_map_for

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
    _too_long(errors, "description", description, DESCRIPTION_MAX_LENGTH)
    scenario_obj = Scenario.objects.filter(code=scenario).first() if scenario else None
    if scenario_obj is None:
        errors["scenario"] = _("Unknown scenario “%(code)s”.") % {"code": scenario or ""}
    if source not in CrisisSource.values:
        errors["source"] = _("Unknown source.")
    if unit is None:
        employee = employee_of(actor) if actor is not None else None
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
    if severity and severity not in Severity.values:
        errors["severity"] = _("Severity must be one of: %(choices)s.") % {
            "choices": ", ".join(Severity.values)
        }
    if errors:
        raise ValidationFailed(_("The crisis cannot be filed."), errors=errors)
    if actor is not None and not _may_file(actor, unit):
        raise PermissionDenied(_("You may not file a crisis for this unit."))
    crisis_map = published_map_for(scenario=scenario_obj, unit=unit)
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
            crisis = Crisis.objects.create(
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
            )
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
    crisis_board_flags_refresh([crisis.pk])
    return crisis


# --- Board flags (issue 12): kept on the crisis row so the board orders and counts by index ---


def crisis_board_flags_refresh(crisis_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute ``decision_pending`` and ``urgency`` of these crises from their tasks, in one
    UPDATE (the rules of the board's task colours, ``crisis.views.task_state``): a decision
    task still open or acknowledged; 0 = a live task breached (its breach fired or its due time
    passed), 1 = a warning, 2 = on track. Called by every service that changes a task's state
    or clock and by the sweep when a timer fires."""
    from django.db.models import Case, Exists, OuterRef, Value, When

    now = now or timezone.now()
    ids = [i for i in crisis_ids if i is not None]
    if not ids:
        return 0
    live = Task.objects.filter(
        crisis=OuterRef("pk"), status__in=TASK_ACTIVE_STATES, paused_at__isnull=True
    ).exclude(timer_state=TimerState.PAUSED)
    breached = Exists(live.filter(Q(timer_state=TimerState.BREACHED) | Q(due_at__lte=now)))
    warned = Exists(live.filter(Q(timer_state=TimerState.WARNED) | Q(warn_at__lte=now)))
    return Crisis.objects.filter(pk__in=ids).update(
        decision_pending=Exists(
            Task.objects.filter(
                crisis=OuterRef("pk"),
                deliverable_kind=DeliverableKind.DECISION,
                status__in=TASK_ACTIVE_STATES,
            )
        ),
        urgency=Case(When(breached, then=Value(0)), When(warned, then=Value(1)), default=Value(2)),
    )


# --- Tasks ---------------------------------------------------------------------------------


# --- Milestones (crisis.metrics): stamped on the crisis row by the service that reaches them ---


def _milestone_stamp(crisis: Crisis, field: str, at: datetime) -> None:
    """Record a "first time" milestone (first response, first decision): a compare-and-set
    update that keeps the earliest time, in the caller's transaction."""
    Crisis.objects.filter(pk=crisis.pk).filter(
        Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": at})
    ).update(**{field: at})
    current = getattr(crisis, field, None)
    if current is None or current > at:
        setattr(crisis, field, at)


def _all_info_refresh(crisis: Crisis) -> None:
    """Re-judge "all information in" after a task is done or cancelled (cancelling the last
    missing information task reaches it too). Callers hold the crisis row lock, so concurrent
    completions of the last two tasks see each other."""
    at = metrics.all_information_at(crisis_task_facts(crisis.pk))
    Crisis.objects.filter(pk=crisis.pk).update(all_info_at=at)
    crisis.all_info_at = at


def _lock_task(task: Task | int) -> Task:
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


def _require_visible(user, crisis: Crisis) -> None:
    if not crises_visible_to(user).filter(pk=crisis.pk).exists():
        raise NotFound(_("Not found, or not visible to you."))


def _require_open_crisis(crisis: Crisis) -> None:
    if crisis.status != CrisisStatus.OPEN:
        raise Conflict(_("The crisis is closed."), code="crisis_closed")


def _is_assignee(user, task: Task) -> bool:
    employee = employee_of(user)
    return employee is not None and task.assignee_id == employee.pk


def _require_decider(task: Task, employee: Employee | None) -> None:
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


@transaction.atomic
def task_acknowledge(*, task: Task, actor) -> Task:
    """The assignee says "on it" (first response)."""
    task = _lock_task(task)
    _require_visible(actor, task.crisis)
    if not _is_assignee(actor, task):
        raise PermissionDenied(_("Only the assignee can acknowledge this task."))
    _require_open_crisis(task.crisis)
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
    _milestone_stamp(task.crisis, "first_response_at", task.acknowledged_at)
    return task


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB"


def _validate_upload(file: UploadedFile) -> tuple[str, str]:
    name = os.path.basename(file.name or "")
    ext = os.path.splitext(name)[1].lower()
    max_bytes = _upload_max_bytes()
    if ext not in ALLOWED_UPLOAD_TYPES:
        raise ValidationFailed(
            _("Files of type “%(ext)s” are not accepted. Use: %(allowed)s.")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(ALLOWED_UPLOAD_TYPES))},
            errors={"file": _("File type not accepted.")},
        )
    if file.size is None or file.size > max_bytes:
        raise ValidationFailed(
            _("The file is larger than the limit of %(limit)s.") % {"limit": _size(max_bytes)},
            errors={"file": _("File too large.")},
        )
    if file.size == 0:
        raise ValidationFailed(_("The file is empty."), errors={"file": _("File is empty.")})
    head = file.read(8)
    file.seek(0)
    signatures = MAGIC.get(ext)
    if signatures and not any(head.startswith(sig) for sig in signatures):
        raise ValidationFailed(
            _("The file's content does not match its “%(ext)s” extension.") % {"ext": ext},
            errors={"file": _("Content does not match the file type.")},
        )
    return name, ALLOWED_UPLOAD_TYPES.get(ext) or mimetypes.guess_type(name)[0] or ""


def _start_ready_dependents(crisis: Crisis, *, at: datetime) -> list[Task]:
    """Start the clocks of waiting tasks whose prerequisites are all done or cancelled."""
    finished = set(
        crisis.tasks.filter(status__in=(TaskStatus.DONE, TaskStatus.CANCELLED)).values_list(
            "duty_code", flat=True
        )
    )
    started = []
    calendar = None
    for task in crisis.tasks.filter(status=TaskStatus.WAITING).select_related(
        "assignee", "assignee__user", "duty"
    ):
        if not set(task.after) <= finished:
            continue
        calendar = calendar or calendar_for_unit(crisis.unit)
        acknowledged = task.acknowledged_at is not None
        _start_clock(task, at=at, calendar=calendar)
        if acknowledged:
            task.status = TaskStatus.ACKNOWLEDGED
        task.save(update_fields=["status", "started_at", "warn_at", "due_at", "timer_state"])
        events.clock_started_event(task=task, at=at)
        _notify_task_assigned(task, crisis, reason="started")
        started.append(task)
    return started


@transaction.atomic
def task_complete(
    *,
    task: Task,
    actor,
    note: str = "",
    file: UploadedFile | None = None,
    location: str = "",
    option: str = "",
) -> Deliverable:
    """The assignee delivers; completion starts the clocks of the tasks that waited for it."""
    task = _lock_task(task)
    crisis = task.crisis
    _require_visible(actor, crisis)
    if not _is_assignee(actor, task):
        raise PermissionDenied(_("Only the assignee can complete this task."))
    _require_decider(task, employee_of(actor))
    _require_open_crisis(crisis)
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
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            _("The note is too long."),
            errors={"note": _("At most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}},
        )
    option = _clean_option(option)
    kind = task.deliverable_kind
    needs_content = (
        DeliverableKind.DOCUMENT,
        DeliverableKind.CONTACT_LOG,
        DeliverableKind.DECISION,
    )
    if kind in needs_content and not note and file is None:
        field = "file" if kind == DeliverableKind.DOCUMENT else "note"
        raise ValidationFailed(
            _("Attach the file or write the note this task asks for."),
            errors={field: _("This field is required.")},
        )
    file_name, content_type = "", ""
    if file is not None:
        file_name, content_type = _validate_upload(file)
    now = timezone.now()
    decision = None
    if kind == DeliverableKind.DECISION:
        decision = _decision_record(
            crisis=crisis, text=note or file_name, option=option, task=task, actor=actor, at=now
        )
    deliverable = Deliverable(
        task=task,
        kind=kind,
        note=note,
        location=location[:200],
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
    _finish_task(task, actor=actor, at=now, deliverable=deliverable)
    crisis_board_flags_refresh([task.crisis_id])
    return deliverable


def _finish_task(task: Task, *, actor, at: datetime, deliverable: Deliverable) -> None:
    late = task.breached_at is not None or (task.due_at is not None and at > task.due_at)
    task.status = TaskStatus.DONE
    task.completed_at = at
    task.completed_by = actor
    if task.timer_state == TimerState.PAUSED and task.paused_at:
        task.paused_seconds += int((at - task.paused_at).total_seconds())
        task.paused_at = None
    task.timer_state = TimerState.STOPPED
    task.escalate_at = None
    task.save(
        update_fields=[
            "status",
            "completed_at",
            "completed_by",
            "timer_state",
            "escalate_at",
            "paused_at",
            "paused_seconds",
        ]
    )
    events.task_completed_event(task=task, actor=actor, deliverable_id=deliverable.pk, late=late)
    crisis = task.crisis
    _milestone_stamp(crisis, "first_response_at", at)
    _all_info_refresh(crisis)
    if crisis.filed_by_id and crisis.filed_by_id != getattr(actor, "pk", None):
        notification_send(
            recipient=crisis.filed_by,
            kind="crisis.task_done",
            subject=(
                f"{task.duty.action_zh or task.duty_code} 已完成",
                f"Done: {task.duty.action_en or task.duty_code}",
            ),
            body=(crisis.title, crisis.title),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk, "task_id": task.pk},
            dedupe_key=f"crisis:task:{task.pk}:done:{crisis.filed_by_id}",
            email=False,
        )
    _start_ready_dependents(crisis, at=at)


@transaction.atomic
def task_reassign(
    *, task: Task, assignee: Employee, actor, reason: str = "", delegate: bool = False
) -> Task:
    """Give the task to someone else: managers of the crisis reassign; the assignee delegates."""
    task = _lock_task(task)
    crisis = task.crisis
    _require_visible(actor, crisis)
    _require_open_crisis(crisis)
    if delegate:
        if not _is_assignee(actor, task):
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
    _require_decider(task, assignee)
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
    _participant_add(crisis, assignee, ParticipantRole.ASSIGNEE)
    _notify_task_assigned(task, crisis, reason="reassigned")
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
        _require_decider(task, successor)
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
        _participant_add(task.crisis, successor, ParticipantRole.ASSIGNEE)
        _notify_task_assigned(task, task.crisis, reason=f"handover:{event.pk}")
        moved.append(task)
    return moved


@transaction.atomic
def task_comment(*, task: Task, body: str, actor) -> TaskComment:
    """Anyone who sees the crisis may comment on its tasks."""
    task = Task.objects.select_related("crisis").get(pk=task.pk)
    _require_visible(actor, task.crisis)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            _("The comment is empty."), errors={"body": _("This field is required.")}
        )
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            _("The comment is too long."),
            errors={"body": _("At most %(n)d characters.") % {"n": COMMENT_MAX_LENGTH}},
        )
    comment = TaskComment.objects.create(task=task, author=actor, body=body)
    events.task_commented_event(task=task, actor=actor, comment_id=comment.pk)
    _milestone_stamp(task.crisis, "first_response_at", comment.created_at)
    return comment


@transaction.atomic
def task_cancel(*, task: Task, actor, reason: str = "") -> Task:
    """Cancel a task that no longer applies; tasks waiting for it may start."""
    task = _lock_task(task)
    crisis = task.crisis
    _require_visible(actor, crisis)
    if not can_manage(actor, crisis):
        raise PermissionDenied(_("Only the crisis owner, managers and executives can cancel."))
    _require_open_crisis(crisis)
    if task.status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise Conflict(
            _("This task is already %(status)s.") % {"status": task.get_status_display()}
        )
    task.status = TaskStatus.CANCELLED
    task.timer_state = TimerState.STOPPED
    task.escalate_at = None
    task.save(update_fields=["status", "timer_state", "escalate_at"])
    events.task_cancelled_event(task=task, actor=actor, reason=reason[:300])
    _all_info_refresh(crisis)
    _start_ready_dependents(crisis, at=timezone.now())
    crisis_board_flags_refresh([task.crisis_id])
    return task


def _pause_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the clock pauses."), errors={"reason": _("This field is required.")}
        )
    return reason[:300]


def _pause_clock(task: Task, *, reason: str, actor, at: datetime) -> None:
    """Stop one ticking clock (compare-and-set: a sweep that fired in between wins) and record
    it on the timeline."""
    moved = Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
        timer_state=TimerState.PAUSED, paused_at=at, pause_reason=reason
    )
    if not moved:
        raise Conflict(_("The clock changed meanwhile; try again."), code="clock_changed")
    task.timer_state, task.paused_at, task.pause_reason = TimerState.PAUSED, at, reason
    events.task_paused_event(task=task, actor=actor, reason=reason)


def _resume_clock(task: Task, *, actor, at: datetime, calendar: sla.Calendar | None) -> None:
    """Restart one paused clock; pending deadlines move by the time that was left at the pause
    (in working time for business-hours duties)."""

    def shift(moment):
        return sla.resume_shift(
            moment,
            paused_at=task.paused_at,
            resumed_at=at,
            business_hours=task.business_hours,
            calendar=calendar,
        )

    paused_for = int((at - task.paused_at).total_seconds())
    if task.breached_at is not None:
        state = TimerState.BREACHED
    elif task.warned_at is not None:
        state = TimerState.WARNED
    else:
        state = TimerState.RUNNING
    task.warn_at = shift(task.warn_at) if task.warned_at is None else task.warn_at
    task.due_at = shift(task.due_at) if task.breached_at is None else task.due_at
    task.escalate_at = shift(task.escalate_at)
    task.paused_seconds += paused_for
    task.paused_at = None
    task.timer_state = state
    task.save(
        update_fields=[
            "warn_at",
            "due_at",
            "escalate_at",
            "paused_seconds",
            "paused_at",
            "timer_state",
        ]
    )
    events.task_resumed_event(task=task, actor=actor, paused_seconds=paused_for, at=at)


@transaction.atomic
def task_pause(*, task: Task, reason: str, actor) -> Task:
    """Stop the clock (e.g. waiting for the customer); paused time does not count."""
    task = _lock_task(task)
    crisis = task.crisis
    _require_visible(actor, crisis)
    if not (_is_assignee(actor, task) or can_manage(actor, crisis)):
        raise PermissionDenied(_("Only the assignee or the crisis owner can pause the clock."))
    _require_open_crisis(crisis)
    reason = _pause_reason(reason)
    if task.timer_state not in TIMER_TICKING_STATES:
        raise Conflict(_("This task's clock is not running."), code="not_running")
    _pause_clock(task, reason=reason, actor=actor, at=timezone.now())
    crisis_board_flags_refresh([task.crisis_id])
    return task


@transaction.atomic
def task_resume(*, task: Task, actor) -> Task:
    """Restart a paused clock; pending deadlines move by the time that was left at the pause."""
    task = _lock_task(task)
    crisis = task.crisis
    _require_visible(actor, crisis)
    if not (_is_assignee(actor, task) or can_manage(actor, crisis)):
        raise PermissionDenied(_("Only the assignee or the crisis owner can resume the clock."))
    if task.timer_state != TimerState.PAUSED or task.paused_at is None:
        raise Conflict(_("This task's clock is not paused."), code="not_paused")
    calendar = calendar_for_unit(crisis.unit) if task.business_hours else None
    _resume_clock(task, actor=actor, at=timezone.now(), calendar=calendar)
    crisis_board_flags_refresh([task.crisis_id])
    return task


def _lock_crisis_for_clocks(crisis: Crisis, actor) -> Crisis:
    crisis = Crisis.objects.select_for_update(of=("self",)).select_related("unit").get(pk=crisis.pk)
    _require_visible(actor, crisis)
    if not can_manage(actor, crisis):
        raise PermissionDenied(
            _("Only the crisis owner, managers and executives can pause or resume all clocks.")
        )
    _require_open_crisis(crisis)
    return crisis


def _lock_crisis_tasks(crisis: Crisis, **conditions) -> list[Task]:
    """The crisis's tasks matching ``conditions``, locked so that the sweep (which skips locked
    rows on PostgreSQL) cannot fire them while their clocks are being moved."""
    return list(
        crisis.tasks.select_for_update(of=("self",))
        .select_related("assignee", "duty")
        .filter(**conditions)
        .order_by("order", "id")
    )


@transaction.atomic
def crisis_pause(*, crisis: Crisis, reason: str, actor) -> list[Task]:
    """Pause every ticking clock of the crisis (e.g. waiting for the customer) in one
    transaction, one timeline event per task: either all of them pause or none does."""
    crisis = _lock_crisis_for_clocks(crisis, actor)
    reason = _pause_reason(reason)
    tasks = _lock_crisis_tasks(crisis, timer_state__in=TIMER_TICKING_STATES)
    if not tasks:
        raise Conflict(
            _("No clock is running in this crisis: nothing to pause."), code="not_running"
        )
    now = timezone.now()
    for task in tasks:
        task.crisis = crisis
        _pause_clock(task, reason=reason, actor=actor, at=now)
    crisis_board_flags_refresh([crisis.pk])
    return tasks


@transaction.atomic
def crisis_resume(*, crisis: Crisis, actor) -> list[Task]:
    """Resume every paused clock of the crisis in one transaction, one timeline event per task;
    each task's deadlines move by its own paused time."""
    crisis = _lock_crisis_for_clocks(crisis, actor)
    tasks = _lock_crisis_tasks(crisis, timer_state=TimerState.PAUSED, paused_at__isnull=False)
    if not tasks:
        raise Conflict(
            _("No clock is paused in this crisis: nothing to resume."), code="not_paused"
        )
    now = timezone.now()
    calendar = calendar_for_unit(crisis.unit) if any(t.business_hours for t in tasks) else None
    for task in tasks:
        task.crisis = crisis
        _resume_clock(task, actor=actor, at=now, calendar=calendar)
    crisis_board_flags_refresh([crisis.pk])
    return tasks


# --- Decisions -----------------------------------------------------------------------------


def _option_label(option: str, language: str) -> str:
    from django.utils import translation

    from .choices import DecisionOption

    if option not in DecisionOption.values:
        return option
    with translation.override(language):
        return str(DecisionOption(option).label)


def _decision_record(
    *, crisis: Crisis, text: str, option: str, task: Task | None, actor, at: datetime
) -> Decision:
    option = _clean_option(option)
    decision = Decision.objects.create(
        crisis=crisis, task=task, text=text, option=option, made_by=actor, made_at=at
    )
    events.decision_made_event(decision=decision, actor=actor)
    _milestone_stamp(crisis, "first_response_at", at)
    _milestone_stamp(crisis, "decided_at", at)
    _participant_add(crisis, employee_of(actor), ParticipantRole.EXECUTIVE)
    maker = employee_of(actor)
    maker_zh = maker.name_zh if maker else actor.get_username()
    maker_en = maker.name_en if maker else actor.get_username()
    # The option's label in each language, never its code ("（negotiate）" in a Chinese text).
    option_zh = f"（{_option_label(option, 'zh-hans')}）" if option else ""
    option_en = f" ({_option_label(option, 'en')})" if option else ""
    for user in crisis_participant_users(crisis):
        notification_send(
            recipient=user,
            kind="crisis.decision",
            subject=(f"决策：{crisis.title}", f"Decision: {crisis.title}"),
            body=(
                f"{maker_zh}：{text}{option_zh}",
                f"{maker_en}: {text}{option_en}",
            ),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk, "decision_id": decision.pk},
            dedupe_key=f"crisis:{crisis.pk}:decision:{decision.pk}:{user.pk}",
        )
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:decision.made:{decision.pk}",
        payload=_event_payload(
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
    _require_visible(actor, crisis)
    if not can_decide(actor, crisis):
        raise PermissionDenied(_("Only executives can decide on a crisis."))
    _require_open_crisis(crisis)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Write the decision."), errors={"text": _("This field is required.")}
        )
    if len(text) > DECISION_MAX_LENGTH:
        raise ValidationFailed(
            _("The decision is too long."),
            errors={"text": _("At most %(n)d characters.") % {"n": DECISION_MAX_LENGTH}},
        )
    option = _clean_option(option)
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
    decision = _decision_record(
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
        _finish_task(task, actor=actor, at=now, deliverable=deliverable)
    crisis_board_flags_refresh([crisis.pk])
    return decision


# --- Invitations ---------------------------------------------------------------------------


@transaction.atomic
def crisis_invite(*, crisis: Crisis, user: AbstractBaseUser, actor) -> None:
    """A one-off grant (django-guardian) for someone outside the usual scope, e.g. outside
    counsel on one crisis."""
    from guardian.shortcuts import assign_perm

    _require_visible(actor, crisis)
    if not can_manage(actor, crisis):
        raise PermissionDenied(_("Only the crisis owner, managers and executives can invite."))
    assign_perm("crisis.view_crisis", user, crisis)
    events.participant_invited_event(crisis=crisis, actor=actor, user_id=user.pk)
    notification_send(
        recipient=user,
        kind="crisis.invited",
        subject=(f"邀请参与危机：{crisis.title}", f"Invited to a crisis: {crisis.title}"),
        link=crisis_link(crisis.pk),
        data={"crisis_id": crisis.pk},
        dedupe_key=f"crisis:{crisis.pk}:invited:{user.pk}",
    )


# --- Closure -------------------------------------------------------------------------------


def _crisis_metrics(crisis: Crisis) -> metrics.Durations:
    return metrics.milestone_durations(
        filed_at=crisis.filed_at,
        first_response_at=crisis.first_response_at,
        all_info_at=crisis.all_info_at,
        decided_at=crisis.decided_at,
        resolved_at=crisis.closed_at,
    )


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _competency():
    """The competency services closure feeds (resilience stars, review findings)."""
    from competency.services import recognition

    return recognition


def _closure_credits(
    crisis: Crisis, credited: list[Employee] | None, *, people: dict[int, Employee]
) -> tuple[list[Employee], dict[str, list[str]]]:
    """Who earns a star: the closer's choice, each of whom took part; by default the filer and
    everyone who delivered on time."""
    if credited is None:
        return credited_employees(crisis), {}
    chosen: dict[int, Employee] = {}
    strangers = []
    for employee in credited:
        if employee is None or employee.pk not in people:
            strangers.append(getattr(employee, "name", "") or "?")
        else:
            chosen[employee.pk] = people[employee.pk]
    if strangers:
        message = _("%(names)s did not take part in this crisis.") % {"names": ", ".join(strangers)}
        return [], {"credited": [message]}
    return list(chosen.values()), {}


def _closure_findings(
    crisis: Crisis, findings: list[dict] | None, *, people: dict[int, Employee]
) -> tuple[list[dict], dict[str, list[str]]]:
    """The weaknesses the closer found, validated: a person who took part and a competency the
    competency app knows (in that person's framework, else a published one)."""
    from competency.selectors import competency_for_code

    valid: list[dict] = []
    errors: dict[str, list[str]] = {}
    for index, finding in enumerate(findings or []):
        finding = finding or {}
        try:
            employee = people.get(int(finding.get("employee_id")))
        except (TypeError, ValueError):
            employee = None
        code = str(finding.get("competency") or "").strip()
        note = str(finding.get("note") or "").strip()
        if employee is None:
            errors[f"findings[{index}].employee_id"] = [
                _("Name someone who took part in this crisis.")
            ]
        if not code:
            errors[f"findings[{index}].competency"] = [_("Name the competency.")]
        elif employee is not None and competency_for_code(code, employee) is None:
            errors[f"findings[{index}].competency"] = [
                _("Unknown competency “%(code)s”.") % {"code": code}
            ]
        if len(note) > 1000:
            errors[f"findings[{index}].note"] = [_("At most 1000 characters.")]
        if employee is not None and f"findings[{index}].competency" not in errors:
            valid.append(
                {
                    "employee_id": employee.pk,
                    "competency": code,
                    "note": note or f"crisis #{crisis.pk}",
                }
            )
    return valid, errors


def _breach_findings(crisis: Crisis) -> list[dict]:
    """A finding per competency of each duty whose deadline was missed. Codes the competency app
    does not know (maps and competency models are edited separately, and the demo closes crises
    before any framework exists) are left out rather than refusing the closure."""
    from competency.selectors import competency_for_code

    found = []
    for task in (
        crisis.tasks.exclude(breached_at=None)
        .exclude(assignee=None)
        .select_related("duty", "assignee")
        .order_by("order", "id")
    ):
        for code in task.duty.competencies or []:
            if competency_for_code(code, task.assignee) is None:
                logger.info("crisis %s: finding on unknown competency %s skipped", crisis.pk, code)
                continue
            found.append(
                {
                    "employee_id": task.assignee_id,
                    "competency": code,
                    "note": f"{task.duty_code}: deadline missed in crisis #{crisis.pk}",
                }
            )
    return found


@transaction.atomic
def crisis_close(
    *,
    crisis: Crisis,
    outcome: str,
    lessons: str = "",
    actor,
    status: str = CrisisStatus.RESOLVED,
    credited: list[Employee] | None = None,
    findings: list[dict] | None = None,
) -> Crisis:
    """Resolve (or cancel) the crisis with its outcome and lessons; compute the metrics from the
    timeline; award a resilience star to each person ``credited`` (default:
    ``credited_employees``); record the weaknesses ``findings`` (``{"employee_id", "competency",
    "note"}``) plus one per competency of each breached duty as competency review evidence.

    Everything is validated before anything is written (people must have taken part, competencies
    must exist) and written in this one transaction: a refusal leaves the crisis open with no star
    and no finding. A cancelled crisis earns no star and records no finding."""
    crisis = Crisis.objects.select_for_update(of=("self",)).select_related("unit").get(pk=crisis.pk)
    _require_visible(actor, crisis)
    if not can_manage(actor, crisis):
        raise PermissionDenied(_("Only the crisis owner, managers and executives can close it."))
    if crisis.status != CrisisStatus.OPEN:
        raise Conflict(_("The crisis is already closed."), code="crisis_closed")
    outcome = (outcome or "").strip()
    errors: dict = {}
    if status not in (CrisisStatus.RESOLVED, CrisisStatus.CANCELLED):
        errors["status"] = _("Close as resolved or cancelled.")
    if not outcome:
        errors["outcome"] = _("Record the outcome.")
    lessons = (lessons or "").strip()
    _too_long(errors, "outcome", outcome, OUTCOME_MAX_LENGTH)
    _too_long(errors, "lessons", lessons, OUTCOME_MAX_LENGTH)
    resolved = status == CrisisStatus.RESOLVED
    if not resolved and (credited or findings):
        errors["status"] = _("A cancelled crisis earns no stars and records no weaknesses.")
    people = {e.pk: e for e in crisis_people(crisis)}
    stars_for, credit_errors = _closure_credits(crisis, credited, people=people)
    closer_findings, finding_errors = _closure_findings(crisis, findings, people=people)
    errors.update(credit_errors)
    errors.update(finding_errors)
    if errors:
        raise ValidationFailed(_("The crisis cannot be closed."), errors=errors)
    now = timezone.now()
    open_tasks = list(
        crisis.tasks.filter(status__in=TASK_OPEN_STATES).select_related("crisis", "duty")
    )
    for task in open_tasks:
        task.status = TaskStatus.CANCELLED
        task.timer_state = TimerState.STOPPED
        task.escalate_at = None
        task.save(update_fields=["status", "timer_state", "escalate_at"])
        events.task_cancelled_event(task=task, actor=actor, reason="crisis closed")
    if open_tasks:
        _all_info_refresh(crisis)
    crisis.status = status
    crisis.outcome = outcome
    crisis.lessons = lessons
    crisis.closed_at = now
    crisis.closed_by = actor
    review = [*closer_findings, *_breach_findings(crisis)] if resolved else []
    events.crisis_closed_event(
        crisis=crisis,
        actor=actor,
        credited_ids=[e.pk for e in stars_for] if resolved else [],
        findings=closer_findings,
    )
    durations = _crisis_metrics(crisis)
    crisis.first_response_seconds = _seconds(durations.first_response)
    crisis.all_info_seconds = _seconds(durations.all_information)
    crisis.decision_seconds = _seconds(durations.decision)
    crisis.resolution_seconds = _seconds(durations.resolution)
    crisis.breach_count = crisis.tasks.exclude(breached_at=None).count()
    crisis.save()

    if resolved:
        _recognise(crisis, stars_for=stars_for, findings=review, actor=actor)
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:crisis.closed:{crisis.pk}",
        payload=_event_payload(
            crisis,
            "crisis.closed",
            {
                "status": crisis.status,
                "outcome": crisis.outcome,
                "metrics": {
                    "first_response_seconds": crisis.first_response_seconds,
                    "all_info_seconds": crisis.all_info_seconds,
                    "decision_seconds": crisis.decision_seconds,
                    "resolution_seconds": crisis.resolution_seconds,
                    "breach_count": crisis.breach_count,
                },
            },
        ),
    )
    crisis_board_flags_refresh([crisis.pk])
    return crisis


def credited_employees(crisis: Crisis) -> list[Employee]:
    """Who earns a resilience star by default: the filer and everyone who delivered on time."""
    people: dict[int, Employee] = {}
    if crisis.filed_by_id:
        filer = Employee.objects.filter(user_id=crisis.filed_by_id).first()
        if filer is not None:
            people[filer.pk] = filer
    for task in crisis.tasks.filter(status=TaskStatus.DONE, breached_at=None).select_related(
        "assignee"
    ):
        if task.assignee is not None:
            people[task.assignee.pk] = task.assignee
    return list(people.values())


def _recognise(crisis: Crisis, *, stars_for: list[Employee], findings: list[dict], actor) -> None:
    """Stars and review findings of a resolved crisis, validated beforehand; written in the
    closure's transaction (a failure here rolls the closure back, nothing is half-recorded)."""
    competency = _competency()
    for employee in stars_for:
        competency.recognition_award(
            employee=employee,
            kind="crisis",
            source_key=f"crisis:{crisis.pk}",
            stars=1,
            reason=(
                f"危机“{crisis.title}”按时处置",
                f"Handled crisis “{crisis.title}” on time",
            ),
            actor=actor,
        )
    if findings:
        competency.crisis_review_record(crisis_id=crisis.pk, findings=findings, actor=actor)


# --- SLA sweep -----------------------------------------------------------------------------


def _claim_batch(qs, order_field: str, limit: int) -> list[Task]:
    """Due rows, locked for this transaction on PostgreSQL (rows another sweep holds are
    skipped); SQLite serialises writers anyway."""
    qs = qs.select_related(
        "crisis",
        "crisis__unit",
        "crisis__filed_by__employee__user",
        "assignee",
        "assignee__user",
        "duty",
    ).order_by(order_field, "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:limit])


def _notify_people(
    task: Task, recipients: Iterable[Employee | None], *, kind: str, key: str, subject, body
) -> list[int]:
    sent = []
    seen = set()
    for employee in recipients:
        if employee is None or employee.pk in seen or not employee.is_active:
            continue
        seen.add(employee.pk)
        notification_send(
            recipient=employee.user,
            kind=kind,
            subject=subject,
            body=body,
            link=crisis_link(task.crisis_id),
            data={"crisis_id": task.crisis_id, "task_id": task.pk},
            dedupe_key=f"crisis:task:{task.pk}:{key}:{employee.pk}",
        )
        sent.append(employee.pk)
    return sent


def _filer_employee(crisis: Crisis) -> Employee | None:
    if not crisis.filed_by_id:
        return None
    try:
        return crisis.filed_by.employee  # joined by the sweep's claim query
    except Employee.DoesNotExist:
        return None


def _late_after_seconds() -> float:
    """A warning fired this long after its time was held up by an outage (marked late)."""
    return float(getattr(settings, "KEEL_TIMER_LATE_SECONDS", 30))


def _fire_warning(task: Task, now: datetime) -> bool:
    claimed = Task.objects.filter(pk=task.pk, timer_state=TimerState.RUNNING).update(
        timer_state=TimerState.WARNED, warned_at=now
    )
    if not claimed:
        return False
    task.timer_state, task.warned_at = TimerState.WARNED, now
    # After downtime a warning still fires (its deadline is ahead), marked late.
    late = sla.warning_is_late(
        warn_at=task.warn_at, fired_at=now, late_after_seconds=_late_after_seconds()
    )
    events.task_warning_event(task=task, at=task.warn_at, fired_at=now, late=late)
    action_zh = task.duty.action_zh or task.duty_code
    action_en = task.duty.action_en or task.duty_code
    tz = task.assignee.time_zone if task.assignee else settings.TIME_ZONE
    due = _fmt_time(task.due_at, tz)
    body_zh, body_en = (
        f"{task.crisis.title}：请在 {due} 前完成。",
        f"{task.crisis.title}: due {due}.",
    )
    if late:
        body_zh += "（此提醒迟发：系统曾暂时不可用。）"
        body_en += " (This warning is late: Keel was unavailable.)"
    _notify_people(
        task,
        [task.assignee],
        kind="crisis.warning",
        key="warning",
        subject=(f"即将超时：{action_zh}", f"Due soon: {action_en}"),
        body=(body_zh, body_en),
    )
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:task.warning:{task.pk}",
        payload=_event_payload(task.crisis, "task.warning", {**_task_brief(task), "late": late}),
    )
    crisis_board_flags_refresh([task.crisis_id])
    return True


def _escalate(task: Task, step_index: int, now: datetime) -> None:
    """Run escalation step ``step_index`` (0-based) of the task's chain."""
    chain = task.escalation
    step = chain[step_index]
    target = _resolve_escalation_target(step, task=task, crisis=task.crisis, at=now)
    events.task_escalated_event(
        task=task,
        step=step_index + 1,
        target=step,
        target_id=target.pk if target else None,
        fired_at=now,
    )
    if target is not None:
        _participant_add(task.crisis, target, ParticipantRole.ESCALATION)
    assignee = task.assignee.name if task.assignee else "—"
    action_zh = task.duty.action_zh or task.duty_code
    action_en = task.duty.action_en or task.duty_code
    recipients = [target] if target is not None else [_filer_employee(task.crisis)]
    _notify_people(
        task,
        recipients,
        kind="crisis.escalation",
        key=f"escalation:{step_index + 1}",
        subject=(f"升级：{action_zh} 已超时", f"Escalation: {action_en} is overdue"),
        body=(
            f"{task.crisis.title}：{assignee} 未按时完成，请介入。",
            f"{task.crisis.title}: {assignee} missed the deadline; please step in.",
        ),
    )


def _fire_breach(task: Task, now: datetime) -> bool:
    chain_length = len(task.escalation)
    first_step_now = chain_length > 0
    next_at = (
        sla.next_escalation_at(
            after=task.due_at,
            step=1,
            chain_length=chain_length,
            deadline_minutes=task.deadline_minutes,
        )
        if first_step_now
        else None
    )
    claimed = Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
        timer_state=TimerState.BREACHED,
        breached_at=now,
        escalation_step=1 if first_step_now else 0,
        escalate_at=next_at,
    )
    if not claimed:
        return False
    # The warning's time and the deadline both passed while nothing swept (an outage): the
    # warning is not sent any more, the timeline says the breach superseded it, and the breach
    # notice says no warning could be sent.
    warning_missed = (
        task.timer_state == TimerState.RUNNING
        and task.warned_at is None
        and task.warn_at is not None
        and task.warn_at < task.due_at
    )
    task.timer_state, task.breached_at = TimerState.BREACHED, now
    task.escalation_step, task.escalate_at = (1 if first_step_now else 0), next_at
    if warning_missed:
        events.warning_superseded_event(task=task, at=task.warn_at, fired_at=now)
    events.task_breached_event(task=task, at=task.due_at, fired_at=now)
    action_zh = task.duty.action_zh or task.duty_code
    action_en = task.duty.action_en or task.duty_code
    body_zh, body_en = f"{task.crisis.title}", f"{task.crisis.title}"
    if warning_missed:
        body_zh += "：系统曾暂时不可用，未能在截止前发出提醒。"
        body_en += ": no warning could be sent before the deadline (Keel was unavailable)."
    _notify_people(
        task,
        [task.assignee, _filer_employee(task.crisis)],
        kind="crisis.breach",
        key="breach",
        subject=(f"已超时：{action_zh}", f"Overdue: {action_en}"),
        body=(body_zh, body_en),
    )
    outbox_enqueue(
        channel="event",
        dedupe_key=f"event:task.breached:{task.pk}",
        payload=_event_payload(
            task.crisis,
            "task.breached",
            {**_task_brief(task), "warning_sent": not warning_missed},
        ),
    )
    if first_step_now:
        _escalate(task, 0, now)
    crisis_board_flags_refresh([task.crisis_id])
    return True


def _fire_escalation(task: Task, now: datetime) -> bool:
    step = task.escalation_step
    chain_length = len(task.escalation)
    if step >= chain_length:
        Task.objects.filter(pk=task.pk, escalation_step=step).update(escalate_at=None)
        return False
    next_at = sla.next_escalation_at(
        after=task.escalate_at,
        step=step + 1,
        chain_length=chain_length,
        deadline_minutes=task.deadline_minutes,
    )
    claimed = Task.objects.filter(
        pk=task.pk, timer_state=TimerState.BREACHED, escalation_step=step
    ).update(escalation_step=step + 1, escalate_at=next_at)
    if not claimed:
        return False
    task.escalation_step, task.escalate_at = step + 1, next_at
    _escalate(task, step, now)
    return True


def _timer_failure_record(task: Task, exc: Exception, now: datetime) -> None:
    """Remember a firing that raised: the error, one more attempt, when to try again."""
    attempts = task.fire_attempts + 1
    Task.objects.filter(pk=task.pk).update(
        fire_attempts=attempts,
        fire_error=f"{type(exc).__name__}: {exc}"[:2000],
        fire_retry_at=now + sla.fire_retry_delay(attempts),
        fire_failing_since=task.fire_failing_since or now,
    )


_FIRE_FAILURE_CLEARED = {
    "fire_attempts": 0,
    "fire_error": "",
    "fire_retry_at": None,
    "fire_failing_since": None,
}


def _fire_guarded(task: Task, fire: Callable[[Task, datetime], bool], now: datetime) -> bool:
    """Fire one claimed row in its own savepoint: a row that raises rolls back alone, is
    recorded for a retry with backoff, and never stops the rows after it."""
    try:
        with transaction.atomic():
            if task.crisis.status != CrisisStatus.OPEN:
                Task.objects.filter(pk=task.pk, timer_state=task.timer_state).update(
                    timer_state=TimerState.STOPPED, escalate_at=None, **_FIRE_FAILURE_CLEARED
                )
                return False
            fired = fire(task, now)
            if task.fire_attempts or task.fire_failing_since:
                Task.objects.filter(pk=task.pk).update(**_FIRE_FAILURE_CLEARED)
            return fired
    except Exception as exc:
        logger.exception("timer of task %s failed to fire; retrying with backoff", task.pk)
        _timer_failure_record(task, exc, now)
        return False


def _sweep_kind(qs, order_field: str, fire, now: datetime, batch: int) -> int:
    fired = 0
    for _round in range(10_000):  # bounded catch-up after downtime
        with transaction.atomic():
            rows = _claim_batch(qs, order_field, batch)
            for task in rows:
                if _fire_guarded(task, fire, now):
                    fired += 1
        if len(rows) < batch:
            break
    return fired


def sla_sweep(now: datetime | None = None, *, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Fire every due warning, breach and escalation step once; registered in KEEL_TICK_SWEEPS
    (every tick on the ``sla`` queue). Safe to run concurrently: rows are claimed with
    ``SKIP LOCKED`` on PostgreSQL and moved with compare-and-set updates, so each fires once."""
    now = now or timezone.now()
    # A timer that failed is left alone until its retry time (it is still claimed in due order).
    retry_due = Q(fire_retry_at__isnull=True) | Q(fire_retry_at__lte=now)
    # No join on the crisis here: each query walks only its partial index, so the cost stays
    # flat however many timers are pending. Closing a crisis stops its timers; a stray one is
    # stopped by ``_fire`` below instead of firing.
    counts = {
        "warning": _sweep_kind(
            Task.objects.filter(
                retry_due, timer_state=TimerState.RUNNING, warn_at__lte=now, due_at__gt=now
            ),
            "warn_at",
            _fire_warning,
            now,
            batch,
        ),
        # One query per state so that each walks a simple partial index (SQLite cannot use a
        # partial index whose condition is an IN list).
        "breach": sum(
            _sweep_kind(
                Task.objects.filter(retry_due, timer_state=state, due_at__lte=now),
                "due_at",
                _fire_breach,
                now,
                batch,
            )
            for state in (TimerState.RUNNING, TimerState.WARNED)
        ),
    }
    counts["escalation"] = _sweep_kind(
        Task.objects.filter(retry_due, timer_state=TimerState.BREACHED, escalate_at__lte=now),
        "escalate_at",
        _fire_escalation,
        now,
        batch,
    )
    return counts


# --- Automatic triggers over customers ------------------------------------------------------

DEFAULT_TRIGGER_SCENARIO = "debt-collection-emergency"
DEFAULT_EARLY_WARNING_SCENARIO = "debt-collection"


@transaction.atomic
def trigger_rules_ensure_defaults() -> list[TriggerRule]:
    """The two rules of SPEC §3.3 (≥30 days overdue → debt-crisis alert; >15 days with a risky
    last contact → early warning), created once when their scenarios exist."""
    from responsibilities.models import Scenario

    made = []
    spec = [
        (DEFAULT_TRIGGER_SCENARIO, TriggerKind.OVERDUE, 30, False, Severity.HIGH),
        (DEFAULT_EARLY_WARNING_SCENARIO, TriggerKind.EARLY_WARNING, 16, True, Severity.MEDIUM),
    ]
    for code, kind, days, risky, severity in spec:
        scenario = Scenario.objects.filter(code=code).first()
        if scenario is None:
            continue
        rule, _created = TriggerRule.objects.get_or_create(
            scenario=scenario,
            kind=kind,
            defaults={
                "min_overdue_days": days,
                "requires_risky_contact": risky,
                "severity": severity,
                "action": TriggerAction.ALERT,
            },
        )
        made.append(rule)
    return made


def _episode(customer) -> str:
    """The overdue episode: the day the customer became overdue (a payment ends it)."""
    if customer.overdue_since:
        return customer.overdue_since.isoformat()
    return (timezone.localdate() - timedelta(days=max(customer.overdue_days, 0))).isoformat()


def _rule_matches(rule: TriggerRule, customer) -> bool:
    if customer.overdue_days < rule.min_overdue_days:
        return False
    return not (rule.requires_risky_contact and not customer.last_contact_risk)


def _manager_of_owner(customer) -> Employee | None:
    owner = customer.account_owner
    if owner is not None and owner.manager_id:
        return Employee.objects.select_related("user").get(pk=owner.manager_id)
    try:
        return resolve_assignee(unit=customer.unit, position="department-manager").employee
    except KeelError:
        return None


@transaction.atomic
def triggers_evaluate_customer(*, customer) -> list[TriggerAlert]:
    """Apply the active trigger rules to one customer; each rule fires at most once per customer
    and overdue episode. Returns the alerts created now (empty when nothing new)."""
    if customer.overdue_days <= 0:
        return []
    created: list[TriggerAlert] = []
    episode = _episode(customer)
    rules = sorted(
        TriggerRule.objects.filter(is_active=True).select_related("scenario"),
        key=lambda r: (r.kind != TriggerKind.OVERDUE, -r.min_overdue_days, r.pk),
    )
    # Only the strongest matching rule of each kind fires (ordered by threshold, descending),
    # and an early warning is moot once the customer is in a debt crisis.
    seen_kinds: set[str] = set()
    for rule in rules:
        if rule.kind in seen_kinds or not _rule_matches(rule, customer):
            continue
        seen_kinds.add(rule.kind)
        if rule.kind == TriggerKind.EARLY_WARNING and TriggerKind.OVERDUE in seen_kinds:
            continue
        try:
            with transaction.atomic():
                alert = TriggerAlert.objects.create(
                    rule=rule,
                    customer=customer,
                    episode=episode,
                    kind=rule.kind,
                    overdue_days=customer.overdue_days,
                )
        except IntegrityError:
            continue  # this episode already fired
        _trigger_fire(alert, rule, customer)
        created.append(alert)
    return created


def _trigger_fire(alert: TriggerAlert, rule: TriggerRule, customer) -> None:
    owner = customer.account_owner
    manager = _manager_of_owner(customer)
    name_zh, name_en = customer.name_zh, customer.name_en
    days = customer.overdue_days
    if rule.kind == TriggerKind.EARLY_WARNING:
        recipients = [manager]
        subject = (
            f"预警：客户 {name_zh} 逾期 {days} 天",
            f"Early warning: {name_en} {days} days overdue",
        )
        body = (
            f"最近一次联系显示风险：{customer.last_contact_note}",
            f"The last contact shows risk: {customer.last_contact_note}",
        )
    else:
        recipients = [owner, manager]
        subject = (
            f"债务危机警报：客户 {name_zh} 逾期 {days} 天",
            f"Debt-crisis alert: {name_en} is {days} days overdue",
        )
        body = (
            f"未付金额 {customer.outstanding_amount} {customer.currency}。",
            f"Outstanding {customer.outstanding_amount} {customer.currency}.",
        )
    if rule.action == TriggerAction.FILE_CRISIS:
        try:
            with transaction.atomic():
                alert.crisis = crisis_file(
                    scenario=rule.scenario.code,
                    title=single_line(f"{name_zh} / {name_en}: {days}d overdue"),
                    description=body[1],
                    unit=customer.unit,
                    customer_external_id=customer.external_id,
                    severity=rule.severity,
                    actor=None,
                    source=CrisisSource.TRIGGER,
                    idempotency_key=f"{customer.external_id}:{alert.episode}:{rule.pk}",
                )
        except KeelError as exc:
            logger.warning("trigger could not file a crisis for %s: %s", customer.pk, exc)
    sent = []
    for employee in recipients:
        if employee is None or employee.pk in sent:
            continue
        notification_send(
            recipient=employee.user,
            kind=f"crisis.trigger.{rule.kind}",
            subject=subject,
            body=body,
            link=crisis_link(alert.crisis_id) if alert.crisis_id else "",
            data={"customer": customer.external_id, "alert_id": alert.pk},
            dedupe_key=f"crisis:trigger:{alert.pk}:{employee.pk}",
        )
        sent.append(employee.pk)
    alert.recipients = sent
    alert.save(update_fields=["crisis", "recipients"])


def triggers_sweep() -> int:
    """Periodic pass over overdue customers (the backstop for partners that push nothing)."""
    from integrations.models import Customer

    min_days = min(
        TriggerRule.objects.filter(is_active=True).values_list("min_overdue_days", flat=True),
        default=None,
    )
    if min_days is None:
        return 0
    fired = 0
    for customer in Customer.objects.filter(overdue_days__gte=min_days).select_related(
        "unit", "account_owner"
    ):
        fired += len(triggers_evaluate_customer(customer=customer))
    return fired
