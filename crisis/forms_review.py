"""Forms of the post-incident review pages (issue 15 §5): findings, action items, the lessons
library's search."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import FindingKind
from .models import ACTION_ITEM_MAX_LENGTH, FINDING_MAX_LENGTH


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Finding"), choices=FindingKind.choices)
    text = forms.CharField(
        label=_("In plain words"),
        max_length=FINDING_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=ACTION_ITEM_MAX_LENGTH)
    owner = forms.ChoiceField(label=_("Action owner"))
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    finding = forms.ChoiceField(label=_("From the finding"), required=False)

    def __init__(self, *args, people=(), findings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *[(str(p.pk), p.picker_label) for p in people]]
        self.fields["finding"].choices = [
            ("", "—"),
            *[(str(f.pk), f.text[:60]) for f in findings],
        ]
        # The findings are listed as their authors typed them (any language).
        self.fields["finding"].widget.attrs["data-user-content"] = ""


class LessonSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    scenario = forms.ChoiceField(label=_("Scenario"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)

    def __init__(self, *args, scenarios=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [("", _("All scenarios")), *scenarios]
        self.fields["unit"].choices = [("", _("All units")), *units]
