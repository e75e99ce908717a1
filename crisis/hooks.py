"""Hooks higher apps register (in their ``AppConfig.ready()``) so the crisis engine can feed them
without importing them: the app order is hrcore ← responsibilities ← customers ← crisis ←
integrations | competency (docs/architecture.md), and a lower app never imports a higher one.

``ClosureRecognition``: what a resolved crisis teaches — competency registers one that knows the
competency codes, awards resilience stars and records review findings. With none registered (the
competency app not installed) closures award nothing and accept no named weakness.
"""

from __future__ import annotations

from typing import Protocol

from hrcore.models import Employee


class ClosureRecognition(Protocol):
    """What crisis closure asks of the app that keeps people's competencies and recognition."""

    def competency_known(self, code: str, employee: Employee | None) -> bool:
        """Whether ``code`` names a competency (in ``employee``'s framework, else a published one)."""

    def competency_choices(self) -> list[tuple[str, str]]:
        """(code, name) of the competencies a closer may name, each code once."""

    def star_award(self, *, employee: Employee, crisis, actor) -> None:
        """A resilience star for handling ``crisis`` well (idempotent per crisis and person)."""

    def findings_record(self, *, crisis, findings: list[dict], actor) -> None:
        """The weaknesses ``crisis`` revealed (``{"employee_id", "competency", "note"}``), in the
        closure's transaction: raising rolls the closure back."""


_closure_recognition: ClosureRecognition | None = None


def closure_recognition_register(hook: ClosureRecognition | None) -> None:
    """Register (or, with None, remove) the closure recognition hook; the last one wins."""
    global _closure_recognition
    _closure_recognition = hook


def closure_recognition() -> ClosureRecognition | None:
    """The registered closure recognition hook, if any."""
    return _closure_recognition


class DrillResults(Protocol):
    """What a finished drill teaches (issue 16 §1): each participant's timings against the
    duty's deadline, and each decision's quality against the map's preferred options, as
    evidence for the duty's competencies."""

    def drill_results_record(self, *, crisis, results: list[dict], actor) -> int:
        """Record ``results`` once per task (or decision) and competency; returns how many were
        new. A timing: ``{"employee_id", "task_id", "duty", "competencies", "deadline_s",
        "done_after_s", "late"}``; a decision: ``{"employee_id", "decision_id", "duty",
        "competencies", "decision_score"}`` (0–1, the map's credit for the option chosen)."""


_drill_results: DrillResults | None = None


def drill_results_register(hook: DrillResults | None) -> None:
    """Register (or, with None, remove) the drill results hook; the last one wins."""
    global _drill_results
    _drill_results = hook


def drill_results() -> DrillResults | None:
    return _drill_results
