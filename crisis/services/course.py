"""Changing course while a crisis runs (issue 15 §4): severity changes that re-time open tasks,
outside guests invited to one crisis, related crises linked, reopening within 7 days.

Ad-hoc tasks are ``services.added_tasks.task_add``; cancelling a task is
``services.tasks.task_cancel``; status updates and their cadence are ``services.status_updates``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from hrcore.errors import Conflict, NotFound, ValidationFailed
from hrcore.notification_kinds import person
from hrcore.selectors import calendar_for_unit, employee_of
from hrcore.services.notifications import notification_send
from hrcore.text import check_length
from responsibilities.severity import scaled_minutes, severity_factor

from .. import events
from ..choices import (
    TASK_OPEN_STATES,
    CrisisStatus,
    LinkReason,
    Severity,
    TaskStatus,
    TimerState,
)
from ..models import Crisis, CrisisLink, Task
from ..retiming import retime
from ..selectors.access import GRANT_CODENAMES, crises_visible_to
from ..selectors.course import crisis_audience, invited_users
from .board import crisis_board_flags_refresh
from .common import (
    crisis_link,
    drill_marked,
    lock_managed,
    require_open_crisis,
)
from .obligations import obligations_sync
from .participants import crisis_invite

# A closed crisis may be reopened for this long after closing; later, file a new one and link it.
REOPEN_WINDOW = timedelta(days=7)
REASON_MAX_LENGTH = 500
# The fields a PATCH of a crisis may change.
PATCHABLE_FIELDS = frozenset({"severity"})


def actor_person(actor) -> dict[str, str]:
    return person(employee_of(actor), actor.get_username() if actor else "")


def notify_audience(
    crisis: Crisis, *, kind: str, params: dict, key: str, skip_user_id: int | None = None
) -> int:
    """Send one notification to everyone taking part in ``crisis`` (participants and invited
    guests), once per ``key`` and person; the actor is skipped."""
    sent = 0
    for user in crisis_audience(crisis):
        if user.pk == skip_user_id:
            continue
        notification_send(
            recipient=user,
            kind=kind,
            params=drill_marked(crisis, params),
            link=crisis_link(crisis.pk),
            data={"crisis_id": crisis.pk},
            dedupe_key=f"crisis:{crisis.pk}:{key}:{user.pk}",
        )
        sent += 1
    return sent


# --- Severity ---------------------------------------------------------------------------------


def _retime_task(task: Task, *, old_factor: float, new_factor: float, calendar) -> dict | None:
    """Scale one open task's deadline and move its clock (compare-and-set against the sweep);
    None for a task whose deadline already passed (late stays late)."""
    if task.timer_state == TimerState.BREACHED or task.breached_at is not None:
        return None
    new_minutes = scaled_minutes(
        task.deadline_minutes, old_factor=old_factor, new_factor=new_factor
    )
    plan = retime(
        started_at=task.started_at,
        old_minutes=task.deadline_minutes,
        new_minutes=new_minutes,
        warn_ratio=task.warn_ratio,
        warn_at=task.warn_at,
        due_at=task.due_at,
        warned=task.warned_at is not None,
        business_hours=task.business_hours,
        calendar=calendar if task.business_hours else None,
    )
    moved = Task.objects.filter(
        pk=task.pk,
        timer_state=task.timer_state,
        due_at=task.due_at,
        deadline_minutes=task.deadline_minutes,
    ).update(deadline_minutes=plan.deadline_minutes, warn_at=plan.warn_at, due_at=plan.due_at)
    if not moved:
        raise Conflict(_("A clock changed meanwhile; try again."), code="clock_changed")
    row = {
        "task_id": task.pk,
        "duty": task.duty_code,
        "old_minutes": task.deadline_minutes,
        "new_minutes": plan.deadline_minutes,
        "old_due_at": task.due_at.isoformat() if task.due_at else None,
        "new_due_at": plan.due_at.isoformat() if plan.due_at else None,
    }
    task.deadline_minutes, task.warn_at, task.due_at = (
        plan.deadline_minutes,
        plan.warn_at,
        plan.due_at,
    )
    return row


@transaction.atomic
def crisis_severity_change(*, crisis: Crisis, severity: str, actor) -> Crisis:
    """Change the severity of an open crisis. Every open task's deadline scales by the map's
    factors, ``factor(new) / factor(old)``, and its warning and due times are recomputed from
    its clock's start (paused time carried over; a warning already sent stays sent; a breached
    task keeps its missed deadline). One timeline event records every task's old and new due
    time; everyone taking part is told. The same severity again changes nothing."""
    if severity not in Severity.values:
        raise ValidationFailed(
            _("Unknown severity “%(value)s”. Use one of: %(choices)s.")
            % {"value": str(severity)[:30], "choices": ", ".join(Severity.values)},
            errors={"severity": _("Choose one of the listed severities.")},
        )
    crisis = lock_managed(
        crisis,
        actor,
        refusal=_("Only the crisis owner, managers and executives can change the severity."),
    )
    require_open_crisis(crisis)
    old = crisis.severity
    if old == severity:
        return crisis
    factors = crisis.map.severity_factors
    old_factor, new_factor = severity_factor(factors, old), severity_factor(factors, severity)
    tasks = list(
        crisis.tasks.select_for_update(of=("self",))
        .filter(status__in=TASK_OPEN_STATES)
        .order_by("order", "id")
    )
    calendar = calendar_for_unit(crisis.unit) if any(t.business_hours for t in tasks) else None
    now = timezone.now()
    rows = [
        row
        for row in (
            _retime_task(t, old_factor=old_factor, new_factor=new_factor, calendar=calendar)
            for t in tasks
        )
        if row is not None
    ]
    crisis.severity = severity
    crisis.save(update_fields=["severity"])
    event = events.severity_changed_event(
        crisis=crisis,
        actor=actor,
        old=old,
        new=severity,
        old_factor=old_factor,
        new_factor=new_factor,
        tasks=rows,
        at=now,
    )
    notify_audience(
        crisis,
        kind="crisis.severity_changed",
        params={
            "crisis_title": crisis.title,
            "by": actor_person(actor),
            "from": old,
            "to": severity,
            "retimed": len(rows),
        },
        key=f"severity:{event.pk}",
        skip_user_id=actor.pk,
    )
    # a classification at a graver severity can start statutory clocks (issue 15 §3)
    obligations_sync(crisis, at=now)
    crisis_board_flags_refresh([crisis.pk])
    return crisis


def crisis_patch(*, crisis: Crisis, changes: dict, actor) -> Crisis:
    """``PATCH /crises/{id}/``: only ``PATCHABLE_FIELDS`` (the severity); anything else is
    refused whole, nothing written."""
    if not isinstance(changes, dict) or not changes:
        raise ValidationFailed(
            _("Send the fields to change: %(fields)s.")
            % {"fields": ", ".join(sorted(PATCHABLE_FIELDS))},
            errors={"severity": _("This field is required.")},
        )
    unknown = sorted(set(changes) - PATCHABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Only these fields can be changed: %(fields)s.")
            % {"fields": ", ".join(sorted(PATCHABLE_FIELDS))},
            errors={name[:50]: _("This field cannot be changed.") for name in unknown[:10]},
        )
    return crisis_severity_change(crisis=crisis, severity=changes["severity"], actor=actor)


# --- Invitations ------------------------------------------------------------------------------


def _user_by_username(username) -> object:
    User = get_user_model()
    user = User.objects.filter(username=str(username or "").strip()[:150], is_active=True).first()
    if user is None:
        raise ValidationFailed(
            _("No active account “%(username)s”.") % {"username": str(username or "")[:150]},
            errors={"username": _("Unknown user name.")},
        )
    return user


@transaction.atomic
def crisis_invite_username(*, crisis: Crisis, username: str, actor):
    """Invite the account ``username`` onto this one open crisis (a django-guardian grant: the
    guest sees this crisis and nothing else). Inviting again changes nothing."""
    crisis = lock_managed(
        crisis, actor, refusal=_("Only the crisis owner, managers and executives can invite.")
    )
    require_open_crisis(crisis)
    user = _user_by_username(username)
    if any(u.pk == user.pk for u in invited_users(crisis)):
        return user
    crisis_invite(crisis=crisis, user=user, actor=actor)
    return user


@transaction.atomic
def crisis_uninvite(*, crisis: Crisis, username: str, actor) -> None:
    """Withdraw a guest's grant: they no longer see the crisis (unless they take part in it
    otherwise: a task, their role's scope)."""
    crisis = lock_managed(
        crisis,
        actor,
        refusal=_("Only the crisis owner, managers and executives can withdraw an invitation."),
    )
    user = next((u for u in invited_users(crisis) if u.username == username), None)
    if user is None:
        raise NotFound(_("%(username)s is not invited to this crisis.") % {"username": username})
    for codename in GRANT_CODENAMES:
        remove_perm(f"crisis.{codename}", user, crisis)
    events.participant_uninvited_event(crisis=crisis, actor=actor, user_id=user.pk)


# --- Related crises -----------------------------------------------------------------------------


def link_reason(crisis: Crisis, other: Crisis) -> str:
    if crisis.customer_id and crisis.customer_id == other.customer_id:
        return LinkReason.SAME_CUSTOMER
    if crisis.unit_id == other.unit_id:
        return LinkReason.SAME_SITE
    return LinkReason.OTHER


def _other_crisis(crisis: Crisis, other_id, actor) -> Crisis:
    try:
        other_id = int(other_id)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Name the related crisis by its number."), errors={"crisis": _("Not a number.")}
        ) from None
    if other_id == crisis.pk:
        raise ValidationFailed(
            _("A crisis cannot be linked to itself."), errors={"crisis": _("Same crisis.")}
        )
    other = crises_visible_to(actor).filter(pk=other_id).first()
    if other is None:
        raise NotFound(_("Not found, or not visible to you."))
    return other


def _pair(a: Crisis, b: Crisis) -> tuple[Crisis, Crisis]:
    return (a, b) if a.pk < b.pk else (b, a)


@transaction.atomic
def crises_link(*, crisis: Crisis, other_id, actor) -> CrisisLink:
    """Link two related crises (both visible to the actor, who manages the first). Linking
    again returns the existing link. The reason is found: same customer, same site, or other."""
    crisis = lock_managed(
        crisis, actor, refusal=_("Only the crisis owner, managers and executives can link crises.")
    )
    other = _other_crisis(crisis, other_id, actor)
    low, high = _pair(crisis, other)
    link, created = CrisisLink.objects.get_or_create(
        from_crisis=low,
        to_crisis=high,
        defaults={"reason": link_reason(crisis, other), "linked_by": actor},
    )
    if created:
        for one, two in ((crisis, other), (other, crisis)):
            events.crisis_linked_event(
                crisis=one, other=two, actor=actor, reason=link.reason, linked=True
            )
    return link


@transaction.atomic
def crises_unlink(*, crisis: Crisis, other_id, actor) -> None:
    crisis = lock_managed(
        crisis,
        actor,
        refusal=_("Only the crisis owner, managers and executives can unlink crises."),
    )
    other = _other_crisis(crisis, other_id, actor)
    low, high = _pair(crisis, other)
    link = CrisisLink.objects.filter(from_crisis=low, to_crisis=high).first()
    if link is None:
        raise NotFound(_("These crises are not linked."))
    reason = link.reason
    link.delete()
    for one, two in ((crisis, other), (other, crisis)):
        events.crisis_linked_event(crisis=one, other=two, actor=actor, reason=reason, linked=False)


# --- Reopening ----------------------------------------------------------------------------------


def reopen_deadline(crisis: Crisis):
    """Until when a closed crisis may be reopened (None: it is open)."""
    return crisis.closed_at + REOPEN_WINDOW if crisis.closed_at else None


@transaction.atomic
def crisis_reopen(*, crisis: Crisis, reason: str, actor) -> Crisis:
    """Reopen a closed (resolved or cancelled) crisis within 7 days of its closing.

    Nothing restarts silently: the tasks the closing cancelled stay cancelled (add ad-hoc
    tasks for what is still to do); the closing's outcome, metrics and stars stay on record in
    the "closed" event; the status-update cadence starts again from now. The "reopened" event
    says all of it (previous status, closing time and outcome, the tasks that stay cancelled);
    everyone taking part is told."""
    crisis = lock_managed(
        crisis, actor, refusal=_("Only the crisis owner, managers and executives can reopen it.")
    )
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why the crisis reopens.")
    check_length(errors, "reason", reason, REASON_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The crisis cannot be reopened."), errors=errors)
    if crisis.status == CrisisStatus.OPEN:
        raise Conflict(_("The crisis is open."), code="crisis_open")
    now = timezone.now()
    deadline = reopen_deadline(crisis)
    if deadline is None or now > deadline:
        raise Conflict(
            _(
                "This crisis closed more than 7 days ago (%(closed)s) and can no longer be "
                "reopened: file a new crisis and link it to this one."
            )
            % {"closed": timezone.localtime(crisis.closed_at).strftime("%Y-%m-%d %H:%M")},
            code="reopen_window_passed",
        )
    stay_cancelled = list(
        crisis.tasks.filter(
            status=TaskStatus.CANCELLED,
            events__kind="task_cancelled",
            events__data__reason="crisis closed",
        )
        .order_by("order", "id")
        .values_list("pk", "duty_code")
        .distinct()
    )
    data = {
        "reason": reason,
        "previous_status": crisis.status,
        "closed_at": crisis.closed_at.isoformat(),
        "closed_by_id": crisis.closed_by_id,
        "outcome": crisis.outcome[:500],
        "tasks_still_cancelled": [{"task_id": pk, "duty": code} for pk, code in stay_cancelled],
        "status_update_restarted_at": now.isoformat(),
    }
    crisis.status = CrisisStatus.OPEN
    crisis.closed_at = None
    crisis.closed_by = None
    crisis.resolution_seconds = None
    crisis.status_updated_at = now
    crisis.status_update_reminded = False
    crisis.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "resolution_seconds",
            "status_updated_at",
            "status_update_reminded",
        ]
    )
    event = events.crisis_reopened_event(crisis=crisis, actor=actor, at=now, data=data)
    notify_audience(
        crisis,
        kind="crisis.reopened",
        params={"crisis_title": crisis.title, "by": actor_person(actor), "reason": reason},
        key=f"reopened:{event.pk}",
        skip_user_id=actor.pk,
    )
    crisis_board_flags_refresh([crisis.pk])
    return crisis
