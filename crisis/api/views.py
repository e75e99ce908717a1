"""Crisis API: parse, call a service or selector, render. Never a 500 for bad input."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from hrcore.api.permissions import token_scope_allows
from hrcore.errors import Conflict, NotFound, ValidationFailed
from hrcore.models import OrgUnit

from .. import selectors, services
from ..choices import CrisisStatus, Severity
from ..models import Crisis, IdempotencyKey, Task
from .serializers import (
    CrisisCreateSerializer,
    CrisisSerializer,
    DecisionCreateSerializer,
    DecisionSerializer,
    TaskCompleteSerializer,
    TaskSerializer,
    TimelineEventSerializer,
)

IDEMPOTENCY_ENDPOINT = "crises.create"


class CrisisApiPermission(BasePermission):
    """Logged in; a scoped token needs ``read`` to read and ``write`` to write. Who may do what
    on which crisis is decided by the services and selectors."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        scope = "read" if request.method in SAFE_METHODS else "write"
        return token_scope_allows(request, scope)


class CrisisFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=CrisisStatus.choices)
    scenario = filters.CharFilter(field_name="scenario__code")
    severity = filters.ChoiceFilter(choices=Severity.choices)
    unit = filters.CharFilter(field_name="unit__code")


def _fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json_safe(data) -> dict:
    return json.loads(JSONRenderer().render(data))


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Replaying the same key with the same body returns the first response; "
    "with a different body, 409.",
)


class CrisisViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Crises visible to you, with their tasks; file one with POST."""

    serializer_class = CrisisSerializer
    permission_classes = [CrisisApiPermission]
    filterset_class = CrisisFilter
    queryset = Crisis.objects.none()

    def get_queryset(self):
        return selectors.crises_with_tasks(
            selectors.crises_visible_to(self.request.user).select_related("customer")
        ).order_by("-filed_at", "-id")

    def get_serializer_class(self):
        if self.action == "create":
            return CrisisCreateSerializer
        return CrisisSerializer

    @extend_schema(
        request=CrisisCreateSerializer,
        responses={201: CrisisSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 200:
            raise ValidationFailed(
                _("The Idempotency-Key header is too long (at most 200 characters)."),
                errors={"Idempotency-Key": _("Too long.")},
            )
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("Send a JSON object."))
        fingerprint = _fingerprint(request.data)
        if key:
            replay = self._replay(key, fingerprint)
            if replay is not None:
                return replay
        serializer = CrisisCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = None
        if data.get("unit"):
            unit = OrgUnit.objects.filter(code=data["unit"]).first()
            if unit is None:
                raise ValidationFailed(
                    _("Unknown org unit “%(code)s”.") % {"code": data["unit"]},
                    errors={"unit": _("Unknown org unit.")},
                )
        try:
            with transaction.atomic():
                crisis = services.crisis_file(
                    scenario=data["scenario"],
                    title=data["title"],
                    description=data.get("description", ""),
                    unit=unit,
                    customer_external_id=data.get("customer") or None,
                    severity=data.get("severity"),
                    actor=request.user,
                    source="api",
                    idempotency_key=f"{request.user.pk}:{key}" if key else None,
                )
                crisis = self.get_queryset().get(pk=crisis.pk)
                body = _json_safe(CrisisSerializer(crisis, context={"request": request}).data)
                if key:
                    IdempotencyKey.objects.create(
                        key=key,
                        user=request.user,
                        endpoint=IDEMPOTENCY_ENDPOINT,
                        fingerprint=fingerprint,
                        response_status=201,
                        response_body=body,
                    )
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as a replay.
            replay = self._replay(key, fingerprint) if key else None
            if replay is None:
                raise
            return replay
        return Response(body, status=status.HTTP_201_CREATED)

    def _replay(self, key: str, fingerprint: str) -> Response | None:
        stored = IdempotencyKey.objects.filter(
            user=self.request.user, endpoint=IDEMPOTENCY_ENDPOINT, key=key
        ).first()
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise Conflict(
                _("This Idempotency-Key was already used with a different request body."),
                code="idempotency_key_reused",
            )
        return Response(stored.response_body, status=stored.response_status)

    def _crisis(self, pk) -> Crisis:
        crisis = selectors.crises_visible_to(self.request.user).filter(pk=pk).first()
        if crisis is None:
            raise NotFound(_("Not found, or not visible to you."))
        return crisis

    @extend_schema(responses={200: TaskSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def tasks(self, request, pk=None):
        """The crisis's tasks in map order."""
        crisis = self._crisis(pk)
        tasks = selectors.crisis_tasks(crisis)
        return Response(TaskSerializer(tasks, many=True).data)

    @extend_schema(methods=["get"], responses={200: DecisionSerializer(many=True)}, request=None)
    @extend_schema(
        methods=["post"], request=DecisionCreateSerializer, responses={201: DecisionSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def decisions(self, request, pk=None):
        """Executives' decisions, newest first; executives add one with POST."""
        crisis = self._crisis(pk)
        if request.method == "GET":
            return Response(DecisionSerializer(selectors.decisions_of(crisis), many=True).data)
        serializer = DecisionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.decision_make(
            crisis=crisis,
            text=serializer.validated_data["text"],
            option=serializer.validated_data.get("option", ""),
            actor=request.user,
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TimelineEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        """Every event of the crisis in order (immutable)."""
        crisis = self._crisis(pk)
        return Response(TimelineEventSerializer(selectors.timeline_of(crisis), many=True).data)


class TaskFilter(filters.FilterSet):
    status = filters.CharFilter(field_name="status")
    crisis = filters.NumberFilter(field_name="crisis_id")
    mine = filters.BooleanFilter(method="filter_mine")

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(assignee__user=self.request.user)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks of the crises visible to you; the assignee completes one with a deliverable."""

    serializer_class = TaskSerializer
    permission_classes = [CrisisApiPermission]
    filterset_class = TaskFilter
    queryset = Task.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.tasks_visible_to(self.request.user).order_by("crisis_id", "order", "id")

    def _task(self, pk) -> Task:
        task = self.get_queryset().filter(pk=pk).first()
        if task is None:
            raise NotFound(_("Not found, or not visible to you."))
        return task

    @extend_schema(
        request={
            "application/json": TaskCompleteSerializer,
            "multipart/form-data": TaskCompleteSerializer,
        },
        responses={200: TaskSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def complete(self, request, pk=None):
        """Deliver: ``note`` and/or a multipart ``file`` (plus ``location`` for on-site
        check-ins, ``option`` for decisions)."""
        task = self._task(pk)
        upload = request.FILES.get("file")
        if upload is None and request.data.get("file") not in (None, ""):
            raise ValidationFailed(
                _("Send the file as a multipart upload."), errors={"file": _("Not a file.")}
            )
        serializer = TaskCompleteSerializer(
            data={k: v for k, v in request.data.items() if k != "file"}
        )
        serializer.is_valid(raise_exception=True)
        services.task_complete(
            task=task,
            actor=request.user,
            note=serializer.validated_data.get("note", ""),
            file=upload,
            location=serializer.validated_data.get("location", ""),
            option=serializer.validated_data.get("option", ""),
        )
        return Response(TaskSerializer(self._task(pk)).data)

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def acknowledge(self, request, pk=None):
        """The assignee takes the task on (first response)."""
        task = self._task(pk)
        services.task_acknowledge(task=task, actor=request.user)
        return Response(TaskSerializer(self._task(pk)).data)
