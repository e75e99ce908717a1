"""HR-admin configuration of partner systems, webhook subscriptions, messaging providers and\ntheir logs. Every save goes through ``services.partners``; every delete (a partner, a\nsubscription, a log row pruned by hand) through ``hrcore.services.configuration`` (audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from hrcore.admin import ReadOnlyAdmin, ServiceWritesMixin, form_changes
from hrcore.errors import KeelError

from . import adapters
from .crypto import CredentialUnreadable
from .models import (
    ChannelProvider,
    Commission,
    Complaint,
    Dossier,
    DossierSource,
    Handover,
    InboundDelivery,
    MasterDataEvent,
    Order,
    Partner,
    ResponsePlan,
    WebhookSubscription,
)
from .services import partners, webhooks_outbound


def protocol_choices() -> list[tuple[str, str]]:
    """The protocols some registered adapter speaks (``adapters.register``)."""
    return [(p, p) for p in sorted({protocol for _kind, protocol in adapters.registered()})]


def secret_field(label, help_text) -> forms.CharField:
    """A secret typed in clear, never shown back (stored encrypted by the form's save)."""
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=help_text,
    )


class PartnerForm(forms.ModelForm):
    protocol = forms.ChoiceField(label=_("protocol"), choices=protocol_choices)
    base_url = forms.URLField(label=_("base URL"), max_length=500, assume_scheme="https")
    token = secret_field(
        _("API token"), _("Stored encrypted. Leave empty to keep the current token.")
    )
    webhook_secret = secret_field(
        _("Inbound webhook secret"), _("Stored encrypted. Leave empty to keep the current secret.")
    )

    class Meta:
        model = Partner
        fields = [
            "slug",
            "name",
            "kind",
            "protocol",
            "base_url",
            "timeout_seconds",
            "max_attempts",
            "enabled",
            "service_user",
        ]

    def clean(self):
        cleaned = super().clean()
        error = partners.partner_protocol_error(cleaned.get("kind"), cleaned.get("protocol"))
        if error:
            self.add_error("protocol", error)
        return cleaned


@admin.register(Partner)
class PartnerAdmin(ServiceWritesMixin, admin.ModelAdmin):
    form = PartnerForm
    list_display = [
        "slug",
        "name",
        "kind",
        "base_url",
        "timeout_seconds",
        "enabled",
        "has_token",
        "credentials_status",
    ]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["credentials_status"]
    actions = ["test_connection"]

    @admin.display(boolean=True, description=_("token set"))
    def has_token(self, obj):
        return bool(obj.credentials_encrypted)

    @admin.display(description=_("stored credentials"))
    def credentials_status(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        unreadable = obj.unreadable_credentials
        if not unreadable:
            return _("readable")
        return _(
            "CANNOT BE DECRYPTED: %(which)s. Put the previous secret key into "
            "DJANGO_SECRET_KEY_FALLBACKS, or enter the credential again."
        ) % {"which": ", ".join(unreadable)}

    def changelist_view(self, request, extra_context=None):
        broken = [p.slug for p in Partner.objects.all() if p.unreadable_credentials]
        if broken:
            messages.error(
                request,
                _(
                    "Stored credentials of %(partners)s cannot be decrypted with the current "
                    "secret key or its fallbacks: these partners cannot be called and their "
                    "webhooks are refused."
                )
                % {"partners": ", ".join(broken)},
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        fields = {f: form.cleaned_data[f] for f in PartnerForm.Meta.fields}
        try:
            partners.partner_save(
                partner=obj,
                actor=request.user,
                token=form.cleaned_data.get("token") or None,
                webhook_secret=form.cleaned_data.get("webhook_secret") or None,
                **fields,
            )
        except KeelError as exc:
            messages.error(request, exc.message)

    @admin.action(description=_("Test the connection"))
    def test_connection(self, request, queryset):
        for partner in queryset:
            try:
                adapters.adapter_for(partner.config()).ping()
            except CredentialUnreadable as exc:
                messages.error(request, f"{partner.slug}: {exc}")
            except adapters.AdapterError as exc:
                messages.error(request, f"{partner.slug}: {exc.reason}")
            else:
                messages.success(
                    request, _("%(partner)s: the connection works.") % {"partner": partner.slug}
                )


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("target URL"), max_length=500, assume_scheme="https")
    secret = secret_field(
        _("Signing secret"), _("Stored encrypted. Leave empty to keep the current secret.")
    )

    class Meta:
        model = WebhookSubscription
        fields = ["partner", "url", "events", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ServiceWritesMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["partner", "url", "events", "active"]
    actions = ["send_test_event"]

    def save_model(self, request, obj, form, change):
        try:
            partners.subscription_save(
                subscription=obj if change else None,
                partner=form.cleaned_data["partner"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                secret=form.cleaned_data.get("secret") or "",
                active=form.cleaned_data["active"],
                actor=request.user,
            )
        except KeelError as exc:
            messages.error(request, exc.message)

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request, queryset):
        for sub in queryset:
            try:
                webhooks_outbound.webhook_send_test(subscription=sub, actor=request.user)
            except KeelError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Test event queued for %(url)s.") % {"url": sub.url})


class DeletableReadOnlyAdmin(ServiceWritesMixin, ReadOnlyAdmin):
    # Delivery logs and partner mirrors have been deletable by hand here from the start (unlike
    # the competency ledgers and crises); kept so when the shared class replaced the local one.
    # A hand deletion goes through the service and is audited.
    deletable = True


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(DeletableReadOnlyAdmin):
    list_display = ["received_at", "partner", "delivery_id", "event", "status", "error"]
    list_filter = ["status", "event", "partner"]


@admin.register(MasterDataEvent)
class MasterDataEventAdmin(ReadOnlyAdmin):
    """The HR/CRM event ledger: what arrived, and whether it was applied, rejected (why) or a
    duplicate. Read-only: the ledger is the record of decisions."""

    list_display = ["received_at", "origin", "event", "subject", "status", "reason_text"]
    list_filter = ["status", "origin", "event"]
    search_fields = ["subject", "event_id"]

    @admin.display(description=_("reason"))
    def reason_text(self, obj: MasterDataEvent) -> str:
        return obj.reason


class DossierSourceInline(admin.TabularInline):
    model = DossierSource
    extra = 0
    fields = ["source", "partner_slug", "status", "fetched_at", "duration_ms", "error"]
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(DeletableReadOnlyAdmin):
    list_display = ["id", "crisis_id", "customer", "reason", "status", "requested_at"]
    inlines = [DossierSourceInline]


@admin.register(ResponsePlan)
class ResponsePlanAdmin(DeletableReadOnlyAdmin):
    list_display = ["crisis_id", "version", "origin", "author", "created_at", "shared_at"]


@admin.register(Complaint)
class ComplaintAdmin(DeletableReadOnlyAdmin):
    list_display = ["external_id", "customer", "employee", "supervisor", "severity", "received_at"]


@admin.register(Order)
class OrderAdmin(DeletableReadOnlyAdmin):
    list_display = ["external_id", "customer", "owner", "amount", "status", "paid_at"]


@admin.register(Commission)
class CommissionAdmin(DeletableReadOnlyAdmin):
    list_display = ["order", "employee", "grade", "rate", "amount", "status"]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    """Handover records are what HR did with a leaver's duties: read-only and never deleted."""

    list_display = ["employee", "successor", "executed_at", "revertible_until", "reverted_at"]


class ChannelProviderForm(forms.ModelForm):
    """Secrets are typed in clear and stored encrypted; empty keeps the stored one."""

    secret = secret_field(
        _("Secret"), _("App secret, robot signing secret or gateway API key; empty keeps it.")
    )
    callback_secret = secret_field(
        _("Callback secret"),
        _("Verifies the provider's delivery and read callbacks; empty keeps it."),
    )

    class Meta:
        model = ChannelProvider
        fields = [
            "slug",
            "name",
            "channel",
            "protocol",
            "base_url",
            "options",
            "timeout_seconds",
            "max_attempts",
            "enabled",
        ]

    def clean(self):
        cleaned = super().clean()
        cls = adapters.adapter_class("channel", cleaned.get("protocol") or "")
        if cls is None:
            spoken = sorted(p for k, p in adapters.registered() if k == "channel")
            self.add_error(
                "protocol", _("Unknown protocol; use one of: %(p)s.") % {"p": ", ".join(spoken)}
            )
        elif cls.channel != cleaned.get("channel"):
            self.add_error(
                "protocol",
                _("This protocol sends on %(channel)s.") % {"channel": cls.channel},
            )
        if not isinstance(cleaned.get("options"), dict):
            self.add_error("options", _("Options are a JSON object."))
        return cleaned


@admin.register(ChannelProvider)
class ChannelProviderAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """Messaging providers (DingTalk, WeCom, Feishu, SMS, voice): how Keel reaches people."""

    form = ChannelProviderForm
    list_display = ["slug", "name", "channel", "protocol", "enabled"]
    list_filter = ["channel", "enabled"]

    def save_model(self, request, obj, form, change):
        partners.channel_provider_save(
            provider=obj,
            actor=request.user,
            changes={
                name: value
                for name, value in form_changes(form).items()
                if name not in ("secret", "callback_secret")
            },
            secret=form.cleaned_data.get("secret"),
            callback_secret=form.cleaned_data.get("callback_secret"),
        )
