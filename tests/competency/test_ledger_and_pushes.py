"""Evidence ledger → levels and gaps; framework versions; pushes under time_machine."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from competency import selectors
from competency.models import Assignment, Evidence, Framework, Simulation, SimulationRun
from competency.services import assignments, evidence, frameworks
from hrcore.errors import ValidationFailed
from hrcore.models import Notification

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_level_is_derived_from_the_latest_evidence_and_history_is_kept(competency_demo, users):
    staff = users["staff"].employee
    for days, level in ((30, 1), (10, 3), (20, 2)):
        evidence.evidence_record(
            employee=staff,
            competency_code="emotional-control",
            level=level,
            kind="manager_rating",
            observed_at=timezone.now() - dt.timedelta(days=days),
            actor=users["manager"],
            push=False,
        )
    assert selectors.current_levels(staff)["emotional-control"]["level"] == 3
    assert [h["level"] for h in selectors.level_history(staff, "emotional-control")] == [1, 2, 3]
    at = timezone.now() - dt.timedelta(days=15)
    assert selectors.current_levels(staff, at=at)["emotional-control"]["level"] == 2


def test_level_outside_the_scale_is_rejected_and_nothing_written(competency_demo, users):
    before = Evidence.objects.count()
    for bad in (0, 5, "x"):
        with pytest.raises(ValidationFailed) as exc:
            evidence.evidence_record(
                employee=users["staff"].employee,
                competency_code="emotional-control",
                level=bad,
                kind="training",
                actor=None,
            )
        assert "level" in exc.value.errors
    with pytest.raises(ValidationFailed):
        evidence.evidence_record(
            employee=users["staff"].employee,
            competency_code="nope",
            level=2,
            kind="training",
            actor=None,
        )
    assert Evidence.objects.count() == before


def test_gaps_per_person_and_unit(competency_demo, users):
    manager2 = users["manager2"].employee
    gaps = {
        g["code"]: (g["current"], g["required"], g["gap"]) for g in selectors.gaps_for(manager2)
    }
    assert gaps == {"emotional-control": (2, 3, 1), "negotiation-data-law": (2, 3, 1)}
    # the demo manager's latest evidence is at 85 → level 4 everywhere: no gaps
    assert selectors.gaps_for(users["manager"].employee) == []
    unit_rows = {r["employee"].user.username: r for r in selectors.unit_gaps(manager2.unit)}
    assert unit_rows["manager2"]["total"] == 2


def test_resilience_curve_of_the_demo_manager(competency_demo, users):
    series = selectors.resilience_series(users["manager"].employee)
    assert [round(p["score"]) for p in series] == [60, 64, 70, 74, 80, 85]


def test_rated_framework_changes_go_into_a_new_version(competency_demo, users):
    framework = Framework.objects.get(code="crisis-capability", status="published")
    competency = framework.competencies.get(code="emotional-control")
    changed = frameworks.competency_update(
        competency=competency, name_en="Composure", actor=users["hradmin"]
    )
    assert changed.framework.version == framework.version + 1
    assert changed.framework.status == "draft"
    competency.refresh_from_db()
    assert competency.name_en == "Emotional control"
    frameworks.framework_publish(framework=changed.framework, actor=users["hradmin"])
    framework.refresh_from_db()
    assert framework.status == "superseded"
    profile = selectors.profile_for(users["manager"].employee)
    assert profile.framework_id == changed.framework_id
    assert {r.competency.framework_id for r in profile.requirements.all()} == {changed.framework_id}
    # levels survive: the ledger keys on competency codes
    assert selectors.current_levels(users["manager"].employee)["emotional-control"]["level"] == 4


def test_gap_pushes_once_per_evidence_state(competency_demo, users):
    manager2 = users["manager2"].employee
    assert assignments.gap_pushes_for(employee=manager2) == 2
    assert assignments.gap_pushes_for(employee=manager2) == 0
    assert set(
        manager2.training_assignments.filter(reason="gap").values_list(
            "simulation__code", flat=True
        )
    ) == {"angry-customer-store", "debt-collectors-office"}
    # a new rating while the assignment is still open adds nothing
    evidence.evidence_record(
        employee=manager2,
        competency_code="emotional-control",
        level=1,
        kind="manager_rating",
        actor=None,
    )
    assert manager2.training_assignments.filter(reason="gap").count() == 2
    # once done, a fresh gap state pushes again
    manager2.training_assignments.update(completed_at=timezone.now())
    evidence.evidence_record(
        employee=manager2,
        competency_code="emotional-control",
        level=2,
        kind="manager_rating",
        actor=None,
    )
    assert manager2.training_assignments.filter(reason="gap").count() == 3


def test_periodic_pushes_cadence_reminders_and_overdue_without_duplicates(competency_demo, users):
    Assignment.objects.all().delete()
    Notification.objects.filter(kind__startswith="training.").delete()
    manager = users["manager"].employee
    with time_machine.travel(T0, tick=False):
        first = assignments.pushes_run()
        again = assignments.pushes_run()
    assert first["periodic"] > 0
    assert again == {"periodic": 0, "gap": 0, "reminders": 0, "overdue": 0}
    mine = manager.training_assignments.filter(reason="periodic")
    assert set(mine.values_list("simulation__code", flat=True)) == {
        "debt-collectors-office",
        "angry-customer-store",
        "journalist-rumour",
    }
    assert (
        Notification.objects.filter(recipient=manager.user, kind="training.assigned").count() == 3
    )
    # 13 days later (due in 14): one reminder each, once
    with time_machine.travel(T0 + dt.timedelta(days=13), tick=False):
        reminded = assignments.pushes_run()
        assert assignments.pushes_run()["reminders"] == 0
    assert reminded["reminders"] == first["periodic"] + first["gap"]
    assert (
        Notification.objects.filter(recipient=manager.user, kind="training.reminder").count() == 3
    )
    # overdue: employee and their manager hear once
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        overdue = assignments.pushes_run()
        assert assignments.pushes_run()["overdue"] == 0
    assert overdue["overdue"] == reminded["reminders"]
    boss = manager.manager.user
    assert Notification.objects.filter(recipient=boss, kind="training.overdue").count() >= 3
    # never played: followed up by reminders and overdue notices, never assigned twice
    with time_machine.travel(T0 + dt.timedelta(days=91), tick=False):
        assert assignments.pushes_run()["periodic"] == 0
    assert mine.count() == 3

    debt = Simulation.objects.get(code="debt-collectors-office")
    version = selectors.published_version(debt)

    def attempt(day: int, passed: bool) -> None:
        at = T0 + dt.timedelta(days=day)
        SimulationRun.objects.create(
            version=version,
            employee=manager,
            status="finished",
            started_at=at,
            finished_at=at,
            passed=passed,
        )
        Assignment.objects.filter(employee=manager, simulation=debt, completed_at=None).update(
            completed_at=at
        )

    def new_debt_assignments(day: float) -> list[str]:
        before = set(mine.values_list("pk", flat=True))
        with time_machine.travel(T0 + dt.timedelta(days=day), tick=False):
            assignments.pushes_run()
            assignments.pushes_run()
        return list(
            manager.training_assignments.filter(simulation=debt)
            .exclude(pk__in=before)
            .values_list("reason", flat=True)
        )

    # a pass on day 92: practised again one week later (not a minute before), once
    attempt(92, True)
    assert new_debt_assignments(98.99) == []
    assert new_debt_assignments(99) == ["periodic"]
    # a second pass: the next interval is a month
    attempt(100, True)
    assert new_debt_assignments(129.9) == []
    assert new_debt_assignments(130) == ["periodic"]
    # a failed attempt: back within three days, as a retry
    attempt(131, False)
    assert new_debt_assignments(133.9) == []
    assert new_debt_assignments(134) == ["retry"]


def test_overdue_assignments_are_visible_to_the_manager(competency_demo, users, client_as):
    from django.urls import reverse

    staff = users["staff"].employee
    from competency.models import Simulation

    simulation = Simulation.objects.get(code="journalist-rumour")
    with time_machine.travel(T0, tick=False):
        assignments.assignment_create(
            employee=staff,
            simulation=simulation,
            reason="manual",
            source_key="t:1",
            due_at=T0 + dt.timedelta(days=1),
        )
    page = client_as("manager").get(reverse("competency:home")).content.decode()
    assert staff.name_zh in page
    assert "overdue" in page or "逾期" in page
    other = client_as("manager2").get(reverse("competency:home")).content.decode()
    assert staff.name_zh not in other


def test_required_level_outside_the_scale_is_a_validation_error(competency_demo):
    from django.core.exceptions import ValidationError

    from competency.models import PositionProfile, ProfileRequirement

    profile = PositionProfile.objects.get(position__code="department-manager")
    requirement = ProfileRequirement(
        profile=profile,
        competency=profile.framework.competencies.get(code="crisis-communication"),
        required_level=7,
    )
    with pytest.raises(ValidationError) as exc:
        requirement.full_clean()
    assert "required_level" in exc.value.message_dict


def test_manager_rates_a_direct_report_others_cannot(competency_demo, users, client_as):
    from django.urls import reverse

    staff = users["staff"].employee
    body = {"employee": staff.pk, "competency": "emotional-control", "level": "3", "note": "calm"}
    for outsider in ("manager2", "finance"):
        client_as(outsider).post(reverse("competency:rate"), body)
    assert not Evidence.objects.filter(employee=staff).exists()
    client_as("manager").post(reverse("competency:rate"), {**body, "level": "9"})
    assert not Evidence.objects.filter(employee=staff).exists()
    assert client_as("manager").post(reverse("competency:rate"), body).status_code == 302
    row = Evidence.objects.get(employee=staff)
    assert (row.kind, row.level, row.note, row.actor) == (
        "manager_rating",
        3,
        "calm",
        users["manager"],
    )
