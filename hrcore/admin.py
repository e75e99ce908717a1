"""HR-admin configuration of the organisation; every save goes through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .choices import OutboxStatus
from .errors import KeelError, ValidationFailed
from .models import (
    Absence,
    AnswerWindow,
    ApiToken,
    BusinessCalendar,
    DeliveryAttempt,
    Employee,
    Holiday,
    MessageDelivery,
    Notification,
    OrgUnit,
    OutboxMessage,
    Position,
    Question,
    ReachPolicy,
)
from .security import session_mfa_satisfied
from .services import configuration, org, outbox, tokens

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


def form_changes(form: forms.ModelForm) -> dict[str, list[str]]:
    """What an admin form changed, for the audit entry: ``{field: [old, new]}``."""
    return {
        name: [str(form.initial.get(name, "")), str(form.cleaned_data.get(name, ""))]
        for name in form.changed_data
    }


class _Refused(Exception):
    """A service refused an admin write: the whole admin request is rolled back."""


class ServiceWritesMixin:
    """For a ``ModelAdmin`` of configuration rows: every write — its form, its inlines' rows,
    deletes one by one or in bulk — goes through the services ``save_row(row=, actor=,
    changes=)`` and ``delete_row(row=, actor=)`` (audited; an app sets its own, which check its
    rules), never ``.save()``/``.delete()``. A service's refusal undoes the whole request (the
    admin's views run in one transaction; a bulk delete too) and is shown as an error on the
    page it came from — never with a "changed successfully" beside it."""

    save_row = staticmethod(configuration.configuration_save)
    delete_row = staticmethod(configuration.configuration_delete)

    def _through_service(self, service, request, **arguments) -> None:
        try:
            service(actor=request.user, **arguments)
        except KeelError as exc:
            raise _Refused(exc.message) from exc

    def _refusable(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Refused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refusable(super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refusable(super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):  # the bulk delete action
        return self._refusable(super().changelist_view, request, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        self._through_service(self.save_row, request, row=obj, changes=form_changes(form))

    def delete_model(self, request, obj):
        self._through_service(self.delete_row, request, row=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        forms_of = {id(f.instance): f for f in formset.forms}
        for instance in formset.save(commit=False):
            self._through_service(
                self.save_row,
                request,
                row=instance,
                changes=form_changes(forms_of[id(instance)]),
            )
        for instance in formset.deleted_objects:
            self._through_service(self.delete_row, request, row=instance)
        formset.save_m2m()


def _org_row_save(*, row, actor, changes=None):
    """An employee or absence (a form or an inline row) through its organisation service."""
    if isinstance(row, Employee):
        return org.employee_save(employee=row, actor=actor)
    return org.absence_save(absence=row, actor=actor)


def _org_row_delete(*, row, actor) -> None:
    """A unit, employee or absence deleted through its organisation service."""
    if isinstance(row, Employee):
        org.employee_delete(employee=row, actor=actor)
    elif isinstance(row, Absence):
        org.absence_delete(absence=row, actor=actor)
    else:
        org.org_unit_delete(unit=row, actor=actor)


class OrgAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """Units, employees and absences: forms, inline rows and deletes through
    ``hrcore.services.org`` (which validate and tell the ``on_org_changed`` listeners)."""

    save_row = staticmethod(_org_row_save)
    delete_row = staticmethod(_org_row_delete)


class EmployeeInlineForm(forms.ModelForm):
    """Checks an employee row with the service's rules (reporting-line cycles, same group), so a
    bad row is a form error, not a 500."""

    class Meta:
        model = Employee
        fields = ["name_zh", "name_en", "position", "manager", "grade"]

    def clean(self):
        cleaned = super().clean()
        candidate = self.instance
        for name, value in cleaned.items():
            if hasattr(candidate, name) and name != "id":
                setattr(candidate, name, value)
        if candidate.unit_id is None:
            return cleaned
        try:
            org.validate_employee(candidate)
        except ValidationFailed as exc:
            raise _as_form_errors(self, exc)
        return cleaned


class EmployeeInline(admin.TabularInline):
    model = Employee
    form = EmployeeInlineForm
    fields = ["name_zh", "name_en", "position", "manager", "grade"]
    extra = 0
    show_change_link = True
    autocomplete_fields = ["position", "manager"]


@admin.register(OrgUnit)
class OrgUnitAdmin(OrgAdmin):
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
                    org.validate_unit(
                        unit_id=obj.pk if obj else None,
                        kind=cleaned.get("kind", ""),
                        function=cleaned.get("function", ""),
                        parent=parent,
                    )
                except ValidationFailed as exc:
                    raise ValidationError(exc.errors or exc.message)
                return cleaned

        return ValidatingForm


class AbsenceForm(forms.ModelForm):
    """Checks an absence with the service's rule, so a bad one is a form error, not a 500."""

    class Meta:
        model = Absence
        fields = ["employee", "starts_at", "ends_at", "delegate", "reason"]

    def clean(self):
        cleaned = super().clean()
        candidate = self.instance
        for name in ("employee", "starts_at", "ends_at", "delegate"):
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        if candidate.employee_id is None:
            return cleaned
        try:
            org.validate_absence(candidate)
        except ValidationFailed as exc:
            raise _as_form_errors(self, exc)
        return cleaned


def _as_form_errors(form: forms.ModelForm, exc: ValidationFailed) -> ValidationError:
    """A service's refusal as form errors; a field the form does not show goes on top."""
    if not exc.errors:
        return ValidationError(exc.message)
    return ValidationError(
        {
            name if name in form.fields else NON_FIELD_ERRORS: text
            for name, text in exc.errors.items()
        }
    )


class AbsenceInline(admin.TabularInline):
    model = Absence
    form = AbsenceForm
    fk_name = "employee"
    extra = 0
    autocomplete_fields = ["delegate"]


@admin.register(Employee)
class EmployeeAdmin(OrgAdmin):
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
    search_fields = ["name_zh", "name_en", "user__username", "phone", "external_id"]
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
                    org.validate_employee(candidate)
                except ValidationFailed as exc:
                    raise ValidationError(exc.errors or exc.message)
                return cleaned

        return ValidatingForm


@admin.register(Position)
class PositionAdmin(ServiceWritesMixin, admin.ModelAdmin):
    list_display = ["code", "title_zh", "title_en", "grade", "is_managerial"]
    list_filter = ["is_managerial", "grade"]
    search_fields = ["code", "title_zh", "title_en"]


@admin.register(Absence)
class AbsenceAdmin(OrgAdmin):
    list_display = ["employee", "starts_at", "ends_at", "delegate", "reason"]
    autocomplete_fields = ["employee", "delegate"]
    search_fields = ["employee__name_zh", "employee__name_en"]
    form = AbsenceForm


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
        "response_status",
        "error",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    """The delivery ledger of every outbox channel, webhook deliveries included (the webhook
    delivery log): read-only, written by the relay."""

    list_display = [
        "started_at",
        "channel",
        "delivery_id",
        "attempt",
        "result",
        "response_status",
        "error",
    ]
    list_filter = ["channel", "result"]
    search_fields = ["delivery_id", "provider_message_id"]


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
        outbox.outbox_messages_clear(messages=list(queryset), actor=request.user)

    def delete_model(self, request, obj):
        outbox.outbox_messages_clear(messages=[obj], actor=request.user)

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


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ServiceWritesMixin, admin.ModelAdmin):
    list_display = ["unit", "time_zone", "day_start", "day_end", "working_days"]
    inlines = [HolidayInline]
    autocomplete_fields = ["unit"]


@admin.register(ReachPolicy)
class ReachPolicyAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """The escalation ladder's minutes per severity (one row; the defaults apply without it)."""

    list_display = [
        "__str__",
        "critical_minutes",
        "high_minutes",
        "medium_minutes",
        "low_minutes",
        "ack_link_hours",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ReachPolicy.objects.exists()


@admin.register(MessageDelivery)
class MessageDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The reach ledger: read-only (rows change through hrcore.reach only)."""

    list_display = ["recipient", "kind", "channel", "state", "attempts", "crisis_id", "updated_at"]
    list_filter = ["channel", "state", "kind"]
    search_fields = ["recipient__username", "provider_message_id", "message_key"]


# --- Employee self-service (issue 17 §2) ---------------------------------------------------


@admin.register(AnswerWindow)
class AnswerWindowAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """The weekly window supervisors answer their team's questions in, per unit (and the units
    below it), in the time zone of the unit's business calendar; Thursday 19:00–21:00 without
    one."""

    list_display = ["unit", "weekday", "starts", "ends"]
    autocomplete_fields = ["unit"]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    """Questions and disputes: read-only here (they are asked and answered on the pages)."""

    list_display = ["subject", "kind", "asker", "answerer", "status", "escalations", "created_at"]
    list_filter = ["kind", "status", "routed_via"]
    search_fields = ["subject", "asker__name_zh", "asker__name_en"]
