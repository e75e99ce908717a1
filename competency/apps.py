from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def framework_competencies() -> list[tuple[str, str]]:
    """The published framework's competencies as ``(code, name)`` for the map editor."""
    from .selectors import rateable_competencies

    return [(c["code"], c["name"]) for c in rateable_competencies()]


class CompetencyConfig(AppConfig):
    name = "competency"
    verbose_name = _("Competency and training")

    def ready(self) -> None:
        from crisis.hooks import closure_recognition_register, drill_results_register

        from .hooks import CrisisClosureRecognition, DrillEvidence

        # Crisis closure feeds stars and review findings here (crisis does not import this app).
        closure_recognition_register(CrisisClosureRecognition())
        drill_results_register(DrillEvidence())  # drill timings → evidence (issue 16 §1)

        from . import home_panels, person_sections

        home_panels.register()
        person_sections.register()  # competencies, training due and drill currency

        # The map editor (responsibilities, below this app) offers the framework's competencies.
        from responsibilities.competencies import (
            register_competency_provider,
            register_practice_provider,
            register_training_provider,
        )

        from . import coverage

        register_competency_provider(framework_competencies)
        # Map coverage asks whose evidence for a duty's skills is current; new evidence marks
        # the coverage stale.
        register_training_provider(coverage.current_evidence)
        # …and whether their last drill or simulation for the role is current (drill currency).
        register_practice_provider(coverage.current_practice)
        coverage.connect()
        # Simulation results can be disputed through employee self-service (hrcore).
        from . import score_refs

        score_refs.register()
