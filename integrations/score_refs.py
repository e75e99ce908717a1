"""Commissions as disputable scores of employee self-service (``hrcore.score_refs``): a person
disputes one of their own commissions."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrcore.score_refs import Label, ScoreKind, label_in_both, register_score_kind

from .models import Commission

RECENT = 20


def _own(employee):
    return (
        Commission.objects.filter(employee=employee)
        .select_related("order")
        .order_by("-created_at", "-id")
    )


def _label(commission: Commission) -> Label:
    return label_in_both(
        lambda: (
            _("Commission on order %(order)s: %(currency)s %(amount)s (%(period)s)")
            % {
                "order": commission.order.external_id,
                "currency": commission.currency,
                "amount": commission.amount,
                "period": commission.period or "—",
            }
        )
    )


def choices(employee) -> list[tuple[str, Label]]:
    if employee is None:
        return []
    return [(str(c.pk), _label(c)) for c in _own(employee)[:RECENT]]


def label(employee, reference_id: str) -> Label | None:
    if employee is None or not str(reference_id).isdigit():
        return None
    commission = _own(employee).filter(pk=int(reference_id)).first()
    return _label(commission) if commission is not None else None


def register() -> None:
    register_score_kind(
        ScoreKind(code="commission", name=gettext_lazy("Commissions"), choices=choices, label=label)
    )
