"""The person's performance page (issue 17 §1): events with their points, the total per month,
goals with progress and reviews pulled from the partner; HR admins refresh them and edit the
points each kind of event counts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .errors import KeelError, ValidationFailed
from .models import Employee
from .performance_models import PerformanceKind
from .performance_selectors import can_see_performance, performance_rules, performance_summary
from .selectors import employee_of, is_hr_admin
from .services import performance as performance_services


def _person(request, pk: int) -> Employee:
    employee = get_object_or_404(
        Employee.objects.select_related("unit", "position", "manager", "user"), pk=pk
    )
    if not can_see_performance(request.user, employee):
        raise Http404
    return employee


@login_required
def performance_page(request, pk: int):
    employee = _person(request, pk)
    return render(
        request,
        "hrcore/performance.html",
        {
            "summary": performance_summary(employee),
            "is_self": employee_of(request.user) == employee,
            "may_refresh": is_hr_admin(request.user),
            "may_edit_rules": is_hr_admin(request.user),
            "kinds": dict(PerformanceKind.choices),
        },
    )


@login_required
@require_POST
def performance_refresh(request, pk: int):
    """HR admins pull the person's goals and reviews from the partner now."""
    employee = _person(request, pk)
    if not is_hr_admin(request.user):
        raise Http404
    try:
        goals, reviews = performance_services.performance_refresh(
            employee=employee, actor=request.user
        )
    except KeelError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Pulled %(goals)s goals and %(reviews)s reviews from the performance partner.")
            % {"goals": goals, "reviews": reviews},
        )
    return redirect("performance_page", pk=employee.pk)


@login_required
def performance_rules_page(request):
    """HR admins: how many points each kind of event counts (the default beside each)."""
    if not is_hr_admin(request.user):
        raise Http404
    rows = performance_rules()
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        points = {}
        for row in rows:
            raw = values[row.field] = (request.POST.get(row.field) or "").strip()
            try:
                points[(row.kind, row.variant)] = int(raw)
            except ValueError:
                errors[row.field] = _("A whole number from -100 to 100.")
        if not errors:
            try:
                changed = performance_services.performance_rules_update(
                    points=points, actor=request.user
                )
            except ValidationFailed as exc:
                for row in rows:
                    if f"{row.kind}:{row.variant}" in (exc.errors or {}):
                        errors[row.field] = _("A whole number from -100 to 100.")
            else:
                messages.success(request, _("%(count)s rules changed.") % {"count": changed})
                return redirect("performance_rules")
    for row in rows:
        row.value = values.get(row.field, row.points)
        row.error = errors.get(row.field, "")
    return render(
        request,
        "hrcore/performance_rules.html",
        {"rows": rows, "has_errors": bool(errors)},
        status=400 if errors else 200,
    )
