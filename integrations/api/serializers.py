"""Input and output shapes of the integrations API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer

from .. import selectors
from ..choices import EVERY_EVENT, OUTBOUND_EVENTS, DeliveryStatus, SourceStatus
from ..models import ResponsePlan, WebhookSubscription


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    username = serializers.CharField(source="user.username")


class CustomerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    account_owner = OwnerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "name_zh",
            "name_en",
            "unit",
            "account_owner",
            "overdue_days",
            "overdue_since",
            "outstanding_amount",
            "currency",
            "credit_status",
            "last_contact_at",
            "last_contact_risk",
            "last_contact_note",
            "updated_at",
        ]


class DossierSourceSerializer(serializers.Serializer):
    """A ``selectors.SourceView``: data fetched long ago is reported "stale", as on the pages."""

    source = serializers.CharField()
    partner = serializers.CharField(source="partner_slug")
    status = serializers.ChoiceField(choices=SourceStatus.choices)
    fetched_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()
    data = serializers.JSONField(allow_null=True)


class DossierSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    building = serializers.BooleanField(help_text="A newer dossier is being assembled.")
    requested_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    sources = DossierSourceSerializer(many=True)


class ResponsePlanSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ResponsePlan
        fields = [
            "crisis_id",
            "version",
            "origin",
            "say_zh",
            "say_en",
            "never_say_zh",
            "never_say_en",
            "legal_basis_zh",
            "legal_basis_en",
            "amounts",
            "next_steps",
            "author",
            "created_at",
            "shared_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, plan) -> str | None:
        return plan.author.username if plan.author_id else None


EVENTS_HELP = (
    "Outbound event names: "
    + ", ".join(f"`{e}`" for e in OUTBOUND_EVENTS)
    + f"; `{EVERY_EVENT}` or an empty list for every event."
)
URL_HELP = (
    "Where Keel POSTs the signed events: an https:// URL (plain http:// only to a loopback host "
    "in development)."
)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as it is read: never its secret."""

    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    events = serializers.ListField(child=serializers.CharField(), help_text=EVENTS_HELP)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "partner", "url", "events", "active", "created_at"]
        read_only_fields = fields


class WebhookSubscriptionSecretSerializer(WebhookSubscriptionSerializer):
    """A subscription with its new signing secret: the only answer that ever contains it."""

    secret = serializers.CharField(
        help_text="The signing secret (HMAC-SHA256 key). Shown in this answer only: store it now."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionCreateSerializer(serializers.Serializer):
    partner = serializers.CharField(max_length=64, help_text="The partner's code (slug).")
    url = serializers.CharField(max_length=500, help_text=URL_HELP)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=len(OUTBOUND_EVENTS) + 1,
        help_text=EVENTS_HELP,
    )


class WebhookSubscriptionUpdateSerializer(serializers.Serializer):
    partner = serializers.CharField(max_length=64, required=False)
    url = serializers.CharField(max_length=500, required=False, help_text=URL_HELP)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=len(OUTBOUND_EVENTS) + 1,
        help_text=EVENTS_HELP,
    )
    active = serializers.BooleanField(
        required=False, help_text="false stops deliveries (as DELETE does); true resumes them."
    )


class WebhookDeliverySerializer(serializers.Serializer):
    """One delivery attempt of the log (a row of the outbox's delivery ledger)."""

    id = serializers.IntegerField(read_only=True)
    event = serializers.SerializerMethodField()
    delivery_id = serializers.CharField(read_only=True)
    attempt = serializers.IntegerField(read_only=True)
    status = serializers.SerializerMethodField()
    status_code = serializers.IntegerField(
        source="response_status",
        allow_null=True,
        read_only=True,
        help_text="The subscriber's HTTP status.",
    )
    duration_ms = serializers.SerializerMethodField()
    error = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(source="started_at", read_only=True)

    def get_event(self, attempt) -> str:
        return str((attempt.message.payload or {}).get("event") or "")

    @extend_schema_field(serializers.ChoiceField(choices=DeliveryStatus.choices))
    def get_status(self, attempt) -> str:
        return selectors.webhook_delivery_status(attempt)

    def get_duration_ms(self, attempt) -> int:
        return selectors.webhook_delivery_duration_ms(attempt)
