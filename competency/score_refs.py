"""Simulation results as disputable scores of employee self-service (``hrcore.score_refs``):
a person disputes the overall score of one of their own finished runs."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrcore.score_refs import Label, ScoreKind, label_in_both, register_score_kind

from .choices import RunStatus
from .models import SimulationRun

RECENT = 20


def _finished(employee):
    return (
        SimulationRun.objects.filter(
            employee=employee, status=RunStatus.FINISHED, overall_score__isnull=False
        )
        .select_related("version__simulation")
        .order_by("-finished_at", "-id")
    )


def _label(run: SimulationRun) -> Label:
    finished = timezone.localtime(run.finished_at) if run.finished_at else None
    return label_in_both(
        lambda: (
            _("Simulation “%(title)s”: %(score)s points (%(day)s)")
            % {
                "title": run.version.simulation.title,
                "score": f"{run.overall_score:.0f}",
                "day": f"{finished:%Y-%m-%d}" if finished else "—",
            }
        )
    )


def choices(employee) -> list[tuple[str, Label]]:
    if employee is None:
        return []
    return [(str(run.pk), _label(run)) for run in _finished(employee)[:RECENT]]


def label(employee, reference_id: str) -> Label | None:
    if employee is None or not str(reference_id).isdigit():
        return None
    run = _finished(employee).filter(pk=int(reference_id)).first()
    return _label(run) if run is not None else None


def register() -> None:
    register_score_kind(
        ScoreKind(
            code="simulation_run",
            name=gettext_lazy("Simulation results"),
            choices=choices,
            label=label,
        )
    )
