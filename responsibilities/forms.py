"""Forms of the map pages: scenario, map header, the editor's duty rows (a formset of pickers),
dry-run parameters."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.i18n import with_codes
from hrcore.models import OrgUnit

from .choices import ESCALATION_POSITION_PREFIX, DeliverableKind, EscalationStep, Severity
from .decision_options import (
    credit_from_text,
    credit_to_text,
    options_from_text,
    options_to_text,
)
from .models import Scenario


class ScenarioForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    default_severity = forms.ChoiceField(
        label=_("Default severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    trigger_notes_zh = forms.CharField(
        label=_("Trigger notes (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    trigger_notes_en = forms.CharField(
        label=_("Trigger notes (English)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per request, in the reader's language; the example code stays a code.
        self.fields["code"].help_text = with_codes(gettext("e.g. %(code)s"), code="data-breach")


class MapHeaderForm(forms.Form):
    scenario = forms.ModelChoiceField(label=_("Scenario"), queryset=Scenario.objects.all())
    scope = forms.ModelChoiceField(
        label=_("Scope"),
        queryset=OrgUnit.objects.filter(kind__in=[UnitKind.GROUP, UnitKind.SUBSIDIARY]),
        help_text=_("The group or a subsidiary."),
    )
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    change_note = forms.CharField(
        label=_("Change note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if locked:  # an existing draft keeps its scenario and scope
            self.fields["scenario"].disabled = True
            self.fields["scope"].disabled = True


MAX_ESCALATION_STEPS = 5
DEADLINE_UNITS = (("minutes", 1), ("hours", 60), ("days", 1440))
ASSIGNEE_FUNCTION = "function:"
ASSIGNEE_POSITION = "position:"


class EscalationWidget(forms.MultiWidget):
    """Up to five escalation steps, each picked from a list of roles, in order."""

    def __init__(self, choices=(), attrs=None):
        super().__init__([forms.Select() for _i in range(MAX_ESCALATION_STEPS)], attrs)

    def set_choices(self, choices) -> None:
        """The roles to pick from, and each step's name for screen readers (reader's language)."""
        for i, widget in enumerate(self.widgets):
            widget.choices = choices
            widget.attrs["aria-label"] = gettext("Escalation step %(n)d") % {"n": i + 1}

    def decompress(self, value):
        steps = list(value or [])[:MAX_ESCALATION_STEPS]
        return steps + [""] * (MAX_ESCALATION_STEPS - len(steps))


class EscalationField(forms.MultiValueField):
    """The ordered steps as a list, empty picks left out."""

    def __init__(self, **kwargs):
        fields = [forms.CharField(required=False) for _ in range(MAX_ESCALATION_STEPS)]
        super().__init__(
            fields, require_all_fields=False, required=False, widget=EscalationWidget(), **kwargs
        )

    def compress(self, data_list):
        return [step for step in data_list or [] if step]


def deadline_parts(minutes: int) -> tuple[int, str]:
    """The largest unit that says ``minutes`` exactly: 120 → (2, "hours"), 90 → (90, "minutes")."""
    for unit, size in reversed(DEADLINE_UNITS):
        if minutes and minutes % size == 0:
            return minutes // size, unit
    return minutes, "minutes"


class DutyForm(forms.Form):
    """One duty row of the editor: pickers, not codes typed by hand."""

    code = forms.SlugField(
        label=_("Short name"),
        max_length=64,
        help_text=_("Letters, digits and hyphens; other duties refer to it."),
    )
    assignee = forms.ChoiceField(label=_("Who"))
    action_zh = forms.CharField(
        label=_("Action (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    action_en = forms.CharField(
        label=_("Action (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    deliverable = forms.ChoiceField(
        label=_("Deliverable"), choices=DeliverableKind.choices, initial=DeliverableKind.DOCUMENT
    )
    deadline = forms.IntegerField(
        label=_("Deadline"),
        min_value=1,
        error_messages={"min_value": _("The deadline must be more than 0.")},
    )
    deadline_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))],
        initial="hours",
    )
    warn_percent = forms.FloatField(
        label=_("Warning at (% of the deadline)"),
        min_value=1,
        max_value=99,
        initial=80,
        widget=forms.NumberInput(attrs={"step": "any", "min": 1, "max": 99}),
    )
    after = forms.MultipleChoiceField(
        label=_("Starts after"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: starts at crisis start."),
    )
    escalation = EscalationField(label=_("Escalation, in order"), initial=["manager", "executive"])
    business_hours = forms.BooleanField(label=_("Business hours only"), required=False)
    competencies = forms.MultipleChoiceField(
        label=_("Competencies"), required=False, widget=forms.CheckboxSelectMultiple
    )
    information_items = forms.CharField(
        label=_("Information needed"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One item a line."),
    )
    notes_zh = forms.CharField(label=_("Notes (Chinese)"), required=False)
    notes_en = forms.CharField(label=_("Notes (English)"), required=False)
    options = forms.CharField(
        label=_("Decision options"),
        widget=forms.Textarea(attrs={"rows": 3, "translate": "no"}),
        required=False,
        help_text=_(
            "Decision duties only. One option a line: “code | label in Chinese | label in "
            "English”; a follow-up it creates on the line below: “> function | minutes | "
            "action in Chinese | action in English”. Free "
            "text is always possible besides these."
        ),
    )
    option_credit = forms.CharField(
        label=_("Preferred options"),
        widget=forms.Textarea(attrs={"rows": 3, "translate": "no"}),
        required=False,
        help_text=_(
            "What each option is worth when a drill scores the decision. One option code a "
            "line: “code” marks it preferred (full credit), “code = 0.5” gives partial credit; "
            "an option not named earns nothing. Empty: drills do not score this decision."
        ),
    )

    # Where the service's field keys are shown in this row.
    SERVICE_FIELDS = {
        "code": "code",
        "assignee": "assignee",
        "assignee_function": "assignee",
        "assignee_position": "assignee",
        "action": "action_zh",
        "action_zh": "action_zh",
        "action_en": "action_en",
        "deliverable": "deliverable",
        "deadline_minutes": "deadline",
        "after": "after",
        "warn_ratio": "warn_percent",
        "business_hours": "business_hours",
        "escalation": "escalation",
        "information_items": "information_items",
        "competencies": "competencies",
        "notes_zh": "notes_zh",
        "notes_en": "notes_en",
        "options": "options",
        "option_credit": "option_credit",
    }

    def __init__(
        self,
        *args,
        duty_codes=(),
        positions: dict[str, str] | None = None,
        competencies=(),
        **kwargs,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        positions = positions or {}
        self.fields["assignee"].choices = [
            ("", "—"),
            (
                _("Department functions"),
                [(f"{ASSIGNEE_FUNCTION}{v}", label) for v, label in DepartmentFunction.choices],
            ),
            (
                _("Positions"),
                [(f"{ASSIGNEE_POSITION}{code}", title) for code, title in positions.items()],
            ),
        ]
        own = self._own_values()
        own_code = (
            (self.data.get(self.add_prefix("code")) or "").strip()
            if self.is_bound
            else self.initial.get("code", "")
        )
        others = [c for c in duty_codes if c != own_code]
        # Duty codes are codes, not words: marked so (translate="no") in the reader's page.
        self.fields["after"].choices = [
            (c, format_html('<code translate="no">{}</code>', c))
            for c in dict.fromkeys([*others, *own["after"]])
        ]
        steps = [
            ("", "—"),
            *[(v, str(label)) for v, label in EscalationStep.choices],
            *[(f"{ESCALATION_POSITION_PREFIX}{c}", t) for c, t in positions.items()],
        ]
        known = {v for v, _label in steps}
        steps += [(s, s) for s in own["escalation"] if s not in known]
        self.fields["escalation"].widget.set_choices(steps)
        framework = list(competencies)
        known = {c for c, _name in framework}
        framework += [(c, c) for c in own["competencies"] if c not in known]
        self.fields["competencies"].choices = framework

    def _own_values(self) -> dict[str, list[str]]:
        """Values this row already holds, offered even if no longer in a list (round trip)."""
        if self.is_bound:
            return {
                "after": self.data.getlist(self.add_prefix("after")),
                "competencies": self.data.getlist(self.add_prefix("competencies")),
                "escalation": [
                    self.data.get(f"{self.add_prefix('escalation')}_{i}", "")
                    for i in range(MAX_ESCALATION_STEPS)
                ],
            }
        return {k: list(self.initial.get(k) or []) for k in ("after", "competencies", "escalation")}

    def to_duty(self) -> dict:
        """The row in the services' input shape."""
        c = self.cleaned_data
        kind, _sep, who = c["assignee"].partition(":")
        size = dict(DEADLINE_UNITS)[c["deadline_unit"]]
        return {
            "code": c["code"],
            "assignee_function": who if kind == "function" else "",
            "assignee_position": who if kind == "position" else "",
            "action_zh": c["action_zh"],
            "action_en": c["action_en"],
            "deliverable": c["deliverable"],
            "deadline_minutes": c["deadline"] * size,
            "after": list(c["after"]),
            "escalation": list(c["escalation"]),
            "warn_ratio": round(c["warn_percent"] / 100, 6),
            "business_hours": c["business_hours"],
            "information_items": [
                line.strip() for line in c["information_items"].splitlines() if line.strip()
            ],
            "competencies": list(c["competencies"]),
            "notes_zh": c["notes_zh"],
            "notes_en": c["notes_en"],
            "options": c["options"],
        }

    def clean_options(self) -> list[dict]:
        options, problem = options_from_text(self.cleaned_data.get("options") or "")
        if problem:
            raise forms.ValidationError(problem)
        return options

    def clean(self):
        cleaned = super().clean()
        if "options" in cleaned:  # the preferred options name options of this row
            options, problem = credit_from_text(
                cleaned.get("option_credit") or "", cleaned["options"]
            )
            if problem:
                self.add_error("option_credit", problem)
            else:
                cleaned["options"] = options
        return cleaned

    @staticmethod
    def initial_from(duty: dict) -> dict:
        """A duty as the services hold it → the row's initial values."""
        amount, unit = deadline_parts(duty["deadline_minutes"])
        if duty["assignee_function"]:
            who = f"{ASSIGNEE_FUNCTION}{duty['assignee_function']}"
        else:
            who = f"{ASSIGNEE_POSITION}{duty['assignee_position']}"
        percent = round(float(duty["warn_ratio"]) * 100, 4)
        return {
            "code": duty["code"],
            "assignee": who,
            "action_zh": duty["action_zh"],
            "action_en": duty["action_en"],
            "deliverable": duty["deliverable"],
            "deadline": amount,
            "deadline_unit": unit,
            "warn_percent": int(percent) if percent == int(percent) else percent,
            "after": list(duty["after"]),
            "escalation": list(duty["escalation"]),
            "business_hours": duty["business_hours"],
            "competencies": list(duty["competencies"]),
            "information_items": "\n".join(duty["information_items"]),
            "notes_zh": duty["notes_zh"],
            "notes_en": duty["notes_en"],
            "options": options_to_text(duty.get("options") or []),
            "option_credit": credit_to_text(duty.get("options") or []),
        }


class DryRunForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Crisis in"), queryset=OrgUnit.objects.none())
    start = forms.DateTimeField(
        label=_("Crisis start"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args, scope: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.filter(path__startswith=scope.path)
