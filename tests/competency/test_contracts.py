"""The two services the crisis engine calls at closure."""

import pytest

from competency.models import Evidence, RecognitionEntry
from competency.services import recognition

pytestmark = pytest.mark.django_db


def test_recognition_award_is_idempotent_per_source(users):
    employee = users["finance"].employee
    first = recognition.recognition_award(
        employee=employee,
        kind="crisis",
        source_key="crisis:7:task:3",
        stars=2,
        reason=("好", "Good"),
    )
    again = recognition.recognition_award(
        employee=employee,
        kind="crisis",
        source_key="crisis:7:task:3",
        stars=2,
        reason=("好", "Good"),
    )
    assert first is not None and first.stars == 2
    assert again is None
    assert RecognitionEntry.objects.filter(employee=employee).count() == 1


def test_recognition_award_rejects_unknown_kind(users):
    from hrcore.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        recognition.recognition_award(
            employee=users["finance"].employee, kind="bogus", source_key="x", reason=("a", "b")
        )
    assert RecognitionEntry.objects.count() == 0


def test_crisis_review_record_appends_once(competency_demo, users):
    manager = users["manager"].employee
    findings = [
        {"employee_id": manager.pk, "competency": "emotional-control", "note": "raised voice"}
    ]
    n1 = recognition.crisis_review_record(crisis_id=99, findings=findings, actor=users["vp"])
    n2 = recognition.crisis_review_record(crisis_id=99, findings=findings, actor=users["vp"])
    assert (n1, n2) == (1, 0)
    rows = Evidence.objects.filter(employee=manager, kind="crisis_review")
    assert rows.count() == 1
    assert rows.get().note == "raised voice"
    assert manager.training_assignments.filter(reason="post_crisis").count() == 1


def test_crisis_review_record_rejects_unknown_employee(competency_demo, users):
    from hrcore.errors import ValidationFailed

    before = Evidence.objects.count()
    with pytest.raises(ValidationFailed):
        recognition.crisis_review_record(
            crisis_id=1, findings=[{"employee_id": 999999, "competency": "x"}], actor=None
        )
    assert Evidence.objects.count() == before
