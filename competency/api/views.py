"""REST API of the competency app: models, profiles, assignments, results, external evidence."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from hrcore.api.permissions import token_scope_allows
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.selectors import has_role

from .. import selectors, services
from ..choices import RunStatus
from ..models import (
    ApiIdempotency,
    Assignment,
    Framework,
    PositionProfile,
    Simulation,
    SimulationRun,
)
from .serializers import (
    AssignmentSerializer,
    EvidenceCreateSerializer,
    EvidenceSerializer,
    FrameworkSerializer,
    ProfileSerializer,
    RunSerializer,
    SimulationSerializer,
)

EMPLOYEE_FILTER = OpenApiParameter("employee", OpenApiTypes.INT, description="Employee id")
IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Replaying the same key with the same body returns the first response; with a "
    "different body, 409.",
)


class ReadScope(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and token_scope_allows(
            request, "read"
        )


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """Competency frameworks (all versions) with scale levels, competencies and anchors."""

    serializer_class = FrameworkSerializer
    permission_classes = [IsAuthenticated, ReadScope]
    queryset = Framework.objects.none()

    def get_queryset(self):
        return selectors.frameworks_visible_to(self.request.user).order_by("code", "-version")


class ProfileViewSet(viewsets.ReadOnlyModelViewSet):
    """Position profiles: required level and weight per competency, cadence, scenarios."""

    serializer_class = ProfileSerializer
    permission_classes = [IsAuthenticated, ReadScope]
    queryset = PositionProfile.objects.none()

    def get_queryset(self):
        return selectors.profiles_visible_to(self.request.user).order_by("position__code", "id")


class SimulationViewSet(viewsets.ReadOnlyModelViewSet):
    """Simulations visible to you (published; HR admins also see drafts)."""

    serializer_class = SimulationSerializer
    permission_classes = [IsAuthenticated, ReadScope]
    lookup_field = "code"
    queryset = Simulation.objects.none()

    def get_queryset(self):
        return selectors.simulations_visible_to(self.request.user).order_by("code")


def _employee_filter(request, qs):
    raw = request.query_params.get("employee")
    if raw:
        try:
            qs = qs.filter(employee_id=int(raw))
        except ValueError as exc:
            raise ValidationFailed(
                _("employee must be an id."), errors={"employee": [raw]}
            ) from exc
    return qs


@extend_schema(parameters=[EMPLOYEE_FILTER])
class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Training assignments: your own, your direct reports' and (HR admins) everyone's."""

    serializer_class = AssignmentSerializer
    permission_classes = [IsAuthenticated, ReadScope]
    queryset = Assignment.objects.none()

    def get_queryset(self):
        qs = selectors.assignments_visible_to(self.request.user).order_by("due_at", "id")
        return _employee_filter(self.request, qs)


@extend_schema(parameters=[EMPLOYEE_FILTER])
class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Finished simulation runs: private to the player and their direct manager."""

    serializer_class = RunSerializer
    permission_classes = [IsAuthenticated, ReadScope]
    queryset = SimulationRun.objects.none()

    def get_queryset(self):
        qs = selectors.runs_visible_to(self.request.user).filter(status=RunStatus.FINISHED)
        return _employee_filter(self.request, qs).order_by("-finished_at", "-id")


def _fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class EvidenceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The evidence ledger (append-only). HR admins and partner systems append with POST."""

    serializer_class = EvidenceSerializer
    permission_classes = [IsAuthenticated, ReadScope]
    queryset = SimulationRun.objects.none()

    def get_queryset(self):
        qs = selectors.evidence_visible_to(self.request.user).order_by("-observed_at", "-id")
        return _employee_filter(self.request, qs)

    def get_serializer_class(self):
        return EvidenceCreateSerializer if self.action == "create" else EvidenceSerializer

    @extend_schema(
        parameters=[EMPLOYEE_FILTER],
        responses={200: EvidenceSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=EvidenceCreateSerializer,
        responses={201: EvidenceSerializer, 200: EvidenceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request, *args, **kwargs):
        if not has_role(request.user, "hr_admin", "partner") or not token_scope_allows(
            request, "write"
        ):
            raise PermissionDenied(_("Only HR admins and partner systems may record evidence."))
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 150:
            raise ValidationFailed(
                _("The Idempotency-Key header is too long."), errors={"Idempotency-Key": ["long"]}
            )
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("Send a JSON object."))
        fingerprint = _fingerprint(request.data)
        if key:
            stored = ApiIdempotency.objects.filter(user=request.user, key=key).first()
            if stored is not None:
                if stored.request_hash != fingerprint:
                    raise Conflict(
                        _("This Idempotency-Key was already used with a different request body."),
                        code="idempotency_key_reused",
                    )
                return Response(stored.response, status=status.HTTP_200_OK)
        serializer = EvidenceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                row, _created = services.evidence_record(
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
                body = json.loads(json.dumps(EvidenceSerializer(row).data, default=str))
                if key:
                    ApiIdempotency.objects.create(
                        user=request.user, key=key, request_hash=fingerprint, response=body
                    )
        except IntegrityError as exc:
            raise Conflict(_("A concurrent request used this Idempotency-Key.")) from exc
        return Response(body, status=status.HTTP_201_CREATED)
