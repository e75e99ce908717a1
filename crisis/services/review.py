"""Post-incident review writes (issue 15 §5): participants' findings, lessons for the library,
"propose a map change" (a finding becomes a draft revision of the crisis's map with the change
note pre-filled; HR admins publish it in the map editor), action items tracked to done, and
the reminder sweep on due and overdue action items."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.audit import AuditAction, audit
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.services.notifications import notification_send
from hrcore.text import check_length
from responsibilities.choices import MapStatus
from responsibilities.models import ResponsibilityMap
from responsibilities.services.common import MAX_TEXT as MAP_TEXT_MAX_LENGTH
from responsibilities.services.maps import responsibility_map_revise, responsibility_map_update

from ..choices import ActionItemStatus, CrisisStatus, FindingKind
from ..models import (
    ACTION_ITEM_MAX_LENGTH,
    FINDING_MAX_LENGTH,
    ActionItem,
    Crisis,
    ReviewFinding,
)
from ..selectors import review as review_selectors
from .common import require_visible

REMINDER_BATCH = 500
CHANGE_NOTE_MAX_LENGTH = 2000


def _require_closed(crisis: Crisis) -> None:
    if crisis.status == CrisisStatus.OPEN:
        raise Conflict(_("The review opens once the crisis is closed."), code="crisis_still_open")


def review_link(crisis_id: int) -> str:
    return reverse("crisis:review", args=[crisis_id])


@transaction.atomic
def finding_add(*, crisis: Crisis, kind: str, text: str, actor) -> ReviewFinding:
    """A participant's finding on a closed crisis: what went well, what went wrong or a
    suggestion."""
    require_visible(actor, crisis)
    if not review_selectors.can_add_finding(actor, crisis):
        raise PermissionDenied(_("Only the people who took part in the crisis add findings."))
    _require_closed(crisis)
    text = (text or "").strip()
    errors: dict = {}
    if kind not in FindingKind.values:
        errors["kind"] = _("Choose what the finding is about.")
    if not text:
        errors["text"] = _("Write the finding.")
    check_length(errors, "text", text, FINDING_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The finding cannot be saved."), errors=errors)
    finding = ReviewFinding.objects.create(crisis=crisis, kind=kind, text=text, author=actor)
    audit(finding, AuditAction.CREATE, actor=actor, data={"crisis_id": crisis.pk})
    return finding


def _finding_for(finding: ReviewFinding | int) -> ReviewFinding:
    pk = finding.pk if isinstance(finding, ReviewFinding) else finding
    found = (
        ReviewFinding.objects.select_for_update(of=("self",))
        .select_related("crisis", "crisis__unit", "crisis__map")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("No such finding."))
    return found


@transaction.atomic
def finding_mark_lesson(*, finding: ReviewFinding | int, is_lesson: bool, actor) -> ReviewFinding:
    """Put a finding into the lessons library (or take it out): the crisis's managers and HR
    admins."""
    finding = _finding_for(finding)
    require_visible(actor, finding.crisis)
    if not review_selectors.can_manage_review(actor, finding.crisis):
        raise PermissionDenied(_("Only the crisis's managers and HR admins choose the lessons."))
    if finding.is_lesson != bool(is_lesson):
        finding.is_lesson = bool(is_lesson)
        finding.save(update_fields=["is_lesson"])
        audit(
            finding,
            AuditAction.UPDATE,
            changes={"is_lesson": [not is_lesson, is_lesson]},
            actor=actor,
        )
    return finding


def change_note_for(finding: ReviewFinding) -> str:
    """The change note a proposal starts with: where the finding comes from, and the finding."""
    return _("From the review of crisis #%(id)s “%(title)s” (%(kind)s): %(text)s") % {
        "id": finding.crisis_id,
        "title": finding.crisis.title,
        "kind": FindingKind(finding.kind).label,
        "text": finding.text,
    }


@transaction.atomic
def finding_propose_map_change(*, finding: ReviewFinding | int, actor) -> ResponsibilityMap:
    """ "Propose a map change": the draft next version of the map the crisis ran (the open draft
    of that scenario and scope if there is one) with the finding in its change note. HR admins
    then edit and publish it in the map editor. Proposing the same finding twice changes
    nothing more."""
    finding = _finding_for(finding)
    require_visible(actor, finding.crisis)
    if not review_selectors.can_propose_map_change(actor):
        raise PermissionDenied(_("Only HR admins propose changes to responsibility maps."))
    _require_closed(finding.crisis)
    note = change_note_for(finding)[:CHANGE_NOTE_MAX_LENGTH]
    ran = finding.crisis.map
    current = (
        ResponsibilityMap.objects.filter(
            scenario_id=ran.scenario_id, scope_id=ran.scope_id, status=MapStatus.PUBLISHED
        ).first()
        or ran
    )
    draft = responsibility_map_revise(responsibility_map=current, actor=actor, change_note=note)
    existing = (draft.change_note or "").strip()
    if note not in existing:
        combined = f"{existing}\n{note}" if existing else note
        if len(combined) > MAP_TEXT_MAX_LENGTH:
            raise Conflict(
                _(
                    "The change note of draft version %(version)s is full; edit the draft in "
                    "the map editor."
                )
                % {"version": draft.version},
                code="change_note_full",
            )
        draft = responsibility_map_update(
            responsibility_map=draft, change_note=combined, actor=actor
        )
    if finding.proposed_map_id != draft.pk:
        finding.proposed_map = draft
        finding.save(update_fields=["proposed_map"])
    return draft


def _item_params(item: ActionItem) -> dict:
    return {
        "crisis_title": item.crisis.title,
        "action": item.title,
        "due_on": item.due_on.isoformat(),
    }


def _notify_item(item: ActionItem, kind: str, key: str) -> None:
    owner = item.owner
    if owner is None or not owner.is_active:
        return
    notification_send(
        recipient=owner.user,
        kind=kind,
        params=_item_params(item),
        link=review_link(item.crisis_id),
        data={"crisis_id": item.crisis_id, "action_item_id": item.pk},
        dedupe_key=f"crisis:action_item:{item.pk}:{key}",
    )


@transaction.atomic
def action_item_create(
    *,
    crisis: Crisis,
    title: str,
    owner: Employee | None,
    due_on: date | None,
    actor,
    finding: ReviewFinding | None = None,
) -> ActionItem:
    """An action item of the review with its owner and due date; the owner is told."""
    require_visible(actor, crisis)
    if not review_selectors.can_manage_review(actor, crisis):
        raise PermissionDenied(
            _("Only the crisis's managers, executives and HR admins manage action items.")
        )
    _require_closed(crisis)
    title = (title or "").strip()
    errors: dict = {}
    if not title:
        errors["title"] = _("Say what must be done.")
    check_length(errors, "title", title, ACTION_ITEM_MAX_LENGTH)
    if owner is None or not owner.is_active:
        errors["owner"] = _("Name an active employee as the owner.")
    if due_on is None:
        errors["due_on"] = _("Give a due date.")
    if finding is not None and finding.crisis_id != crisis.pk:
        errors["finding"] = _("The finding belongs to another crisis.")
    if errors:
        raise ValidationFailed(_("The action item cannot be saved."), errors=errors)
    item = ActionItem.objects.create(
        crisis=crisis, title=title, owner=owner, due_on=due_on, created_by=actor, finding=finding
    )
    audit(item, AuditAction.CREATE, actor=actor, data={"crisis_id": crisis.pk})
    _notify_item(item, "crisis.action_item", "assigned")
    return item


@transaction.atomic
def action_item_complete(*, item: ActionItem | int, actor, done: bool = True) -> ActionItem:
    """Mark an action item done (or open again): its owner or the crisis's managers."""
    pk = item.pk if isinstance(item, ActionItem) else item
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("crisis", "owner")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise NotFound(_("No such action item."))
    require_visible(actor, item.crisis)
    owner_user_id = item.owner.user_id if item.owner_id else None
    if owner_user_id != actor.pk and not review_selectors.can_manage_review(actor, item.crisis):
        raise PermissionDenied(
            _("Only the owner and the crisis's managers can change this action item.")
        )
    status = ActionItemStatus.DONE if done else ActionItemStatus.OPEN
    if item.status != status:
        item.status = status
        item.done_at = timezone.now() if done else None
        item.done_by = actor if done else None
        item.save(update_fields=["status", "done_at", "done_by"])
        audit(item, AuditAction.UPDATE, changes={"status": ["", status]}, actor=actor)
    return item


def action_items_remind(now: datetime | None = None, *, batch: int = REMINDER_BATCH) -> dict:
    """Remind owners of open action items: once on the due date, once when it has passed
    (each reminder once: ``reminder_stage`` plus the notification's dedupe key). Runs from the
    beat (``crisis.tasks.action_items_remind``)."""
    today = timezone.localdate(now or timezone.now())
    sent = {"due": 0, "overdue": 0}
    for stage, kind, key, condition in (
        (2, "crisis.action_item_overdue", "overdue", {"due_on__lt": today}),
        (1, "crisis.action_item_due", "due", {"due_on": today}),
    ):
        with transaction.atomic():
            items = list(
                ActionItem.objects.filter(
                    status=ActionItemStatus.OPEN, reminder_stage__lt=stage, **condition
                )
                .select_related("crisis", "owner", "owner__user")
                .order_by("due_on", "id")[:batch]
            )
            for item in items:
                _notify_item(item, kind, key)
                sent[key] += 1
            ActionItem.objects.filter(pk__in=[i.pk for i in items]).update(reminder_stage=stage)
    return sent
