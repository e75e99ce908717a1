"""HR-admin configuration of competency models; ledgers and runs are read-only here. Every
save and delete, inline rows included, goes through ``services.configuration`` (audited)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from hrcore.admin import ReadOnlyAdmin, ServiceWritesMixin
from hrcore.errors import KeelError

from .models import (
    Assignment,
    BehaviouralAnchor,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    ProfileRequirement,
    RatingScale,
    RecognitionEntry,
    ScaleLevel,
    Simulation,
    SimulationRun,
    SimulationVersion,
)
from .services import configuration, frameworks


class CompetencyConfigAdmin(ServiceWritesMixin, admin.ModelAdmin):
    """Writes through ``competency.services.configuration``."""

    save_row = staticmethod(configuration.competency_config_save)
    delete_row = staticmethod(configuration.competency_config_delete)


class ScaleLevelInline(admin.TabularInline):
    model = ScaleLevel
    extra = 0


@admin.register(RatingScale)
class RatingScaleAdmin(CompetencyConfigAdmin):
    list_display = ["code", "name_zh", "name_en"]
    inlines = [ScaleLevelInline]


class AnchorInline(admin.TabularInline):
    model = BehaviouralAnchor
    extra = 0


@admin.register(Competency)
class CompetencyAdmin(CompetencyConfigAdmin):
    list_display = ["code", "name_zh", "name_en", "framework", "parent"]
    list_filter = ["framework"]
    inlines = [AnchorInline]

    def has_change_permission(self, request, obj=None):
        # a published framework is edited through a new draft version (action on frameworks)
        if obj is not None and obj.framework.status != "draft":
            return False
        return super().has_change_permission(request, obj)


@admin.register(Framework)
class FrameworkAdmin(CompetencyConfigAdmin):
    list_display = ["code", "version", "status", "name_zh", "name_en", "published_at"]
    actions = ["new_version", "publish"]

    @admin.action(description=_("Start a new draft version"))
    def new_version(self, request, queryset):
        for framework in queryset:
            frameworks.framework_new_version(framework=framework, actor=request.user)

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        for framework in queryset:
            try:
                frameworks.framework_publish(framework=framework, actor=request.user)
            except KeelError as exc:
                self.message_user(request, exc.message, messages.ERROR)


class RequirementInline(admin.TabularInline):
    model = ProfileRequirement
    extra = 0


@admin.register(PositionProfile)
class PositionProfileAdmin(CompetencyConfigAdmin):
    list_display = ["position", "framework", "cadence_days", "due_days", "is_active"]
    inlines = [RequirementInline]


@admin.register(Simulation)
class SimulationAdmin(CompetencyConfigAdmin):
    list_display = ["code", "title_zh", "title_en", "scenario_code"]


@admin.register(SimulationVersion)
class SimulationVersionAdmin(CompetencyConfigAdmin):
    list_display = ["simulation", "version", "status", "published_at"]
    readonly_fields = ["status", "published_at", "published_by"]


@admin.register(Assignment)
class AssignmentAdmin(CompetencyConfigAdmin):
    list_display = ["employee", "simulation", "reason", "assigned_at", "due_at", "completed_at"]
    list_filter = ["reason"]
    list_select_related = ["employee", "simulation"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["employee", "competency_code", "level", "score", "kind", "observed_at"]
    list_filter = ["kind", "competency_code"]
    list_select_related = ["employee"]


@admin.register(RecognitionEntry)
class RecognitionAdmin(ReadOnlyAdmin):
    list_display = ["employee", "kind", "stars", "source_key", "awarded_at"]
    list_select_related = ["employee"]


@admin.register(SimulationRun)
class SimulationRunAdmin(ReadOnlyAdmin):
    """Aggregates only in pages; the admin shows run metadata without choices."""

    list_display = ["id", "version", "status", "started_at", "finished_at"]
    fields = ["version", "status", "started_at", "finished_at"]
