"""Forms of employee self-service: ask or dispute, answer, record one's absence."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .notification_kinds import local
from .score_refs import score_kinds
from .selfservice_models import QuestionKind


def score_choices(employee) -> list[tuple[str, list[tuple[str, str]]]]:
    """The employee's own disputable scores, grouped by kind: ``("kind:id", label)``."""
    groups = []
    for code, kind in score_kinds().items():
        options = [(f"{code}:{pk}", local(label)) for pk, label in kind.choices(employee)]
        if options:
            groups.append((str(kind.name), options))
    return groups


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=QuestionKind.choices,
        initial=QuestionKind.QUESTION,
        widget=forms.RadioSelect,
    )
    reference = forms.ChoiceField(
        label=_("Score you dispute"),
        required=False,
        help_text=_("Only for a score dispute: one of your own scores."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your question"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, employee=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].choices = [("", "—"), *score_choices(employee)]

    def reference_parts(self) -> tuple[str, str]:
        value = self.cleaned_data.get("reference") or ""
        kind, _sep, pk = value.partition(":")
        return kind, pk


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AbsenceForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Away from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Back on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    delegate = forms.ChoiceField(
        label=_("Delegate"), help_text=_("Who receives your duties while you are away.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].choices = [
            ("", "—"),
            *((str(p.pk), p.picker_label) for p in people),
        ]
