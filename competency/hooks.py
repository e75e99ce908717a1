"""What the competency app registers with the crisis engine (crisis.hooks): a resolved crisis
awards resilience stars and records review findings here, and closure forms offer this app's
competencies. Registered in CompetencyConfig.ready()."""

from __future__ import annotations

from . import selectors
from .services import recognition


class CrisisClosureRecognition:
    """crisis.hooks.ClosureRecognition backed by this app's selectors and services."""

    def competency_known(self, code, employee) -> bool:
        return selectors.competency_for_code(code, employee) is not None

    def competency_choices(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for row in selectors.rateable_competencies():
            seen.setdefault(row["code"], row["name"])
        return list(seen.items())

    def star_award(self, *, employee, crisis, actor) -> None:
        recognition.recognition_award(
            employee=employee,
            kind="crisis",
            source_key=f"crisis:{crisis.pk}",
            stars=1,
            reason=(
                f"危机“{crisis.title}”按时处置",
                f"Handled crisis “{crisis.title}” on time",
            ),
            actor=actor,
        )

    def findings_record(self, *, crisis, findings, actor) -> None:
        recognition.crisis_review_record(crisis_id=crisis.pk, findings=findings, actor=actor)
