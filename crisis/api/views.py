"""Crisis API: parse, call a service or selector, render. Never a 500 for bad input."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from hrcore.api.filters import IdFilter, StrictBooleanFilter
from hrcore.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent_create
from hrcore.api.parsers import JSONObjectParser
from hrcore.api.permissions import ScopedPermission, token_scope_allows
from hrcore.errors import NotFound, PermissionDenied, ValidationFailed
from hrcore.selectors import unit_by_code

from ..choices import CrisisStatus, Severity, TaskStatus
from ..models import Crisis, Task
from ..selectors.access import crises_visible_to, tasks_visible_to
from ..selectors.crises import (
    crises_with_tasks,
    crisis_rows,
    crisis_tasks,
    task_rows_of,
    timeline_of,
    walk_in_rows_of,
    with_tasks_prefetched,
)
from ..selectors.decisions import ledger_of
from ..services.decisions import decision_make
from ..services.filing import crisis_file
from ..services.tasks import task_acknowledge, task_complete
from ..services.walk_in import walk_in_complaint_file
from .course import AdhocTaskCreateSerializer, CourseCrisisActions, CourseTaskActions
from .representation import crises_representation
from .serializers import (
    CrisisCreateSerializer,
    CrisisSerializer,
    DecisionCreateSerializer,
    DecisionSerializer,
    TaskCompleteSerializer,
    TaskSerializer,
    TimelineEventSerializer,
)


class CrisisApiPermission(ScopedPermission):
    """Logged in; a scoped token needs ``read`` to read and ``write`` to write (``crisis:file``
    also files). Who may do what on which crisis is decided by the services and selectors."""


class CrisisFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=CrisisStatus.choices)
    scenario = filters.CharFilter(field_name="scenario__code")
    severity = filters.ChoiceFilter(choices=Severity.choices)
    unit = filters.CharFilter(field_name="unit__code")
    drill = StrictBooleanFilter(
        field_name="is_drill",
        help_text="true: drills only; false: real crises only. Absent: real crises only — "
        "drills are left out of the list (and of every metric) unless asked for.",
    )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("drill") is None:
            queryset = queryset.filter(is_drill=False)
        return queryset


class CrisisViewSet(
    CourseCrisisActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Crises visible to you, with their tasks; file one with POST."""

    serializer_class = CrisisSerializer
    permission_classes = [CrisisApiPermission]
    token_scopes = {"create": ("crisis:file", "crisis:drill", "write")}
    filterset_class = CrisisFilter
    queryset = Crisis.objects.none()
    lookup_value_regex = r"\d+"  # /crises/abc/… is a 404, not a query with text for an id

    def get_queryset(self):
        return crises_with_tasks(
            crises_visible_to(self.request.user).select_related(
                "customer", "walk_in__responsible__user", "walk_in__supervisor__user"
            )
        ).order_by("-filed_at", "-id")

    def list(self, request, *args, **kwargs):
        # The page's crises and their tasks are read as plain rows and shaped like
        # CrisisSerializer (crisis.api.representation): the same JSON at a fraction of the cost
        # per row, so the list stays flat as crises pile up (issue 12 §2); counted without the
        # page's joins. (A comment, not a docstring: the docstring would become the operation's
        # description in the OpenAPI schema.)
        queryset = self.filter_queryset(
            crises_visible_to(request.user).order_by("-filed_at", "-id")
        )

        def page(sliced) -> list[dict]:
            rows = list(crisis_rows(sliced))
            ids = [row.id for row in rows]
            return crises_representation(rows, task_rows_of(ids), walk_in_rows_of(ids))

        data = self.paginator.paginate_rows(queryset, request, page, view=self)
        return self.get_paginated_response(data)

    def get_serializer_class(self):
        if self.action == "create":
            return CrisisCreateSerializer
        return CrisisSerializer

    @extend_schema(
        request=CrisisCreateSerializer,
        responses={201: CrisisSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    def create(self, request, *args, **kwargs):
        def perform(key: str | None) -> Response:
            serializer = CrisisCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            unit = None
            if data.get("unit"):
                unit = unit_by_code(data["unit"])
                if unit is None:
                    raise ValidationFailed(
                        _("Unknown org unit “%(code)s”.") % {"code": data["unit"]},
                        errors={"unit": _("Unknown org unit.")},
                    )
            if data.get("drill") and not token_scope_allows(request, "crisis:drill", "write"):
                raise PermissionDenied(
                    _("This token may not start drills: it needs the crisis:drill scope."),
                    code="drill_scope_missing",
                )
            if not data.get("drill") and not token_scope_allows(request, "crisis:file", "write"):
                raise PermissionDenied(
                    _("This token may only start drills."), code="drill_only_token"
                )
            filing = dict(
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
            if any(data.get(f) for f in CrisisCreateSerializer.WALK_IN_FIELDS):
                if data.get("drill"):
                    raise ValidationFailed(
                        _("A walk-in complaint is a real complaint, not a drill."),
                        errors={"drill": _("Not with a walk-in consumer.")},
                    )
                crisis = walk_in_complaint_file(
                    **filing,
                    **{f: data.get(f, "") for f in CrisisCreateSerializer.WALK_IN_FIELDS},
                )
            else:
                crisis = crisis_file(
                    **filing, drill=data.get("drill", False), drill_speed=data.get("speed", 1)
                )
            filed_tasks = getattr(crisis, "filed_tasks", None)
            if filed_tasks is None:  # a replay: read it back
                crisis = self.get_queryset().get(pk=crisis.pk)
            else:  # render what was just written, without reading it back
                crisis = with_tasks_prefetched(crisis, filed_tasks)
            return Response(
                CrisisSerializer(crisis, context={"request": request}).data,
                status=status.HTTP_201_CREATED,
            )

        return idempotent_create(request, "crisis.crises.create", perform)

    def _crisis(self, pk) -> Crisis:
        crisis = crises_visible_to(self.request.user).filter(pk=pk).first()
        if crisis is None:
            raise NotFound(_("Not found, or not visible to you."))
        return crisis

    @extend_schema(methods=["get"], responses={200: TaskSerializer(many=True)}, request=None)
    @extend_schema(
        methods=["post"], request=AdhocTaskCreateSerializer, responses={201: TaskSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def tasks(self, request, pk=None):
        """The crisis's tasks in map order; POST adds an ad-hoc task (action, assignee's user
        name, deadline in minutes)."""
        crisis = self._crisis(pk)
        if request.method == "POST":
            return self.add_task(request, crisis)
        tasks = crisis_tasks(crisis)
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
            return Response(DecisionSerializer(ledger_of(crisis), many=True).data)
        serializer = DecisionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = decision_make(
            crisis=crisis,
            text=data["text"],
            option=data.get("option", ""),
            situation=data.get("situation", ""),
            rationale=data.get("rationale", ""),
            review_by=data.get("review_by"),
            supersedes=data.get("supersedes"),
            follow_ups=data.get("follow_ups"),
            option_follow_ups=data.get("option_follow_ups", False),
            actor=request.user,
        )
        decision = ledger_of(crisis).get(pk=decision.pk)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TimelineEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        """Every event of the crisis in order (immutable)."""
        crisis = self._crisis(pk)
        return Response(TimelineEventSerializer(timeline_of(crisis), many=True).data)


class TaskFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=TaskStatus.choices)
    crisis = IdFilter(field_name="crisis_id")
    mine = StrictBooleanFilter(method="filter_mine")

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(assignee__user=self.request.user)


class TaskViewSet(
    CourseTaskActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tasks of the crises visible to you; the assignee completes one with a deliverable."""

    serializer_class = TaskSerializer
    permission_classes = [CrisisApiPermission]
    filterset_class = TaskFilter
    queryset = Task.objects.none()
    lookup_value_regex = r"\d+"
    parser_classes = [JSONObjectParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return tasks_visible_to(self.request.user).order_by("crisis_id", "order", "id")

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
        task_complete(
            task=task,
            actor=request.user,
            note=serializer.validated_data.get("note", ""),
            file=upload,
            location=serializer.validated_data.get("location", ""),
            option=serializer.validated_data.get("option", ""),
            fields=serializer.validated_data.get("fields") or None,
        )
        return Response(TaskSerializer(self._task(pk)).data)

    @extend_schema(request=None, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def acknowledge(self, request, pk=None):
        """The assignee takes the task on (first response)."""
        task = self._task(pk)
        task_acknowledge(task=task, actor=request.user)
        return Response(TaskSerializer(self._task(pk)).data)
