"""Changing course (issue 15 §4), through the services: severity re-times open tasks (exact
arithmetic), invitations, related crises, reopening, cancelling, status updates and their
cadence reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model

from crisis.choices import CrisisStatus, EventKind, TaskStatus, TimerState
from crisis.models import Crisis, CrisisLink, StatusCadence, TimelineEvent
from crisis.retiming import retime
from crisis.selectors.access import crises_visible_to
from crisis.selectors.course import link_candidates, linked_crises, status_update_due_at
from crisis.services import course
from crisis.services.clocks import crisis_pause, crisis_resume
from crisis.services.closure import crisis_close
from crisis.services.filing import crisis_file
from crisis.services.status_updates import (
    status_cadence_set,
    status_update_post,
    status_update_sweep,
)
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_cancel
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Notification
from responsibilities.severity import clean_severity_factors, scaled_minutes

pytestmark = pytest.mark.django_db(transaction=False)

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)

TWO_DUTIES = [
    {"code": "records", "function": "finance", "deadline_minutes": 60, "warn_ratio": 0.5},
    {"code": "opinion", "function": "legal", "deadline_minutes": 120, "after": ["records"]},
]


def _events(crisis, kind):
    return list(TimelineEvent.objects.filter(crisis=crisis, kind=kind).order_by("at", "id"))


# --- Pure arithmetic ------------------------------------------------------------------------


def test_scaled_minutes_and_factor_validation():
    assert scaled_minutes(60, old_factor=1.5, new_factor=0.5) == 20
    assert scaled_minutes(20, old_factor=0.5, new_factor=1.0) == 40
    assert scaled_minutes(1, old_factor=2.0, new_factor=0.5) == 1  # never below a minute
    clean, errors = clean_severity_factors({"critical": 0.25})
    assert errors == {} and clean == {"low": 2.0, "medium": 1.5, "high": 1.0, "critical": 0.25}
    assert "severity_factors" in clean_severity_factors({"urgent": 1})[1]
    assert "severity_factors" in clean_severity_factors({"low": 0})[1]
    assert "severity_factors" in clean_severity_factors({"low": "x"})[1]
    assert "severity_factors" in clean_severity_factors([1])[1]


def test_retime_carries_paused_time_and_keeps_a_sent_warning():
    start = T0
    # 60 min, warn at half, paused 10 min: warn T0+40, due T0+70 → 20 min: warn T0+20, due T0+30
    plan = retime(
        started_at=start,
        old_minutes=60,
        new_minutes=20,
        warn_ratio=0.5,
        warn_at=T0 + 40 * MIN,
        due_at=T0 + 70 * MIN,
        warned=False,
    )
    assert (plan.deadline_minutes, plan.warn_at, plan.due_at) == (20, T0 + 20 * MIN, T0 + 30 * MIN)
    sent = retime(
        started_at=start,
        old_minutes=60,
        new_minutes=120,
        warn_ratio=0.5,
        warn_at=T0 + 30 * MIN,
        due_at=T0 + 60 * MIN,
        warned=True,
    )
    assert (sent.warn_at, sent.due_at) == (T0 + 30 * MIN, T0 + 120 * MIN)
    waiting = retime(
        started_at=None,
        old_minutes=120,
        new_minutes=40,
        warn_ratio=0.8,
        warn_at=None,
        due_at=None,
        warned=False,
    )
    assert (waiting.deadline_minutes, waiting.warn_at, waiting.due_at) == (40, None, None)


# --- Severity -------------------------------------------------------------------------------


def test_severity_change_retimes_open_tasks_from_their_start(make_map, users):
    make_map("course", TWO_DUTIES)
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(
            scenario="course", title="Course", actor=users["manager"], severity="medium"
        )
        records = crisis.tasks.get(duty_code="records")
        opinion = crisis.tasks.get(duty_code="opinion")
        clock.move_to(T0 + 10 * MIN)
        crisis_pause(crisis=crisis, reason="waiting for the bank", actor=users["manager"])
        clock.move_to(T0 + 20 * MIN)
        crisis_resume(crisis=crisis, actor=users["manager"])
        records.refresh_from_db()
        assert (records.warn_at, records.due_at) == (T0 + 40 * MIN, T0 + 70 * MIN)

        clock.move_to(T0 + 25 * MIN)
        course.crisis_severity_change(crisis=crisis, severity="critical", actor=users["manager"])
        records.refresh_from_db()
        opinion.refresh_from_db()
        # medium 1.5 → critical 0.5: a third of the time, from the clock's start, pause kept
        assert records.deadline_minutes == 20
        assert (records.warn_at, records.due_at) == (T0 + 20 * MIN, T0 + 30 * MIN)
        assert (opinion.deadline_minutes, opinion.due_at) == (40, None)  # starts with 40
        assert Crisis.objects.get(pk=crisis.pk).severity == "critical"
        (event,) = _events(crisis, EventKind.SEVERITY_CHANGED)
        assert event.data["from"] == "medium" and event.data["to"] == "critical"
        assert (event.data["old_factor"], event.data["new_factor"]) == (1.5, 0.5)
        rows = {r["duty"]: r for r in event.data["tasks"]}
        assert rows["records"]["old_due_at"] == (T0 + 70 * MIN).isoformat()
        assert rows["records"]["new_due_at"] == (T0 + 30 * MIN).isoformat()
        assert (rows["opinion"]["old_minutes"], rows["opinion"]["new_minutes"]) == (120, 40)
        # the new warning time has passed: the next tick warns
        assert sla_sweep()["warning"] == 1
        # everyone taking part is told, except the one who changed it
        assert Notification.objects.filter(
            recipient=users["finance"], kind="crisis.severity_changed"
        ).exists()
        assert not Notification.objects.filter(
            recipient=users["manager"], kind="crisis.severity_changed"
        ).exists()

        course.crisis_severity_change(crisis=crisis, severity="high", actor=users["manager"])
        records.refresh_from_db()
        # critical 0.5 → high 1.0: 40 minutes; the warning already sent keeps its time
        assert records.deadline_minutes == 40
        assert (records.warn_at, records.due_at) == (T0 + 20 * MIN, T0 + 50 * MIN)
        # the same severity again changes nothing
        course.crisis_severity_change(crisis=crisis, severity="high", actor=users["manager"])
        assert len(_events(crisis, EventKind.SEVERITY_CHANGED)) == 2


def test_severity_change_uses_the_maps_factors_and_leaves_breaches_alone(make_map, users):
    rmap = make_map(
        "course",
        [
            {"code": "fast", "function": "finance", "deadline_minutes": 5},
            {"code": "slow", "function": "legal", "deadline_minutes": 100},
        ],
    )
    rmap.severity_factors = {"low": 3.0, "medium": 2.0, "high": 1.0, "critical": 0.5}
    rmap.save()
    with time_machine.travel(T0, tick=False) as clock:
        crisis = crisis_file(scenario="course", title="C", actor=users["manager"], severity="high")
        clock.move_to(T0 + 6 * MIN)
        sla_sweep()
        course.crisis_severity_change(crisis=crisis, severity="low", actor=users["vp"])
    fast, slow = crisis.tasks.get(duty_code="fast"), crisis.tasks.get(duty_code="slow")
    assert fast.timer_state == TimerState.BREACHED
    assert (fast.deadline_minutes, fast.due_at) == (5, T0 + 5 * MIN)  # late stays late
    assert (slow.deadline_minutes, slow.due_at) == (300, T0 + 300 * MIN)
    (event,) = _events(crisis, EventKind.SEVERITY_CHANGED)
    assert [r["duty"] for r in event.data["tasks"]] == ["slow"]


def test_severity_change_refusals_write_nothing(file_emergency, users):
    crisis = file_emergency()
    dues = list(crisis.tasks.values_list("due_at", flat=True))
    with pytest.raises(ValidationFailed) as bad:
        course.crisis_severity_change(crisis=crisis, severity="apocalyptic", actor=users["manager"])
    assert "severity" in bad.value.errors
    with pytest.raises(PermissionDenied):
        course.crisis_severity_change(crisis=crisis, severity="critical", actor=users["finance"])
    with pytest.raises(NotFound):
        course.crisis_severity_change(crisis=crisis, severity="critical", actor=users["manager2"])
    with pytest.raises(ValidationFailed) as extra:
        course.crisis_patch(
            crisis=crisis, changes={"severity": "high", "title": "x"}, actor=users["manager"]
        )
    assert "title" in extra.value.errors
    crisis_close(crisis=crisis, outcome="done", actor=users["manager"])
    with pytest.raises(Conflict):
        course.crisis_severity_change(crisis=crisis, severity="critical", actor=users["manager"])
    assert list(crisis.tasks.values_list("due_at", flat=True)) == dues
    assert not _events(crisis, EventKind.SEVERITY_CHANGED)


# --- Invitations: the guest sees that crisis and nothing else ---------------------------------


def test_an_invited_guest_sees_that_crisis_and_nothing_else(file_emergency, users):
    guest = get_user_model().objects.create_user("counsel", password="x" * 12)
    crisis, other = file_emergency(), file_emergency(title="Another")
    assert not crises_visible_to(guest).exists()
    course.crisis_invite_username(crisis=crisis, username="counsel", actor=users["manager"])
    course.crisis_invite_username(crisis=crisis, username="counsel", actor=users["manager"])
    assert list(crises_visible_to(guest).values_list("pk", flat=True)) == [crisis.pk]
    assert len(_events(crisis, EventKind.PARTICIPANT_INVITED)) == 1
    assert Notification.objects.filter(recipient=guest, kind="crisis.invited").count() == 1
    assert other.pk not in crises_visible_to(guest).values_list("pk", flat=True)
    course.crisis_uninvite(crisis=crisis, username="counsel", actor=users["manager"])
    assert not crises_visible_to(guest).exists()
    assert len(_events(crisis, EventKind.PARTICIPANT_UNINVITED)) == 1
    with pytest.raises(NotFound):
        course.crisis_uninvite(crisis=crisis, username="counsel", actor=users["manager"])


def test_invitation_refusals(file_emergency, users):
    crisis = file_emergency()
    with pytest.raises(ValidationFailed) as unknown:
        course.crisis_invite_username(crisis=crisis, username="nobody", actor=users["manager"])
    assert "username" in unknown.value.errors
    with pytest.raises(PermissionDenied):
        course.crisis_invite_username(crisis=crisis, username="staff", actor=users["finance"])
    crisis_close(crisis=crisis, outcome="done", actor=users["manager"])
    with pytest.raises(Conflict):
        course.crisis_invite_username(crisis=crisis, username="staff", actor=users["manager"])


# --- Related crises -------------------------------------------------------------------------


def test_related_crises_are_suggested_linked_and_unlinked(file_emergency, users):
    first, second = file_emergency(title="First"), file_emergency(title="Second")
    assert second in link_candidates(first, users["manager"])
    link = course.crises_link(crisis=first, other_id=second.pk, actor=users["manager"])
    assert (link.from_crisis_id, link.to_crisis_id, link.reason) == (
        first.pk,
        second.pk,
        "same_site",
    )
    # linking again, from either side, keeps the one link
    course.crises_link(crisis=second, other_id=first.pk, actor=users["manager"])
    assert CrisisLink.objects.count() == 1
    assert [c.pk for c, _ in linked_crises(first, users["manager"])] == [second.pk]
    assert [c.pk for c, _ in linked_crises(second, users["manager"])] == [first.pk]
    assert second not in link_candidates(first, users["manager"])
    assert len(_events(first, EventKind.CRISIS_LINKED)) == 1
    assert len(_events(second, EventKind.CRISIS_LINKED)) == 1
    # someone who does not see the other crisis does not see the link either
    assert linked_crises(first, users["staff"]) == []
    course.crises_unlink(crisis=second, other_id=first.pk, actor=users["manager"])
    assert not CrisisLink.objects.exists()
    with pytest.raises(NotFound):
        course.crises_unlink(crisis=second, other_id=first.pk, actor=users["manager"])
    with pytest.raises(ValidationFailed):
        course.crises_link(crisis=first, other_id=first.pk, actor=users["manager"])
    with pytest.raises(PermissionDenied):
        course.crises_link(crisis=first, other_id=second.pk, actor=users["finance"])


# --- Reopening ------------------------------------------------------------------------------


def test_reopen_within_seven_days_says_what_reopened(file_emergency, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        open_tasks = crisis.tasks.exclude(status=TaskStatus.DONE).count()
        crisis_close(crisis=crisis, outcome="Collectors left", actor=users["manager"])
        clock.move_to(T0 + timedelta(days=7) - MIN)
        with pytest.raises(ValidationFailed) as no_reason:
            course.crisis_reopen(crisis=crisis, reason="  ", actor=users["manager"])
        assert "reason" in no_reason.value.errors
        with pytest.raises(PermissionDenied):
            course.crisis_reopen(crisis=crisis, reason="back", actor=users["finance"])
        course.crisis_reopen(crisis=crisis, reason="They came back", actor=users["manager"])
    crisis.refresh_from_db()
    assert (crisis.status, crisis.closed_at, crisis.closed_by) == (CrisisStatus.OPEN, None, None)
    assert crisis.status_updated_at == T0 + timedelta(days=7) - MIN
    (event,) = _events(crisis, EventKind.REOPENED)
    assert event.data["reason"] == "They came back"
    assert event.data["previous_status"] == "resolved"
    assert event.data["closed_at"] == T0.isoformat()
    assert event.data["outcome"] == "Collectors left"
    # nothing restarts silently: the tasks the closing cancelled stay cancelled, listed
    assert len(event.data["tasks_still_cancelled"]) == open_tasks
    assert crisis.tasks.filter(status__in=("open", "waiting", "acknowledged")).count() == 0
    assert Notification.objects.filter(recipient=users["finance"], kind="crisis.reopened").exists()
    with pytest.raises(Conflict):
        course.crisis_reopen(crisis=crisis, reason="again", actor=users["manager"])


def test_reopen_after_seven_days_is_a_conflict(file_emergency, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        crisis_close(crisis=crisis, outcome="done", actor=users["manager"])
        clock.move_to(T0 + timedelta(days=7, seconds=1))
        with pytest.raises(Conflict) as late:
            course.crisis_reopen(crisis=crisis, reason="back", actor=users["manager"])
    assert late.value.code == "reopen_window_passed"
    assert "2026-03-04 10:00" in late.value.message  # the closing, local time
    assert Crisis.objects.get(pk=crisis.pk).status == CrisisStatus.RESOLVED


# --- Cancelling a task ----------------------------------------------------------------------


def test_cancel_needs_a_reason(file_emergency, users):
    crisis = file_emergency()
    task = crisis.tasks.filter(status="open").first()
    with pytest.raises(ValidationFailed) as refused:
        task_cancel(task=task, actor=users["manager"], reason=" ")
    assert "reason" in refused.value.errors
    task_cancel(task=task, actor=users["manager"], reason="The customer paid")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    (event,) = TimelineEvent.objects.filter(task=task, kind=EventKind.TASK_CANCELLED)
    assert event.data["reason"] == "The customer paid"


# --- Status updates and the cadence ---------------------------------------------------------


def test_status_update_is_pushed_and_the_cadence_reminds_once_per_lapse(file_emergency, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency(severity="critical")
        assert status_update_due_at(crisis) == T0 + 30 * MIN
        clock.move_to(T0 + 29 * MIN)
        assert status_update_sweep() == 0
        clock.move_to(T0 + 30 * MIN)
        assert status_update_sweep() == 1
        assert status_update_sweep() == 0  # one reminder per lapse
        reminders = Notification.objects.filter(
            recipient=users["manager"], kind="crisis.status_update_due"
        )
        assert reminders.count() == 1
        assert len(_events(crisis, EventKind.STATUS_UPDATE_OVERDUE)) == 1

        clock.move_to(T0 + 40 * MIN)
        update = status_update_post(
            crisis=crisis, body="Police on site, collectors calm", actor=users["manager"]
        )
        crisis.refresh_from_db()
        assert status_update_due_at(crisis) == T0 + 70 * MIN
        assert Notification.objects.filter(
            recipient=users["finance"], kind="crisis.status_update"
        ).exists()
        (event,) = _events(crisis, EventKind.STATUS_UPDATE)
        assert event.data["status_update_id"] == update.pk
        clock.move_to(T0 + 70 * MIN)
        assert status_update_sweep() == 1  # the next lapse is reminded again
        assert reminders.count() == 2


def test_cadence_follows_severity_and_hr_admin_settings(file_emergency, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency(severity="low")
        assert status_update_due_at(crisis) is None  # no cadence when low
        clock.move_to(T0 + timedelta(days=2))
        assert status_update_sweep() == 0
        with pytest.raises(PermissionDenied):
            status_cadence_set(severity="low", every_minutes=600, actor=users["manager"])
        with pytest.raises(ValidationFailed):
            status_cadence_set(severity="low", every_minutes=-1, actor=users["hradmin"])
        status_cadence_set(severity="low", every_minutes=600, actor=users["hradmin"])
        assert StatusCadence.objects.get(severity="low").every_minutes == 600
        assert status_update_sweep() == 1


def test_status_update_refusals(file_emergency, users):
    crisis = file_emergency()
    with pytest.raises(ValidationFailed):
        status_update_post(crisis=crisis, body="  ", actor=users["manager"])
    with pytest.raises(PermissionDenied):
        status_update_post(crisis=crisis, body="hi", actor=users["finance"])
    crisis_close(crisis=crisis, outcome="done", actor=users["manager"])
    with pytest.raises(Conflict):
        status_update_post(crisis=crisis, body="hi", actor=users["manager"])


def test_the_panels_reads_take_the_same_queries_however_many_links_and_guests(
    file_emergency, users
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crisis.selectors.course import crisis_audience, invited_users

    User = get_user_model()
    crisis = file_emergency()

    def grow(n: int) -> None:
        for i in range(n):
            other = file_emergency(title=f"Related {i}")
            course.crises_link(crisis=crisis, other_id=other.pk, actor=users["manager"])
            User.objects.create_user(f"guest{other.pk}", password="x" * 12)
            course.crisis_invite_username(
                crisis=crisis, username=f"guest{other.pk}", actor=users["manager"]
            )

    def reads() -> int:
        with CaptureQueriesContext(connection) as ctx:
            linked_crises(crisis, users["manager"])
            link_candidates(crisis, users["manager"])
            crisis_audience(crisis)
            invited_users(crisis)
        return len(ctx.captured_queries)

    grow(1)
    one = reads()
    grow(3)
    assert len(linked_crises(crisis, users["manager"])) == 4
    assert len(invited_users(crisis)) == 4
    assert reads() == one
