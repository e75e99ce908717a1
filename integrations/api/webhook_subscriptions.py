"""The partner API for outbound webhook subscriptions: list, create, read, change, deactivate,
rotate the signing secret and read the delivery log. HR admins only (the role that manages
partners), through a session that passed the second factor or a token with the ``webhooks``
scope (``read`` admits the reads, ``write`` everything)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from hrcore.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent_create
from hrcore.api.permissions import ScopedPermission
from hrcore.selectors import has_role

from .. import selectors
from ..crypto import decrypt, encrypt
from ..models import WebhookSubscription
from ..services import webhooks_outbound
from .serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionCreateSerializer,
    WebhookSubscriptionSecretSerializer,
    WebhookSubscriptionSerializer,
    WebhookSubscriptionUpdateSerializer,
)

READS = ("webhooks", "read")
WRITES = ("webhooks", "write")


class WebhookSubscriptionPermission(ScopedPermission):
    """A token scope that admits the operation, and the HR admin role."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if not has_role(request.user, "hr_admin"):
            self.message = gettext_lazy("Only HR admins may manage webhook subscriptions.")
            return False
        return True


def _seal(body):
    """The stored idempotent answer keeps the secret encrypted, like the subscription does."""
    if isinstance(body, dict) and body.get("secret"):
        return {**body, "secret": encrypt(body["secret"])}
    return body


def _unseal(body):
    if isinstance(body, dict) and body.get("secret"):
        return {**body, "secret": decrypt(body["secret"], what="idempotent subscription answer")}
    return body


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions (never their secrets)"),
    retrieve=extend_schema(summary="Read a webhook subscription (never its secret)"),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Subscriptions to Keel's outbound events. Each is signed with its own secret, HMAC-SHA256
    over ``"<timestamp>.<delivery id>." + raw body`` (headers ``X-Keel-Signature``,
    ``X-Keel-Timestamp``, ``X-Keel-Delivery``, ``X-Keel-Event``)."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [WebhookSubscriptionPermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"
    queryset = WebhookSubscription.objects.none()
    token_scopes = {
        "list": READS,
        "retrieve": READS,
        "deliveries": READS,
        "create": WRITES,
        "partial_update": WRITES,
        "destroy": WRITES,
        "rotate_secret": WRITES,
    }

    def get_queryset(self):
        return selectors.webhook_subscriptions_visible_to(self.request.user)

    def _out(self, sub, code=status.HTTP_200_OK) -> Response:
        sub = self.get_queryset().get(pk=sub.pk)
        return Response(WebhookSubscriptionSerializer(sub).data, status=code)

    def _with_secret(self, sub, secret: str, code: int) -> Response:
        sub = self.get_queryset().get(pk=sub.pk)
        data = WebhookSubscriptionSecretSerializer(sub).data
        data["secret"] = secret
        return Response(data, status=code)

    @extend_schema(
        summary="Subscribe a partner to outbound events",
        description="Creates an active subscription with a new signing secret, returned in "
        "this answer only (a retry with the same `Idempotency-Key` returns it again).",
        request=WebhookSubscriptionCreateSerializer,
        responses={201: WebhookSubscriptionSecretSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    def create(self, request, *args, **kwargs):
        def perform(key: str | None) -> Response:
            serializer = WebhookSubscriptionCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            sub, secret = webhooks_outbound.webhook_subscription_create(
                partner=data["partner"],
                url=data["url"],
                events=data.get("events") or [],
                actor=request.user,
            )
            return self._with_secret(sub, secret, status.HTTP_201_CREATED)

        return idempotent_create(
            request,
            "integrations.webhook_subscriptions.create",
            perform,
            seal=_seal,
            unseal=_unseal,
        )

    @extend_schema(
        summary="Change a webhook subscription",
        request=WebhookSubscriptionUpdateSerializer,
        responses={200: WebhookSubscriptionSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        sub = self.get_object()
        serializer = WebhookSubscriptionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = webhooks_outbound.webhook_subscription_update(
            subscription=sub, actor=request.user, **serializer.validated_data
        )
        return self._out(sub)

    @extend_schema(
        summary="Deactivate a webhook subscription",
        description="Stops deliveries; the subscription and its delivery log are kept "
        "(`PATCH` with `active: true` resumes them).",
        responses={204: None},
    )
    def destroy(self, request, *args, **kwargs):
        webhooks_outbound.webhook_subscription_deactivate(
            subscription=self.get_object(), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate the signing secret",
        description="A new signing secret, returned in this answer only; every delivery from "
        "now on (retries of earlier events included) is signed with it.",
        request=None,
        responses={200: WebhookSubscriptionSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        sub, secret = webhooks_outbound.webhook_subscription_rotate_secret(
            subscription=self.get_object(), actor=request.user
        )
        return self._with_secret(sub, secret, status.HTTP_200_OK)

    @extend_schema(
        summary="The subscription's delivery log",
        description="Every delivery attempt, newest first: event, delivery id, attempt, "
        "status, the subscriber's HTTP status, duration and error.",
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        sub = self.get_object()
        page = self.paginate_queryset(selectors.webhook_subscription_deliveries(sub))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
