"""Drill pages (issue 16 §1–2): the HR admins' drills page with its "Start a drill" form, the
drill report, and "Stop now". Thin: reads from ``selectors.drills``, writes through
``services.filing`` / ``services.drills``; domain errors become messages or a 403, never a 500."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hrcore.api.errors import forbidden
from hrcore.errors import KeelError, PermissionDenied
from hrcore.selectors import unit_by_code

from .selectors import drills as drill_selectors
from .selectors.access import crises_visible_to
from .selectors.filing import filing_choices
from .services.drill_schedule import drill_schedule, drill_title
from .services.drills import drill_stop
from .services.filing import MAX_DRILL_SPEED, crisis_file


class DrillStartForm(forms.Form):
    scenario = forms.ChoiceField(label=gettext_lazy("Scenario"))
    unit = forms.ChoiceField(label=gettext_lazy("Unit"))
    speed = forms.IntegerField(
        label=gettext_lazy("Clock speed (×)"),
        min_value=1,
        max_value=MAX_DRILL_SPEED,
        initial=1,
        help_text=gettext_lazy("Every deadline is divided by it: ×4 turns 20 minutes into 5."),
    )

    def __init__(self, *args, scenarios=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [(s.code, s.name) for s in scenarios]
        self.fields["unit"].choices = [
            (u.code, ("\u2003" * max(u.depth - 1, 0)) + u.name) for u in units
        ]


class DrillScheduleForm(DrillStartForm):
    window_start = forms.DateTimeField(
        label=gettext_lazy("Window start"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    window_end = forms.DateTimeField(
        label=gettext_lazy("Window end"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    announced = forms.BooleanField(
        label=gettext_lazy("Announce it to the participants now"),
        required=False,
        help_text=gettext_lazy(
            "Unannounced: it starts without notice at a random moment of the window, within "
            "the unit's business hours."
        ),
    )


@login_required
def drills(request):
    """The drills, and (HR admins) the form that starts one."""
    if not drill_selectors.may_run_drills(request.user):
        return forbidden(request, _("Only HR admins run drills."))
    scenarios, units = filing_choices(request.user)
    scheduling = request.method == "POST" and "schedule-window_start" in request.POST
    form = DrillStartForm(
        request.POST if request.method == "POST" and not scheduling else None,
        scenarios=scenarios,
        units=units,
    )
    schedule_form = DrillScheduleForm(
        request.POST if scheduling else None, scenarios=scenarios, units=units, prefix="schedule"
    )
    status = 200
    if scheduling:
        status = _schedule(request, schedule_form)
        if status == 302:
            return redirect("crisis:drills")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scenario = next(s for s in scenarios if s.code == data["scenario"])
        try:
            crisis = crisis_file(
                scenario=data["scenario"],
                title=drill_title(scenario),
                unit=unit_by_code(data["unit"]),
                actor=request.user,
                drill=True,
                drill_speed=data["speed"],
            )
        except KeelError as exc:
            status = exc.status
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Drill started. Its participants have been notified."))
            return redirect("crisis:detail", pk=crisis.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "crisis/drills.html",
        {
            "form": form,
            "schedule_form": schedule_form,
            "drills": list(drill_selectors.drills_visible_to(request.user)[:100]),
            "schedules": list(drill_selectors.schedules_pending()),
        },
        status=status,
    )


def _schedule(request, form: DrillScheduleForm) -> int:
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    try:
        drill_schedule(
            scenario=data["scenario"],
            unit=unit_by_code(data["unit"]),
            window_start=data["window_start"],
            window_end=data["window_end"],
            announced=data["announced"],
            speed=data["speed"],
            actor=request.user,
        )
    except KeelError as exc:
        form.add_error(None, exc.message)
        for field, problem in (exc.errors or {}).items():
            if field in form.fields:
                form.add_error(field, problem)
        return exc.status
    messages.success(request, _("Drill scheduled."))
    return 302


@login_required
def drill_report_page(request, pk: int):
    crisis = drill_selectors.drill_for_report(request.user, pk)
    if crisis is None:
        raise Http404(_("No such drill, or not visible to you."))
    report = drill_selectors.drill_report(crisis, viewer=request.user)
    return render(request, "crisis/drill_report.html", {"crisis": crisis, "report": report})


@login_required
@require_POST
def drill_stop_page(request, pk: int):
    crisis = crises_visible_to(request.user).filter(pk=pk).first()
    if crisis is None:
        raise Http404(_("Not found, or not visible to you."))
    try:
        drill_stop(crisis=crisis, actor=request.user)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Drill stopped: every clock it started has stopped."))
    return redirect("crisis:detail", pk=pk)
