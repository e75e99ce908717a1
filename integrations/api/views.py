"""Customers, dossiers, response plans and the inbound webhook endpoint."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import customers_visible_to
from hrcore.api.permissions import ReadScope
from hrcore.errors import NotFound

from .. import roi_selectors, roi_sources, selectors
from .. import selectors as integrations_selectors
from ..choices import DossierReason
from ..filters import CustomerFilter
from ..services import dossiers, webhooks_inbound
from .serializers import CustomerSerializer, DossierSerializer, ResponsePlanSerializer


def dossier_payload(dossier, building: bool, access=None) -> dict:
    if dossier is None:
        return {
            "id": None,
            "status": "building",
            "building": True,
            "requested_at": None,
            "completed_at": None,
            "duration_ms": None,
            "sources": [],
        }
    return {
        "id": dossier.pk,
        "status": dossier.status,
        "building": building,
        "requested_at": dossier.requested_at,
        "completed_at": dossier.completed_at,
        "duration_ms": dossier.duration_ms,
        "sources": selectors.dossier_sources(dossier, access=access),
    }


class RoiSerializer(serializers.Serializer):
    customer = serializers.CharField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    hours_by_source = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=2)
    )
    cost = serializers.DecimalField(max_digits=16, decimal_places=2)
    margin = serializers.DecimalField(max_digits=16, decimal_places=2)
    cost_to_revenue = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    flagged = serializers.BooleanField()
    gross_margin = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    revenue_source = serializers.ChoiceField(choices=["finance", "orders"])
    period = serializers.DictField(child=serializers.DateField())
    sources = serializers.DictField(child=serializers.DictField())


def roi_payload(row, period=None, figures=None) -> dict:
    extra = {}
    if period is not None:
        extra["period"] = {"since": period.since, "until": period.until}
    if figures is not None:
        extra["sources"] = figures.sources()
    return {
        **extra,
        "gross_margin": row.gross_margin,
        "revenue_source": row.revenue_source,
        "customer": row.customer,
        "revenue": row.revenue,
        "hours": row.hours,
        "hours_by_source": row.hours_by_source,
        "cost": row.cost,
        "margin": row.margin,
        "cost_to_revenue": row.ratio,
        "flagged": row.flagged,
    }


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers with their credit profile (kept current from finance and CRM), by external id."""

    serializer_class = CustomerSerializer
    permission_classes = [ReadScope]
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"
    filterset_class = CustomerFilter

    def get_queryset(self):
        return customers_visible_to(self.request.user).order_by("-overdue_days", "external_id")

    @extend_schema(
        responses={200: RoiSerializer},
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, description="default: a year ago"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="default: today"),
        ],
        description="Labour cost and return of the customer over a period: hours spent on it "
        "(crisis duties done, complaints handled, field visits from the attendance partner) "
        "times the cost rate of each person's grade, against finance's revenue and gross "
        "margin (Keel's paid orders when finance does not answer; ``revenue_source`` says "
        "which); margin after labour, cost-to-revenue ratio, the flag, and how each partner "
        "answered (``sources``: each partner's figures are cached for KEEL_ROI_PARTNER_CACHE_SECONDS; "
        "``as_of`` says when they were asked, ``stale`` that the partner failed since and its "
        "last figures are used).",
    )
    @action(detail=True, methods=["get"])
    def roi(self, request, external_id=None):
        customer = self.get_object()
        period = roi_selectors.period_from_query(
            request.query_params.get("since"), request.query_params.get("until")
        )
        figures = roi_sources.partner_figures(
            since=period.since, until=period.until, customer=customer.external_id
        )
        row = roi_selectors.customer_rois([customer], period=period, figures=figures)
        return Response(RoiSerializer(roi_payload(row[customer.external_id], period, figures)).data)

    @extend_schema(
        responses={200: DossierSerializer, 202: DossierSerializer},
        description="The customer's latest dossier (payments, unpaid invoices, credit, contacts, "
        "complaints, orders, legal guide) with each source's status. Assembled in the background: "
        "when none exists yet, one is requested and 202 is returned.",
    )
    @action(detail=True, methods=["get"])
    def dossier(self, request, external_id=None):
        customer = self.get_object()
        dossier, building = integrations_selectors.latest_dossier(customer=customer)
        if dossier is None:
            if not building:
                dossiers.dossier_request(
                    customer=customer, reason=DossierReason.API, actor=request.user
                )
            return Response(
                DossierSerializer(dossier_payload(None, True)).data, status=status.HTTP_202_ACCEPTED
            )
        access = selectors.customer_dossier_access(request.user, customer)
        return Response(DossierSerializer(dossier_payload(dossier, building, access)).data)

    @extend_schema(
        request=None,
        responses={202: inline_serializer("DossierRequested", {"id": serializers.IntegerField()})},
    )
    @action(detail=True, methods=["post"], url_path="dossier/refresh")
    def dossier_refresh(self, request, external_id=None):
        customer = self.get_object()
        dossier = dossiers.dossier_request(
            customer=customer, reason=DossierReason.REFRESH, actor=request.user
        )
        return Response({"id": dossier.pk}, status=status.HTTP_202_ACCEPTED)


class CrisisDossierView(APIView):
    """The crisis's dossier and current response plan (visible when the crisis is)."""

    permission_classes = [ReadScope]

    @extend_schema(
        responses={
            200: inline_serializer(
                "CrisisDossier",
                {
                    "dossier": DossierSerializer(allow_null=True),
                    "plan": ResponsePlanSerializer(allow_null=True),
                },
            )
        }
    )
    def get(self, request, crisis_id: int):
        crisis = selectors.crisis_visible(request.user, crisis_id)
        if crisis is None:
            raise NotFound(_("Not found, or not visible to you."))
        dossier, building = integrations_selectors.latest_dossier(crisis_id=crisis.pk)
        plan = selectors.latest_plan(crisis.pk)
        access = selectors.crisis_dossier_access(request.user, crisis)
        plan_data = ResponsePlanSerializer(plan).data if plan else None
        if plan_data is not None and not access.sees_amounts:
            plan_data["amounts"] = {}  # the amounts at stake come from the finance sources
        return Response(
            {
                "dossier": DossierSerializer(dossier_payload(dossier, building, access)).data
                if dossier or building
                else None,
                "plan": plan_data,
            }
        )


WEBHOOK_REFUSAL = inline_serializer(
    "WebhookRefused",
    {
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(required=False),
    },
)


@method_decorator(csrf_exempt, name="dispatch")
class InboundWebhookView(APIView):
    """Partner events: ``payment.recorded``, ``customer.overdue``, ``collectors.on_site``,
    ``complaint.created``, ``order.paid``. Signed with the partner's own secret, HMAC-SHA256
    over ``"<timestamp>.<delivery id>." + raw body`` (``X-Keel-Signature: sha256=…``,
    ``X-Keel-Timestamp``, ``X-Keel-Delivery``). A delivery id is processed once; the same body
    from the same partner within 300 s is refused under any id."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request=inline_serializer(
            "PartnerEvent",
            {"event": serializers.CharField(), "customer": serializers.CharField()},
        ),
        responses={
            200: inline_serializer(
                "WebhookAccepted",
                {
                    "status": serializers.IntegerField(),
                    "delivery_id": serializers.CharField(),
                    "result": serializers.JSONField(),
                },
            ),
            # Refusals: 400 malformed/unknown event, 401 signature, 403 no secret, 404 unknown
            # partner or customer, 409 replayed id or body, 422 incomplete event, 503 secret
            # unreadable (retry later).
            **{status_code: WEBHOOK_REFUSAL for status_code in (400, 401, 403, 404, 409, 422, 503)},
        },
        parameters=[
            OpenApiParameter("X-Keel-Signature", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Keel-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Keel-Delivery", str, OpenApiParameter.HEADER, required=True),
        ],
        auth=[],
    )
    def post(self, request, partner: str):
        raw = request._request.body  # the exact bytes the partner signed
        result = webhooks_inbound.webhook_receive(
            partner_slug=partner, body=raw, headers=request.headers
        )
        return JsonResponse(result.body, status=result.status)
