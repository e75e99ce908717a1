"""The outcome of a walk-in complaint (issue 17 §6), decided from the crisis page or the
responsible employee's page. Thin: reads from ``selectors.walk_in``, the write is
``services.walk_in.walk_in_complaint_outcome_record``; a refusal is the shared 403 page, bad
input a message, never a 500."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrcore.selectors import person_page_access

from .selectors.crises import crisis_for_page
from .selectors.walk_in import walk_in_for_crisis
from .services.walk_in import walk_in_complaint_outcome_record
from .views import back_to, service_attempt


@login_required
@require_POST
def walk_in_outcome(request, pk: int):
    """Record what became of the walk-in complaint of crisis ``pk``; back to where it was
    decided (a safe ``next``) or to the crisis page."""
    walk_in = walk_in_for_crisis(pk)
    if walk_in is None or walk_in.responsible is None:
        raise Http404(_("No such complaint, or you may not see it."))
    may_see = (
        crisis_for_page(request.user, pk) is not None
        or person_page_access(request.user, walk_in.responsible).allowed
    )
    if not may_see:  # not theirs to see: as if it did not exist
        raise Http404(_("No such complaint, or you may not see it."))
    refused = service_attempt(
        request,
        lambda: walk_in_complaint_outcome_record(
            walk_in=walk_in,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        ),
        success=_("Outcome recorded."),
    )
    return refused or back_to(request, reverse("crisis:detail", args=[pk]))
