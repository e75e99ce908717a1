"""Demo content on top of the library (``competency.library``: the crisis-capability framework,
position profiles, the bilingual simulations): the demo manager's history (resilience 60 → 85),
the cast's ratings and an assignment in ``manager``'s inbox.

Idempotent: rows are looked up by code / source key first.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hrcore.models import Employee

from . import library, selectors
from .choices import AssignmentReason, EvidenceKind
from .models import Evidence, Framework
from .services import assignments, recognition
from .services import evidence as evidence_services

CRISIS_SET = [
    ("emotional-control", 3, 3),
    ("resource-coordination", 3, 2),
    ("negotiation-data-law", 3, 2),
    ("risk-anticipation", 3, 2),
]
# The demo manager's track record: score per month back (oldest first) → resilience 60 → 85.
MANAGER_HISTORY = [(6, 60), (5, 64), (4, 70), (3, 74), (2, 80), (1, 85)]
HISTORY_KINDS = [
    EvidenceKind.MANAGER_RATING,
    EvidenceKind.TRAINING,
    EvidenceKind.SIMULATION,
    EvidenceKind.MANAGER_RATING,
    EvidenceKind.TRAINING,
    EvidenceKind.SIMULATION,
]
# Other cast members' current levels (for readiness and gaps).
CAST_LEVELS = {
    "finance": [("financial-evidence", 3), ("data-disclosure", 2), ("emotional-control", 3)],
    "legal": [("legal-awareness", 4), ("legal-communication", 3)],
    "admin": [("on-site-order", 2), ("evidence-preservation", 3), ("emotional-control", 2)],
    "manager": [("crisis-communication", 3)],
    "manager2": [
        ("emotional-control", 2),
        ("resource-coordination", 3),
        ("negotiation-data-law", 2),
        ("risk-anticipation", 3),
    ],
    "vp": [("decision-making", 4), ("crisis-communication", 3), ("risk-anticipation", 4)],
}


def _history(framework: Framework, now) -> int:
    created = 0
    manager = Employee.objects.filter(user__username="manager").first()
    if manager is not None:
        for index, (months_back, score) in enumerate(MANAGER_HISTORY):
            at = now - timedelta(days=30 * months_back)
            for offset, (code, _req, _w) in enumerate(CRISIS_SET):
                # small per-competency spread around the month's score, same weighted mean
                spread = [0, 2, -2, 0][offset] if 60 < score < 85 else 0
                value = score + spread
                _row, was_new = evidence_services.evidence_record(
                    employee=manager,
                    competency_code=code,
                    level=_level_for(value),
                    score=value,
                    kind=HISTORY_KINDS[index],
                    source="demo history",
                    source_key=f"demo:manager:{code}:{months_back}",
                    observed_at=at,
                    actor=None,
                    push=False,
                )
                created += int(was_new)
    for username, levels in CAST_LEVELS.items():
        employee = Employee.objects.filter(user__username=username).first()
        if employee is None:
            continue
        for code, level in levels:
            _row, was_new = evidence_services.evidence_record(
                employee=employee,
                competency_code=code,
                level=level,
                kind=EvidenceKind.MANAGER_RATING,
                source="demo rating",
                source_key=f"demo:{username}:{code}",
                observed_at=now - timedelta(days=20),
                actor=None,
                push=False,
            )
            created += int(was_new)
    return created


def _replay_crisis_reviews(actor) -> int:
    """The crisis demo closes crises before this app's framework exists (seed order), so their
    review findings were refused then; record them now (idempotent per crisis/person/code)."""
    try:
        from crisis.models import Crisis
    except ImportError:  # pragma: no cover - crisis app absent
        return 0
    recorded = 0
    for crisis in Crisis.objects.filter(closed_at__isnull=False):
        findings = [
            {
                "employee_id": task.assignee_id,
                "competency": code,
                "note": f"{task.duty.code}: deadline missed in crisis #{crisis.pk}",
            }
            for task in crisis.tasks.exclude(breached_at=None)
            .exclude(assignee=None)
            .select_related("duty")
            for code in task.duty.competencies or []
        ]
        for finding in findings:
            if selectors.competency_for_code(finding["competency"]) is None:
                continue
            recorded += recognition.crisis_review_record(
                crisis_id=crisis.pk, findings=[finding], actor=actor
            )
    return recorded


def _level_for(score: float) -> int:
    from .scoring import level_from_percent

    return level_from_percent(score, [1, 2, 3, 4])


@transaction.atomic
def seed() -> dict[str, int]:
    now = timezone.now()
    User = get_user_model()
    author = User.objects.filter(username="hradmin").first()
    if author is None:
        return {"simulations": 0}
    installed = library.library_install(author=author)
    simulations = installed["simulations"]
    evidence = _history(installed["framework"], now)
    evidence += _replay_crisis_reviews(author)
    manager = Employee.objects.filter(user__username="manager").select_related("user").first()
    if manager is not None and "debt-collectors-office" in simulations:
        assignments.assignment_create(
            employee=manager,
            simulation=simulations["debt-collectors-office"],
            reason=AssignmentReason.MANUAL,
            source_key="demo:manager:debt-collectors-office",
            actor=author,
            due_at=now + timedelta(days=7),
            note="演示 / demo",
        )
    return {
        "simulations": len(simulations),
        "evidence": Evidence.objects.count(),
        "new_evidence": evidence,
    }
