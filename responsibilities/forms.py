"""Forms of the map pages: scenario, map header, duty rows (a formset), dry-run parameters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.i18n import with_codes
from hrcore.models import OrgUnit, Position

from .choices import DeliverableKind, Severity
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


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace("，", ",").split(",") if p.strip()]


class DutyForm(forms.Form):
    """One duty row. Lists are typed as comma-separated codes (information items: one a line)."""

    code = forms.SlugField(label=_("Code"), max_length=64)
    assignee_function = forms.ChoiceField(
        label=_("Department function"),
        choices=[("", "—"), *list(DepartmentFunction.choices)],
        required=False,
    )
    assignee_position = forms.ChoiceField(label=_("or position"), required=False)
    action_zh = forms.CharField(
        label=_("Action (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    action_en = forms.CharField(
        label=_("Action (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    deliverable = forms.ChoiceField(
        label=_("Deliverable"), choices=DeliverableKind.choices, initial=DeliverableKind.DOCUMENT
    )
    deadline_minutes = forms.IntegerField(label=_("Deadline (minutes)"))
    after = forms.CharField(
        label=_("Starts after"),
        required=False,
        help_text=_("Duty codes, comma-separated; empty = at crisis start."),
    )
    escalation = forms.CharField(
        label=_("Escalation"),
        required=False,
        initial="manager, executive",
    )
    warn_ratio = forms.FloatField(label=_("Warn at"), initial=0.8, required=False)
    business_hours = forms.BooleanField(label=_("Business hours only"), required=False)
    information_items = forms.CharField(
        label=_("Information needed"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One item a line."),
    )
    competencies = forms.CharField(label=_("Competencies"), required=False)
    notes_zh = forms.CharField(label=_("Notes (Chinese)"), required=False)
    notes_en = forms.CharField(label=_("Notes (English)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A position by its title in the reader's language (the code is the option's value).
        self.fields["assignee_position"].choices = [("", "—")] + [
            (p.code, p.title) for p in Position.objects.all()
        ]
        self.fields["escalation"].help_text = with_codes(
            gettext("%(manager)s, %(executive)s or %(position)s, comma-separated."),
            manager="manager",
            executive="executive",
            position="position:<code>",
        )

    def to_duty(self) -> dict:
        c = self.cleaned_data
        return {
            "code": c["code"],
            "assignee_function": c["assignee_function"],
            "assignee_position": c["assignee_position"],
            "action_zh": c["action_zh"],
            "action_en": c["action_en"],
            "deliverable": c["deliverable"],
            "deadline_minutes": c["deadline_minutes"],
            "after": _split(c["after"]),
            "escalation": _split(c["escalation"]),
            "warn_ratio": 0.8 if c.get("warn_ratio") is None else c["warn_ratio"],
            "business_hours": c["business_hours"],
            "information_items": [
                line.strip() for line in c["information_items"].splitlines() if line.strip()
            ],
            "competencies": _split(c["competencies"]),
            "notes_zh": c["notes_zh"],
            "notes_en": c["notes_en"],
        }

    @staticmethod
    def initial_from(duty: dict) -> dict:
        return {
            **duty,
            "after": ", ".join(duty["after"]),
            "escalation": ", ".join(duty["escalation"]),
            "information_items": "\n".join(duty["information_items"]),
            "competencies": ", ".join(duty["competencies"]),
        }


DutyFormSet = forms.formset_factory(DutyForm, extra=3, can_delete=True, max_num=100)


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
