"""Drills (issue 16 §1–2): stop one at once — the closure service closes it, with "drill
stopped" as the reason — and hand its participants' results to the app that keeps competency
evidence (``drill_results``)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, PermissionDenied

from ..choices import CrisisStatus
from ..models import Crisis
from ..selectors.drills import may_stop_drill
from .closure import crisis_finish
from .common import require_visible
from .drill_results import drill_results_record

__all__ = ["drill_results_record", "drill_stop"]

DRILL_STOPPED = "drill stopped"


@transaction.atomic
def drill_stop(*, crisis: Crisis | int, actor) -> Crisis:
    """Stop a drill at once: every open task cancelled with its timer stopped, every statutory
    clock it started stopped, the drill closed (cancelled, "drill stopped") — nothing it started
    fires afterwards. HR admins and the executive over the drill's unit."""
    pk = crisis.pk if isinstance(crisis, Crisis) else crisis
    crisis = Crisis.objects.select_for_update(of=("self",)).select_related("unit").get(pk=pk)
    require_visible(actor, crisis)
    if not crisis.is_drill:
        raise Conflict(_("This is not a drill: close it as a crisis."), code="not_a_drill")
    if not may_stop_drill(actor, crisis):
        raise PermissionDenied(
            _("Only an HR admin or the unit's executive can stop a drill."), code="drill_stop"
        )
    if crisis.status != CrisisStatus.OPEN:
        raise Conflict(_("The drill is already over."), code="crisis_closed")
    return crisis_finish(
        crisis,
        status=CrisisStatus.CANCELLED,
        outcome=_("Drill stopped."),
        actor=actor,
        reason=DRILL_STOPPED,
        event_data={"stopped": True},
    )
