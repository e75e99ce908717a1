"""The crisis engine through its services: filing, due times, the emergency flow end to end,
dependencies, reassignment, decisions, closure, permission matrix and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from crisis.choices import CrisisStatus, EventKind, TaskStatus, TimerState
from crisis.models import Crisis
from crisis.selectors.people import crisis_people
from crisis.services.closure import crisis_close
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from crisis.services.participants import crisis_invite
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import (
    task_acknowledge,
    task_cancel,
    task_comment,
    task_complete,
    task_reassign,
    tasks_hand_over,
)
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Notification, OrgUnit, OutboxMessage

from .conftest import row_counts, tasks_by_duty

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday morning in Shanghai
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db


def pdf(name="records.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def counts():
    return row_counts(Notification, OutboxMessage)


def test_filing_freezes_the_map_and_sets_due_times_exactly(file_emergency, users):
    outbox_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with time_machine.travel(T0, tick=False):
        crisis = file_emergency()
    assert crisis.scenario.code == "debt-collection-emergency"
    assert crisis.map.status == "published"
    assert crisis.map_version == crisis.map.version
    assert crisis.unit.code == "sh-business"  # the filer's unit by default
    assert crisis.status == CrisisStatus.OPEN
    tasks = tasks_by_duty(crisis)
    assert set(tasks) == {
        "finance-records",
        "legal-support",
        "admin-on-site",
        "manager-contact",
        "vp-decision",
    }
    expected = {
        "finance-records": ("finance", 30),
        "legal-support": ("legal", 60),
        "admin-on-site": ("admin", 20),
        "manager-contact": ("manager", 10),
    }
    for code, (username, minutes) in expected.items():
        task = tasks[code]
        assert task.assignee.user.username == username
        assert task.status == TaskStatus.OPEN
        assert task.timer_state == TimerState.RUNNING
        assert task.started_at == T0
        assert task.due_at == T0 + timedelta(minutes=minutes)
        assert task.warn_at == T0 + timedelta(minutes=minutes * 0.8)
    vp = tasks["vp-decision"]
    assert vp.assignee.user.username == "vp"
    assert vp.status == TaskStatus.WAITING
    assert vp.timer_state == TimerState.IDLE
    assert vp.due_at is None and vp.warn_at is None
    kinds = list(crisis.timeline.values_list("kind", flat=True))
    assert kinds[0] == EventKind.FILED
    assert kinds.count(EventKind.TASK_CREATED) == 5
    assert kinds.count(EventKind.CLOCK_STARTED) == 4
    # Everyone with a task is notified; the partner event is in the outbox.
    for username in ("finance", "legal", "admin", "vp"):
        assert (
            Notification.objects.filter(
                recipient=users[username], kind="crisis.task", data__crisis_id=crisis.pk
            ).count()
            == 1
        )
    # One outbox row per filing, fanned out by the relay into the event and the e-mails.
    (fan_out,) = OutboxMessage.objects.filter(pk__gt=outbox_before)
    assert fan_out.dedupe_key == f"fanout:crisis.filed:{crisis.pk}"
    event, *emails = fan_out.payload["messages"]
    assert event["dedupe_key"] == f"event:crisis.filed:{crisis.pk}"
    assert event["channel"] == "event"
    assert event["payload"]["event"] == "crisis.filed"
    assert event["payload"]["crisis_id"] == crisis.pk
    assert len(event["payload"]["data"]["tasks"]) == 5
    assert {m["channel"] for m in emails} == {"email"}
    assert len(emails) == len({m["payload"]["to"] for m in emails}) >= 4


def test_chain_starts_each_clock_when_its_prerequisites_finish(make_map, users):
    make_map(
        "chain",
        [
            {
                "code": "a",
                "function": "finance",
                "deliverable": "confirmation",
                "deadline_minutes": 30,
            },
            {
                "code": "b",
                "function": "legal",
                "deliverable": "confirmation",
                "deadline_minutes": 45,
            },
            {
                "code": "c",
                "function": "administration",
                "deliverable": "confirmation",
                "deadline_minutes": 20,
                "after": ["a"],
            },
            {
                "code": "d",
                "position": "vice-president",
                "deliverable": "decision",
                "deadline_minutes": 60,
                "after": ["b", "c"],
            },
        ],
    )
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="chain", title="Chain", actor=users["manager"])
        t = tasks_by_duty(crisis)
        assert (t["a"].due_at, t["b"].due_at) == (
            T0 + timedelta(minutes=30),
            T0 + timedelta(minutes=45),
        )
        assert t["c"].due_at is None and t["d"].due_at is None
        clock.move_to(T0 + timedelta(minutes=12))
        task_complete(task=t["a"], actor=users["finance"])
        t = tasks_by_duty(crisis)
        assert t["c"].status == TaskStatus.OPEN
        assert t["c"].started_at == T0 + timedelta(minutes=12)
        assert t["c"].due_at == T0 + timedelta(minutes=32)
        assert t["d"].status == TaskStatus.WAITING  # b is still open
        clock.move_to(T0 + timedelta(minutes=25))
        task_complete(task=t["c"], actor=users["admin"])
        assert tasks_by_duty(crisis)["d"].status == TaskStatus.WAITING
        clock.move_to(T0 + timedelta(minutes=40))
        task_complete(task=t["b"], actor=users["legal"])
        d = tasks_by_duty(crisis)["d"]
        assert d.status == TaskStatus.OPEN
        assert d.due_at == T0 + timedelta(minutes=100)
        assert d.warn_at == T0 + timedelta(minutes=88)


def test_emergency_flow_end_to_end(file_emergency, users):
    from competency.models import RecognitionEntry

    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        t = tasks_by_duty(crisis)
        clock.move_to(T0 + timedelta(minutes=2))
        task_acknowledge(task=t["manager-contact"], actor=users["manager"])
        clock.move_to(T0 + timedelta(minutes=5))
        task_complete(
            task=t["manager-contact"],
            actor=users["manager"],
            note="Called the customer; they dispute two invoices.",
        )
        clock.move_to(T0 + timedelta(minutes=10))
        upload = task_complete(
            task=t["finance-records"], actor=users["finance"], note="Payment history", file=pdf()
        )
        assert upload.file_name == "records.pdf"
        assert upload.file_size == len(PDF)
        assert upload.content_type == "application/pdf"
        assert upload.file.read() == PDF
        assert tasks_by_duty(crisis)["vp-decision"].status == TaskStatus.WAITING
        clock.move_to(T0 + timedelta(minutes=15))
        task_complete(task=t["admin-on-site"], actor=users["admin"], location="3F lobby")
        clock.move_to(T0 + timedelta(minutes=40))
        task_complete(task=t["legal-support"], actor=users["legal"], file=pdf("legal-guide.pdf"))
        vp_task = tasks_by_duty(crisis)["vp-decision"]
        assert vp_task.status == TaskStatus.OPEN
        assert vp_task.started_at == T0 + timedelta(minutes=40)
        assert vp_task.due_at == T0 + timedelta(minutes=100)
        clock.move_to(T0 + timedelta(minutes=50))
        decision = decision_make(
            crisis=crisis,
            text="Negotiate a payment plan; no cash today; admin escorts the visitors out.",
            option="negotiate",
            actor=users["vp"],
        )
        vp_task.refresh_from_db()
        assert vp_task.status == TaskStatus.DONE
        assert decision.task_id == vp_task.pk
        # The decision reaches every participant.
        for username in ("manager", "finance", "legal", "admin", "vp"):
            assert Notification.objects.filter(
                recipient=users[username], kind="crisis.decision", data__decision_id=decision.pk
            ).exists(), username
        assert OutboxMessage.objects.filter(
            dedupe_key=f"event:decision.made:{decision.pk}"
        ).exists()
        clock.move_to(T0 + timedelta(minutes=60))
        closed = crisis_close(
            crisis=crisis,
            outcome="Payment plan signed; visitors left.",
            lessons="Finance records were ready in 10 minutes.",
            actor=users["manager"],
        )
    assert closed.status == CrisisStatus.RESOLVED
    assert closed.closed_at == T0 + timedelta(minutes=60)
    assert closed.first_response_seconds == 120
    assert closed.all_info_seconds == 40 * 60
    assert closed.decision_seconds == 50 * 60
    assert closed.resolution_seconds == 60 * 60
    assert closed.breach_count == 0
    starred = set(
        RecognitionEntry.objects.filter(source_key=f"crisis:{crisis.pk}").values_list(
            "employee__user__username", flat=True
        )
    )
    assert starred == {"manager", "finance", "legal", "admin", "vp"}
    assert crisis.timeline.filter(kind=EventKind.CLOSED).count() == 1
    assert OutboxMessage.objects.filter(dedupe_key=f"event:crisis.closed:{crisis.pk}").exists()
    # Closing twice is a conflict and changes nothing.
    before = counts()
    with pytest.raises(Conflict):
        crisis_close(crisis=crisis, outcome="again", actor=users["manager"])
    assert counts() == before


def test_completing_someone_elses_task_or_twice_changes_nothing(file_emergency, users):
    crisis = file_emergency()
    t = tasks_by_duty(crisis)
    before = counts()
    with pytest.raises(PermissionDenied):
        task_complete(task=t["finance-records"], actor=users["legal"], note="x")
    assert counts() == before
    task_complete(task=t["finance-records"], actor=users["finance"], note="records")
    before = counts()
    with pytest.raises(Conflict):
        task_complete(task=t["finance-records"], actor=users["finance"], note="again")
    assert counts() == before
    # A waiting task cannot be completed yet.
    with pytest.raises(Conflict):
        task_complete(task=t["vp-decision"], actor=users["vp"], note="too early")
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("virus.exe", b"MZ\x90\x00", "type"),
        ("fake.pdf", b"MZ\x90\x00not a pdf", "content"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_uploads_are_refused(file_emergency, users, name, content, problem):
    crisis = file_emergency()
    task = tasks_by_duty(crisis)["finance-records"]
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        task_complete(task=task, actor=users["finance"], file=SimpleUploadedFile(name, content))
    assert "file" in exc.value.errors
    assert counts() == before
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_oversize_upload_is_refused(file_emergency, users, settings):
    settings.KEEL_CRISIS_UPLOAD_MAX_BYTES = 1024
    crisis = file_emergency()
    task = tasks_by_duty(crisis)["finance-records"]
    before = counts()
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        task_complete(task=task, actor=users["finance"], file=big)
    assert exc.value.errors == {"file": "File too large."}
    assert exc.value.message == "The file is larger than the limit of 1 KB."
    assert counts() == before


def test_document_task_needs_a_file_or_note(file_emergency, users):
    crisis = file_emergency()
    before = counts()
    with pytest.raises(ValidationFailed):
        task_complete(task=tasks_by_duty(crisis)["finance-records"], actor=users["finance"])
    assert counts() == before


def test_decision_by_a_non_executive_is_refused(file_emergency, users):
    crisis = file_emergency()
    before = counts()
    for username in ("manager", "finance", "hradmin", "staff"):
        with pytest.raises((PermissionDenied, NotFound)):
            decision_make(crisis=crisis, text="Pay them", actor=users[username])
    assert counts() == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scenario": "no-such-scenario"}, "scenario"),
        ({"title": "  "}, "title"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"customer_external_id": "NOPE-1"}, "customer"),
    ],
)
def test_bad_filing_input_changes_nothing(file_emergency, kwargs, field):
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        file_emergency(**kwargs)
    assert field in exc.value.errors
    assert counts() == before


def test_scenario_without_published_map_is_refused(crisis_world, users):
    from responsibilities.models import Scenario

    Scenario.objects.create(code="no-map", name_zh="无", name_en="None")
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        crisis_file(scenario="no-map", title="x", actor=users["manager"])
    assert exc.value.code == "no_published_map"
    assert counts() == before


def test_staff_cannot_file_and_managers_only_in_their_subsidiary(file_emergency, users):
    before = counts()
    with pytest.raises(PermissionDenied):
        file_emergency(actor=users["staff"])
    with pytest.raises(PermissionDenied):
        file_emergency(actor=users["manager2"], unit=OrgUnit.objects.get(code="sh-finance"))
    assert counts() == before
    crisis = file_emergency(actor=users["manager2"])
    assert crisis.unit.code == "sz-business"
    assert tasks_by_duty(crisis)["finance-records"].assignee.unit.code == "sz-finance"


def test_unresolvable_assignee_is_filed_to_the_escalation_target_and_flagged(make_map, users):
    make_map(
        "gap",
        [
            {
                "code": "pr",
                "position": "pr-manager",
                "deliverable": "document",
                "deadline_minutes": 30,
                "escalation": ["manager", "executive"],
            }
        ],
    )
    from hrcore.models import Employee

    Employee.objects.filter(position__code="pr-manager").update(is_active=False)
    crisis = crisis_file(scenario="gap", title="Press at the door", actor=users["manager"])
    task = crisis.tasks.get()
    assert task.assignee_gap is True
    assert task.assignee.user.username == "vp"  # "manager" has no assignee; the executive does
    event = crisis.timeline.get(kind=EventKind.ASSIGNEE_UNRESOLVED)
    assert event.data["fallback_step"] == "executive"
    assert event.data["fallback_assignee_id"] == task.assignee_id
    assert task.status == TaskStatus.OPEN


def test_reassign_and_delegate(file_emergency, users):
    from hrcore.models import Employee

    crisis = file_emergency()
    task = tasks_by_duty(crisis)["finance-records"]
    accountant = Employee.objects.get(user__username="sh-finance-1")
    before = counts()
    with pytest.raises(PermissionDenied):
        task_reassign(task=task, assignee=accountant, actor=users["legal"])
    assert counts() == before
    task_reassign(task=task, assignee=accountant, actor=users["finance"], delegate=True)
    task.refresh_from_db()
    assert task.assignee == accountant
    assert task.delegated_from.user.username == "finance"
    assert crisis.timeline.filter(kind=EventKind.TASK_DELEGATED).count() == 1
    task_reassign(
        task=task, assignee=users["finance"].employee, actor=users["manager"], reason="back"
    )
    task.refresh_from_db()
    assert task.assignee.user.username == "finance"
    assert crisis.timeline.filter(kind=EventKind.TASK_REASSIGNED).count() == 1


def test_comment_and_cancel_start_dependents(file_emergency, users):
    crisis = file_emergency()
    t = tasks_by_duty(crisis)
    comment = task_comment(task=t["legal-support"], body="正在准备", actor=users["legal"])
    assert comment.body == "正在准备"
    before = counts()
    with pytest.raises(PermissionDenied):
        task_cancel(task=t["legal-support"], actor=users["finance"])
    with pytest.raises(ValidationFailed):
        task_comment(task=t["legal-support"], body=" ", actor=users["legal"])
    assert counts() == before
    task_complete(task=t["finance-records"], actor=users["finance"], note="ok")
    task_cancel(task=t["legal-support"], actor=users["manager"], reason="not needed")
    assert tasks_by_duty(crisis)["vp-decision"].status == TaskStatus.OPEN


def test_guardian_invitation_grants_visibility(file_emergency, users):
    from crisis.selectors.access import crises_visible_to

    crisis = file_emergency()
    assert not crises_visible_to(users["manager2"]).filter(pk=crisis.pk).exists()
    crisis_invite(crisis=crisis, user=users["manager2"], actor=users["manager"])
    assert crises_visible_to(users["manager2"]).filter(pk=crisis.pk).exists()


def test_filing_is_idempotent_per_key(file_emergency):
    first = file_emergency(
        idempotency_key="delivery-1",
        source="webhook",
        actor=None,
        unit=OrgUnit.objects.get(code="sh-business"),
    )
    before = counts()
    again = file_emergency(
        idempotency_key="delivery-1",
        source="webhook",
        actor=None,
        unit=OrgUnit.objects.get(code="sh-business"),
    )
    assert again.pk == first.pk
    assert counts() == before


def test_closure_records_review_findings_for_breaches_and_stars_only_the_punctual(make_map, users):
    from competency.models import Evidence, RecognitionEntry

    # the competency models the findings refer to are in the demo world
    make_map(
        "review",
        [
            {
                "code": "finance-records",
                "function": "finance",
                "deliverable": "document",
                "deadline_minutes": 30,
                "escalation": ["manager"],
                "competencies": ["financial-evidence", "no-such-competency"],
            },
            {
                "code": "legal-support",
                "function": "legal",
                "deliverable": "document",
                "deadline_minutes": 60,
                "competencies": ["legal-awareness"],
            },
        ],
    )
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="review", title="Review", actor=users["manager"])
        t = tasks_by_duty(crisis)
        clock.move_to(T0 + timedelta(minutes=20))
        task_complete(task=t["legal-support"], actor=users["legal"], note="guide")
        clock.move_to(T0 + timedelta(minutes=31))
        assert sla_sweep()["breach"] == 1
        task_complete(task=t["finance-records"], actor=users["finance"], note="late")
        closed = crisis_close(crisis=crisis, outcome="ok", actor=users["manager"])
    assert closed.breach_count == 1
    finance = users["finance"].employee
    assert Evidence.objects.filter(
        source_key=f"crisis:{crisis.pk}:{finance.pk}:financial-evidence"
    ).exists()
    assert not Evidence.objects.filter(
        source_key__startswith=f"crisis:{crisis.pk}:{users['legal'].employee.pk}:"
    ).exists()
    starred = set(
        RecognitionEntry.objects.filter(source_key=f"crisis:{crisis.pk}").values_list(
            "employee__user__username", flat=True
        )
    )
    assert starred == {"manager", "legal"}


def test_demo_seed_is_idempotent_and_plays_history_through_the_engine(crisis_world):
    from crisis import demo
    from hrcore.models import BusinessCalendar

    first = demo.seed()
    assert first["calendars"] == 2
    assert first["demo_crises"] == 7
    closed = Crisis.objects.filter(status=CrisisStatus.RESOLVED)
    assert closed.count() == 6
    assert all(c.resolution_seconds and c.first_response_seconds for c in closed)
    assert closed.filter(breach_count__gt=0).count() == 2
    assert Crisis.objects.filter(status=CrisisStatus.OPEN).count() == 1
    assert not OutboxMessage.objects.filter(
        payload__crisis_id__in=list(closed.values_list("pk", flat=True))
    ).exists()
    assert demo.seed() == {"calendars": 0, "demo_crises": 0}
    assert BusinessCalendar.objects.count() == 2


# --- Closure with credits and findings --------------------------------------------------------


def _closure_state(crisis):
    from competency.models import Assignment, Evidence, RecognitionEntry

    crisis.refresh_from_db()
    return (
        crisis.status,
        crisis.closed_at,
        sorted(crisis.tasks.values_list("status", flat=True)),
        crisis.timeline.filter(kind=EventKind.CLOSED).count(),
        RecognitionEntry.objects.count(),
        Evidence.objects.count(),
        Assignment.objects.count(),
        OutboxMessage.objects.filter(dedupe_key__startswith="event:crisis.closed").count(),
    )


@pytest.fixture
def competency_models(crisis_world):
    """The competency models the findings refer to (in the demo world, tests/conftest.py)."""


def test_closure_stars_exactly_the_people_the_closer_credits(
    file_emergency, users, competency_models
):
    from competency.models import RecognitionEntry

    crisis = file_emergency()
    finance, legal = users["finance"].employee, users["legal"].employee
    crisis_close(
        crisis=crisis, outcome="ok", actor=users["manager"], credited=[finance, legal, finance]
    )
    starred = RecognitionEntry.objects.filter(source_key=f"crisis:{crisis.pk}")
    assert sorted(starred.values_list("employee__user__username", "stars")) == [
        ("finance", 1),
        ("legal", 1),
    ]
    closed = crisis.timeline.get(kind=EventKind.CLOSED)
    assert closed.data["credited_ids"] == [finance.pk, legal.pk]
    assert closed.data["findings"] == []


def test_closure_with_nobody_credited_awards_no_star(file_emergency, users, competency_models):
    from competency.models import RecognitionEntry

    crisis = file_emergency()
    closed = crisis_close(crisis=crisis, outcome="ok", actor=users["manager"], credited=[])
    assert closed.status == CrisisStatus.RESOLVED
    assert not RecognitionEntry.objects.filter(source_key=f"crisis:{crisis.pk}").exists()


def test_closure_records_the_closers_findings_as_review_evidence(
    file_emergency, users, competency_models
):
    from competency.choices import EvidenceKind
    from competency.models import Evidence

    crisis = file_emergency()
    admin = users["admin"].employee
    crisis_close(
        crisis=crisis,
        outcome="ok",
        actor=users["manager"],
        findings=[{"employee_id": admin.pk, "competency": "on-site-order", "note": "Arrived late"}],
    )
    evidence = Evidence.objects.get(source_key=f"crisis:{crisis.pk}:{admin.pk}:on-site-order")
    assert (evidence.kind, evidence.note, evidence.employee_id) == (
        EvidenceKind.CRISIS_REVIEW,
        "Arrived late",
        admin.pk,
    )
    closed = crisis.timeline.get(kind=EventKind.CLOSED)
    assert closed.data["findings"] == [{"employee_id": admin.pk, "competency": "on-site-order"}]


@pytest.mark.parametrize(
    ("credited", "finding", "error_keys"),
    [
        ("outsider", None, {"credited"}),
        (
            None,
            {"employee": "outsider", "competency": "on-site-order"},
            {"findings[0].employee_id"},
        ),
        (
            None,
            {"employee": "admin", "competency": "no-such-competency"},
            {"findings[0].competency"},
        ),
        (None, {"employee": "admin", "competency": ""}, {"findings[0].competency"}),
        (
            "outsider",
            {"employee": "admin", "competency": "no-such-competency"},
            {"credited", "findings[0].competency"},
        ),
    ],
)
def test_closure_refuses_bad_credits_and_findings_and_writes_nothing(
    file_emergency, users, competency_models, credited, finding, error_keys
):
    crisis = file_emergency()
    outsider = users["manager2"].employee
    assert outsider.pk not in {e.pk for e in crisis_people(crisis)}
    before = _closure_state(crisis)
    people = {"outsider": outsider, "admin": users["admin"].employee}
    kwargs = {}
    if credited:
        kwargs["credited"] = [users["finance"].employee, people[credited]]
    if finding:
        kwargs["findings"] = [
            {"employee_id": people[finding["employee"]].pk, "competency": finding["competency"]}
        ]
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        crisis_close(crisis=crisis, outcome="ok", actor=users["manager"], **kwargs)
    assert set(exc.value.errors) == error_keys
    if credited:
        with translation.override("en"):
            expected = f"{outsider.name} did not take part in this crisis."
        assert exc.value.errors["credited"] == [expected]
    assert _closure_state(crisis) == before
    assert before[0] == CrisisStatus.OPEN


def test_a_failing_finding_rolls_the_whole_closure_back(
    file_emergency, users, competency_models, monkeypatch
):
    from competency.services import recognition

    crisis = file_emergency()
    before = _closure_state(crisis)

    def broken(**kwargs):
        raise RuntimeError("competency store down")

    monkeypatch.setattr(recognition, "crisis_review_record", broken)
    with pytest.raises(RuntimeError):
        crisis_close(
            crisis=crisis,
            outcome="ok",
            actor=users["manager"],
            credited=[users["finance"].employee],
            findings=[{"employee_id": users["admin"].employee.pk, "competency": "on-site-order"}],
        )
    assert _closure_state(crisis) == before


def test_a_cancelled_crisis_takes_no_credits(file_emergency, users, competency_models):
    crisis = file_emergency()
    before = _closure_state(crisis)
    with pytest.raises(ValidationFailed) as exc:
        crisis_close(
            crisis=crisis,
            outcome="false alarm",
            status=CrisisStatus.CANCELLED,
            actor=users["manager"],
            credited=[users["finance"].employee],
        )
    assert set(exc.value.errors) == {"status"}
    assert _closure_state(crisis) == before
    crisis_close(
        crisis=crisis, outcome="false alarm", status=CrisisStatus.CANCELLED, actor=users["manager"]
    )
    assert _closure_state(crisis)[0] == CrisisStatus.CANCELLED
    assert _closure_state(crisis)[4] == before[4]  # no star


# --- HR handover of tasks ----------------------------------------------------------------------


def test_tasks_hand_over_refuses_someone_who_has_left_and_moves_nothing(file_emergency, users):
    from hrcore.models import Employee

    crisis = file_emergency()
    task = tasks_by_duty(crisis)["finance-records"]
    gone = Employee.objects.get(user__username="sh-business-2")
    Employee.objects.filter(pk=gone.pk).update(is_active=False)
    gone.refresh_from_db()
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        tasks_hand_over(tasks=[task], successor=gone, actor=users["hradmin"], reason="handover #1")
    assert set(exc.value.errors) == {"successor"}
    assert counts() == before
    task.refresh_from_db()
    assert task.assignee == users["finance"].employee


def test_tasks_hand_over_skips_tasks_of_closed_crises_and_the_successors_own(file_emergency, users):
    crisis = file_emergency()
    finance_task = tasks_by_duty(crisis)["finance-records"]
    legal_task = tasks_by_duty(crisis)["legal-support"]
    legal = users["legal"].employee
    moved = tasks_hand_over(
        tasks=[finance_task, legal_task], successor=legal, actor=users["hradmin"], reason="r"
    )
    assert [t.pk for t in moved] == [finance_task.pk]
    crisis_close(crisis=crisis, outcome="ok", actor=users["manager"])
    assert (
        tasks_hand_over(
            tasks=[finance_task], successor=users["finance"].employee, actor=None, reason="r"
        )
        == []
    )
    finance_task.refresh_from_db()
    assert finance_task.assignee == legal


def test_task_messages_end_each_sentence_once(file_emergency, users):
    """Duty actions are whole sentences; the assignment message must not add a second ending
    ("…明细。，截止 …" / "…details.. The clock …")."""
    crisis = file_emergency()
    notes = [
        (n.rendered("zh-hans").body, n.rendered("en").body)
        for n in Notification.objects.filter(kind="crisis.task", data__crisis_id=crisis.pk)
    ]
    assert len(notes) == crisis.tasks.exclude(assignee=None).count() > 0
    for zh, en in notes:
        assert "。，" not in zh and "。。" not in zh, zh
        assert ".." not in en and ". —" not in en, en
        assert zh.endswith("。") and en.endswith("."), (zh, en)
