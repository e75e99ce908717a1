"""Pages of "replay a crisis as training" (issue 16 §3): thin, calling the replay service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisis.choices import CrisisStatus
from hrcore.errors import KeelError
from hrcore.selectors import is_hr_admin

from . import replay_selectors, selectors
from .services import replay as replay_services


@login_required
@require_POST
def authoring_replay(request, crisis_id: int):
    """One click: the closed crisis as a draft simulation, opened in the authoring editor."""
    if not is_hr_admin(request.user):
        raise Http404
    try:
        version, created = replay_services.crisis_replay(crisis_id=crisis_id, actor=request.user)
    except KeelError as exc:
        messages.error(request, exc.message)
        return render(
            request,
            "competency/authoring_list.html",
            {
                "simulations": selectors.simulations_for_authoring(),
                "form": None,
                "closed_crises": replay_selectors.recent_closed_crises(),
            },
            status=exc.status,
        )
    if created:
        messages.success(request, _("The crisis is now a draft simulation: edit it and publish."))
    else:
        messages.info(request, _("This crisis was replayed before: here is its simulation."))
    return redirect("competency:authoring_edit", version.pk)


@login_required
def crisis_replay_panel(request, crisis_id: int):
    """The crisis page's "Replay as training" button: HR admins, closed crises; else nothing."""
    crisis = replay_selectors.replay_crisis(crisis_id)
    if crisis is None or crisis.status == CrisisStatus.OPEN or not is_hr_admin(request.user):
        return HttpResponse("")
    return render(
        request,
        "competency/_replay_button.html",
        {"crisis": crisis, "replayed": replay_selectors.replay_made(crisis.pk)},
    )
