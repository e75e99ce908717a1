"""What the competency app registers with the crisis engine (crisis.hooks): a resolved crisis
awards resilience stars and records review findings here, and closure forms offer this app's
competencies. Registered in CompetencyConfig.ready()."""

from __future__ import annotations

from hrcore.services.performance import performance_event_record

from . import selectors
from .choices import EvidenceKind
from .selectors import scale_values
from .services import recognition
from .services.evidence import evidence_record
from .services.guards import as_employee


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


class DrillEvidence:
    """crisis.hooks.DrillResults: a drill participant's timing against the duty's deadline, and a
    drill decision's quality against the map's preferred options, as evidence for each of the
    duty's competencies (once per task, or decision, and competency)."""

    def drill_results_record(self, *, crisis, results, actor) -> int:
        created = 0
        for result in results:
            if "decision_score" in result:
                created += self._decision_record(crisis=crisis, result=result, actor=actor)
                continue
            deadline, took = result.get("deadline_s"), result.get("done_after_s")
            if not deadline or took is None:
                continue
            score = round(100 * min(1.0, deadline / max(took, 1)), 1)
            employee = as_employee(result["employee_id"])
            late = bool(result.get("late"))
            performance_event_record(
                employee=employee,
                kind="drill",
                variant="late" if late else "on_time",
                source_key=f"drill:{crisis.pk}:task:{result['task_id']}",
                summary=(
                    f"演练 #{crisis.pk} {result.get('duty', '')}:{'逾期' if late else '按时'}",
                    f"Drill #{crisis.pk} {result.get('duty', '')}: {'late' if late else 'on time'}",
                ),
            )
            for code in result.get("competencies") or []:
                competency = selectors.competency_for_code(code, employee)
                if competency is None:
                    continue
                levels = sorted(scale_values(competency.framework))
                level = levels[0] if result.get("late") else levels[len(levels) // 2]
                _row, new = evidence_record(
                    employee=employee,
                    competency_code=code,
                    level=level,
                    score=score,
                    kind=EvidenceKind.DRILL,
                    actor=actor,
                    source=f"drill #{crisis.pk} {result.get('duty', '')}",
                    source_key=f"drill:{crisis.pk}:task:{result['task_id']}:{code}",
                    push=False,
                )
                created += int(new)
        return created

    def _decision_record(self, *, crisis, result, actor) -> int:
        """The preferred option earns the framework's middle level (what the map expects, as an
        on-time delivery does), partial credit a level in between, a poor option the lowest."""
        quality = result.get("decision_score")
        if quality is None:
            return 0
        quality = min(1.0, max(0.0, float(quality)))
        employee = as_employee(result["employee_id"])
        created = 0
        for code in result.get("competencies") or []:
            competency = selectors.competency_for_code(code, employee)
            if competency is None:
                continue
            levels = sorted(scale_values(competency.framework))
            level = levels[round(quality * (len(levels) // 2))]
            _row, new = evidence_record(
                employee=employee,
                competency_code=code,
                level=level,
                score=round(100 * quality, 1),
                kind=EvidenceKind.DRILL,
                actor=actor,
                source=f"drill #{crisis.pk} {result.get('duty', '')}: decision",
                source_key=f"drill:{crisis.pk}:decision:{result['decision_id']}:{code}",
                push=False,
            )
            created += int(new)
        return created
