"""Commissions over the API: the list (filters ``status`` and ``employee``) as the caller may see
it — their own, their team's, or all for finance and HR — and the two approval steps."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from hrcore.api.permissions import ScopedPermission
from hrcore.errors import ValidationFailed

from .. import selectors
from ..choices import CommissionStatus
from ..models import Commission
from ..services import commissions


class CommissionSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.external_id", read_only=True)
    customer = serializers.CharField(source="order.customer.external_id", read_only=True)
    product_line = serializers.CharField(source="order.product_line", read_only=True)
    employee = serializers.IntegerField(source="employee_id", read_only=True)
    employee_name = serializers.CharField(source="employee.name", read_only=True)
    reverses = serializers.IntegerField(source="reverses_id", read_only=True, allow_null=True)

    class Meta:
        model = Commission
        fields = [
            "id",
            "order",
            "customer",
            "product_line",
            "employee",
            "employee_name",
            "grade",
            "rate",
            "amount",
            "currency",
            "period",
            "status",
            "reverses",
            "rejected_reason",
            "payroll_reference",
            "finance_approved_at",
            "hr_approved_at",
            "created_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    reject = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CommissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CommissionSerializer
    permission_classes = [ScopedPermission]

    def get_queryset(self):
        qs = selectors.commissions_visible_to(self.request.user).order_by("-created_at", "-id")
        if self.action != "list":
            return qs
        status = self.request.query_params.get("status")
        if status:
            if status not in CommissionStatus.values:
                raise ValidationFailed(
                    _("Unknown commission status."),
                    errors={"status": ", ".join(CommissionStatus.values)},
                )
            qs = qs.filter(status=status)
        employee = self.request.query_params.get("employee")
        if employee:
            if not employee.isdigit():
                raise ValidationFailed(
                    _("The employee is an id."), errors={"employee": _("A whole number.")}
                )
            qs = qs.filter(employee_id=int(employee))
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=CommissionStatus.values),
            OpenApiParameter("employee", int, description="An employee id."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=DecisionSerializer,
        responses={200: CommissionSerializer},
        description="Finance approves first, then an HR admin; ``reject`` with a ``reason`` "
        "refuses. The wrong role is 403, a step already taken 409.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        commission = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        commission = commissions.commission_approve(
            commission=commission,
            actor=request.user,
            reject=body.validated_data["reject"],
            reason=body.validated_data.get("reason", ""),
        )
        return Response(CommissionSerializer(commission).data)
