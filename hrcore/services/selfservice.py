"""Employee self-service writes (seed 001): ask a question or dispute a score, answer it, the
tick's reminders and escalations of the weekly answer window, and recording one's own absence
with a delegate."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import AuditAction, audit
from ..choices import AbsenceKind
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..models import Absence, Employee, Question
from ..notification_kinds import person, when
from ..score_refs import score_kind
from ..selectors import employee_of, present_stand_in
from ..selfservice_models import QuestionKind, QuestionStatus, RoutedVia
from ..selfservice_selectors import (
    answer_window_for,
    can_answer,
    hr_admin_users,
    question_route,
    question_visible,
)
from .notifications import notification_send
from .org import absence_delete, absence_save

logger = logging.getLogger(__name__)
User = get_user_model()

SUBJECT_MAX = 200
TEXT_MAX = 4000


def _asker(user: AbstractBaseUser) -> Employee:
    employee = employee_of(user)
    if employee is None or not employee.is_active:
        raise PermissionDenied(_("Only employees of the group can use self-service."))
    return employee


def _text(value: object, *, field: str, limit: int, errors: dict) -> str:
    text = str(value or "").strip()
    if not text:
        errors[field] = _("This field is required.")
    elif len(text) > limit:
        errors[field] = _("At most %(limit)s characters.") % {"limit": limit}
    return text


def _window_params(question: Question, time_zone: str) -> dict:
    return {
        "opens_at": when(question.window_opens_at),
        "closes_at": when(question.window_closes_at),
        "time_zone": time_zone,
    }


def _recipients(question: Question) -> list:
    """Who a question is for: the person it is routed to, or HR's admins."""
    if question.answerer_id and question.answerer.user_id:
        return [question.answerer.user]
    return hr_admin_users()


@transaction.atomic
def question_ask(
    *,
    user: AbstractBaseUser,
    kind: str,
    subject: str,
    body: str,
    reference_kind: str = "",
    reference_id: str = "",
    now: datetime | None = None,
) -> Question:
    """Ask the supervisor a question, or dispute one of one's own scores (``reference_kind`` a
    registered score kind, ``reference_id`` one's own score of it). The question goes to the
    supervisor — their delegate when they are away, HR when there is nobody — and is due in the
    next whole answer window of the asker's unit."""
    now = now or timezone.now()
    asker = _asker(user)
    errors: dict[str, str] = {}
    if kind not in QuestionKind.values:
        errors["kind"] = _("Choose a question or a score dispute.")
    subject = _text(subject, field="subject", limit=SUBJECT_MAX, errors=errors)
    body = _text(body, field="body", limit=TEXT_MAX, errors=errors)
    reference_kind, reference_id = str(reference_kind or ""), str(reference_id or "").strip()
    label: dict = {}
    if kind == QuestionKind.DISPUTE and not (reference_kind and reference_id):
        errors["reference"] = _("A dispute names the score it disputes.")
    elif reference_kind or reference_id:
        score = score_kind(reference_kind)
        if score is None:
            errors["reference"] = _("Unknown kind of score “%(kind)s”.") % {"kind": reference_kind}
        else:
            label = score.label(asker, reference_id) or {}
            if not label:
                errors["reference"] = _("That is not one of your scores.")
    if errors:
        raise ValidationFailed(_("The question is not valid."), errors=errors)
    answerer, via = question_route(asker, now)
    window = answer_window_for(asker.unit)
    opens, closes = window.next_opening_after(now)
    question = Question.objects.create(
        asker=asker,
        kind=kind,
        subject=subject,
        body=body,
        reference_kind=reference_kind,
        reference_id=reference_id,
        reference_label=label,
        answerer=answerer,
        routed_via=via,
        created_at=now,
        window_opens_at=opens,
        window_closes_at=closes,
    )
    params = {
        "kind": kind,
        "asker": person(asker),
        "subject": subject,
        **_window_params(question, window.time_zone),
    }
    for recipient in _recipients(question):
        notification_send(
            recipient=recipient,
            kind="question.routed",
            params=params,
            link=reverse("questions_team"),
            data={"question_id": question.pk},
            dedupe_key=f"question:{question.pk}:routed:{recipient.pk}",
        )
    return question


@transaction.atomic
def question_answer(*, user: AbstractBaseUser, question_id: int, answer: str) -> Question:
    """Answer a question one may answer (the person it is routed to, the asker's supervisor, or
    HR once it is HR's); the asker is notified. Answering twice is a conflict."""
    question = question_visible(user, question_id)  # 404 when not visible
    question = Question.objects.select_for_update().select_related("asker").get(pk=question.pk)
    if question.status != QuestionStatus.OPEN:
        raise Conflict(_("This question has already been answered."))
    if not can_answer(user, question):
        raise PermissionDenied(_("You may not answer this question."))
    errors: dict[str, str] = {}
    answer = _text(answer, field="answer", limit=TEXT_MAX, errors=errors)
    if errors:
        raise ValidationFailed(_("The answer is not valid."), errors=errors)
    answered_by = employee_of(user)
    now = timezone.now()
    question.status, question.answer = QuestionStatus.ANSWERED, answer
    question.answered_by, question.answered_at = answered_by, now
    question.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    if question.asker.user_id:
        notification_send(
            recipient=question.asker.user,
            kind="question.answered",
            params={
                "kind": question.kind,
                "answerer": person(answered_by, getattr(user, "username", "")),
                "subject": question.subject,
                "answer": answer,
            },
            link=reverse("questions_mine"),
            data={"question_id": question.pk},
            dedupe_key=f"question:{question.pk}:answered",
        )
    return question


# --- The tick: reminders when a window opens, escalation when it closes unanswered ----------


def questions_sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Tick sweep: escalate to HR every open question whose window closed (then move it to the
    next whole window), and remind each answerer once when a window with open questions opens.
    Each question is escalated once and reminded once per window: compare-and-set on its
    window (escalation) and on ``reminded_at`` (reminder), so a doubled tick does nothing twice.
    Each row (escalation) or answerer (reminder) commits on its own; a failure is logged and
    the others go on."""
    now = now or timezone.now()
    return {"escalated": _escalate_due(now, limit), "reminded": _remind_due(now, limit)}


def _escalate_due(now: datetime, limit: int) -> int:
    due = list(
        Question.objects.filter(status=QuestionStatus.OPEN, window_closes_at__lte=now)
        .select_related("asker__unit", "asker__user", "answerer")
        .order_by("window_closes_at", "id")[:limit]
    )
    windows: dict[int, object] = {}
    hr = hr_admin_users() if due else []
    escalated = 0
    for row in due:
        try:
            with transaction.atomic():
                window = windows.get(row.asker.unit_id)
                if window is None:
                    window = windows[row.asker.unit_id] = answer_window_for(row.asker.unit)
                opens, closes = window.next_opening_after(now)
                claimed = Question.objects.filter(
                    pk=row.pk, status=QuestionStatus.OPEN, window_closes_at=row.window_closes_at
                ).update(
                    window_opens_at=opens,
                    window_closes_at=closes,
                    reminded_at=None,
                    escalated_at=now,
                    escalations=F("escalations") + 1,
                )
                if not claimed:
                    continue
                params = {
                    "kind": row.kind,
                    "asker": person(row.asker),
                    "answerer": person(row.answerer) if row.answerer_id else {},
                    "subject": row.subject,
                    "closed_at": when(row.window_closes_at),
                    "time_zone": window.time_zone,
                }
                for recipient in hr:
                    notification_send(
                        recipient=recipient,
                        kind="question.escalated",
                        params=params,
                        link=reverse("questions_escalated"),
                        data={"question_id": row.pk},
                        dedupe_key=(
                            f"question:{row.pk}:escalated:{row.window_closes_at.isoformat()}"
                            f":{recipient.pk}"
                        ),
                    )
                escalated += 1
        except Exception:
            logger.exception("escalating question %s failed", row.pk)
    return escalated


def _reroute_if_away(row: Question, now: datetime) -> None:
    """When the window opens and the person a question went to has left or is away, it goes to
    their present delegate — or to HR when nobody stands in (in memory; the reminder's
    compare-and-set writes it)."""
    if row.answerer is None:
        return
    if not row.answerer.is_active:
        row.answerer, row.routed_via = None, RoutedVia.HR
        return
    present, via_delegate = present_stand_in(row.answerer, now)
    if not via_delegate:
        return
    if present is None or present.pk == row.asker_id:
        row.answerer, row.routed_via = None, RoutedVia.HR
    else:
        row.answerer, row.routed_via = present, RoutedVia.DELEGATE


def _remind_due(now: datetime, limit: int) -> int:
    due = list(
        Question.objects.filter(
            status=QuestionStatus.OPEN,
            reminded_at__isnull=True,
            window_opens_at__lte=now,
            window_closes_at__gt=now,
        )
        .select_related("answerer__user", "asker__unit")
        .order_by("window_opens_at", "id")[:limit]
    )
    by_answerer: dict[int | None, list[Question]] = defaultdict(list)
    for row in due:
        _reroute_if_away(row, now)
        by_answerer[row.answerer_id].append(row)
    reminded = 0
    for rows in by_answerer.values():
        try:
            with transaction.atomic():
                claimed = [
                    row
                    for row in rows
                    if Question.objects.filter(
                        pk=row.pk,
                        status=QuestionStatus.OPEN,
                        reminded_at__isnull=True,
                        window_opens_at=row.window_opens_at,
                    ).update(reminded_at=now, answerer=row.answerer, routed_via=row.routed_via)
                ]
                if not claimed:
                    continue
                first = claimed[0]
                time_zone = answer_window_for(first.asker.unit).time_zone
                for recipient in _recipients(first):
                    notification_send(
                        recipient=recipient,
                        kind="question.reminder",
                        params={
                            "count": len(claimed),
                            "closes_at": when(first.window_closes_at),
                            "time_zone": time_zone,
                        },
                        link=reverse(
                            "questions_team" if first.answerer_id else "questions_escalated"
                        ),
                        data={"question_ids": [r.pk for r in claimed]},
                        dedupe_key=(
                            f"question:reminder:{first.answerer_id or 'hr'}:"
                            f"{first.window_opens_at.isoformat()}:{recipient.pk}"
                        ),
                    )
                reminded += len(claimed)
        except Exception:
            logger.exception("reminding of questions %s failed", [r.pk for r in rows])
    return reminded


# --- Absence self-service ------------------------------------------------------------------


@transaction.atomic
def absence_self_record(
    *,
    user: AbstractBaseUser,
    starts_at: datetime | None,
    ends_at: datetime | None,
    delegate_id: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> Absence:
    """Record one's own leave with a delegate: it ends after it starts and is not over yet; the
    delegate is someone else, employed, and not away themselves in that period; it does not
    overlap one's own recorded absences. The supervisor and the delegate are notified; the
    resolver hands the person's duties to the delegate meanwhile."""
    now = now or timezone.now()
    employee = _asker(user)
    errors: dict[str, str] = {}
    if starts_at is None:
        errors["starts_at"] = _("This field is required.")
    if ends_at is None:
        errors["ends_at"] = _("This field is required.")
    if starts_at and ends_at:
        if ends_at <= starts_at:
            errors["ends_at"] = _("The absence must end after it starts.")
        elif ends_at <= now:
            errors["ends_at"] = _("This absence is already over.")
    reason = str(reason or "").strip()
    if len(reason) > 200:
        errors["reason"] = _("At most %(limit)s characters.") % {"limit": 200}
    delegate = None
    if not delegate_id:
        errors["delegate"] = _("Name who stands in for you.")
    else:
        delegate = (
            Employee.objects.select_related("user").filter(pk=delegate_id).first()
            if str(delegate_id).isdigit()
            else None
        )
        if delegate is None or not delegate.is_active:
            errors["delegate"] = _("The delegate must be an employee of the group.")
        elif delegate.pk == employee.pk:
            errors["delegate"] = _("A delegate must be someone other than the absent employee.")
        elif (
            "ends_at" not in errors
            and starts_at
            and ends_at
            and Absence.objects.filter(
                employee=delegate, starts_at__lt=ends_at, ends_at__gt=starts_at
            ).exists()
        ):
            errors["delegate"] = _("%(name)s is away themselves during this period.") % {
                "name": delegate.name
            }
    if (
        "ends_at" not in errors
        and starts_at
        and ends_at
        and Absence.objects.filter(
            employee=employee, starts_at__lt=ends_at, ends_at__gt=starts_at
        ).exists()
    ):
        errors["starts_at"] = _("You already recorded an absence overlapping these dates.")
    if errors:
        raise ValidationFailed(_("The absence is not valid."), errors=errors)
    absence = absence_save(
        absence=Absence(
            employee=employee,
            starts_at=starts_at,
            ends_at=ends_at,
            delegate=delegate,
            reason=reason,
            kind=AbsenceKind.LEAVE,
            recorded_by=user,
        ),
        actor=user,
    )
    _absence_notify(
        "recorded",
        absence_id=absence.pk,
        employee=employee,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    return absence


def _absence_notify(
    event: str,
    *,
    absence_id: int,
    employee: Employee,
    delegate: Employee | None,
    starts_at: datetime,
    ends_at: datetime,
    **extra,
) -> None:
    """Tell the person's manager and their delegate (each once) that leave was ``event``
    (``absence.recorded`` / ``absence.cancelled``)."""
    params = {
        "employee": person(employee),
        "delegate": person(delegate),
        "starts_at": when(starts_at),
        "ends_at": when(ends_at),
        "time_zone": employee.time_zone,
        **extra,
    }
    manager = employee.manager
    users = (manager.user if manager else None, delegate.user if delegate else None)
    for recipient in {u.pk: u for u in users if u is not None}.values():
        notification_send(
            recipient=recipient,
            kind=f"absence.{event}",
            params=params,
            link=reverse("org_chart"),
            data={"absence_id": absence_id},
            dedupe_key=f"absence:{absence_id}:{event}:{recipient.pk}",
        )


@transaction.atomic
def absence_self_cancel(
    *, user: AbstractBaseUser, absence_id: int, now: datetime | None = None
) -> Absence | None:
    """Cancel one's own leave that is not over yet, undoing what recording it did: a leave
    that has not begun is removed; one already running ends now (the days taken stay on record).
    Either way the resolver stops handing the person's duties to the delegate from now on, the
    maps' coverage is told (``org_changed``), an audit entry says who cancelled what, and the
    supervisor and the delegate are told. Someone else's absence is not found; one the HR system
    recorded is changed there (its next update would bring it back), one HR entered by hand is
    HR's to change, and one already over is a conflict. Returns the shortened absence, or None when it was removed."""
    now = now or timezone.now()
    employee = _asker(user)
    absence = (
        Absence.objects.select_for_update(of=("self",))
        .select_related("delegate__user")
        .filter(pk=absence_id, employee=employee)
        .first()
        if str(absence_id).isdigit()
        else None
    )
    if absence is None:
        raise NotFound(_("No such leave of yours."))
    if absence.external_id:
        raise Conflict(_("This absence comes from the HR system: ask HR to change it there."))
    if absence.recorded_by_id != user.pk:
        raise Conflict(_("HR recorded this absence: ask HR to change it."))
    if absence.ends_at <= now:
        raise Conflict(_("This absence is already over."))
    before = {
        "starts_at": absence.starts_at.isoformat(),
        "ends_at": absence.ends_at.isoformat(),
        "delegate": absence.delegate_id,
    }
    starts_at, ends_at, delegate = absence.starts_at, absence.ends_at, absence.delegate
    started = absence.starts_at < now
    if started:  # the part already taken stays on record; from now on the person is back
        audit(
            absence,
            AuditAction.UPDATE,
            changes={"ends_at": [before["ends_at"], now.isoformat()]},
            actor=user,
            data={"cancelled_by": "employee", "ended_early": True},
        )
        absence.ends_at = now
        absence_save(absence=absence, actor=user)
    else:
        audit(
            absence,
            AuditAction.DELETE,
            changes={k: [v, None] for k, v in before.items()},
            actor=user,
            data={"cancelled_by": "employee"},
        )
        absence_delete(absence=absence, actor=user)
    _absence_notify(
        "cancelled",
        absence_id=int(absence_id),
        employee=employee,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        ended_early=started,
    )
    return absence if started else None
