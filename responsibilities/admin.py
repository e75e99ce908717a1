"""HR-admin configuration of scenarios and maps: drafts are edited with inline duties; published
and archived versions are read-only; every save and delete goes through
``services.admin_rows`` (audited); publishing, archiving and new versions through
``services.maps`` (which validate)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from hrcore.admin import ServiceWritesMixin
from hrcore.errors import KeelError

from .choices import FROZEN_STATES
from .models import Duty, ResponsibilityMap, Scenario
from .services import admin_rows, maps


class ResponsibilitiesAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """Writes (forms, inline duties, deletes) through ``services.admin_rows``."""

    save_row = staticmethod(admin_rows.responsibilities_row_save)
    delete_row = staticmethod(admin_rows.responsibilities_row_delete)


@admin.register(Scenario)
class ScenarioAdmin(ResponsibilitiesAdmin):
    list_display = ["code", "name_zh", "name_en", "default_severity", "is_library"]
    list_filter = ["default_severity", "is_library"]
    search_fields = ["code", "name_zh", "name_en"]


class DutyInline(admin.StackedInline):
    model = Duty
    extra = 0
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("code", "order"),
                    ("assignee_function", "assignee_position"),
                    ("action_zh", "action_en"),
                    ("deliverable", "deadline_minutes", "warn_ratio", "business_hours"),
                    ("after", "escalation"),
                    ("information_items", "competencies"),
                    ("notes_zh", "notes_en"),
                ]
            },
        )
    ]

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.status in FROZEN_STATES

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(ResponsibilityMap)
class ResponsibilityMapAdmin(ResponsibilitiesAdmin):
    list_display = [
        "__str__",
        "scenario",
        "scope",
        "version",
        "status",
        "is_library",
        "published_at",
        "author",
    ]
    list_filter = ["status", "is_library", "scenario"]
    search_fields = ["title_zh", "title_en", "scenario__code"]
    list_select_related = ["scenario", "scope", "author"]
    readonly_fields = [
        "status",
        "published_at",
        "author",
        "created_at",
        "is_library",
        "library_digest",
    ]
    inlines = [DutyInline]
    actions = ["publish_maps", "archive_maps", "revise_maps", "adapt_maps"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in FROZEN_STATES:
            return [f.name for f in self.model._meta.fields]
        if obj is not None:  # a draft keeps its scenario, scope and number
            return [*self.readonly_fields, "scenario", "scope", "version"]
        return [*self.readonly_fields, "version"]

    def has_delete_permission(self, request, obj=None):
        # Published and archived versions are history (crises point at them); only drafts go.
        if obj is not None and obj.status in FROZEN_STATES:
            return False
        return super().has_delete_permission(request, obj)

    def _run(self, request, queryset, service, done):
        ok = 0
        for m in queryset:
            try:
                service(responsibility_map=m, actor=request.user)
                ok += 1
            except KeelError as exc:
                self.message_user(request, f"{m}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, done % {"n": ok}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected drafts (validates them)"))
    def publish_maps(self, request, queryset):
        self._run(request, queryset, maps.responsibility_map_publish, _("%(n)d published."))

    @admin.action(description=_("Archive the selected versions"))
    def archive_maps(self, request, queryset):
        self._run(request, queryset, maps.responsibility_map_archive, _("%(n)d archived."))

    @admin.action(description=_("Create the next draft version"))
    def revise_maps(self, request, queryset):
        self._run(request, queryset, maps.responsibility_map_revise, _("%(n)d drafts ready."))

    @admin.action(description=_("Adapt the selected library versions (a draft of our own)"))
    def adapt_maps(self, request, queryset):
        self._run(
            request, queryset, maps.responsibility_map_adapt, _("%(n)d adapted drafts ready.")
        )
