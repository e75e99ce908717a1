"""REST API of the competency app: models, profiles, assignments, results, external evidence."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from hrcore.api.filters import IdFilter
from hrcore.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent_create
from hrcore.api.permissions import ScopedPermission
from hrcore.errors import PermissionDenied
from hrcore.selectors import has_role

from .. import selectors
from ..choices import RunStatus
from ..models import (
    Assignment,
    Evidence,
    Framework,
    PositionProfile,
    Simulation,
    SimulationRun,
)
from ..services import evidence
from .serializers import (
    AssignmentSerializer,
    EvidenceCreateSerializer,
    EvidenceSerializer,
    FrameworkSerializer,
    ProfileSerializer,
    RunSerializer,
    SimulationSerializer,
)

EVIDENCE_ENDPOINT = "competency.evidence.create"


class EmployeeFilter(filters.FilterSet):
    """``?employee=<id>``: a positive id; anything else is a 400 with a message."""

    employee = IdFilter(field_name="employee_id", help_text="Employee id")


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """Competency frameworks (all versions) with scale levels, competencies and anchors."""

    serializer_class = FrameworkSerializer
    permission_classes = [ScopedPermission]
    queryset = Framework.objects.none()

    def get_queryset(self):
        return selectors.frameworks_visible_to(self.request.user).order_by("code", "-version")


class ProfileViewSet(viewsets.ReadOnlyModelViewSet):
    """Position profiles: required level and weight per competency, cadence, scenarios."""

    serializer_class = ProfileSerializer
    permission_classes = [ScopedPermission]
    queryset = PositionProfile.objects.none()

    def get_queryset(self):
        return selectors.profiles_visible_to(self.request.user).order_by("position__code", "id")


class SimulationViewSet(viewsets.ReadOnlyModelViewSet):
    """Simulations visible to you (published; HR admins also see drafts)."""

    serializer_class = SimulationSerializer
    permission_classes = [ScopedPermission]
    lookup_field = "code"
    queryset = Simulation.objects.none()

    def get_queryset(self):
        return selectors.simulations_visible_to(self.request.user).order_by("code")


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Training assignments: your own, your direct reports' and (HR admins) everyone's."""

    serializer_class = AssignmentSerializer
    permission_classes = [ScopedPermission]
    filterset_class = EmployeeFilter
    queryset = Assignment.objects.none()

    def get_queryset(self):
        return selectors.assignments_visible_to(self.request.user).order_by("due_at", "id")


class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Finished simulation runs: private to the player and their direct manager."""

    serializer_class = RunSerializer
    permission_classes = [ScopedPermission]
    filterset_class = EmployeeFilter
    queryset = SimulationRun.objects.none()

    def get_queryset(self):
        return (
            selectors.runs_visible_to(self.request.user)
            .filter(status=RunStatus.FINISHED)
            .order_by("-finished_at", "-id")
        )


class EvidenceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The evidence ledger (append-only). HR admins and partner systems append with POST."""

    serializer_class = EvidenceSerializer
    permission_classes = [ScopedPermission]
    token_scopes = {"create": ("evidence:write", "write")}
    filterset_class = EmployeeFilter
    queryset = Evidence.objects.none()

    def get_queryset(self):
        return selectors.evidence_visible_to(self.request.user).order_by("-observed_at", "-id")

    def get_serializer_class(self):
        return EvidenceCreateSerializer if self.action == "create" else EvidenceSerializer

    @extend_schema(responses={200: EvidenceSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=EvidenceCreateSerializer,
        responses={201: EvidenceSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    def create(self, request, *args, **kwargs):
        if not has_role(request.user, "hr_admin", "partner"):
            raise PermissionDenied(_("Only HR admins and partner systems may record evidence."))

        def perform(key: str | None) -> Response:
            serializer = EvidenceCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            row, _created = evidence.evidence_record(
                employee=data["employee"],
                competency_code=data["competency"],
                level=data["level"],
                kind=data["kind"],
                score=data.get("score"),
                observed_at=data.get("observed_at"),
                source=data.get("source") or f"api:{request.user.username}",
                note=data.get("note", ""),
                source_key=f"api:{request.user.pk}:{key}" if key else None,
                actor=request.user,
            )
            return Response(EvidenceSerializer(row).data, status=status.HTTP_201_CREATED)

        return idempotent_create(request, EVIDENCE_ENDPOINT, perform)
