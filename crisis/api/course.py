"""Crisis API for changing course (issue 15 §4): ad-hoc tasks, severity (PATCH), close and
reopen, invitations, related crises, status updates, cancelling a task. Mixed into the crisis
and task view sets (``crisis.api.views``); every write is a service call."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from hrcore.errors import ValidationFailed
from hrcore.models import Employee

from ..choices import CrisisStatus, LinkReason, TaskKind
from ..models import OUTCOME_MAX_LENGTH, STATUS_UPDATE_MAX_LENGTH, Crisis, StatusUpdate
from ..selectors.course import invited_users, link_candidates, linked_crises, status_updates_of
from ..services import course as course_services
from ..services import status_updates as status_services
from ..services.added_tasks import MAX_DEADLINE_MINUTES, task_add
from ..services.closure import crisis_close
from ..services.tasks import task_cancel
from .serializers import CrisisSerializer, TaskSerializer

# --- Shapes -----------------------------------------------------------------------------------


class AdhocTaskCreateSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=500)
    assignee = serializers.CharField(max_length=150, help_text="The assignee's user name.")
    deadline_minutes = serializers.IntegerField(min_value=1, max_value=MAX_DEADLINE_MINUTES)


class CrisisPatchSerializer(serializers.Serializer):
    severity = serializers.CharField(max_length=30, help_text="low, medium, high or critical.")


class CloseSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=OUTCOME_MAX_LENGTH)
    lessons = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=OUTCOME_MAX_LENGTH
    )
    status = serializers.ChoiceField(
        choices=[CrisisStatus.RESOLVED, CrisisStatus.CANCELLED], default=CrisisStatus.RESOLVED
    )
    credited = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        allow_null=True,
        default=None,
        help_text="User names earning a resilience star; default: the filer and everyone who "
        "delivered on time.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class UsernameSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class InvitedSerializer(serializers.Serializer):
    username = serializers.CharField()


class LinkCreateSerializer(serializers.Serializer):
    crisis = serializers.IntegerField(help_text="The related crisis's id.")


class LinkedCrisisSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField()
    filed_at = serializers.DateTimeField()
    reason = serializers.ChoiceField(choices=LinkReason.choices, allow_null=True)


class LinksSerializer(serializers.Serializer):
    linked = LinkedCrisisSerializer(many=True)
    candidates = LinkedCrisisSerializer(many=True)


class StatusUpdateCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=STATUS_UPDATE_MAX_LENGTH)


class StatusUpdateSerializer(serializers.ModelSerializer):
    posted_by = serializers.CharField(source="posted_by.username", read_only=True)

    class Meta:
        model = StatusUpdate
        fields = ["id", "crisis", "body", "posted_by", "posted_at"]


def _linked_row(crisis: Crisis, reason: str | None) -> dict:
    return {
        "id": crisis.pk,
        "title": crisis.title,
        "status": crisis.status,
        "severity": crisis.severity,
        "filed_at": crisis.filed_at,
        "reason": reason,
    }


def _employee(username: str, field: str) -> Employee:
    employee = (
        Employee.objects.filter(user__username=username, is_active=True)
        .select_related("user")
        .first()
    )
    if employee is None:
        raise ValidationFailed(
            _("No active employee “%(username)s”.") % {"username": username[:150]},
            errors={field: _("Unknown user name.")},
        )
    return employee


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Crisis actions -------------------------------------------------------------------------


class CourseCrisisActions:
    """Changing course on ``/crises/{id}/…`` (mixed into ``CrisisViewSet``, which provides
    ``_crisis`` and ``get_queryset``)."""

    def _render_crisis(self, pk: int):
        return CrisisSerializer(
            self.get_queryset().get(pk=pk), context={"request": self.request}
        ).data

    def add_task(self, request, crisis: Crisis) -> Response:
        """``POST /crises/{id}/tasks/``: an ad-hoc task with its owner, action and deadline."""
        data = _valid(AdhocTaskCreateSerializer, request.data)
        task = task_add(
            crisis=crisis,
            kind=TaskKind.ADHOC,
            assignee=_employee(data["assignee"], "assignee"),
            action=data["action"],
            deadline_minutes=data["deadline_minutes"],
            actor=request.user,
        )
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CrisisPatchSerializer, responses={200: CrisisSerializer})
    def partial_update(self, request, pk=None):
        """Change the severity (the only field that can be changed): open tasks' deadlines
        follow the map's per-severity factors."""
        crisis = self._crisis(pk)
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("Send a JSON object."), errors={"severity": _("Required.")})
        course_services.crisis_patch(crisis=crisis, changes=dict(request.data), actor=request.user)
        return Response(self._render_crisis(crisis.pk))

    @extend_schema(request=CloseSerializer, responses={200: CrisisSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def close(self, request, pk=None):
        """Close as resolved or cancelled with the outcome, the same rules as the page."""
        crisis = self._crisis(pk)
        data = _valid(CloseSerializer, request.data)
        credited = None
        if data.get("credited") is not None:
            credited = [_employee(name, "credited") for name in data["credited"]]
        crisis_close(
            crisis=crisis,
            outcome=data["outcome"],
            lessons=data["lessons"],
            status=data["status"],
            credited=credited,
            actor=request.user,
        )
        return Response(self._render_crisis(crisis.pk))

    @extend_schema(request=ReasonSerializer, responses={200: CrisisSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def reopen(self, request, pk=None):
        """Reopen within 7 days of closing (a reason is required; later: 409)."""
        crisis = self._crisis(pk)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        course_services.crisis_reopen(crisis=crisis, reason=str(reason or ""), actor=request.user)
        return Response(self._render_crisis(crisis.pk))

    @extend_schema(methods=["get"], request=None, responses={200: InvitedSerializer(many=True)})
    @extend_schema(methods=["post"], request=UsernameSerializer, responses={201: InvitedSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def invitations(self, request, pk=None):
        """Guests invited to this crisis; invite one by user name with POST."""
        crisis = self._crisis(pk)
        if request.method == "GET":
            return Response([{"username": u.username} for u in invited_users(crisis)])
        data = _valid(UsernameSerializer, request.data)
        user = course_services.crisis_invite_username(
            crisis=crisis, username=data["username"], actor=request.user
        )
        return Response({"username": user.username}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"invitations/(?P<username>[\w.@+-]+)",
        filterset_class=None,
        pagination_class=None,
    )
    def uninvite(self, request, pk=None, username=None):
        """Withdraw a guest's invitation."""
        crisis = self._crisis(pk)
        course_services.crisis_uninvite(crisis=crisis, username=username, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["get"], request=None, responses={200: LinksSerializer})
    @extend_schema(
        methods=["post"], request=LinkCreateSerializer, responses={201: LinkedCrisisSerializer}
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def links(self, request, pk=None):
        """Related crises you see, and suggestions (same customer, same site); link with POST."""
        crisis = self._crisis(pk)
        if request.method == "GET":
            return Response(
                {
                    "linked": [
                        _linked_row(c, link.reason)
                        for c, link in linked_crises(crisis, request.user)
                    ],
                    "candidates": [
                        _linked_row(c, course_services.link_reason(crisis, c))
                        for c in link_candidates(crisis, request.user)
                    ],
                }
            )
        data = _valid(LinkCreateSerializer, request.data)
        link = course_services.crises_link(
            crisis=crisis, other_id=data["crisis"], actor=request.user
        )
        other = self._crisis(data["crisis"])
        return Response(_linked_row(other, link.reason), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"links/(?P<other>\d+)",
        filterset_class=None,
        pagination_class=None,
    )
    def unlink(self, request, pk=None, other=None):
        crisis = self._crisis(pk)
        course_services.crises_unlink(crisis=crisis, other_id=other, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["get"], request=None, responses={200: StatusUpdateSerializer(many=True)}
    )
    @extend_schema(
        methods=["post"],
        request=StatusUpdateCreateSerializer,
        responses={201: StatusUpdateSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="status-updates",
        filterset_class=None,
        pagination_class=None,
    )
    def status_updates(self, request, pk=None):
        """The crisis manager's status updates, newest first; post one (pushed to everyone
        taking part; the cadence's clock starts again)."""
        crisis = self._crisis(pk)
        if request.method == "GET":
            return Response(StatusUpdateSerializer(status_updates_of(crisis), many=True).data)
        data = _valid(StatusUpdateCreateSerializer, request.data)
        update = status_services.status_update_post(
            crisis=crisis, body=data["body"], actor=request.user
        )
        return Response(StatusUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


# --- Task actions -----------------------------------------------------------------------------


class CourseTaskActions:
    """``POST /tasks/{id}/cancel/`` (mixed into ``TaskViewSet``, which provides ``_task``)."""

    @extend_schema(request=ReasonSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        """Cancel a task that no longer applies; a reason is required."""
        task = self._task(pk)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        task_cancel(task=task, actor=request.user, reason=str(reason or ""))
        return Response(TaskSerializer(self._task(pk)).data)
