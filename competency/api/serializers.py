"""Input and output shapes of the competency API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hrcore.i18n import pick
from hrcore.ids import MAX_ID

from ..choices import EvidenceKind
from ..models import (
    Assignment,
    BehaviouralAnchor,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    ProfileRequirement,
    ScaleLevel,
    Simulation,
    SimulationRun,
)
from ..services.evidence import NOTE_MAX_LENGTH


class ScaleLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScaleLevel
        fields = ["value", "label_zh", "label_en", "is_proficient"]


class AnchorSerializer(serializers.ModelSerializer):
    class Meta:
        model = BehaviouralAnchor
        fields = ["level", "text_zh", "text_en"]


class CompetencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    anchors = AnchorSerializer(many=True, read_only=True)

    class Meta:
        model = Competency
        fields = [
            "code",
            "parent",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "anchors",
        ]


class FrameworkSerializer(serializers.ModelSerializer):
    scale = serializers.SerializerMethodField()
    competencies = CompetencySerializer(many=True, read_only=True)

    class Meta:
        model = Framework
        fields = ["id", "code", "version", "status", "name_zh", "name_en", "scale", "competencies"]

    @extend_schema_field(ScaleLevelSerializer(many=True))
    def get_scale(self, obj) -> list:
        return ScaleLevelSerializer(obj.scale.levels.all(), many=True).data


class RequirementSerializer(serializers.ModelSerializer):
    competency = serializers.CharField(source="competency.code", read_only=True)

    class Meta:
        model = ProfileRequirement
        fields = ["competency", "required_level", "weight"]


class ProfileSerializer(serializers.ModelSerializer):
    position = serializers.CharField(source="position.code", read_only=True)
    framework = serializers.CharField(source="framework.code", read_only=True)
    framework_version = serializers.IntegerField(source="framework.version", read_only=True)
    requirements = RequirementSerializer(many=True, read_only=True)

    class Meta:
        model = PositionProfile
        fields = [
            "id",
            "position",
            "framework",
            "framework_version",
            "cadence_days",
            "due_days",
            "scenario_codes",
            "requirements",
        ]


class SimulationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Simulation
        fields = [
            "code",
            "title_zh",
            "title_en",
            "description_zh",
            "description_en",
            "scenario_code",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    simulation = serializers.CharField(source="simulation.code", read_only=True)
    employee = serializers.IntegerField(source="employee_id", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "employee",
            "simulation",
            "reason",
            "assigned_at",
            "due_at",
            "completed_at",
            "overdue",
        ]

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()


class RunSerializer(serializers.ModelSerializer):
    simulation = serializers.CharField(source="version.simulation.code", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    employee = serializers.IntegerField(source="employee_id", read_only=True)
    ending = serializers.SerializerMethodField()

    class Meta:
        model = SimulationRun
        fields = [
            "id",
            "employee",
            "simulation",
            "version",
            "status",
            "started_at",
            "finished_at",
            "overall_score",
            "passed",
            "critical_error",
            "competency_scores",
            "ending",
        ]

    def get_ending(self, obj) -> str:
        node = obj.current_node
        return node.key if node is not None and obj.status == "finished" else ""


class EvidenceSerializer(serializers.ModelSerializer):
    employee = serializers.IntegerField(source="employee_id", read_only=True)
    competency = serializers.CharField(source="competency_code", read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "employee",
            "competency",
            "level",
            "score",
            "kind",
            "source",
            "note",
            "observed_at",
            "recorded_at",
        ]


class EvidenceCreateSerializer(serializers.Serializer):
    employee = serializers.IntegerField(help_text="Employee id", min_value=1, max_value=MAX_ID)
    competency = serializers.SlugField(help_text="Competency code", max_length=64)
    level = serializers.IntegerField(min_value=0, max_value=100)
    kind = serializers.ChoiceField(
        choices=[EvidenceKind.TRAINING, EvidenceKind.EXTERNAL, EvidenceKind.MANAGER_RATING],
        default=EvidenceKind.TRAINING,
    )
    score = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100)
    observed_at = serializers.DateTimeField(required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )


def display(obj, field: str) -> str:
    return pick(obj, field)
