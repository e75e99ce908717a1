"""Statutory clock pages (issue 15 §3): filing a clock from the crisis page (or marking it not
applicable), downloading its proof, and the HR admins' library of obligations. Thin: reads from
``selectors.obligations``, writes through ``services.obligations``; domain errors become
messages (or a 403 page), never a 500."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hrcore.api.errors import forbidden
from hrcore.errors import KeelError, PermissionDenied, ValidationFailed
from hrcore.field_names import message_for
from hrcore.selectors import is_hr_admin
from responsibilities.models import Scenario

from .choices import Severity
from .downloads import attachment
from .models import Obligation
from .obligations import ObligationTrigger, PeriodUnit
from .selectors import obligations as obligation_selectors
from .selectors.access import crisis_access
from .services import obligations as obligation_services


def _error_message(exc: KeelError) -> str:
    details = [message_for(field, str(problem)) for field, problem in (exc.errors or {}).items()]
    return f"{exc.message} ({'; '.join(details)})" if details else exc.message


@login_required
@require_POST
def obligation_file(request, pk: int):
    """The crisis page's filing form: a note and/or proof, or ``not_applicable`` + a reason."""
    clock = obligation_selectors.obligation_visible(request.user, pk)
    if clock is None:
        raise Http404(_("No such statutory clock, or you may not see it."))
    try:
        if request.POST.get("not_applicable"):
            obligation_services.obligation_not_applicable(
                clock=clock, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Marked not applicable."))
        else:
            obligation_services.obligation_file(
                clock=clock,
                actor=request.user,
                note=request.POST.get("note", ""),
                file=request.FILES.get("file"),
            )
            messages.success(request, _("Filed: the clock has stopped."))
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except KeelError as exc:
        messages.error(request, _error_message(exc))
    return redirect(f"{reverse('crisis:detail', args=[clock.crisis_id])}#clock-{clock.code}")


@login_required
@require_POST
def obligation_adjust(request, pk: int):
    """The crisis manager corrects a clock: the incident started earlier than the filing
    (``started_at``, local time), or the authority extended the period (``extension_reason``)."""
    clock = obligation_selectors.obligation_visible(request.user, pk)
    if clock is None:
        raise Http404(_("No such statutory clock, or you may not see it."))
    try:
        if "started_at" in request.POST:
            field = forms.DateTimeField(required=True)
            try:
                started_at = field.clean(request.POST["started_at"])
            except forms.ValidationError:
                raise ValidationFailed(
                    _("Give the date and time the incident started."),
                    errors={"started_at": _("Give an earlier time.")},
                ) from None
            obligation_services.obligation_start_correct(
                clock=clock, actor=request.user, started_at=started_at
            )
            messages.success(request, _("The clock now counts from the start of the incident."))
        else:
            obligation_services.obligation_extend(
                clock=clock, actor=request.user, reason=request.POST.get("extension_reason", "")
            )
            messages.success(request, _("The period is extended."))
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except KeelError as exc:
        messages.error(request, _error_message(exc))
    return redirect(f"{reverse('crisis:detail', args=[clock.crisis_id])}#clock-{clock.code}")


@login_required
def obligation_proof(request, pk: int):
    """The proof of a filed clock, for whoever sees the crisis in full."""
    clock = obligation_selectors.obligation_visible(request.user, pk)
    if clock is None or not clock.file or not crisis_access(request.user, clock.crisis).full:
        raise Http404(_("No such file, or you may not download it."))
    return attachment(clock.file, name=clock.file_name, content_type=clock.content_type)


# --- The HR admins' library -----------------------------------------------------------------


class ObligationForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=64)
    title_zh = forms.CharField(label=gettext_lazy("Title (Chinese)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200)
    basis_zh = forms.CharField(
        label=gettext_lazy("Legal basis (Chinese)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    basis_en = forms.CharField(
        label=gettext_lazy("Legal basis (English)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    guidance_zh = forms.CharField(
        label=gettext_lazy("Guidance (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    guidance_en = forms.CharField(
        label=gettext_lazy("Guidance (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    trigger = forms.ChoiceField(
        label=gettext_lazy("Trigger"),
        choices=ObligationTrigger.choices,
        help_text=gettext_lazy(
            "Awareness: the crisis is filed. Classification: its severity is set or raised to one "
            "of the severities below. Incident start: the filing time, which the crisis manager "
            "can correct. Decision: a decision with one of the option codes below (none: any)."
        ),
    )
    severities = forms.MultipleChoiceField(
        label=gettext_lazy("Severities (classification trigger)"),
        choices=Severity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    decision_options = forms.CharField(
        label=gettext_lazy("Decision option codes (decision trigger; comma-separated)"),
        required=False,
        max_length=500,
    )
    period_value = forms.IntegerField(label=gettext_lazy("Period"), min_value=1, max_value=366)
    period_unit = forms.ChoiceField(label=gettext_lazy("Unit"), choices=PeriodUnit.choices)
    extension_value = forms.IntegerField(
        label=gettext_lazy("Extension allowed (same unit)"), min_value=0, initial=0
    )
    warn_ratio = forms.FloatField(
        label=gettext_lazy("Warn at (share of the period)"), min_value=0, max_value=1, initial=0.75
    )
    scenarios = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Scenarios"),
        queryset=Scenario.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, obligation: Obligation) -> dict:
        fields = [name for name in cls.base_fields if name not in ("scenarios", "decision_options")]
        initial = {name: getattr(obligation, name) for name in fields}
        initial["decision_options"] = ", ".join(obligation.decision_options or [])
        initial["scenarios"] = list(obligation.scenarios.all())
        return initial


def _require_hr_admin(user) -> None:
    if not is_hr_admin(user):
        raise DjangoPermissionDenied(_("Only HR admins edit the statutory obligations."))


@login_required
def obligations_library(request):
    _require_hr_admin(request.user)
    return render(
        request,
        "crisis/obligations/library.html",
        {"obligations": obligation_selectors.obligations_library()},
    )


@login_required
def obligation_edit(request, pk: int | None = None):
    _require_hr_admin(request.user)
    obligation = None
    if pk is not None:
        obligation = Obligation.objects.filter(pk=pk).first()
        if obligation is None:
            raise Http404(_("No such obligation."))
    if request.method == "POST":
        form = ObligationForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            scenarios = data.pop("scenarios")
            data["decision_options"] = [
                o.strip() for o in (data.get("decision_options") or "").split(",") if o.strip()
            ]
            try:
                obligation_services.obligation_save(
                    obligation=obligation, data=data, scenarios=scenarios, actor=request.user
                )
            except KeelError as exc:
                for field, problem in (exc.errors or {}).items():
                    form.add_error(field if field in form.fields else None, str(problem))
                if not exc.errors:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("Saved. New crises use it; running clocks keep theirs.")
                )
                return redirect("crisis:obligations_library")
    else:
        form = ObligationForm(
            initial=ObligationForm.initial_for(obligation) if obligation else None
        )
    return render(request, "crisis/obligations/edit.html", {"form": form, "obligation": obligation})
