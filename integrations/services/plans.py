"""Response plans: generating from a crisis and its dossier, editing and sharing."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.notifications import duty_action
from crisis.selectors.access import can_manage, crises_visible_to
from crisis.selectors.crises import crisis_by_id, open_crisis_ids
from crisis.selectors.people import crisis_participant_users
from crisis.selectors.walk_in import walk_in_of
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.services.notifications import notification_send

from ..choices import (
    PlanOrigin,
    SourceStatus,
)
from ..models import (
    Dossier,
    ResponsePlan,
)
from ..plan import compose
from ..selectors import latest_dossier

# --- Response plans ------------------------------------------------------------------------


def _task_summaries(crisis) -> list[dict]:
    rows = []
    tasks = crisis.tasks.select_related("assignee", "duty").order_by("order", "id")
    for task in tasks:
        action = duty_action(task)  # the duty's, or what a task added to the crisis says
        rows.append(
            {
                "action_zh": action["zh"] or task.duty_code,
                "action_en": action["en"] or task.duty_code,
                "assignee_zh": task.assignee.name_zh if task.assignee_id else "",
                "assignee_en": task.assignee.name_en if task.assignee_id else "",
                "due_at": task.due_at.isoformat() if task.due_at else None,
                "status": task.status,
            }
        )
    return rows


def _dossier_content(dossier: Dossier | None) -> dict:
    if dossier is None:
        return {}
    return {
        s.source: s.data
        for s in dossier.sources.all()
        if s.status in (SourceStatus.FRESH, SourceStatus.STALE)
    }


@transaction.atomic
def response_plan_generate(
    *, crisis_id: int, dossier: Dossier | None = None, actor=None, force: bool = False
) -> ResponsePlan | None:
    """A new generated version when what the plan says would change: new dossier data or the
    crisis's tasks moved on. The manager's edits to the wording are carried into it."""
    crisis = crisis_by_id(crisis_id)
    if crisis is None:
        raise NotFound(_("No such crisis."))
    if dossier is None:
        dossier, _building = latest_dossier(crisis_id=crisis_id)
    latest = ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()
    # A walk-in consumer's complaint (issue 17 §6) concerns no company: no credit, no debt.
    consumer = walk_in_of(crisis) is not None
    customer = None if consumer else crisis.customer
    fields = compose(
        sources=_dossier_content(dossier),
        tasks=_task_summaries(crisis),
        customer={"name_zh": customer.name_zh, "name_en": customer.name_en} if customer else None,
        today=timezone.localdate(),
        consumer=consumer,
    )
    if latest is not None and latest.origin == PlanOrigin.EDITED:
        base = (
            ResponsePlan.objects.filter(
                crisis_id=crisis_id, origin=PlanOrigin.GENERATED, version__lt=latest.version
            )
            .order_by("-version")
            .first()
        )
        for name in PLAN_TEXT_FIELDS:
            if base is None or getattr(latest, name) != getattr(base, name):
                fields[name] = getattr(latest, name)
    if (
        latest is not None
        and not force
        and all(getattr(latest, name) == fields[name] for name in PLAN_FIELDS)
    ):
        return None
    version = (latest.version if latest else 0) + 1
    return ResponsePlan.objects.create(
        crisis_id=crisis_id, version=version, dossier=dossier, author=actor, **fields
    )


def response_plans_refresh(*, limit: int = 200) -> int:
    """Regenerate the plans of open crises whose tasks moved on (next steps, owners, deadlines)."""
    crisis_ids = list(
        open_crisis_ids().filter(pk__in=ResponsePlan.objects.values("crisis_id"))[:limit]
    )
    created = 0
    for crisis_id in crisis_ids:
        with transaction.atomic():
            created += response_plan_generate(crisis_id=crisis_id) is not None
    return created


def can_edit_plan(user, crisis) -> bool:
    return bool(can_manage(user, crisis))


def _require_plan_manager(crisis_id: int, actor, denied: str):
    """The crisis whose response plan ``actor`` edits or shares: 404 when it does not exist or
    is not visible to them, ``denied`` (403) when they may not manage it."""
    crisis = crisis_by_id(crisis_id)
    if crisis is None or not crises_visible_to(actor).filter(pk=crisis_id).exists():
        raise NotFound(_("No such crisis."))
    if not can_edit_plan(actor, crisis):
        raise PermissionDenied(denied)
    return crisis


PLAN_TEXT_FIELDS = (
    "say_zh",
    "say_en",
    "never_say_zh",
    "never_say_en",
    "legal_basis_zh",
    "legal_basis_en",
)
PLAN_FIELDS = (*PLAN_TEXT_FIELDS, "amounts", "next_steps")


@transaction.atomic
def response_plan_edit(*, crisis_id: int, actor, **texts: str) -> ResponsePlan:
    """The manager's edit before sharing: a new version, origin "edited"."""
    _require_plan_manager(
        crisis_id, actor, _("Only the crisis's manager may edit the response plan.")
    )
    latest = ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()
    if latest is None:
        raise Conflict(_("There is no response plan yet; it appears once the dossier is in."))
    unknown = set(texts) - set(PLAN_TEXT_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown plan fields."), errors={k: _("Unknown.") for k in unknown}
        )
    plan = ResponsePlan.objects.create(
        crisis_id=crisis_id,
        version=latest.version + 1,
        origin=PlanOrigin.EDITED,
        dossier=latest.dossier,
        amounts=latest.amounts,
        next_steps=latest.next_steps,
        author=actor,
        **{f: texts.get(f, getattr(latest, f)) for f in PLAN_TEXT_FIELDS},
    )
    return plan


@transaction.atomic
def response_plan_share(*, crisis_id: int, actor) -> ResponsePlan:
    """Mark the latest version shared and tell the crisis's participants."""
    crisis = _require_plan_manager(
        crisis_id, actor, _("Only the crisis's manager may share the response plan.")
    )
    plan = ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()
    if plan is None:
        raise Conflict(_("There is no response plan yet."))
    if plan.shared_at is None:
        plan.shared_at = timezone.now()
        plan.save(update_fields=["shared_at"])
        recipients = [u for u in crisis_participant_users(crisis) if u.pk != actor.pk]
        for user in recipients:
            notification_send(
                recipient=user,
                kind="response_plan_shared",
                params={"version": plan.version, "crisis_title": crisis.title},
                link=f"/crises/{crisis.pk}/",
                dedupe_key=f"plan-shared:{plan.pk}:{user.pk}",
            )
    return plan
