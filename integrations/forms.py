"""Forms of the integrations pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hrcore.models import Employee

from .services.plans import PLAN_TEXT_FIELDS


class PlanEditForm(forms.Form):
    say_zh = forms.CharField(
        label=_("What to say (Chinese)"), widget=forms.Textarea, required=False
    )
    say_en = forms.CharField(
        label=_("What to say (English)"), widget=forms.Textarea, required=False
    )
    never_say_zh = forms.CharField(
        label=_("Never say (Chinese)"), widget=forms.Textarea, required=False
    )
    never_say_en = forms.CharField(
        label=_("Never say (English)"), widget=forms.Textarea, required=False
    )
    legal_basis_zh = forms.CharField(
        label=_("Legal basis (Chinese)"), widget=forms.Textarea, required=False
    )
    legal_basis_en = forms.CharField(
        label=_("Legal basis (English)"), widget=forms.Textarea, required=False
    )

    def __init__(self, *args, instance_plan=None, **kwargs):
        # Opening the form (no POST data: ``PlanEditForm(None, ...)``) shows the current plan;
        # the old ``not args`` test was false for ``None`` and opened an empty form.
        if instance_plan is not None and (not args or args[0] is None):
            kwargs.setdefault("initial", {f: getattr(instance_plan, f) for f in PLAN_TEXT_FIELDS})
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["rows"] = 4


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.picker_label  # namesakes told apart by position and unit


class HandoverForm(forms.Form):
    successor = _PersonChoiceField(label=_("Successor"), queryset=Employee.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, employee: Employee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = (
            Employee.objects.filter(is_active=True)
            .exclude(pk=employee.pk)
            .select_related("unit", "position")
            .order_by("name_en")
        )


class CommissionRuleForm(forms.Form):
    grade = forms.IntegerField(label=_("Grade"), min_value=1)
    product_line = forms.CharField(
        label=_("Product line"),
        max_length=64,
        required=False,
        help_text=_("Empty: every product line without a rule of its own."),
    )
    rate = forms.DecimalField(
        label=_("Rate"), max_digits=5, decimal_places=4, help_text=_("0.0200 is 2 %.")
    )
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_to = forms.DateField(
        label=_("Effective to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Exclusive; empty: open-ended."),
    )
