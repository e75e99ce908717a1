"""Post-incident review API (issue 15 §5): ``GET /api/v1/crises/{id}/review/`` — the review page's
data from the same selector (``crisis.selectors.review.review_assemble``) — and
``POST /api/v1/crises/{id}/action-items/``. Who may read and write is the pages' rule."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from hrcore.api.parsers import JSONObjectParser
from hrcore.api.permissions import ScopedPermission
from hrcore.errors import NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Employee

from ..models import ActionItem, Crisis
from ..selectors import review as review_selectors
from ..selectors.access import crises_visible_to
from ..services import review as review_services


def _crisis_for_review(user, crisis_id: int) -> Crisis:
    crisis = crises_visible_to(user).filter(pk=crisis_id).first()
    if crisis is None:
        raise NotFound(_("No such crisis, or you may not see it."))
    if not review_selectors.can_view_review(user, crisis):
        raise PermissionDenied(
            _("The review is for the people who took part, executives and HR admins.")
        )
    return crisis


def _seconds(value) -> int | None:
    return None if value is None else int(value.total_seconds())


def _deadline(row: dict) -> dict:
    task = row["task"]
    out = {
        "task": task.pk,
        "duty": task.duty_code,
        "department": row["department"],
        "assignee": task.assignee.user.get_username() if task.assignee_id else None,
        "due_at": task.due_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }
    if "lateness" in row:
        out["late_seconds"] = _seconds(row["lateness"])
        out["still_open"] = row["still_open"]
    else:
        out["spare_seconds"] = _seconds(row["margin"])
    return out


def action_item_data(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "title": item.title,
        "owner": item.owner.user.get_username(),
        "due_on": item.due_on.isoformat(),
        "status": item.status,
        "done_at": item.done_at.isoformat() if item.done_at else None,
        "finding": item.finding_id,
    }


def review_data(crisis: Crisis) -> dict:
    review = review_selectors.review_assemble(crisis)
    return {
        "crisis": crisis.pk,
        "status": crisis.status,
        "targets": [
            {"key": t["key"], "seconds": t["seconds"], "held": t["held"]} for t in review.targets
        ],
        "held": [_deadline(r) for r in review.held],
        "broke": [_deadline(r) for r in review.broke],
        "decisions": [
            {
                "id": d.pk,
                "option": d.option,
                "text": d.text,
                "rationale": d.review_rationale,
                "made_by": d.made_by.get_username(),
                "made_at": d.made_at.isoformat(),
            }
            for d in review.decisions
        ],
        "follow_ups": [
            {"task": f["task"].pk, "state": f["state"], "late": f["late"]}
            for f in review.follow_ups
        ],
        "findings": [
            {
                "id": f.pk,
                "kind": f.kind,
                "text": f.text,
                "author": f.author.get_username(),
                "created_at": f.created_at.isoformat(),
                "is_lesson": f.is_lesson,
                "proposed_map": f.proposed_map_id,
            }
            for group in review.findings.values()
            for f in group
        ],
        "action_items": [action_item_data(i) for i in review.action_items],
        "timeline": [
            {"at": row["event"].at.isoformat(), "kind": row["event"].kind, "text": str(row["text"])}
            for row in review.timeline
        ],
    }


ReviewSchema = inline_serializer(
    "CrisisReview",
    fields={
        "crisis": serializers.IntegerField(),
        "status": serializers.CharField(),
        "targets": serializers.JSONField(),
        "held": serializers.JSONField(),
        "broke": serializers.JSONField(),
        "decisions": serializers.JSONField(),
        "follow_ups": serializers.JSONField(),
        "findings": serializers.JSONField(),
        "action_items": serializers.JSONField(),
        "timeline": serializers.JSONField(),
    },
)


class CrisisReviewView(APIView):
    """The post-incident review of a crisis: deadlines held and missed, decisions, findings,
    action items, the timeline."""

    permission_classes = [ScopedPermission]

    @extend_schema(responses={200: ReviewSchema})
    def get(self, request, crisis_id: int):
        return Response(review_data(_crisis_for_review(request.user, crisis_id)))


class ActionItemCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=150, help_text="The owner's username.")
    due_on = serializers.DateField()
    finding = serializers.IntegerField(required=False, allow_null=True, min_value=1)


ActionItemSchema = inline_serializer(
    "ActionItem",
    fields={
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "owner": serializers.CharField(),
        "due_on": serializers.DateField(),
        "status": serializers.CharField(),
        "done_at": serializers.DateTimeField(allow_null=True),
        "finding": serializers.IntegerField(allow_null=True),
    },
)


class CrisisActionItemsView(APIView):
    """Add an action item to a closed crisis's review (its managers, executives, HR admins)."""

    permission_classes = [ScopedPermission]
    parser_classes = [JSONObjectParser]

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSchema})
    def post(self, request, crisis_id: int):
        crisis = _crisis_for_review(request.user, crisis_id)
        data = ActionItemCreateSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationFailed(_("The action item cannot be saved."), errors=data.errors)
        values = data.validated_data
        owner = (
            Employee.objects.filter(user__username=values["owner"], is_active=True)
            .select_related("user")
            .first()
        )
        finding = None
        if values.get("finding"):
            finding = crisis.review_findings.filter(pk=values["finding"]).first()
            if finding is None:
                raise ValidationFailed(
                    _("The action item cannot be saved."),
                    errors={"finding": [_("The finding belongs to another crisis.")]},
                )
        item = review_services.action_item_create(
            crisis=crisis,
            title=values["title"],
            owner=owner,
            due_on=values["due_on"],
            finding=finding,
            actor=request.user,
        )
        item.owner = owner
        return Response(action_item_data(item), status=status.HTTP_201_CREATED)
