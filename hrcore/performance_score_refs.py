"""Performance events as disputable scores of employee self-service (``hrcore.score_refs``): a
person disputes one of the events on their own performance record."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .performance_models import PerformanceEvent
from .score_refs import Label, ScoreKind, label_in_both, register_score_kind

RECENT = 20


def _label(event: PerformanceEvent) -> Label:
    return label_in_both(
        lambda: (
            _("Performance event #%(id)s: %(summary)s (%(points)+d points, %(period)s)")
            % {
                "id": event.pk,
                "summary": event.label,
                "points": event.points,
                "period": event.period,
            }
        )
    )


def choices(employee) -> list[tuple[str, Label]]:
    if employee is None:
        return []
    own = PerformanceEvent.objects.filter(employee=employee).order_by("-occurred_at", "-id")
    return [(str(e.pk), _label(e)) for e in own[:RECENT]]


def label(employee, reference_id: str) -> Label | None:
    if employee is None or not str(reference_id).isdigit():
        return None
    event = PerformanceEvent.objects.filter(employee=employee, pk=int(reference_id)).first()
    return _label(event) if event is not None else None


def register() -> None:
    register_score_kind(
        ScoreKind(
            code="performance_event",
            name=gettext_lazy("Performance events"),
            choices=choices,
            label=label,
        )
    )
