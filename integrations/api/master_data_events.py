"""The HR/CRM master-data event ledger through the API: ``GET
/api/v1/integrations/master-data-events/`` (HR admins; ``?status=``, ``?event=``,
``?subject=``), newest first, each event with the reason in the request's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from hrcore.api.permissions import ReadScope
from hrcore.choices import Role
from hrcore.selectors import has_role

from ..choices import MasterDataStatus
from ..models import MasterDataEvent


class HrAdminReads(ReadScope):
    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if not has_role(request.user, Role.HR_ADMIN):
            self.message = gettext_lazy("Only HR admins may read the master-data event ledger.")
            return False
        return True


class MasterDataEventSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = MasterDataEvent
        fields = [
            "id",
            "partner",
            "origin",
            "event_id",
            "event",
            "subject",
            "status",
            "reason_code",
            "reason",
            "result",
            "occurred_at",
            "received_at",
        ]
        read_only_fields = fields

    def get_reason(self, obj: MasterDataEvent) -> str:
        return obj.reason


@extend_schema(
    summary="The HR/CRM master-data event ledger (HR admins)",
    parameters=[
        OpenApiParameter("status", str, enum=MasterDataStatus.values),
        OpenApiParameter("event", str),
        OpenApiParameter("subject", str),
    ],
)
class MasterDataEventList(generics.ListAPIView):
    """Every HR/CRM event received (webhook or reconciliation difference): applied, rejected
    (``reason_code``, ``reason``) or a duplicate."""

    serializer_class = MasterDataEventSerializer
    permission_classes = [HrAdminReads]

    def get_queryset(self):
        qs = MasterDataEvent.objects.select_related("partner").order_by("-received_at", "-id")
        for name in ("status", "event", "subject"):
            value = self.request.query_params.get(name)
            if value:
                qs = qs.filter(**{name: value[:100]})
        return qs
