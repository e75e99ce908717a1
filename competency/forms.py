"""Forms of the competency pages (authoring and assigning)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hrcore.ids import MAX_ID, parse_id
from hrcore.models import Employee

from . import selectors
from .choices import CONDITION_OPERATORS, EndingTone, NodeKind, RubricItemKind


class IdModelChoiceField(forms.ModelChoiceField):
    """A row chosen by primary key; text, negative or oversized numbers are an invalid choice
    before the database is asked (SQLite raises OverflowError on a huge id)."""

    def to_python(self, value):
        if value not in self.empty_values and parse_id(value) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def label_from_instance(self, obj):
        # People pickers tell namesakes apart: position and unit beside the name.
        return obj.picker_label if isinstance(obj, Employee) else super().label_from_instance(obj)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by primary key, with the same guard as ``IdModelChoiceField``."""

    def _check_values(self, value):
        for pk in value:
            if parse_id(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)

    def label_from_instance(self, obj):
        return obj.picker_label if isinstance(obj, Employee) else super().label_from_instance(obj)


class RatingForm(forms.Form):
    """A manager's rating of a direct report (HR admins: of anyone)."""

    employee = IdModelChoiceField(label=_("Person"), queryset=Employee.objects.none())
    competency = forms.SlugField(label=_("Competency"), max_length=64)
    level = forms.IntegerField(label=_("Level"), min_value=0, max_value=100)
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), required=False, max_length=1000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = selectors.employees_rateable_by(user)
        self.fields["employee"].error_messages["invalid_choice"] = _(
            "You can rate only your direct reports."
        )


class RunStartForm(forms.Form):
    """Starting a simulation, optionally for one of your own assignments."""

    assignment = IdModelChoiceField(
        label=_("Assignment"), queryset=Employee.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = selectors.own_open_assignments(user)
        self.fields["assignment"].error_messages["invalid_choice"] = _("No such assignment.")


def parse_pairs(text: str, field: str) -> dict:
    """``"emotional-control=2, negotiation-data-law=-1"`` → ``{"emotional-control": 2, ...}``."""
    result = {}
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not name.strip() or number is None:
            raise forms.ValidationError(
                _("Write name=number pairs separated by commas, e.g. emotional-control=2."),
                code=field,
            )
        result[name.strip()] = int(number) if number.is_integer() else number
    return result


class SimulationForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    scenario_code = forms.SlugField(label=_("Scenario code"), required=False)
    pass_mark = forms.IntegerField(label=_("Pass mark"), min_value=1, max_value=100, initial=70)
    competency_minimum = forms.IntegerField(
        label=_("Minimum on each competency"),
        min_value=0,
        max_value=100,
        initial=70,
        help_text=_("A pass also needs this score on every competency the run measured."),
    )
    agitation = forms.IntegerField(
        label=_("Starting agitation"), min_value=0, max_value=100, initial=50
    )


class NodeForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=64)
    kind = forms.ChoiceField(label=_("Kind"), choices=NodeKind.choices)
    speaker_zh = forms.CharField(label=_("Speaker (Chinese)"), required=False, max_length=100)
    speaker_en = forms.CharField(label=_("Speaker (English)"), required=False, max_length=100)
    text_zh = forms.CharField(label=_("Text (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 2}))
    time_limit_seconds = forms.IntegerField(
        label=_("Time limit (seconds)"), required=False, min_value=5, max_value=600
    )
    ending_tone = forms.ChoiceField(
        label=_("Ending tone"), required=False, choices=[("", "—"), *EndingTone.choices]
    )


class ChoiceForm(forms.Form):
    node = forms.ChoiceField(label=_("From node"))
    next_node = forms.ChoiceField(label=_("To node"))
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=500)
    label_en = forms.CharField(label=_("Label (English)"), max_length=500)
    feedback_zh = forms.CharField(
        label=_("Feedback (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    feedback_en = forms.CharField(
        label=_("Feedback (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hint_zh = forms.CharField(label=_("Coaching hint (Chinese)"), required=False)
    hint_en = forms.CharField(label=_("Coaching hint (English)"), required=False)
    effects = forms.CharField(
        label=_("Score effects"),
        required=False,
        help_text=_("e.g. emotional-control=2, negotiation-data-law=-1"),
    )
    state_changes = forms.CharField(
        label=_("State changes"), required=False, help_text=_("e.g. agitation=-10")
    )
    condition_var = forms.CharField(label=_("Show only if variable"), required=False, max_length=40)
    condition_op = forms.ChoiceField(
        label=_("operator"),
        required=False,
        choices=[("", "—")] + [(o, o) for o in CONDITION_OPERATORS],
    )
    condition_value = forms.IntegerField(label=_("value"), required=False)
    is_critical = forms.BooleanField(label=_("Critical error"), required=False)
    is_timeout = forms.BooleanField(label=_("Taken when time runs out"), required=False)

    def __init__(self, *args, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        options = [(str(n.pk), f"{n.key} ({n.get_kind_display()})") for n in nodes]
        self.fields["node"].choices = options
        self.fields["next_node"].choices = options

    def clean_effects(self):
        return parse_pairs(self.cleaned_data.get("effects", ""), "effects")

    def clean_state_changes(self):
        return parse_pairs(self.cleaned_data.get("state_changes", ""), "state_changes")

    def clean(self):
        data = super().clean()
        var, op, value = (
            data.get("condition_var"),
            data.get("condition_op"),
            data.get("condition_value"),
        )
        if var or op or value is not None:
            if not (var and op and value is not None):
                raise forms.ValidationError(
                    _("A condition needs a variable, an operator and a value.")
                )
            data["condition"] = {"var": var, "op": op, "value": value}
        else:
            data["condition"] = None
        return data


def split_phrases(text: str) -> list[str]:
    """One phrase per line (or separated by |) → a list of non-empty phrases."""
    parts = (text or "").replace("｜", "|").replace("\n", "|").split("|")
    return [" ".join(p.split()) for p in parts if p.strip()]


def format_pairs(mapping: dict) -> str:
    """The inverse of ``parse_pairs`` (to prefill an edit form)."""
    return ", ".join(f"{name}={value}" for name, value in (mapping or {}).items())


PHRASES_HELP = _(
    "One phrase per line; the answer covers the point if it contains any of them. Case does not "
    "matter; Chinese phrases match anywhere, English ones as whole words — end one with * to "
    "allow endings (promis*). A phrase right after a negation (不/没/not/never) does not count."
)


class RubricItemForm(forms.Form):
    """A key point or forbidden phrase of a free-text node (add, or edit with ``id``)."""

    id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    node = forms.ChoiceField(label=_("Free-text node"))
    kind = forms.ChoiceField(label=_("Kind"), choices=RubricItemKind.choices)
    label_zh = forms.CharField(label=_("Key point (Chinese)"), max_length=200)
    label_en = forms.CharField(label=_("Key point (English)"), max_length=200)
    phrases_zh = forms.CharField(
        label=_("Phrases (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=PHRASES_HELP,
    )
    phrases_en = forms.CharField(
        label=_("Phrases (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    effects = forms.CharField(
        label=_("Score effects"),
        required=False,
        help_text=_(
            "Key point: what covering it earns, e.g. emotional-control=2. Forbidden phrase: "
            "zero or negative, e.g. negotiation-data-law=-3."
        ),
    )
    feedback_zh = forms.CharField(
        label=_("Feedback (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    feedback_en = forms.CharField(
        label=_("Feedback (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [
            (str(n.pk), n.key) for n in nodes if n.kind == NodeKind.FREE_TEXT
        ]

    @classmethod
    def initial_for(cls, item) -> dict:
        return {
            "id": item.pk,
            "node": str(item.node_id),
            "kind": item.kind,
            "label_zh": item.label_zh,
            "label_en": item.label_en,
            "phrases_zh": "\n".join(item.phrases_zh or []),
            "phrases_en": "\n".join(item.phrases_en or []),
            "effects": format_pairs(item.effects),
            "feedback_zh": item.feedback_zh,
            "feedback_en": item.feedback_en,
        }

    def clean_phrases_zh(self):
        return split_phrases(self.cleaned_data.get("phrases_zh", ""))

    def clean_phrases_en(self):
        return split_phrases(self.cleaned_data.get("phrases_en", ""))

    def clean_effects(self):
        return parse_pairs(self.cleaned_data.get("effects", ""), "effects")


class AssignForm(forms.Form):
    employees = IdModelMultipleChoiceField(
        label=_("People"),
        queryset=Employee.objects.filter(is_active=True).select_related("position", "unit"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    # "Note" means a remark here (备注), not a caution (注意): the context keeps them apart.
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), required=False, max_length=300)
