"""Spaced re-drills (issue 16 §5): the Training page's due list books the next drill with one
click, through the crisis engine's ``drill_schedule`` (thin: parse, call, report)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisis.services.drill_schedule import drill_schedule
from hrcore.errors import KeelError
from hrcore.models import OrgUnit
from hrcore.selectors import is_hr_admin

# A re-drill booked from the due list starts at a random business moment of the coming week;
# its participants are told the window (an announced drill).
REDRILL_WINDOW = timedelta(days=7)


@login_required
@require_POST
def redrill_schedule(request):
    """Book the next drill of a scenario in a unit for the role holders due (HR admins)."""
    if not is_hr_admin(request.user):
        raise Http404
    back = reverse("competency:home") + "#redrill"
    unit = OrgUnit.objects.filter(code=request.POST.get("unit", "")).first()
    scenario = request.POST.get("scenario", "")
    if unit is None or not scenario:
        messages.error(request, _("Choose a scenario and a unit for the drill."))
        return redirect(back)
    now = timezone.now()
    try:
        drill_schedule(
            scenario=scenario,
            unit=unit,
            window_start=now,
            window_end=now + REDRILL_WINDOW,
            actor=request.user,
            announced=True,
        )
    except KeelError as exc:
        detail = " ".join(str(v) for v in exc.errors.values())
        messages.error(request, f"{exc.message} {detail}".strip())
        return redirect(back)
    messages.success(
        request,
        _("Drill booked for %(unit)s within the coming week; its participants have been told.")
        % {"unit": unit.name},
    )
    return redirect(back)
