"""Pure rules of the map editor: the cycle named in words and the diff to the published version
field by field in words (responsibilities/wording.py), plus the services' cycle message in both
languages."""

from __future__ import annotations

import pytest
from django.utils import translation

from responsibilities import planning, wording
from responsibilities.forms import DutyForm, deadline_parts

NAMES = wording.Names(
    positions={"vice-president": "Vice-president", "president": "President"},
    competencies={"legal-awareness": "Legal awareness"},
)


def _duty(code, **extra) -> dict:
    duty = {
        "code": code,
        "assignee_function": "finance",
        "assignee_position": "",
        "action_zh": "上传记录",
        "action_en": "Upload the records",
        "deliverable": "document",
        "deadline_minutes": 30,
        "after": [],
        "warn_ratio": 0.8,
        "business_hours": False,
        "escalation": ["manager", "executive"],
        "information_items": [],
        "competencies": [],
        "notes_zh": "",
        "notes_en": "",
    }
    duty.update(extra)
    return duty


def test_a_cycle_reads_in_running_order():
    assert (
        wording.cycle_text(["finance-records", "legal-advice", "finance-records"])
        == "finance-records → legal-advice → finance-records"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "The duties wait for each other in a cycle: "),
        ("zh-hans", "职责之间存在循环等待："),
    ],
)
def test_the_services_name_the_cycle_in_both_languages(language, expected):
    from responsibilities.services import validation

    duties = [
        _duty("start"),
        _duty("finance-records", after=["legal-advice"]),
        _duty("legal-advice", after=["finance-records"]),
    ]
    with translation.override(language):
        _clean, errors = validation.duties_check(duties)
    assert errors == {
        "duties": expected
        + "finance-records → legal-advice → finance-records"
        + ("." if language == "en" else "。")
    }


def test_the_diff_reads_field_by_field_in_words():
    old = [
        _duty("finance-records"),
        _duty("legal-advice", assignee_function="legal", competencies=["legal-awareness"]),
        _duty("old-step"),
    ]
    new = [
        _duty(
            "finance-records",
            deadline_minutes=45,
            warn_ratio=0.75,
            escalation=["position:president"],
        ),
        _duty(
            "legal-advice",
            assignee_function="",
            assignee_position="vice-president",
            competencies=[],
            after=["finance-records"],
        ),
        _duty("vp-decision", assignee_function="", assignee_position="vice-president"),
    ]
    with translation.override("en"):
        words = wording.diff_in_words(planning.diff(old, new), old, new, NAMES, english=True)
        assert [(d.code, d.who, d.deadline) for d in words.added] == [
            ("vp-decision", "Vice-president", "30 min")
        ]
        assert [(d.code, d.action) for d in words.removed] == [("old-step", "Upload the records")]
        changes = {d.code: [(c.label, c.old, c.new) for c in d.fields] for d in words.changed}
    assert changes == {
        "finance-records": [
            ("Deadline", "30 min", "45 min"),
            ("Warning at", "80 %", "75 %"),
            ("Escalation", "The assignee's manager → The scope's executive", "President"),
        ],
        "legal-advice": [
            ("Who", "Legal", "Vice-president"),  # one line, not two raw assignee fields
            ("Starts after", "—", "finance-records"),
            ("Competencies", "Legal awareness", "—"),
        ],
    }
    with translation.override("zh-hans"):
        words = wording.diff_in_words(planning.diff(old, new), old, new, NAMES)
        first = words.changed[0].fields[0]
    assert (first.label, first.old, first.new) == ("时限", "30 分钟", "45 分钟")
    assert words.added[0].action == "上传记录"


def test_an_unchanged_map_has_an_empty_diff():
    duties = [_duty("a"), _duty("b", after=["a"])]
    assert wording.diff_in_words(planning.diff(duties, duties), duties, duties, NAMES).is_empty


@pytest.mark.parametrize(
    ("minutes", "parts"),
    [(30, (30, "minutes")), (60, (1, "hours")), (90, (90, "minutes")), (2880, (2, "days"))],
)
def test_a_deadline_is_shown_in_the_largest_exact_unit(minutes, parts):
    assert deadline_parts(minutes) == parts


@pytest.mark.parametrize("ratio", [0.8, 0.75, 0.333, 0.05, 0.99])
def test_the_warning_percentage_round_trips_exactly(ratio):
    initial = DutyForm.initial_from(_duty("a", warn_ratio=ratio))
    assert round(float(initial["warn_percent"]) / 100, 6) == ratio
