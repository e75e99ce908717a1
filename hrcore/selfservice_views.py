"""Pages of employee self-service: my questions (ask, dispute, read answers), my team's questions
(answer), HR's list of escalated questions, and recording one's own absence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selfservice_selectors as qs
from .errors import KeelError, NotFound, ValidationFailed
from .selectors import employee_of, employees_visible_to, is_hr_admin
from .selfservice_forms import AbsenceForm, AnswerForm, QuestionForm
from .services import selfservice


def _apply_errors(form, exc: ValidationFailed, fields: dict[str, str] | None = None) -> None:
    """The service's field errors on the form (``fields`` maps service names to form names)."""
    fields = fields or {}
    placed = False
    for name, message in exc.errors.items():
        target = fields.get(name, name)
        if target in form.fields:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _tabs(request) -> dict:
    employee = employee_of(request.user)
    return {
        "show_team": employee is not None
        and (employee.reports.exists() or qs.team_questions(request.user).exists()),
        "show_hr": is_hr_admin(request.user),
    }


@login_required
def questions_mine(request):
    employee = employee_of(request.user)
    form = QuestionForm(request.POST or None, employee=employee)
    if request.method == "POST":
        if employee is None:
            raise PermissionDenied
        if form.is_valid():
            kind, pk = form.reference_parts()
            try:
                selfservice.question_ask(
                    user=request.user,
                    kind=form.cleaned_data["kind"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    reference_kind=kind,
                    reference_id=pk,
                )
            except ValidationFailed as exc:
                _apply_errors(form, exc, {"reference": "reference"})
            else:
                messages.success(request, _("Your question was sent."))
                return redirect("questions_mine")
    window = qs.answer_window_for(employee.unit) if employee else None
    next_window = window.next_opening_after(timezone.now()) if window else None
    return render(
        request,
        "hrcore/questions_mine.html",
        {
            "form": form,
            "questions": qs.my_questions(request.user),
            "window": window,
            "next_window": next_window,
            "tab": "mine",
            **_tabs(request),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def questions_team(request):
    rows = list(qs.team_questions(request.user))
    return render(
        request,
        "hrcore/questions_team.html",
        {
            "rows": [(q, qs.can_answer(request.user, q)) for q in rows],
            "form": AnswerForm(),
            "tab": "team",
            **_tabs(request),
        },
    )


@login_required
def questions_escalated(request):
    if not is_hr_admin(request.user):
        raise PermissionDenied
    rows = list(qs.escalated_questions(request.user))
    return render(
        request,
        "hrcore/questions_team.html",
        {
            "rows": [(q, qs.can_answer(request.user, q)) for q in rows],
            "form": AnswerForm(),
            "tab": "hr",
            "escalated": True,
            **_tabs(request),
        },
    )


@login_required
@require_POST
def question_answer(request, pk: int):
    form = AnswerForm(request.POST)
    back = (request.POST.get("next") == "hr" and "questions_escalated") or "questions_team"
    if not form.is_valid():
        messages.error(request, _("Write an answer first."))
        return redirect(back)
    try:
        selfservice.question_answer(
            user=request.user, question_id=pk, answer=form.cleaned_data["answer"]
        )
    except KeelError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Your answer was sent."))
    return redirect(back)


@login_required
def absence_self(request):
    employee = employee_of(request.user)
    people = (
        employees_visible_to(request.user).exclude(pk=employee.pk).order_by("unit__path", "name_en")
        if employee
        else []
    )
    form = AbsenceForm(request.POST or None, people=people)
    status = 200
    if request.method == "POST":
        if employee is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                selfservice.absence_self_record(
                    user=request.user,
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    delegate_id=int(form.cleaned_data["delegate"]),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Your absence was recorded."))
                return redirect("absence_self")
        status = 400
    return render(
        request,
        "hrcore/absence_self.html",
        {
            "form": form,
            "absences": qs.my_absences(request.user),
            "now": timezone.now(),
            "tab": "absence",
            **_tabs(request),
        },
        status=status,
    )


@login_required
@require_POST
def absence_self_cancel(request, pk: int):
    """Cancel one's own leave that is not over (``selfservice.absence_self_cancel``); someone
    else's is a 404, one already over or from the HR system a message."""
    try:
        kept = selfservice.absence_self_cancel(user=request.user, absence_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Your leave ends now; your delegate no longer stands in for you.")
            if kept is not None
            else _("Your leave was cancelled; your delegate no longer stands in for you."),
        )
    return redirect("absence_self")
