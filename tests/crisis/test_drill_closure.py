"""A drill that ends "resolved" awards no resilience star and records no real review finding
(issue 16 §1): its evidence goes through the drill route (``drill:`` evidence), while the same
run as a real crisis stars the punctual and records the breach as a review finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from competency.models import Evidence, RecognitionEntry
from crisis.choices import CrisisStatus, EventKind
from crisis.models import Crisis
from crisis.services.closure import crisis_close
from crisis.services.filing import crisis_file
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_complete
from hrcore.errors import ValidationFailed

from .conftest import tasks_by_duty

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)

DUTIES = [
    {
        "code": "finance-records",
        "function": "finance",
        "deliverable": "document",
        "deadline_minutes": 30,
        "escalation": ["manager"],
        "competencies": ["financial-evidence"],
    },
    {
        "code": "legal-support",
        "function": "legal",
        "deliverable": "document",
        "deadline_minutes": 60,
        "competencies": ["legal-awareness"],
    },
]


def _run(users, *, drill: bool) -> Crisis:
    """File, deliver legal on time and finance late (a breach), close as resolved."""
    with time_machine.travel(T0, tick=False) as clock:
        kwargs = {"drill": True, "drill_speed": 1} if drill else {}
        crisis = crisis_file(
            scenario="review",
            title="演练" if drill else "Real",
            actor=users["hradmin" if drill else "manager"],
            **kwargs,
        )
        t = tasks_by_duty(crisis)
        clock.move_to(T0 + timedelta(minutes=20))
        task_complete(task=t["legal-support"], actor=users["legal"], note="guide")
        clock.move_to(T0 + timedelta(minutes=31))
        assert sla_sweep()["breach"] == 1
        task_complete(task=t["finance-records"], actor=users["finance"], note="late")
        return crisis


@pytest.mark.django_db
def test_a_resolved_drill_awards_no_star_and_records_no_review_finding(make_map, users):
    make_map("review", DUTIES)
    drill = _run(users, drill=True)
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        closed = crisis_close(crisis=drill, outcome="演练结束", actor=users["hradmin"])
    assert (closed.status, closed.is_drill) == (CrisisStatus.RESOLVED, True)
    assert not RecognitionEntry.objects.filter(source_key=f"crisis:{drill.pk}").exists()
    assert not Evidence.objects.filter(source_key__startswith=f"crisis:{drill.pk}:").exists()
    event = drill.timeline.get(kind=EventKind.CLOSED)
    assert (event.data["credited_ids"], event.data["findings"]) == ([], [])
    # The drill route recorded the late delivery instead.
    drilled = Evidence.objects.filter(source_key__startswith=f"drill:{drill.pk}:task:")
    assert set(drilled.values_list("employee__user__username", "competency_code")) == {
        ("finance", "financial-evidence"),
        ("legal", "legal-awareness"),
    }

    # The same run as a real crisis does star the punctual and record the breach.
    real = _run(users, drill=False)
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        crisis_close(crisis=real, outcome="ok", actor=users["manager"])
    starred = set(
        RecognitionEntry.objects.filter(source_key=f"crisis:{real.pk}").values_list(
            "employee__user__username", flat=True
        )
    )
    assert starred == {"manager", "legal"}
    finance = users["finance"].employee
    assert Evidence.objects.filter(
        source_key=f"crisis:{real.pk}:{finance.pk}:financial-evidence"
    ).exists()


@pytest.mark.django_db
def test_credits_or_findings_on_a_drill_are_refused_and_nothing_is_written(make_map, users):
    make_map("review", DUTIES)
    drill = _run(users, drill=True)
    legal = users["legal"].employee
    for extra in (
        {"credited": [legal]},
        {"findings": [{"employee_id": legal.pk, "competency": "legal-awareness"}]},
    ):
        with pytest.raises(ValidationFailed) as exc:
            crisis_close(crisis=drill, outcome="done", actor=users["hradmin"], **extra)
        assert "status" in exc.value.errors
    drill.refresh_from_db()
    assert drill.status == CrisisStatus.OPEN
    assert not RecognitionEntry.objects.filter(source_key=f"crisis:{drill.pk}").exists()


@pytest.mark.django_db
def test_the_close_page_of_a_drill_offers_no_stars_and_ignores_posted_ones(
    make_map, users, client_as
):
    make_map("review", DUTIES)
    drill = _run(users, drill=True)
    client = client_as("hradmin")
    html = client.get(f"/crises/{drill.pk}/close/").content.decode()
    assert 'data-testid="drill-close-note"' in html
    assert 'data-testid="credited"' not in html and 'data-testid="weakness"' not in html
    legal = users["legal"].employee
    response = client.post(
        f"/crises/{drill.pk}/close/",
        {"outcome": "演练结束", "credited": [str(legal.pk)], "weakness_employee": str(legal.pk)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    drill.refresh_from_db()
    assert drill.status == CrisisStatus.RESOLVED
    assert not RecognitionEntry.objects.filter(source_key=f"crisis:{drill.pk}").exists()


@pytest.mark.django_db
def test_the_close_page_and_link_of_a_drill_speak_of_the_drill_in_both_languages(
    make_map, users, client_as
):
    from hrcore.models import Employee

    make_map("review", DUTIES)
    drill = _run(users, drill=True)
    real = _run(users, drill=False)
    client = client_as("hradmin")
    for language, drill_words, crisis_words in (
        ("zh-hans", "关闭演练", "关闭危机"),
        ("en", "Close the drill", "Close the crisis"),
    ):
        Employee.objects.filter(user=users["hradmin"]).update(language=language)
        page = client.get(f"/crises/{drill.pk}/close/").content.decode()
        assert page.count(drill_words) == 3, language  # title, heading, button
        assert crisis_words not in page, language
        detail = client.get(f"/crises/{drill.pk}/").content.decode()
        assert drill_words in detail and crisis_words not in detail, language
        page = client.get(f"/crises/{real.pk}/close/").content.decode()
        assert page.count(crisis_words) == 3 and drill_words not in page, language
    client.post(f"/crises/{drill.pk}/close/", {"outcome": "演练结束"})
    page = client.get(f"/crises/{drill.pk}/close/").content.decode()
    assert "This drill is already closed." in page


def test_a_drill_is_titled_in_both_languages_whoever_starts_it():
    from django.utils import translation

    from crisis.services.drill_schedule import drill_title
    from responsibilities.models import Scenario

    scenario = Scenario(code="debt", name_zh="债务催收", name_en="Debt collection")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert drill_title(scenario) == "演练：债务催收 / Drill: Debt collection"
