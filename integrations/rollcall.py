""" "Are you safe" roll calls (issue 13 §6): a crisis's manager asks everyone in a unit; each
answers safe / need help / not affected by a signed link or the API; the tally is live;
non-responders are escalated to their managers after the ladder's minutes; "need help" reaches
the administration department at once.

Idempotent: one roll call per (crisis, unit) — a repeated send returns the same roll call, and
each person's message is a notification with a fixed dedupe key, so nobody is messaged twice.
The messages leave through the reach ledger like every crisis message (in-app, then the
person's first channel)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.choices import TaskKind
from crisis.selectors.access import can_manage
from crisis.services.added_tasks import task_add
from hrcore.choices import DepartmentFunction
from hrcore.errors import KeelError, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Employee, Notification, OrgUnit
from hrcore.notification_kinds import person
from hrcore.reach import notification_acknowledge, reach_policy, recipient_label
from hrcore.selectors import resolve_assignee
from hrcore.services.notifications import notification_send

from .models import RollCall, RollCallAnswer

logger = logging.getLogger(__name__)

ANSWERS = ("safe", "need_help", "not_affected")
ROLLCALL_KIND = "crisis.rollcall"
HELP_KIND = "crisis.rollcall_help"
MISSING_KIND = "crisis.rollcall_missing"
SALT = "keel.rollcall"


def _notify(**kwargs):
    return notification_send(**kwargs)


def answer_link(row: RollCallAnswer) -> str:
    from .reach import public_url

    token = signing.dumps({"r": row.pk}, salt=SALT)
    return public_url() + reverse("integrations:rollcall_answer_page", args=[token])


def row_from_token(token: str) -> RollCallAnswer:
    """The person's row of a roll call from their signed link (``ValidationFailed`` with code
    ``expired`` or ``invalid``)."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=timedelta(hours=reach_policy().ack_link_hours)
        )
    except signing.SignatureExpired as exc:
        raise ValidationFailed(_("This link has expired"), code="expired") from exc
    except signing.BadSignature as exc:
        raise ValidationFailed(_("This link is not valid"), code="invalid") from exc
    row = RollCallAnswer.objects.select_related("roll_call").filter(pk=data.get("r")).first()
    if row is None:
        raise ValidationFailed(_("This link is not valid"), code="invalid")
    return row


def on_site_usernames(crisis_id: int) -> set[str]:
    """Who the attendance system said is on site today, in the crisis's latest dossier (the
    crisis unit's people and its assignees, looked up when the dossier was built)."""
    from .models import DossierSource

    source = (
        DossierSource.objects.filter(
            dossier__crisis_id=crisis_id, source="attendance", data__isnull=False
        )
        .order_by("-dossier_id")
        .first()
    )
    rows = source.data if source is not None and isinstance(source.data, list) else []
    return {
        str(r.get("username"))
        for r in rows
        if isinstance(r, dict) and r.get("status") == "on_site" and r.get("username")
    }


def _recipients(unit: OrgUnit, crisis=None) -> list:
    """Everyone employed in the unit and the units below it, and whoever attendance says is
    on site today (the crisis's dossier)."""
    from django.db.models import Q

    on_site = on_site_usernames(crisis.pk) if crisis is not None else set()
    return list(
        Employee.objects.filter(
            Q(unit__path__startswith=unit.path) | Q(user__username__in=on_site), is_active=True
        )
        .select_related("user")
        .order_by("id")
    )


def roll_call_send(*, crisis, unit_code: str | None, message: str, actor) -> tuple[RollCall, bool]:
    """Ask everyone in the unit (default: the crisis's unit) whether they are safe. Returns the
    roll call and whether it is new; a repeat returns the first one and messages nobody
    again."""
    if not can_manage(actor, crisis):
        raise PermissionDenied(_("Only the crisis's managers and executives send roll calls."))
    if not crisis.is_open:
        raise ValidationFailed(_("The crisis is closed."), code="closed")
    unit = crisis.unit
    if unit_code:
        unit = OrgUnit.objects.filter(code=unit_code).first()
        if unit is None:
            raise ValidationFailed(
                _("Unknown unit “%(code)s”.") % {"code": unit_code}, errors={"unit": unit_code}
            )
    message = (message or "").strip()[:2000]
    existing = RollCall.objects.filter(crisis=crisis, unit=unit).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    minutes = reach_policy().minutes_for(crisis.severity)
    try:
        with transaction.atomic():
            roll_call = RollCall.objects.create(
                crisis=crisis,
                unit=unit,
                message=message,
                created_by=actor,
                created_at=now,
                escalate_at=now + timedelta(minutes=minutes),
            )
            people = _recipients(unit, crisis)
            RollCallAnswer.objects.bulk_create(
                [RollCallAnswer(roll_call=roll_call, user=e.user) for e in people]
            )
            rows = {r.user_id: r for r in roll_call.answers.all()}
            for employee in people:
                row = rows[employee.user_id]
                _notify(
                    recipient=employee.user,
                    kind=ROLLCALL_KIND,
                    params={"crisis_title": crisis.title, "message": message or ""},
                    link=answer_link(row),
                    data={"crisis_id": crisis.pk, "roll_call_id": roll_call.pk},
                    dedupe_key=f"rollcall:{roll_call.pk}:{employee.user_id}",
                )
    except IntegrityError:  # a concurrent send of the same roll call won
        return RollCall.objects.get(crisis=crisis, unit=unit), False
    return roll_call, True


def roll_call_answer(*, row: RollCallAnswer, answer: str, via: str = "api") -> RollCallAnswer:
    """Record the person's answer (they may correct it). "need help" reaches the
    administration department of the crisis's group at once."""
    if answer not in ANSWERS:
        raise ValidationFailed(
            _("Answer one of: safe, need_help, not_affected."), errors={"answer": answer}
        )
    with transaction.atomic():
        row = (
            RollCallAnswer.objects.select_for_update()
            .select_related("roll_call__crisis__unit")
            .get(pk=row.pk)
        )
        first_help = answer == "need_help" and row.answer != "need_help"
        row.answer, row.answered_at = answer, timezone.now()
        row.save(update_fields=["answer", "answered_at"])
        notification = Notification.objects.filter(
            dedupe_key=f"rollcall:{row.roll_call_id}:{row.user_id}"
        ).first()
        if notification is not None:
            notification_acknowledge(notification=notification, via=via)
        if first_help:
            _help_requested(row)
            _help_task(row)
    return row


# How soon the administration must have helped someone who answered "need help", per severity.
HELP_DEADLINE_MINUTES = {"critical": 15, "high": 30, "medium": 60, "low": 120}


def help_task_assignee(crisis) -> Employee | None:
    """Who takes a "need help" answer: the administration duty holder for the crisis's unit (the
    same resolver as the maps' duties: up the tree, head first, delegates for the absent), else
    the crisis's manager (who filed it)."""
    try:
        return resolve_assignee(
            unit=crisis.unit, function=DepartmentFunction.ADMINISTRATION
        ).employee
    except KeelError:
        return Employee.objects.filter(user_id=crisis.filed_by_id, is_active=True).first()


def _help_task(row: RollCallAnswer) -> None:
    """A "need help" answer becomes a task of the crisis for the administration (kind
    ``need_help``, its own clock and escalation): once per person and roll call — the first
    time they ask; a closed crisis takes no task (the administration was told anyway)."""
    if row.help_task_id is not None:
        return
    crisis = row.roll_call.crisis
    assignee = help_task_assignee(crisis)
    if assignee is None:
        return
    asking = Employee.objects.filter(user_id=row.user_id).first()
    unit = row.roll_call.unit
    # Written once, in the language of the person who takes it (a task's action is kept as
    # written, like one typed by hand).
    if assignee.language.startswith("zh"):
        name = asking.name_zh if asking else str(row.user_id)
        action = f"{name} 在平安确认中回复需要帮助（{unit.name_zh}）"
    else:
        name = asking.name_en if asking else str(row.user_id)
        action = f"{name} answered the roll call: needs help ({unit.name_en})"
    try:
        with transaction.atomic():
            task = task_add(
                crisis=crisis,
                kind=TaskKind.NEED_HELP,
                assignee=assignee,
                action=action,
                deadline_minutes=HELP_DEADLINE_MINUTES.get(crisis.severity, 60),
                actor=None,
            )
    except (KeelError, IntegrityError):
        # Closed meanwhile (or a clash): the answer stands and the administration's
        # notification still went out; nothing half-written (the savepoint rolled back).
        logger.warning("no help task for roll-call answer %s", row.pk, exc_info=True)
        return
    RollCallAnswer.objects.filter(pk=row.pk, help_task__isnull=True).update(help_task=task)


def _help_requested(row: RollCallAnswer) -> None:
    """Tell the administration department (of the crisis's group) that someone needs help;
    it asks for an acknowledgement, so it climbs the ladder until someone takes it."""
    crisis = row.roll_call.crisis
    top = crisis.unit.ancestor_ids()[-1] if crisis.unit.ancestor_ids() else crisis.unit_id
    group = OrgUnit.objects.get(pk=top)
    admins = Employee.objects.filter(
        unit__path__startswith=group.path,
        unit__function=DepartmentFunction.ADMINISTRATION,
        is_active=True,
    ).select_related("user")
    asking = Employee.objects.filter(user_id=row.user_id).first()
    for admin in admins:
        _notify(
            recipient=admin.user,
            kind=HELP_KIND,
            params={"name": person(asking, str(row.user_id)), "crisis_title": crisis.title},
            link=f"/crises/{crisis.pk}/",
            data={"crisis_id": crisis.pk, "roll_call_id": row.roll_call_id, "user_id": row.user_id},
            dedupe_key=f"rollcall:help:{row.pk}:{admin.user_id}",
        )


@dataclass(frozen=True)
class Tally:
    recipients: int
    safe: int
    need_help: int
    not_affected: int
    no_answer: int


def tally(roll_call: RollCall) -> Tally:
    counts = {a: 0 for a in ANSWERS}
    total = 0
    for answer in roll_call.answers.values_list("answer", flat=True):
        total += 1
        if answer in counts:
            counts[answer] += 1
    answered = sum(counts.values())
    return Tally(
        total, counts["safe"], counts["need_help"], counts["not_affected"], total - answered
    )


def need_help_names(roll_call_ids: list[int]) -> dict[int, list[str]]:
    """Per roll call, who answered "need help" (one query)."""
    names: dict[int, list[str]] = {}
    rows = (
        RollCallAnswer.objects.filter(roll_call_id__in=roll_call_ids, answer="need_help")
        .select_related("user__employee")
        .order_by("answered_at", "id")
    )
    for row in rows:
        names.setdefault(row.roll_call_id, []).append(recipient_label(row.user))
    return names


def roll_call_escalate_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Tick sweep: people who have not answered by the roll call's escalation time are
    reported to their managers, once each (compare-and-set on ``escalated_at``)."""
    now = now or timezone.now()
    due = list(
        RollCallAnswer.objects.filter(
            answer="", escalated_at__isnull=True, roll_call__escalate_at__lte=now
        )
        .select_related("roll_call__crisis")
        .order_by("id")[:limit]
    )
    escalated = 0
    for row in due:
        with transaction.atomic():
            if not RollCallAnswer.objects.filter(
                pk=row.pk, escalated_at__isnull=True, answer=""
            ).update(escalated_at=now):
                continue
            employee = (
                Employee.objects.select_related("manager__user").filter(user_id=row.user_id).first()
            )
            manager = employee.manager if employee is not None else None
            if manager is None or not manager.user_id:
                continue
            crisis = row.roll_call.crisis
            _notify(
                recipient=manager.user,
                kind=MISSING_KIND,
                params={"name": person(employee), "crisis_title": crisis.title},
                link=f"/crises/{crisis.pk}/",
                data={"crisis_id": crisis.pk, "roll_call_id": row.roll_call_id},
                dedupe_key=f"rollcall:missing:{row.pk}",
            )
            escalated += 1
    return escalated


def roll_call_visible(user, roll_call_id: int) -> RollCall:
    """A roll call its crisis's managers or one of its recipients may read."""
    roll_call = RollCall.objects.select_related("crisis").filter(pk=roll_call_id).first()
    if roll_call is None:
        raise NotFound(_("No such roll call."))
    if can_manage(user, roll_call.crisis):
        return roll_call
    if roll_call.answers.filter(user=user).exists():
        return roll_call
    raise NotFound(_("No such roll call."))


def user_model():
    return get_user_model()
