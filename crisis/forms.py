"""Forms of the crisis pages: they only parse input; every write goes through crisis.services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from responsibilities.decision_options import label_of

from .choices import ContactChannel, CrisisStatus, DecisionOption, DeliverableKind, Severity
from .models import (
    COMMENT_MAX_LENGTH,
    DECISION_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    OUTCOME_MAX_LENGTH,
    WALK_IN_NAME_MAX_LENGTH,
    WALK_IN_PURCHASE_MAX_LENGTH,
)


def decision_option_label(code: str, label: dict | None = None) -> str:
    """An option's label in the reader's language: the map's label kept with the decision, or
    the fixed list's label of older decisions; the code only when neither is known."""
    if label:
        return label_of({"code": code, "label": label})
    return str(DecisionOption(code).label) if code in DecisionOption.values else code


class CrisisFileForm(forms.Form):
    """What a manager types in under a minute; everything else comes from the map."""

    scenario = forms.ChoiceField(label=_("Scenario"))
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Debt collectors in the office")}),
    )
    description = forms.CharField(
        label=_("What is happening"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    unit = forms.ChoiceField(label=_("Unit"))
    customer = forms.CharField(
        label=_("Customer (when known)"),
        required=False,
        max_length=100,
        help_text=_("Customer number or name from the list."),
        widget=forms.TextInput(attrs={"list": "customer-options", "autocomplete": "off"}),
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Scenario default")), *list(Severity.choices)],
    )
    # A customer complaint in a store (issue 17 §6): a walk-in consumer with no company record
    # and the employee responsible; the service checks them (crisis.services.walk_in).
    walk_in = forms.BooleanField(label=_("A walk-in consumer (no company record)"), required=False)
    consumer_name = forms.CharField(
        label=_("Consumer's name"), required=False, max_length=WALK_IN_NAME_MAX_LENGTH
    )
    consumer_phone = forms.CharField(
        label=_("Consumer's phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    consumer_purchase = forms.CharField(
        label=_("What they bought"),
        required=False,
        max_length=WALK_IN_PURCHASE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. electric kettle, receipt no.")}),
    )
    responsible = forms.CharField(
        label=_("Employee responsible"),
        required=False,
        max_length=200,
        help_text=_("User name or name from the list."),
        widget=forms.TextInput(attrs={"list": "responsible-options", "autocomplete": "off"}),
    )
    # One-time token issued with the page: a double-click or Back-then-submit sends the same
    # token again, and filing with it returns the crisis the first submit filed (when Back
    # re-fetches the page, crisis/submit-once.js puts the submitted token back).
    form_token = forms.UUIDField(
        required=False, widget=forms.HiddenInput(attrs={"data-once-token": ""})
    )

    def __init__(self, *args, scenarios=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())
        self.fields["scenario"].choices = [("", "—")] + [(s.code, s.name) for s in scenarios]
        self.fields["unit"].choices = [
            (u.code, ("\u2003" * max(u.depth - 1, 0)) + u.name) for u in units
        ]

    WALK_IN_FIELDS = ("consumer_name", "consumer_phone", "consumer_purchase", "responsible")

    def is_walk_in(self) -> bool:
        """Ticked, or any of the walk-in consumer's fields filled in."""
        data = self.cleaned_data
        return bool(data.get("walk_in")) or any(data.get(f) for f in self.WALK_IN_FIELDS)

    def walk_in_typed(self) -> bool:
        """Whether the submitted page asked for a walk-in consumer (to show those fields open)."""
        if not self.is_bound:
            return False
        return any((self.data.get(f) or "").strip() for f in ("walk_in", *self.WALK_IN_FIELDS))


class CrisisFilterForm(forms.Form):
    """Filters of the crisis list and the dashboard (all optional, GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *list(CrisisStatus.choices)],
    )
    scenario = forms.ChoiceField(label=_("Scenario"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Any severity")), *list(Severity.choices)],
    )

    def __init__(self, *args, scenarios=(), units=(), with_status=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [("", _("Any scenario"))] + [
            (s.code, s.name) for s in scenarios
        ]
        self.fields["unit"].choices = [("", _("Any unit"))] + [
            (u.code, ("\u2003" * max(u.depth - 1, 0)) + u.name) for u in units
        ]
        if not with_status:
            del self.fields["status"]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(forms.Form):
    """Completing a task with its deliverable; which fields matter depends on the kind."""

    note = forms.CharField(
        label=_("Note for everyone"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(label=_("File"), required=False)
    location = forms.CharField(label=_("Where are you?"), required=False, max_length=200)
    contact_person = forms.CharField(label=_("Who was contacted"), required=False, max_length=200)
    contact_channel = forms.ChoiceField(
        label=_("How"), required=False, choices=ContactChannel.choices
    )
    contact_outcome = forms.CharField(
        label=_("What was agreed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, kind: str = DeliverableKind.CONFIRMATION, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean(self):
        data = super().clean()
        kind = self.kind
        if kind == DeliverableKind.DOCUMENT and not data.get("file") and not data.get("note"):
            self.add_error("file", _("Attach the document (or explain in a note)."))
        if kind == DeliverableKind.ON_SITE and not data.get("location"):
            self.add_error("location", _("Say where you checked in."))
        if kind == DeliverableKind.CONTACT_LOG and not (
            data.get("contact_person") and data.get("contact_outcome")
        ):
            self.add_error("contact_outcome", _("Say whom you contacted and what was agreed."))
        return data

    def deliverable_note(self) -> str:
        """The free note handed to the service (a contact log's content goes as fields)."""
        return self.cleaned_data.get("note", "")

    def deliverable_fields(self) -> dict:
        """A structured deliverable's content as codes and typed values (stored as such and
        rendered in each reader's language): a contact log's person, channel code, outcome."""
        data = self.cleaned_data
        if self.kind != DeliverableKind.CONTACT_LOG:
            return {}
        fields = {
            "contact_person": data.get("contact_person", ""),
            "contact_channel": data.get("contact_channel", ""),
            "contact_outcome": data.get("contact_outcome", ""),
        }
        return {k: v for k, v in fields.items() if v}


class ReassignForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How"),
        choices=[
            ("delegate", _("Delegate (I stay responsible)")),
            ("reassign", _("Reassign (hand it over)")),
        ],
    )
    assignee = forms.ChoiceField(label=_("To"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [
            (str(p.pk), p.picker_label) for p in people
        ]


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why pause the clocks?"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. waiting for the customer")}),
    )


FOLLOW_UP_ROWS = 20  # rows the page may send (one without JavaScript; the script adds more)


class DecisionForm(forms.Form):
    """A decision for the ledger: the map's option or free text, the situation, the rationale,
    a review time, the decision it supersedes and follow-up rows (``fu-<n>-action``,
    ``fu-<n>-assignee`` (a user name), ``fu-<n>-deadline`` in minutes)."""

    option = forms.ChoiceField(label=_("Chosen option"), required=False)
    text = forms.CharField(
        label=_("Decision"),
        max_length=DECISION_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What everyone must do now, in plain words")}
        ),
    )
    situation = forms.CharField(
        label=_("Situation as understood"),
        required=False,
        max_length=DECISION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        required=False,
        max_length=DECISION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    review_by = forms.DateTimeField(
        label=_("Review by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    # its choices are earlier decisions as typed (user text, in the decider's language)
    supersedes = forms.ChoiceField(
        label=_("Supersedes"),
        required=False,
        widget=forms.Select(attrs={"data-user-content": ""}),
    )
    option_follow_ups = forms.BooleanField(
        label=_("Also create the follow-ups the chosen option foresees"), required=False
    )

    def __init__(self, *args, options=(), earlier=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [
            ("", "—"),
            *[(o["code"], label_of(o)) for o in options],
            ("other", _("Other (free text)")),
        ]
        self.fields["supersedes"].choices = [
            ("", _("Nothing (a new decision)")),
            *[(str(d.pk), f"{d.made_at:%m-%d %H:%M} · {d.text[:60]}") for d in earlier],
        ]

    def follow_ups(self) -> list[dict]:
        """The follow-up rows someone filled in (a row left blank is skipped); the service
        checks them, naming the row."""
        rows = []
        for n in range(FOLLOW_UP_ROWS):
            action = (self.data.get(f"fu-{n}-action") or "").strip()
            assignee = (self.data.get(f"fu-{n}-assignee") or "").strip()
            deadline = (self.data.get(f"fu-{n}-deadline") or "").strip()
            if not (action or assignee or deadline):
                continue
            rows.append(
                {
                    "action": action,
                    "assignee": assignee,
                    "deadline_minutes": int(deadline) if deadline.isdigit() else deadline,
                }
            )
        return rows


class CloseForm(forms.Form):
    """Closure: outcome, lessons learned, people credited and weaknesses found."""

    outcome = forms.CharField(
        label=_("Outcome"), max_length=OUTCOME_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    lessons = forms.CharField(
        label=_("Lessons learned"),
        required=False,
        max_length=OUTCOME_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    credited = forms.MultipleChoiceField(
        label=_("People credited (resilience star)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    weakness_employee = forms.ChoiceField(label=_("Weakness found: who"), required=False)
    weakness_competency = forms.ChoiceField(label=_("Competency"), required=False)
    weakness_note = forms.CharField(label=_("What went wrong"), required=False, max_length=1000)

    def __init__(self, *args, people=(), competencies=(), drill=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.pk), p.picker_label) for p in people]
        self.fields["credited"].choices = choices
        self.fields["weakness_employee"].choices = [("", "—"), *choices]
        self.fields["weakness_competency"].choices = [("", "—"), *list(competencies)]
        if drill:  # a drill earns no stars and records no findings: its results are the report
            for name in ("credited", "weakness_employee", "weakness_competency", "weakness_note"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        parts = [data.get("weakness_employee"), data.get("weakness_competency")]
        if any(parts) and not all(parts):
            self.add_error(
                "weakness_competency", _("Give both the person and the competency, or neither.")
            )
        return data

    def findings(self) -> list[dict]:
        data = self.cleaned_data
        if not (data.get("weakness_employee") and data.get("weakness_competency")):
            return []
        return [
            {
                "employee_id": int(data["weakness_employee"]),
                "competency": data["weakness_competency"],
                "note": data.get("weakness_note", ""),
            }
        ]
