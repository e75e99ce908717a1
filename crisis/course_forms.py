"""Forms of the crisis page's "changing course" controls (issue 15 §4)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Severity
from .models import ACTION_MAX_LENGTH, STATUS_UPDATE_MAX_LENGTH
from .services.added_tasks import MAX_DEADLINE_MINUTES
from .services.course import REASON_MAX_LENGTH


class AdhocTaskForm(forms.Form):
    action = forms.CharField(
        label=_("What is to be done"),
        max_length=ACTION_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. ask the landlord for the CCTV")}),
    )
    assignee = forms.ChoiceField(label=_("Who"))
    deadline_minutes = forms.IntegerField(
        label=_("Deadline (minutes)"), min_value=1, max_value=MAX_DEADLINE_MINUTES, initial=30
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [
            (str(p.pk), p.picker_label) for p in people
        ]


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label=_("New severity"), choices=Severity.choices)


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("User name of the guest"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class LinkForm(forms.Form):
    crisis = forms.IntegerField(label=_("Crisis number"), min_value=1)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH)


class StatusUpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Where things stand"),
        max_length=STATUS_UPDATE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
