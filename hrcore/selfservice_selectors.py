"""Reads of employee self-service: the answer window of a unit, where a question goes, and which
questions a person may see (their own; their team's as supervisor or stand-in; HR's list of
questions routed to HR or escalated)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .answer_window import WeeklyWindow
from .choices import Role
from .errors import NotFound
from .models import Absence, AnswerWindow, Employee, OrgUnit, Question
from .selectors import calendar_for_unit, employee_of, is_hr_admin, present_stand_in
from .selfservice_models import QuestionStatus, RoutedVia


def answer_window_for(unit: OrgUnit) -> WeeklyWindow:
    """The answer window of ``unit`` or its nearest ancestor (Thursday 19:00–21:00 when none is
    set), in the time zone of the unit's business calendar."""
    ids = unit.ancestor_ids()
    rows = {w.unit_id: w for w in AnswerWindow.objects.filter(unit_id__in=ids)}
    time_zone = calendar_for_unit(unit).time_zone
    for unit_id in ids:
        row = rows.get(unit_id)
        if row is not None:
            return WeeklyWindow(row.weekday, row.starts, row.ends, time_zone)
    return WeeklyWindow(time_zone=time_zone)


def question_route(asker: Employee, at: datetime) -> tuple[Employee | None, str]:
    """Who answers ``asker``'s question asked at ``at``: their supervisor (manager in the org),
    the supervisor's delegate when the supervisor is away, or HR (None) when there is no
    supervisor or nobody present stands in."""
    supervisor = asker.manager
    if supervisor is None or not supervisor.is_active or supervisor.pk == asker.pk:
        return None, RoutedVia.HR
    person, via_delegate = present_stand_in(supervisor, at)
    if person is None or person.pk == asker.pk:
        return None, RoutedVia.HR
    return person, RoutedVia.DELEGATE if via_delegate else RoutedVia.SUPERVISOR


def hr_admin_users() -> list:
    """The accounts of HR (HR admins), who answer what has no supervisor and get escalations."""
    return list(
        get_user_model()
        .objects.filter(groups__name=Role.HR_ADMIN, is_active=True)
        .order_by("id")
        .distinct()
    )


def _with_people(rows: QuerySet[Question]) -> QuerySet[Question]:
    return rows.select_related(
        "asker__unit",
        "asker__user",
        "asker__manager",
        "answerer__user",
        "answered_by__user",
    )


def my_questions(user: AbstractBaseUser) -> QuerySet[Question]:
    """The user's own questions and disputes, newest first."""
    employee = employee_of(user)
    if employee is None:
        return Question.objects.none()
    return _with_people(Question.objects.filter(asker=employee))


def team_questions(user: AbstractBaseUser) -> QuerySet[Question]:
    """Questions the user answers: routed to them (as supervisor or stand-in) or asked by the
    people who report to them; open ones first, oldest due first."""
    employee = employee_of(user)
    if employee is None:
        return Question.objects.none()
    return _with_people(
        Question.objects.filter(Q(answerer=employee) | Q(asker__manager=employee))
        .exclude(asker=employee)
        .order_by("-status", "window_closes_at", "id")  # "open" sorts after "answered"
    )


def _hr_scope() -> Q:
    return Q(routed_via=RoutedVia.HR) | Q(escalations__gt=0)


def escalated_questions(user: AbstractBaseUser) -> QuerySet[Question]:
    """For HR admins: questions routed to HR and those escalated (a window closed unanswered)."""
    if not is_hr_admin(user):
        return Question.objects.none()
    return _with_people(Question.objects.filter(_hr_scope()).order_by("-status", "-escalated_at"))


def questions_visible_to(user: AbstractBaseUser) -> QuerySet[Question]:
    """Every question ``user`` may read: their own, their team's, and (HR admins) HR's."""
    employee = employee_of(user)
    scope = Q(pk__in=[])
    if employee is not None:
        scope |= Q(asker=employee) | Q(answerer=employee) | Q(asker__manager=employee)
    if is_hr_admin(user):
        scope |= _hr_scope()
    return _with_people(Question.objects.filter(scope))


def question_visible(user: AbstractBaseUser, pk: int) -> Question:
    question = questions_visible_to(user).filter(pk=pk).first()
    if question is None:
        raise NotFound(_("No such question."))
    return question


def can_answer(user: AbstractBaseUser, question: Question) -> bool:
    """The person it is routed to, the asker's supervisor, or HR when it is HR's."""
    if not question.is_open:
        return False
    employee = employee_of(user)
    if (
        employee is not None
        and employee.pk != question.asker_id
        and employee.pk in (question.answerer_id, question.asker.manager_id)
    ):
        return True
    return is_hr_admin(user) and (question.routed_via == RoutedVia.HR or question.escalations > 0)


def open_questions_for(employee: Employee) -> QuerySet[Question]:
    """The open questions and disputes ``employee`` asked (for the person page to link)."""
    return Question.objects.filter(asker=employee, status=QuestionStatus.OPEN).order_by(
        "window_closes_at", "id"
    )


def open_questions_to_answer(employee: Employee) -> QuerySet[Question]:
    """The open questions routed to ``employee`` or asked by their reports (for the person page
    and the home page to link: ``questions_team``)."""
    return (
        Question.objects.filter(Q(answerer=employee) | Q(asker__manager=employee))
        .exclude(asker=employee)
        .filter(status=QuestionStatus.OPEN)
        .order_by("window_closes_at", "id")
    )


def my_absences(user: AbstractBaseUser) -> QuerySet[Absence]:
    """One's own absences, newest first (for the absence page)."""
    employee = employee_of(user)
    if employee is None:
        return Absence.objects.none()
    return (
        Absence.objects.filter(employee=employee)
        .select_related("delegate__unit", "delegate__position")
        .order_by("-starts_at")
    )
