"""Input and output shapes of the crisis API (SPEC §3.6; the documented names are fixed)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from hrcore.api.serializers import EmployeeBriefSerializer, FieldsOnceMixin

from ..choices import Severity
from ..drill_timing import drill_text, task_drill_speed
from ..follow_through import FollowUpFact, follow_through
from ..models import (
    ACTION_MAX_LENGTH,
    DECISION_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    WALK_IN_NAME_MAX_LENGTH,
    WALK_IN_PURCHASE_MAX_LENGTH,
    Crisis,
    Decision,
    Task,
    TimelineEvent,
    WalkInConsumer,
)
from ..task_state import task_late


class CrisisCreateSerializer(FieldsOnceMixin, serializers.Serializer):
    scenario = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH
    )
    unit = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Org unit code; default: the filer's unit.",
    )
    customer = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Customer external_id (optional).",
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    drill = serializers.BooleanField(
        required=False,
        default=False,
        help_text="File a drill (issue 16): HR admins only, and a token needs the crisis:drill "
        "or write scope. Marked 演练 / DRILL everywhere and left out of the metrics.",
    )
    speed = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=60,
        help_text="A drill's clock compression: every deadline is divided by it (at least a "
        "minute). Only with drill.",
    )
    # A customer complaint in a store about a walk-in consumer (issue 17 §6): give all four
    # (scenario customer-complaint, no customer); checked by crisis.services.walk_in.
    consumer_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=WALK_IN_NAME_MAX_LENGTH,
        help_text="A walk-in consumer's name (no company record); with consumer_phone, "
        "consumer_purchase and responsible. Only for the customer-complaint scenario, "
        "never with customer.",
    )
    consumer_phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="The walk-in consumer's mobile number: digits with an optional leading + "
        "(spaces and dashes are dropped).",
    )
    consumer_purchase = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=WALK_IN_PURCHASE_MAX_LENGTH,
        help_text="What the walk-in consumer bought.",
    )
    responsible = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="User name of the employee responsible for the complaint (an active employee).",
    )

    WALK_IN_FIELDS = ("consumer_name", "consumer_phone", "consumer_purchase", "responsible")


class TaskSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    duty = serializers.CharField(source="duty_code", read_only=True)
    action = serializers.SerializerMethodField(
        help_text="What is to be done: the duty's action in the reader's language, or the "
        "instruction of a task added while the crisis runs."
    )
    follow_up_of = serializers.IntegerField(
        source="follow_up_of_id", read_only=True, allow_null=True
    )
    deliverable = serializers.CharField(source="deliverable_kind", read_only=True)
    assignee = EmployeeBriefSerializer(read_only=True, allow_null=True)
    sla_state = serializers.CharField(source="timer_state", read_only=True)
    crisis = serializers.IntegerField(source="crisis_id", read_only=True)
    late = serializers.SerializerMethodField(
        help_text="The deadline was missed: the breach fired, it was delivered after its due "
        "time or it is still open past it. Stays true once done (issue 15 §6)."
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "crisis",
            "kind",
            "duty",
            "action",
            "follow_up_of",
            "deliverable",
            "assignee",
            "assignee_gap",
            "status",
            "sla_state",
            "after",
            "deadline_minutes",
            "started_at",
            "warn_at",
            "due_at",
            "acknowledged_at",
            "completed_at",
            "paused_at",
            "paused_seconds",
            "escalation_step",
            "late",
        ]
        read_only_fields = fields

    def get_late(self, task) -> bool:
        return task_late(task, timezone.now())

    def get_action(self, task) -> str:
        """The duty's action (a drill's durations on its compressed clock), or the instruction
        of a task added while the crisis runs."""
        if task.duty_id is None:
            return task.action
        return drill_text(task.duty.action, task_drill_speed(task))


class WalkInConsumerSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    responsible = serializers.CharField(
        source="responsible.user.username", read_only=True, allow_null=True, default=None
    )
    supervisor = serializers.CharField(
        source="supervisor.user.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = WalkInConsumer
        fields = ["name", "phone", "purchase", "responsible", "supervisor"]


class CrisisSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    scenario = serializers.CharField(source="scenario.code", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    customer = serializers.CharField(
        source="customer.external_id", read_only=True, allow_null=True, default=None
    )
    filed_by = serializers.CharField(
        source="filed_by.username", read_only=True, allow_null=True, default=None
    )
    tasks = TaskSerializer(many=True, read_only=True)
    drill = serializers.BooleanField(source="is_drill", read_only=True)
    walk_in = WalkInConsumerSerializer(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The walk-in consumer of an in-store complaint and the employee responsible; "
        "null for other crises.",
    )

    class Meta:
        model = Crisis
        fields = [
            "id",
            "status",
            "scenario",
            "map_version",
            "title",
            "description",
            "unit",
            "customer",
            "severity",
            "source",
            "filed_by",
            "filed_at",
            "closed_at",
            "outcome",
            "lessons",
            "first_response_seconds",
            "all_info_seconds",
            "decision_seconds",
            "resolution_seconds",
            "breach_count",
            "drill",
            "drill_speed",
            "walk_in",
            "tasks",
        ]


def _option_field() -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="A code of the options of the crisis's map (its decision duty's "
        '"options"), or "other" for free text.',
    )


class TaskCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )
    file = serializers.FileField(required=False, allow_null=True)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    option = _option_field()
    fields = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000),
        required=False,
        default=dict,
        help_text=(
            "A structured deliverable's content: for a contact log contact_person, "
            "contact_channel (phone, in_person, message, email) and contact_outcome."
        ),
    )


class FollowUpInputSerializer(serializers.Serializer):
    """One follow-up (督办) a decision spawns (documentation of the rows; the service checks
    them all before writing anything)."""

    action = serializers.CharField(max_length=ACTION_MAX_LENGTH)
    assignee = serializers.CharField(help_text="The user name of the person who does it.")
    deadline_minutes = serializers.IntegerField(min_value=1)


class DecisionCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=DECISION_MAX_LENGTH)
    option = _option_field()
    situation = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DECISION_MAX_LENGTH
    )
    rationale = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DECISION_MAX_LENGTH
    )
    review_by = serializers.DateTimeField(required=False, allow_null=True, default=None)
    supersedes = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The id of an earlier decision.",
    )
    follow_ups = serializers.JSONField(
        required=False,
        help_text='[{"action", "assignee": "<username>", "deadline_minutes"}]. All or nothing: '
        "a bad row refuses the whole decision.",
    )
    option_follow_ups = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also create the follow-ups the chosen map option foresees.",
    )


class FollowUpSerializer(serializers.ModelSerializer):
    assignee = serializers.CharField(
        source="assignee.user.username", read_only=True, allow_null=True, default=None
    )
    sla_state = serializers.CharField(source="timer_state", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "action", "assignee", "status", "sla_state", "due_at", "completed_at"]
        read_only_fields = fields


class DecisionListSerializer(serializers.ListSerializer):
    """Counts every decision's acknowledgements in one query for the whole list."""

    def to_representation(self, data):
        from hrcore.reach import decision_ack_counts

        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["decision_acks"] = decision_ack_counts([d.pk for d in items])
        return super().to_representation(items)


class DecisionSerializer(serializers.ModelSerializer):
    made_by = serializers.CharField(source="made_by.username", read_only=True)
    task = serializers.IntegerField(source="task_id", read_only=True, allow_null=True)
    option_label = serializers.JSONField(
        source="option_labels", read_only=True, help_text='The option\'s label: {"zh", "en"}.'
    )
    supersedes = serializers.IntegerField(source="supersedes_id", read_only=True, allow_null=True)
    superseded_by = serializers.SerializerMethodField()
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    follow_through = serializers.SerializerMethodField(
        help_text='{"total", "done", "late", "open"}: "3 of 4 follow-ups done, 1 late".'
    )
    # Issue 13: how many participants acknowledged the decision, how many have not yet.
    acknowledged = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "crisis",
            "task",
            "text",
            "option",
            "option_label",
            "options_considered",
            "situation",
            "rationale",
            "review_by",
            "supersedes",
            "superseded_by",
            "made_by",
            "made_at",
            "follow_ups",
            "follow_through",
            "acknowledged",
            "pending",
        ]
        list_serializer_class = DecisionListSerializer

    def _acks(self, decision):
        acks = self.context.get("decision_acks")
        if acks is None or decision.pk not in acks:
            from hrcore.reach import decision_ack_counts

            acks = decision_ack_counts([decision.pk])
        return acks.get(decision.pk)

    def get_superseded_by(self, decision) -> int | None:
        later = getattr(decision, "superseded_by", None)
        return later.pk if later is not None else None

    def get_follow_through(self, decision) -> dict:
        facts = [FollowUpFact.of(t) for t in decision.follow_ups.all()]
        summary = follow_through(facts, timezone.now())
        return {
            "total": summary.total,
            "done": summary.done,
            "late": summary.late,
            "open": summary.open,
        }

    def get_acknowledged(self, decision) -> int:
        counts = self._acks(decision)
        return counts.acknowledged if counts else 0

    def get_pending(self, decision) -> int:
        counts = self._acks(decision)
        return counts.pending if counts else 0


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    task = serializers.IntegerField(source="task_id", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "at", "actor", "task", "data"]
