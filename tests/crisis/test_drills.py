"""Drills (issue 16 §1–2): the real engine on compressed clocks, marked 演练 / DRILL, kept out
of the metrics, reported per participant, and stopped at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from competency.models import Evidence
from crisis.choices import TaskStatus, TimerState
from crisis.library import obligations_install
from crisis.models import Crisis, CrisisObligation, Task, TimelineEvent
from crisis.selectors.dashboard import dashboard_metrics
from crisis.selectors.drills import drill_report
from crisis.services.drills import drill_stop
from crisis.services.filing import crisis_file, drill_deadline
from crisis.services.obligations import obligations_sweep
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_acknowledge, task_complete
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Notification
from hrcore.notification_kinds import render

pytestmark = pytest.mark.django_db(transaction=False)

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def file_drill(users, speed=4, actor="hradmin", **kwargs):
    return crisis_file(
        scenario=kwargs.pop("scenario", "debt-collection-emergency"),
        title="演练：催收人员到访",
        actor=users[actor],
        drill=True,
        drill_speed=speed,
        **kwargs,
    )


def test_drill_deadline_arithmetic():
    assert drill_deadline(20, 1) == 20
    assert drill_deadline(20, 4) == 5
    assert drill_deadline(30, 4) == 8  # rounded
    assert drill_deadline(3, 10) == 1  # at least a minute
    assert drill_deadline(0, 4) == 0


def test_a_compressed_drill_runs_on_the_real_engine_with_its_timers(crisis_world, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_drill(users, speed=4)
        assert (crisis.is_drill, crisis.drill_speed) == (True, 4)
        tasks = list(crisis.tasks.select_related("duty").order_by("order", "id"))
        assert tasks
        for task in tasks:
            assert task.deadline_minutes == max(1, round(task.duty.deadline_minutes / 4))
            if task.started_at:
                assert task.due_at == T0 + timedelta(minutes=task.deadline_minutes)
        first = min((t for t in tasks if t.due_at), key=lambda t: t.due_at)
        clock.move_to(first.due_at + timedelta(seconds=1))
        sla_sweep()
    first.refresh_from_db()
    assert first.timer_state == TimerState.BREACHED
    breach = Notification.objects.filter(kind="crisis.breach", data__task_id=first.pk).first()
    assert breach is not None and breach.params["drill"] is True


def test_drill_notifications_are_marked_in_both_languages(crisis_world, users):
    crisis = file_drill(users)
    note = Notification.objects.filter(kind="crisis.task", data__crisis_id=crisis.pk).first()
    assert note.params["drill"] is True
    assert render(note.kind, note.params, "zh-hans").subject.startswith("【演练】")
    assert render(note.kind, note.params, "en").subject.startswith("[DRILL] ")
    real = crisis_file(
        scenario="debt-collection-emergency", title="Real one", actor=users["manager"]
    )
    plain = Notification.objects.filter(kind="crisis.task", data__crisis_id=real.pk).first()
    assert "drill" not in plain.params
    assert not render(plain.kind, plain.params, "en").subject.startswith("[DRILL]")


def test_only_hr_admins_start_drills_and_speed_is_checked(crisis_world, users):
    with pytest.raises(PermissionDenied):
        file_drill(users, actor="manager")
    with pytest.raises(ValidationFailed) as exc:
        file_drill(users, speed=0)
    assert "speed" in exc.value.errors
    assert not Crisis.objects.filter(is_drill=True).exists()


def test_the_partner_event_carries_drill_true(crisis_world, users):
    from hrcore.models import OutboxMessage

    crisis = file_drill(users)
    fanout = OutboxMessage.objects.get(dedupe_key=f"fanout:crisis.filed:{crisis.pk}")
    event = next(m for m in fanout.payload["messages"] if m["channel"] == "event")
    assert event["payload"]["drill"] is True
    real = crisis_file(scenario="debt-collection-emergency", title="Real", actor=users["manager"])
    fanout = OutboxMessage.objects.get(dedupe_key=f"fanout:crisis.filed:{real.pk}")
    event = next(m for m in fanout.payload["messages"] if m["channel"] == "event")
    assert "drill" not in event["payload"]


def test_metrics_and_lists_are_untouched_by_drills(crisis_world, users, api_as):
    from crisis.selectors.review import monthly_report

    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        crisis_file(scenario="debt-collection-emergency", title="Real", actor=users["manager"])
    before = dashboard_metrics(users["vp"], days=30, now=now)
    report_before = monthly_report(users["hradmin"], year=2026, month=11, now=now)
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        drill = file_drill(users)
        task = drill.tasks.filter(status=TaskStatus.OPEN).select_related("assignee__user").first()
        task_acknowledge(task=task, actor=task.assignee.user)
    after = dashboard_metrics(users["vp"], days=30, now=now)
    report_after = monthly_report(users["hradmin"], year=2026, month=11, now=now)
    assert after.crises == before.crises == 1
    assert after == before
    assert report_after.figures == report_before.figures
    client = api_as("hradmin")
    listed = client.get("/api/v1/crises/").json()
    ids = [c["id"] for c in listed["results"]]
    assert drill.pk not in ids and ids
    drills = client.get("/api/v1/crises/?drill=true").json()["results"]
    assert [c["id"] for c in drills] == [drill.pk] and drills[0]["drill"] is True
    assert client.get("/api/v1/crises/?drill=maybe").status_code == 400


def test_api_files_a_drill_with_the_right_scope_only(crisis_world, users, api_as):
    body = {"scenario": "debt-collection-emergency", "title": "Drill", "drill": True, "speed": 4}
    response = api_as("hradmin").post("/api/v1/crises/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["drill"], data["drill_speed"]) == (True, 4)
    assert (
        api_as("hradmin", scopes=["crisis:drill"])
        .post("/api/v1/crises/", body, format="json")
        .status_code
        == 201
    )
    refused = api_as("hradmin", scopes=["crisis:file"]).post("/api/v1/crises/", body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "drill_scope_missing"
    only_drills = api_as("hradmin", scopes=["crisis:drill"]).post(
        "/api/v1/crises/", {**body, "drill": False}, format="json"
    )
    assert only_drills.status_code == 403 and only_drills.json()["code"] == "drill_only_token"
    manager = api_as("manager").post("/api/v1/crises/", body, format="json")
    assert manager.status_code == 403 and manager.json()["code"] == "drill_not_allowed"
    bad = api_as("hradmin").post("/api/v1/crises/", {**body, "speed": 0}, format="json")
    assert bad.status_code == 400 and "speed" in bad.json()["errors"]
    fast_real = api_as("hradmin").post("/api/v1/crises/", {**body, "drill": False}, format="json")
    assert fast_real.status_code == 400 and "speed" in fast_real.json()["errors"]
    real = api_as("manager").post(
        "/api/v1/crises/", {"scenario": "debt-collection-emergency", "title": "Real"}, format="json"
    )
    assert real.status_code == 201 and real.json()["drill"] is False
    assert Crisis.objects.filter(is_drill=True).count() == 2


def test_stop_now_stops_every_clock_and_the_sweeps_fire_nothing_after(crisis_world, users, api_as):
    obligations_install()
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_drill(users, speed=2, scenario="data-leak")
        assert CrisisObligation.objects.filter(crisis=crisis, state="running").exists()
        assert api_as("staff").post(f"/api/v1/crises/{crisis.pk}/stop-drill/").status_code in (
            403,
            404,
        )
        response = api_as("hradmin").post(f"/api/v1/crises/{crisis.pk}/stop-drill/")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "cancelled"
        assert not Task.objects.filter(
            crisis=crisis, status__in=["waiting", "open", "acknowledged"]
        ).exists()
        assert set(Task.objects.filter(crisis=crisis).values_list("timer_state", flat=True)) == {
            TimerState.STOPPED
        }
        assert not CrisisObligation.objects.filter(
            crisis=crisis, state__in=["running", "breached"]
        ).exists()
        notes, events = Notification.objects.count(), TimelineEvent.objects.count()
        clock.move_to(T0 + timedelta(days=30))
        sla_sweep()
        obligations_sweep()
    assert (Notification.objects.count(), TimelineEvent.objects.count()) == (notes, events)
    again = api_as("hradmin").post(f"/api/v1/crises/{crisis.pk}/stop-drill/")
    assert again.status_code == 409


def test_stop_refuses_real_crises_and_strangers(crisis_world, users):
    real = crisis_file(scenario="debt-collection-emergency", title="Real", actor=users["manager"])
    with pytest.raises(Conflict):
        drill_stop(crisis=real, actor=users["hradmin"])
    drill = file_drill(users)
    with pytest.raises(PermissionDenied):
        drill_stop(crisis=drill, actor=users["manager"])
    assert Crisis.objects.get(pk=drill.pk).status == "open"


def test_drill_report_names_late_people_and_failed_links(crisis_world, users, api_as):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_drill(users, speed=4)
        tasks = list(crisis.tasks.select_related("assignee__user").order_by("order", "id"))
        done = next(t for t in tasks if t.status == TaskStatus.OPEN and t.assignee)
        clock.move_to(T0 + timedelta(seconds=30))
        task_acknowledge(task=done, actor=done.assignee.user)
        clock.move_to(T0 + timedelta(seconds=90))
        Task.objects.filter(pk=tasks[-1].pk).update(assignee_gap=True)
        late_task = next(t for t in tasks if t.due_at and t.pk != done.pk)
        clock.move_to(late_task.due_at + timedelta(minutes=1))
        response = api_as("hradmin").get(f"/api/v1/drills/{crisis.pk}/report/")
    assert response.status_code == 200, response.content
    data = response.json()
    rows = {r["duty"]: r for r in data["participants"]}
    assert rows[done.duty_code]["acknowledged_after_s"] == 30
    assert rows[done.duty_code]["deadline_s"] == done.deadline_minutes * 60
    assert rows[done.duty_code]["employee"]["username"] == done.assignee.user.username
    assert rows[late_task.duty_code]["late"] is True
    kinds = {(f["kind"], f["duty"]) for f in data["map_failures"]}
    assert ("vacant", tasks[-1].duty_code) in kinds
    assert ("deadline_missed", late_task.duty_code) in kinds
    real = crisis_file(scenario="debt-collection-emergency", title="Real", actor=users["manager"])
    assert api_as("hradmin").get(f"/api/v1/drills/{real.pk}/report/").status_code == 404


def test_drill_timings_become_competency_evidence(crisis_world, users):
    from responsibilities.models import Duty

    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_drill(users, speed=1)
        task = (
            crisis.tasks.filter(status=TaskStatus.OPEN, assignee__isnull=False)
            .select_related("assignee__user", "duty")
            .first()
        )
        Task.objects.filter(pk=task.pk).update(deliverable_kind="confirmation")
        task.deliverable_kind = "confirmation"
        Duty.objects.filter(pk=task.duty_id).update(competencies=["emotional-control"])
        clock.move_to(T0 + timedelta(minutes=1))
        task_complete(task=task, actor=task.assignee.user, note="Done in the drill")
        drill_stop(crisis=crisis, actor=users["hradmin"])
    rows = list(Evidence.objects.filter(kind="drill", source_key__startswith=f"drill:{crisis.pk}:"))
    assert [(r.employee_id, r.competency_code, r.score) for r in rows] == [
        (task.assignee_id, "emotional-control", 100.0)
    ]
    report = drill_report(Crisis.objects.get(pk=crisis.pk))
    assert any(p.done_after_s == 60 and not p.late for p in report.participants)


def test_a_drills_statutory_clocks_are_compressed_too(crisis_world, users):
    obligations_install()
    with time_machine.travel(T0, tick=False):
        crisis = file_drill(users, speed=4, scenario="data-leak")
        real = crisis_file(scenario="data-leak", title="Real leak", actor=users["manager"])
    drill_clocks = {c.code: c for c in CrisisObligation.objects.filter(crisis=crisis)}
    real_clocks = {c.code: c for c in CrisisObligation.objects.filter(crisis=real)}
    assert drill_clocks and drill_clocks.keys() == real_clocks.keys()
    for code, clock in drill_clocks.items():
        assert clock.due_at - T0 == (real_clocks[code].due_at - T0) / 4


def test_the_units_executive_may_stop_a_drill(crisis_world, users, api_as):
    drill = file_drill(users)
    response = api_as("vp").post(f"/api/v1/crises/{drill.pk}/stop-drill/")
    assert response.status_code == 200, response.content
    assert response.json()["drill"] is True and response.json()["status"] == "cancelled"
    real = crisis_file(scenario="debt-collection-emergency", title="Real", actor=users["manager"])
    refused = api_as("hradmin").post(f"/api/v1/crises/{real.pk}/stop-drill/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_a_drill"
