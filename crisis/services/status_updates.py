"""Status updates of a running crisis and their cadence per severity (issue 15 §4).

The crisis manager (its filer, managers and executives who manage it) posts an update; it goes
on the timeline and to everyone taking part. At each severity the next update is due a set
number of minutes after the last one (``StatusCadence``, defaults: critical 30, high 60,
medium 240, low none); when that lapses, ``status_update_sweep`` (registered in
``KEEL_TICK_SWEEPS``) reminds the crisis manager once per lapse (compare-and-set).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.claims import fire_each
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.notification_kinds import when
from hrcore.selectors import is_hr_admin
from hrcore.services.notifications import notification_send
from hrcore.text import check_length

from .. import events
from ..choices import CrisisStatus, Severity
from ..drill_timing import MAX_DRILL_SPEED, drill_deadline
from ..models import STATUS_UPDATE_MAX_LENGTH, Crisis, StatusCadence, StatusUpdate
from ..selectors.course import status_cadence_of, status_cadences
from .common import crisis_link, drill_marked, filer_employee, lock_managed, require_open_crisis
from .course import actor_person, notify_audience

SWEEP_BATCH = 200
MAX_CADENCE_MINUTES = 7 * 24 * 60  # as StatusCadence.every_minutes allows


@transaction.atomic
def status_update_post(*, crisis: Crisis, body: str, actor) -> StatusUpdate:
    """Post where things stand; the cadence's clock starts again from now."""
    crisis = lock_managed(
        crisis,
        actor,
        refusal=_("Only the crisis owner, managers and executives can post status updates."),
    )
    require_open_crisis(crisis)
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = _("Say where things stand.")
    check_length(errors, "body", body, STATUS_UPDATE_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The status update cannot be posted."), errors=errors)
    now = timezone.now()
    update = StatusUpdate.objects.create(crisis=crisis, body=body, posted_by=actor, posted_at=now)
    Crisis.objects.filter(pk=crisis.pk).update(status_updated_at=now, status_update_reminded=False)
    crisis.status_updated_at, crisis.status_update_reminded = now, False
    events.status_update_event(crisis=crisis, actor=actor, update_id=update.pk, body=body, at=now)
    notify_audience(
        crisis,
        kind="crisis.status_update",
        params={"crisis_title": crisis.title, "by": actor_person(actor), "text": body[:500]},
        key=f"status_update:{update.pk}",
        skip_user_id=actor.pk,
    )
    return update


def crisis_manager_user(crisis: Crisis):
    """Who is reminded of a lapsed status update: the filer, else the head of the crisis's
    unit (a crisis filed by a partner system or a trigger has no filer)."""
    filer = filer_employee(crisis)
    if filer is not None and filer.is_active:
        return filer.user
    head = crisis.unit.head if crisis.unit.head_id else None
    if head is not None and head.is_active:
        return head.user
    return None


def _remind(crisis: Crisis, *, due_at: datetime, every_minutes: int, now: datetime) -> bool:
    """One lapse, one reminder: the flag moves only if nobody posted or reminded meanwhile."""
    moved = Crisis.objects.filter(
        pk=crisis.pk,
        status=CrisisStatus.OPEN,
        status_update_reminded=False,
        status_updated_at=crisis.status_updated_at,
    ).update(status_update_reminded=True)
    if not moved:
        return False
    events.status_update_overdue_event(
        crisis=crisis, due_at=due_at, fired_at=now, every_minutes=every_minutes
    )
    recipient = crisis_manager_user(crisis)
    if recipient is not None:
        employee = getattr(recipient, "employee", None)
        notification_send(
            recipient=recipient,
            kind="crisis.status_update_due",
            params=drill_marked(
                crisis,
                {
                    "crisis_title": crisis.title,
                    "every_minutes": every_minutes,
                    "due_at": when(due_at),
                    "time_zone": employee.time_zone if employee is not None else "",
                },
            ),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk},
            dedupe_key=f"crisis:{crisis.pk}:status_update_due:{when(crisis.status_updated_at)}",
        )
    return True


def status_update_sweep(now: datetime | None = None) -> int:
    """Remind the crisis manager of every open crisis whose status update is overdue at its
    severity's cadence, once per lapse. Returns the number of reminders."""
    now = now or timezone.now()
    reminded = 0
    for severity, minutes in status_cadences().items():
        if not minutes:
            continue
        waiting = Crisis.objects.filter(
            status=CrisisStatus.OPEN, severity=severity, status_update_reminded=False
        ).select_related("unit__head__user", "filed_by__employee")
        overdue = list(
            waiting.filter(
                is_drill=False, status_updated_at__lte=now - timedelta(minutes=minutes)
            ).order_by("status_updated_at", "id")[:SWEEP_BATCH]
        )
        # A drill's cadence runs on its compressed clock, like its duties (a few drills at most
        # run at once: their own deadlines are checked here).
        overdue += [
            c
            for c in waiting.filter(
                is_drill=True,
                status_updated_at__lte=now
                - timedelta(minutes=drill_deadline(minutes, MAX_DRILL_SPEED)),
            ).order_by("status_updated_at", "id")[:SWEEP_BATCH]
            if c.status_updated_at
            <= now - timedelta(minutes=status_cadence_of(c, {severity: minutes}))
        ]

        def remind(crisis: Crisis, severity: str = severity, minutes: int = minutes) -> bool:
            every = status_cadence_of(crisis, {severity: minutes})
            return _remind(
                crisis,
                due_at=crisis.status_updated_at + timedelta(minutes=every),
                every_minutes=every,
                now=now,
            )

        reminded += fire_each(overdue, remind, what="status-update reminder of crisis")
    return reminded


@transaction.atomic
def status_cadence_set(*, severity: str, every_minutes: int, actor) -> StatusCadence:
    """HR admins set how often status updates are due at one severity (0: never)."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins can change the status-update cadence."))
    errors: dict[str, str] = {}
    if severity not in Severity.values:
        errors["severity"] = _("Choose one of the listed severities.")
    if (
        isinstance(every_minutes, bool)
        or not isinstance(every_minutes, int)
        or not 0 <= every_minutes <= MAX_CADENCE_MINUTES
    ):
        errors["every_minutes"] = _("Between 0 (no updates) and 7 days in minutes.")
    if errors:
        raise ValidationFailed(_("The cadence cannot be saved."), errors=errors)
    cadence, _created = StatusCadence.objects.update_or_create(
        severity=severity, defaults={"every_minutes": every_minutes}
    )
    return cadence
