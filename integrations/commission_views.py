"""Commission pages: a person's monthly statement, the commission rules with a preview of a
change on last month, and the payroll export (CSV and the payroll partner). Thin: selectors to
read, services to write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrcore.errors import KeelError
from hrcore.models import Employee
from hrcore.selectors import employee_of, is_hr_admin

from . import selectors
from .forms import CommissionRuleForm
from .models import CommissionRule
from .services import commission_rules, payroll


@login_required
def statement(request, employee_pk: int | None = None):
    """A person's commissions by month: their own, or (for a supervisor, finance, HR) another's."""
    if employee_pk is None:
        employee = employee_of(request.user)
        if employee is None:
            raise Http404
    else:
        employee = get_object_or_404(Employee.objects.select_related("unit"), pk=employee_pk)
        if not selectors.can_see_statement(request.user, employee):
            raise Http404
    return render(
        request,
        "integrations/commission_statement.html",
        {"employee": employee, "months": selectors.commission_statement(employee)},
    )


@login_required
def rules(request):
    """HR admins: the rules, a new rule, and its preview on last month before saving."""
    if not is_hr_admin(request.user):
        raise Http404
    form = CommissionRuleForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            if request.POST.get("preview"):
                result = commission_rules.rule_preview(actor=request.user, **values)
            else:
                commission_rules.rule_save(actor=request.user, **values)
                messages.success(request, _("The commission rule was saved."))
                return redirect("integrations:commission_rules")
        except KeelError as exc:
            form.add_error(None, exc.message)
    names = {}
    if result is not None:
        ids = [line.employee_id for line in result.lines]
        names = {e.pk: e for e in Employee.objects.filter(pk__in=ids)}
    return render(
        request,
        "integrations/commission_rules.html",
        {
            "form": form,
            "rules": CommissionRule.objects.all(),
            "preview": result,
            "preview_people": [
                (names.get(line.employee_id), line) for line in (result.lines if result else [])
            ],
            "today": timezone.localdate(),
        },
    )


@login_required
def payroll_csv(request):
    try:
        body = payroll.payroll_csv(actor=request.user)
    except KeelError as exc:
        raise Http404 from exc
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="commissions-payroll-{stamp}.csv"'
    return response


@login_required
@require_POST
def payroll_push(request):
    try:
        result = payroll.payroll_push(actor=request.user)
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        if result.failed:
            messages.error(
                request,
                _("%(paid)s commissions sent to payroll; the payroll system failed: %(error)s")
                % {"paid": result.paid, "error": result.error},
            )
        else:
            messages.success(
                request, _("%(paid)s commissions sent to payroll.") % {"paid": result.paid}
            )
    return redirect("integrations:commissions")
