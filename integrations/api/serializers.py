"""Input and output shapes of the integrations API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import SourceStatus
from ..models import Customer, ResponsePlan


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


class WebhookAcceptedSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    delivery_id = serializers.CharField()
    result = serializers.JSONField()
