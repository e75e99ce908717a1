"""Input and output shapes of scenarios and responsibility maps (SPEC §3.6)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from hrcore.choices import DepartmentFunction

from .. import selectors
from ..choices import DeliverableKind, Severity
from ..decision_options import without_credits
from ..models import Duty, ResponsibilityMap, Scenario
from ..planning import DUTY_FIELDS


class ScenarioSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Scenario
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "default_severity",
            "trigger_notes_zh",
            "trigger_notes_en",
        ]
        read_only_fields = ["id", "name"]


class ScenarioInputSerializer(serializers.Serializer):
    # Shapes only; the service checks content and uniqueness with messages that name the problem.
    code = serializers.CharField(max_length=200)
    name_zh = serializers.CharField(required=False, allow_blank=True, default="")
    name_en = serializers.CharField(required=False, allow_blank=True, default="")
    description_zh = serializers.CharField(required=False, allow_blank=True, default="")
    description_en = serializers.CharField(required=False, allow_blank=True, default="")
    default_severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    trigger_notes_zh = serializers.CharField(required=False, allow_blank=True, default="")
    trigger_notes_en = serializers.CharField(required=False, allow_blank=True, default="")


class BilingualTextSerializer(serializers.Serializer):
    zh = serializers.CharField(allow_blank=True)
    en = serializers.CharField(allow_blank=True)


class OptionFollowUpSerializer(serializers.Serializer):
    action = BilingualTextSerializer()
    function = serializers.CharField(help_text=_("The department function that does it."))
    deadline_minutes = serializers.IntegerField()


class DecisionOptionSerializer(serializers.Serializer):
    """One option of a decision duty, with the follow-ups choosing it pre-fills."""

    code = serializers.CharField()
    label = BilingualTextSerializer()
    follow_ups = OptionFollowUpSerializer(many=True, required=False)
    credit = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text=_(
            "What choosing it is worth when a drill scores the decision, 0 to 1: 1 marks a "
            "preferred option (e.g. 0.5 acceptable, 0 poor). Shown only to HR admins, map "
            "editors and the map's author."
        ),
    )


class DutySerializer(serializers.ModelSerializer):
    """A duty as partners read it: ``assignee_function`` or ``assignee_position`` (a code)."""

    # A plain string (not an enum) so the schema does not name the function choice set twice.
    assignee_function = serializers.CharField(
        read_only=True, help_text=_("A department function, or empty when a position is given.")
    )
    assignee_position = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    action = serializers.CharField(read_only=True)
    after = serializers.ListField(child=serializers.CharField())
    escalation = serializers.ListField(child=serializers.CharField())
    information_items = serializers.ListField(child=serializers.CharField())
    competencies = serializers.ListField(child=serializers.CharField())
    options = DecisionOptionSerializer(many=True, read_only=True)

    class Meta:
        model = Duty
        fields = ["action", *DUTY_FIELDS, "order"]


class DutyInputSerializer(serializers.Serializer):
    """A duty as partners write it. Exactly one of ``assignee_function``/``assignee_position``.
    ``action`` fills both languages unless ``action_zh``/``action_en`` are given."""

    code = serializers.CharField(max_length=200)
    assignee_function = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_("A department function: %(choices)s.")
        % {"choices": ", ".join(DepartmentFunction.values)},
    )
    assignee_position = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=200
    )
    action = serializers.CharField(required=False, allow_blank=True)
    action_zh = serializers.CharField(required=False, allow_blank=True)
    action_en = serializers.CharField(required=False, allow_blank=True)
    deliverable = serializers.CharField(
        default=DeliverableKind.CONFIRMATION,
        help_text=_("One of: %(choices)s.") % {"choices": ", ".join(DeliverableKind.values)},
    )
    deadline_minutes = serializers.IntegerField()
    after = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    escalation = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text=_('Ordered steps: "manager", "executive" or "position:<code>".'),
    )
    warn_ratio = serializers.FloatField(required=False, default=0.8)
    business_hours = serializers.BooleanField(required=False, default=False)
    information_items = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )
    competencies = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )
    notes_zh = serializers.CharField(required=False, allow_blank=True, default="")
    notes_en = serializers.CharField(required=False, allow_blank=True, default="")
    options = serializers.JSONField(
        required=False,
        default=list,
        help_text=_(
            'A decision duty\'s options: [{"code", "label": {"zh", "en"}, "follow_ups": '
            '[{"action": {"zh", "en"}, "function", "deadline_minutes"}], "credit": 0–1}]; '
            '"credit" 1 marks a preferred option.'
        ),
    )


class MapSerializer(serializers.ModelSerializer):
    scenario = serializers.SlugRelatedField(slug_field="code", read_only=True)
    scope = serializers.SlugRelatedField(slug_field="code", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)
    duties = DutySerializer(many=True, read_only=True)

    class Meta:
        model = ResponsibilityMap
        fields = [
            "id",
            "scenario",
            "scope",
            "version",
            "status",
            "title",
            "title_zh",
            "title_en",
            "effective_from",
            "published_at",
            "author",
            "change_note",
            "created_at",
            "severity_factors",
            "duties",
        ]

    def to_representation(self, instance):
        """Options' ``credit`` only for those who may see it (HR admins, map editors, the map's
        author): the people a drill later scores must not read the preferred options here."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not selectors.may_see_option_credits(user, instance):
            for duty in data.get("duties") or []:
                if duty.get("options"):
                    duty["options"] = without_credits(duty["options"])
        return data


class MapInputSerializer(serializers.Serializer):
    scenario = serializers.CharField(help_text=_("Scenario code."))
    scope = serializers.CharField(
        required=False, help_text=_("Org unit code (group or subsidiary); default: the group.")
    )
    title = serializers.CharField(required=False, allow_blank=True)
    title_zh = serializers.CharField(required=False, allow_blank=True)
    title_en = serializers.CharField(required=False, allow_blank=True)
    change_note = serializers.CharField(required=False, allow_blank=True, default="")
    effective_from = serializers.DateTimeField(required=False, allow_null=True)
    severity_factors = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        help_text=_(
            "Deadline factor per severity (low, medium, high, critical): when a running crisis "
            "changes severity, open tasks' deadlines scale by factor(new) / factor(old)."
        ),
    )
    duties = DutyInputSerializer(many=True)


class MapUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True)
    title_zh = serializers.CharField(required=False, allow_blank=True)
    title_en = serializers.CharField(required=False, allow_blank=True)
    change_note = serializers.CharField(required=False, allow_blank=True)
    severity_factors = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        help_text=_(
            "Deadline factor per severity (low, medium, high, critical): when a running crisis "
            "changes severity, open tasks' deadlines scale by factor(new) / factor(old)."
        ),
    )
    duties = DutyInputSerializer(many=True, required=False)


class DryRunInputSerializer(serializers.Serializer):
    unit = serializers.CharField(
        required=False, help_text=_("Org unit code where the crisis happens; default: the scope.")
    )
    start = serializers.DateTimeField(required=False, help_text=_("Crisis start; default: now."))


class AssigneeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    position = serializers.CharField(allow_null=True)
    unit = serializers.CharField()
    via_delegate = serializers.BooleanField()


class DryRunDutySerializer(serializers.Serializer):
    code = serializers.CharField()
    action = serializers.CharField()
    deliverable = serializers.ChoiceField(choices=DeliverableKind.choices)
    assignee = AssigneeSerializer(allow_null=True)
    problem = serializers.CharField(allow_blank=True)
    starts_after_minutes = serializers.IntegerField()
    due_after_minutes = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    critical = serializers.BooleanField()
    slack_minutes = serializers.IntegerField()


class DryRunSerializer(serializers.Serializer):
    map = serializers.IntegerField()
    unit = serializers.CharField()
    start = serializers.DateTimeField()
    target = serializers.CharField(allow_null=True)
    critical_path = serializers.ListField(child=serializers.CharField())
    total_minutes = serializers.IntegerField()
    ends_at = serializers.DateTimeField()
    duties = DryRunDutySerializer(many=True)


class DiffChangeSerializer(serializers.Serializer):
    code = serializers.CharField()
    field = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()


class DiffSerializer(serializers.Serializer):
    old = serializers.IntegerField()
    new = serializers.IntegerField()
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = DiffChangeSerializer(many=True)


def dry_run_data(run) -> dict:
    """Plain data of a ``dry_run.DryRun`` for the API and the map page."""
    duties = []
    for row in run.rows:
        r = row.resolution
        assignee = None
        if r is not None:
            assignee = {
                "id": r.employee.pk,
                "username": r.employee.user.username,
                "name": r.employee.name,
                "position": r.employee.position.code if r.employee.position_id else None,
                "unit": r.employee.unit.code,
                "via_delegate": r.via_delegate,
            }
        duties.append(
            {
                "code": row.duty.code,
                "action": row.duty.action,
                "deliverable": row.duty.deliverable,
                "assignee": assignee,
                "problem": row.problem,
                "starts_after_minutes": row.slot.start,
                "due_after_minutes": row.slot.due,
                "starts_at": row.starts_at,
                "warn_at": row.warn_at,
                "due_at": row.due_at,
                "critical": row.slot.critical,
                "slack_minutes": row.slot.slack,
            }
        )
    return {
        "map": run.responsibility_map.pk,
        "unit": run.unit.code,
        "start": run.start,
        "target": run.plan.target,
        "critical_path": run.plan.critical_path,
        "total_minutes": run.plan.total_minutes,
        "ends_at": run.ends_at,
        "duties": duties,
    }


class CoveragePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Employee id.")
    name = serializers.CharField(help_text="In the request language.")
    position = serializers.CharField(allow_null=True, help_text="Position title, or null.")
    unit = serializers.CharField(help_text="Code of the person's unit.")
    channels = serializers.ListField(
        child=serializers.CharField(),
        help_text="Out-of-band channels the person has an address on (email, mobile, dingtalk, "
        "wecom, feishu); two are needed. In-app does not count.",
    )
    issues = serializers.ListField(
        child=serializers.CharField(),
        help_text="What keeps this person from acting: absent, unreachable, untrained.",
    )
    missing_skills = serializers.ListField(
        child=serializers.CharField(),
        help_text="Competency codes of the duty without current evidence.",
    )
    practice_current = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the person's last drill or simulation for the scenario's role is "
        "current (drill currency); null: never practised. False makes the person untrained.",
    )


class CoverageDutySerializer(serializers.Serializer):
    duty = serializers.CharField(help_text="Duty code.")
    unit = serializers.CharField(help_text="The covered unit this row is about.")
    holder = CoveragePersonSerializer(allow_null=True, help_text="Whose role it is; null: vacant.")
    deputy = CoveragePersonSerializer(
        allow_null=True,
        help_text="Who stands in: the absent holder's delegate, else the next in line.",
    )
    covered_by = serializers.ChoiceField(choices=["holder", "deputy"], allow_null=True)
    gaps = serializers.ListField(
        child=serializers.ChoiceField(choices=["vacant", "absent", "unreachable", "untrained"]),
        help_text="Empty when the holder or the deputy can act; else why the holder cannot.",
    )


class CoverageUnitCurrencySerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="Unit code.")
    current = serializers.IntegerField(help_text="Role holders whose practice is current.")
    total = serializers.IntegerField(help_text="Role holders.")
    percent = serializers.IntegerField(help_text="Whole percent; 100 when nobody holds a role.")


class CoverageCurrencySerializer(serializers.Serializer):
    current = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    units = CoverageUnitCurrencySerializer(many=True)


class CoverageSerializer(serializers.Serializer):
    map = serializers.IntegerField()
    scenario = serializers.CharField()
    computed_at = serializers.DateTimeField()
    score = serializers.FloatField(help_text="Covered share of (unit, duty) rows, 0.0–1.0.")
    covered = serializers.IntegerField()
    total = serializers.IntegerField()
    units = serializers.ListField(child=serializers.CharField())
    duties = CoverageDutySerializer(many=True)
    drill_currency = CoverageCurrencySerializer(
        help_text="Drill currency: role holders whose last drill or simulation for the role is "
        "current, overall and per unit."
    )


def coverage_data(view) -> dict:
    """A ``coverage_selectors.CoverageView`` as the API shows it, names in the reader's
    language."""
    from hrcore.notification_kinds import local

    def person(p: dict | None) -> dict | None:
        if p is None:
            return None
        return {
            "id": p["id"],
            "name": local(p["name"]),
            "position": local(p["position"]) if p.get("position") else None,
            "unit": p["unit"],
            "channels": p["channels"],
            "issues": p["issues"],
            "missing_skills": p.get("missing_skills", []),
            "practice_current": p.get("practice_current"),
        }

    return {
        "map": view.map.pk,
        "scenario": view.map.scenario.code,
        "computed_at": view.computed_at,
        "score": round(view.score, 4),
        "covered": view.covered,
        "total": view.total,
        "units": view.units,
        "duties": [
            {
                "duty": r["duty"],
                "unit": r["unit"],
                "holder": person(r["holder"]),
                "deputy": person(r["deputy"]),
                "covered_by": r["covered_by"],
                "gaps": r["gaps"],
            }
            for r in view.rows
        ],
        "drill_currency": {k: v for k, v in view.currency.items() if k != "units"}
        | {
            "units": [
                {k: u[k] for k in ("unit", "current", "total", "percent")}
                for u in view.currency["units"]
            ]
        },
    }
