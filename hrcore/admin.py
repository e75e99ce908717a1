"""HR-admin configuration of the organisation; every save goes through the services."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import OutboxStatus
from .errors import ValidationFailed
from .models import (
    Absence,
    ApiToken,
    DeliveryAttempt,
    Employee,
    Notification,
    OrgUnit,
    OutboxMessage,
    Position,
)
from .security import session_mfa_satisfied
from .services import org, tokens

admin.site.site_header = _("Keel administration")
admin.site.site_title = _("Keel")

_staff_may_enter = admin.site.has_permission


def _staff_with_second_factor(request) -> bool:
    """The admin opens only to staff whose *session* passed TOTP (its log-in page redirects to
    allauth's, see ``hrcore.views.admin_login``)."""
    return _staff_may_enter(request) and session_mfa_satisfied(request)


admin.site.has_permission = _staff_with_second_factor


class ReadOnlyAdminMixin:
    """For a ``ModelAdmin`` whose rows change only through the services (ledgers, logs, mirrors
    of partner data, crises): the admin lists and shows them, never adds or edits them.

    Deletion is refused too unless ``deletable = True`` (some logs may be pruned by hand)."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A read-only ``ModelAdmin`` (see ``ReadOnlyAdminMixin``)."""


class EmployeeInline(admin.TabularInline):
    model = Employee
    fields = ["name_zh", "name_en", "position", "manager", "grade"]
    extra = 0
    show_change_link = True
    autocomplete_fields = ["position", "manager"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "function", "parent", "head"]
    list_filter = ["kind", "function"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["parent", "head"]
    inlines = [EmployeeInline]
    ordering = ["path"]

    def save_model(self, request, obj, form, change):
        fields = {
            f: getattr(obj, f)
            for f in [
                "code",
                "name_zh",
                "name_en",
                "kind",
                "function",
                "parent_id",
                "head_id",
                "time_zone",
            ]
        }
        org.org_unit_save(unit=obj, actor=request.user, **fields)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ValidatingForm(form):
            def clean(self):
                cleaned = super().clean()
                parent = cleaned.get("parent")
                try:
                    org._validate_unit(
                        unit_id=obj.pk if obj else None,
                        kind=cleaned.get("kind", ""),
                        function=cleaned.get("function", ""),
                        parent=parent,
                    )
                except ValidationFailed as exc:
                    raise ValidationError(exc.errors or exc.message)
                return cleaned

        return ValidatingForm


class AbsenceInline(admin.TabularInline):
    model = Absence
    fk_name = "employee"
    extra = 0
    autocomplete_fields = ["delegate"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = [
        "name_zh",
        "name_en",
        "user",
        "unit",
        "position",
        "manager",
        "grade",
        "is_active",
    ]
    list_filter = ["unit__kind", "unit__function", "position", "is_active", "language"]
    search_fields = ["name_zh", "name_en", "user__username", "phone"]
    autocomplete_fields = ["user", "unit", "position", "manager"]
    list_select_related = ["user", "unit", "position", "manager"]
    inlines = [AbsenceInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ValidatingForm(form):
            def clean(self):
                cleaned = super().clean()
                candidate = self.instance
                for name, value in cleaned.items():
                    if hasattr(candidate, name) and name not in {"user"}:
                        setattr(candidate, name, value)
                if cleaned.get("unit") is None:
                    return cleaned
                try:
                    org._validate_employee(candidate)
                except ValidationFailed as exc:
                    raise ValidationError(exc.errors or exc.message)
                return cleaned

        return ValidatingForm

    def save_model(self, request, obj, form, change):
        org.employee_save(employee=obj, actor=request.user)


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["code", "title_zh", "title_en", "grade", "is_managerial"]
    list_filter = ["is_managerial", "grade"]
    search_fields = ["code", "title_zh", "title_en"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["employee", "starts_at", "ends_at", "delegate", "reason"]
    autocomplete_fields = ["employee", "delegate"]
    search_fields = ["employee__name_zh", "employee__name_en"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by ``issue_api_token`` (the clear key is shown once, there); here they
    are listed and revoked. Nothing is editable: a token's owner, scopes and expiry are fixed,
    and a revoked token stays on record (deleting it would erase its audit trail)."""

    list_display = [
        "prefix",
        "user",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    search_fields = ["user__username", "name", "prefix"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        return  # every field is read-only; a stray POST writes nothing

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(
            tokens.api_token_revoke(token=token, actor=request.user, reason="admin")
            for token in queryset
        )
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": revoked})


class DeliveryAttemptInline(admin.TabularInline):
    """The delivery ledger of one outbox message (read-only: written by the relay)."""

    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "attempt",
        "delivery_id",
        "started_at",
        "finished_at",
        "result",
        "provider_message_id",
        "error",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only; a message not yet sent (pending or given up) may be cleared by hand, a sent
    one is the record of what left Keel and stays."""

    inlines = [DeliveryAttemptInline]
    deletable = True

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == OutboxStatus.SENT:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action: sent rows are never deleted.
        queryset.exclude(status=OutboxStatus.SENT).delete()

    list_display = [
        "id",
        "channel",
        "dedupe_key",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["channel", "status"]
    search_fields = ["dedupe_key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Delivered notifications are the record of what people were told: read-only, kept."""

    list_display = ["recipient", "kind", "subject_en", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "subject_en", "subject_zh"]
