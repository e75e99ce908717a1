"""HR-admin configuration of the crisis engine: trigger rules, status cadences, the obligation
library (saved and deleted through ``hrcore.services.configuration``, audited); crises read-only
with their tasks and timeline (writes go through the services)."""

from django.contrib import admin

from hrcore.admin import ReadOnlyAdmin, ServiceWritesMixin
from hrcore.services import configuration

from .models import (
    Crisis,
    CrisisObligation,
    Decision,
    Obligation,
    StatusCadence,
    Task,
    TimelineEvent,
    TriggerAlert,
    TriggerRule,
)
from .selectors.access import crises_visible_to, tasks_visible_to


@admin.register(TriggerRule)
class TriggerRuleAdmin(ServiceWritesMixin, admin.ModelAdmin):
    list_display = [
        "scenario",
        "kind",
        "min_overdue_days",
        "requires_risky_contact",
        "action",
        "severity",
        "is_active",
    ]
    list_filter = ["kind", "action", "is_active"]


@admin.register(StatusCadence)
class StatusCadenceAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """How often the crisis manager posts a status update, per severity (0: never); severities
    without a row use ``crisis.models.DEFAULT_STATUS_CADENCE``."""

    list_display = ["severity", "every_minutes"]


@admin.register(TriggerAlert)
class TriggerAlertAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "episode", "overdue_days", "crisis", "created_at"]
    list_filter = ["kind"]
    deletable = True  # raised by the trigger sweep; may be cleared by hand, never edited

    def delete_model(self, request, obj):
        configuration.configuration_delete(row=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for alert in queryset:
            self.delete_model(request, alert)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TaskInline(ReadOnlyInline):
    model = Task
    fields = ["duty_code", "assignee", "status", "timer_state", "due_at", "completed_at"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["at", "kind", "actor", "task", "data"]
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = ["made_at", "made_by", "text", "option"]
    readonly_fields = fields


@admin.register(Crisis)
class CrisisAdmin(ReadOnlyAdmin):
    """Read-only: crises change through the services (pages, API), never by hand."""

    list_display = ["id", "title", "scenario", "unit", "severity", "status", "filed_at"]
    list_filter = ["status", "severity", "scenario"]
    search_fields = ["title"]
    inlines = [TaskInline, DecisionInline, TimelineInline]

    def get_queryset(self, request):
        return crises_visible_to(request.user)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "crisis", "duty_code", "assignee", "status", "timer_state", "due_at"]
    list_filter = ["status", "timer_state"]

    def get_queryset(self, request):
        return tasks_visible_to(request.user)


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    """The timeline is append-only: listed for audit, never edited or deleted."""

    list_display = ["at", "crisis", "kind", "actor", "task"]
    list_filter = ["kind"]
    list_select_related = ["crisis", "actor", "task"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(crisis__in=crises_visible_to(request.user))


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    """Executives' decisions as made: listed for audit, never edited or deleted."""

    list_display = ["made_at", "crisis", "made_by", "option"]
    list_select_related = ["crisis", "made_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(crisis__in=crises_visible_to(request.user))


# --- Statutory clocks (issue 15 §3) ---------------------------------------------------------


@admin.register(Obligation)
class ObligationAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """The library of legal obligations (guidance, not legal advice); edits apply to new clocks."""

    list_display = ["code", "title_zh", "title_en", "trigger", "period_value", "period_unit"]
    list_filter = ["trigger", "period_unit", "is_active"]
    search_fields = ["code", "title_zh", "title_en", "basis_zh", "basis_en"]
    filter_horizontal = ["scenarios"]


@admin.register(CrisisObligation)
class CrisisObligationAdmin(ReadOnlyAdmin):
    """Statutory clocks of crises, read-only (filed from the crisis page or the API)."""

    list_display = ["crisis", "code", "state", "due_at", "filed_at", "filed_by"]
    list_filter = ["state", "code"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(crisis__in=crises_visible_to(request.user).values("pk"))
        )
