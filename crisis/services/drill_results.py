"""What a finished drill teaches (issue 16 §1): its participants' timings and its decisions'
quality, handed to the app that keeps competency evidence (``crisis.hooks.DrillResults``)."""

from __future__ import annotations

from ..hooks import drill_results
from ..models import Crisis, Task
from ..selectors.drills import drill_report


def drill_results_record(crisis: Crisis, *, actor) -> int:
    """Each participant's timings, and each decision's quality against the map's preferred
    options, as competency evidence for the duty's skills (the registered hook; none registered:
    nothing). Only tasks that were done, and decisions the map can score, count."""
    hook = drill_results()
    if hook is None or not crisis.is_drill:
        return 0
    report = drill_report(crisis)
    competencies = dict(Task.objects.filter(crisis=crisis).values_list("pk", "duty__competencies"))
    results = [
        {
            "employee_id": p.employee.pk,
            "task_id": p.task_id,
            "duty": p.duty,
            "competencies": list(competencies.get(p.task_id) or []),
            "deadline_s": p.deadline_s,
            "done_after_s": p.done_after_s,
            "late": p.late,
        }
        for p in report.participants
        if p.employee is not None and p.done_after_s is not None
    ]
    results += [
        {
            "employee_id": d.employee.pk,
            "decision_id": d.decision_id,
            "duty": d.duty,
            "competencies": d.competencies,
            "decision_score": d.score,
        }
        for d in report.decisions
        if d.employee is not None and d.score is not None and d.competencies
    ]
    return hook.drill_results_record(crisis=crisis, results=results, actor=actor)
