"""Issue 16 §1: a drill on a compressed clock shows its participants the compressed durations
wherever a duty's text or a clock's title names one — the crisis page, the start page, the
person page, the task notifications, the API — through the same ``drill_deadline`` that set the
timers. A real crisis reads as the map wrote it."""

from __future__ import annotations

import pytest

from crisis.drill_timing import drill_deadline, drill_text
from crisis.library import obligations_install
from crisis.models import CrisisObligation
from crisis.services.filing import crisis_file
from hrcore.models import Employee, Notification
from hrcore.notification_kinds import render


@pytest.mark.parametrize(
    ("text", "speed", "shown"),
    [
        ("30 分钟内上传付款记录。", 4, "8 分钟内上传付款记录。"),  # round(7.5) as the timer
        ("收到材料后 1 小时内决定。", 4, "收到材料后 15 分钟内决定。"),
        ("网络安全事件报告（较大及以上，4小时内）", 4, "网络安全事件报告（较大及以上，1小时内）"),
        ("半小时内到场", 2, "15分钟内到场"),
        ("提出工伤认定申请（30日内）", 30, "提出工伤认定申请（1日内）"),
        ("Upload the records within 30 minutes.", 4, "Upload the records within 8 minutes."),
        ("Decide within 1 hour of both inputs.", 4, "Decide within 15 minutes of both inputs."),
        ("Arrive within an hour", 60, "Arrive within 1 minute"),
        ("a 20-minute walk", 4, "a 5-minute walk"),
        ("2 h SLA, then 90 min", 4, "30 min SLA, then 22 min"),
        ("within 4 hours", 2, "within 2 hours"),
        ("within 2 days", 2, "within 1 day"),
        ("map v2, 3rd floor, 24/7, call 10086", 4, "map v2, 3rd floor, 24/7, call 10086"),
        ("within 3 minutes", 10, "within 1 minute"),  # at least a minute, as the timer
        ("1个半小时内回电", 4, "22分钟内回电"),  # one and a half hours, as one duration
        # Dates, days of the month and ordinals are not durations.
        ("3月5日前提交报告", 4, "3月5日前提交报告"),
        ("每月15日前核对", 4, "每月15日前核对"),
        ("第2天复盘，2天内结案", 4, "第2天复盘，12小时内结案"),
        ("30 分钟内上传付款记录。", 1, "30 分钟内上传付款记录。"),  # a real crisis
        ("", 4, ""),
    ],
)
def test_drill_text_shows_durations_on_the_drills_clock(text, speed, shown):
    assert drill_text(text, speed) == shown


def test_drill_text_uses_the_timers_rule():
    for minutes in (1, 7, 10, 20, 30, 45, 60, 90, 120, 240):
        for speed in (2, 3, 4, 7, 60):
            expected = drill_deadline(minutes, speed)
            assert drill_text(f"{minutes} 分钟", speed) in (
                f"{expected} 分钟",
                f"{expected // 60} 小时",
            )


def _finance_notice(crisis) -> Notification:
    return Notification.objects.get(
        kind="crisis.task", data__crisis_id=crisis.pk, recipient__username="finance"
    )


@pytest.mark.django_db
def test_a_x4_drill_shows_its_participants_compressed_durations(
    crisis_world, users, client_as, api_as
):
    drill = crisis_file(
        scenario="debt-collection-emergency",
        title="演练：催收人员到访",
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    real = crisis_file(
        scenario="debt-collection-emergency", title="催收人员到访", actor=users["manager"]
    )
    finance_task = drill.tasks.get(duty_code="finance-records")
    assert finance_task.assignee.user.username == "finance"
    assert finance_task.deadline_minutes == 8  # the timer: 30 ÷ 4, rounded

    # The notification of the task, in both languages.
    notice = _finance_notice(drill)
    assert "8 分钟内" in render(notice.kind, notice.params, "zh-hans").body
    assert "within 8 minutes" in render(notice.kind, notice.params, "en").body
    notice = _finance_notice(real)
    assert "30 分钟内" in render(notice.kind, notice.params, "zh-hans").body

    finance = client_as("finance")
    for language, drill_words, real_words in (
        ("zh-hans", "8 分钟内", "30 分钟内"),
        ("en", "within 8 minutes", "within 30 minutes"),
    ):
        Employee.objects.filter(user=users["finance"]).update(language=language)
        page = finance.get(f"/crises/{drill.pk}/").content.decode()
        assert drill_words in page and real_words not in page, language
        page = finance.get(f"/crises/{real.pk}/").content.decode()
        assert real_words in page and drill_words not in page, language
        home = finance.get("/").content.decode()  # "Your open tasks": both crises
        assert drill_words in home and real_words in home, language
        me = finance.get("/people/me/").content.decode()
        assert drill_words in me, language

    # Deadlines typed into the drill (a follow-up, an added task) run on its clock: said so.
    Employee.objects.filter(user=users["hradmin"]).update(language="en")
    filer = client_as("hradmin").get(f"/crises/{drill.pk}/").content.decode()
    assert 'data-testid="drill-speed-note"' in filer and "divided by 4" in filer
    assert (
        'data-testid="drill-speed-note"'
        not in client_as("manager").get(f"/crises/{real.pk}/").content.decode()
    )

    body = api_as("finance").get(f"/api/v1/tasks/{finance_task.pk}/").json()
    assert body["action"] in (
        "8 分钟内上传该客户的付款记录与未付发票。",
        "Upload the customer's payment records and unpaid invoices within 8 minutes.",
    )


@pytest.mark.django_db
def test_a_drills_statutory_clock_titles_are_compressed(crisis_world, users, client_as):
    obligations_install()
    drill = crisis_file(
        scenario="data-leak",
        title="演练：数据泄露",
        severity="high",  # the 4-hour report
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    clock = CrisisObligation.objects.filter(
        crisis=drill, title_en__contains="within 4 hours"
    ).first()
    assert clock is not None
    Employee.objects.filter(user=users["hradmin"]).update(language="en")
    page = client_as("hradmin").get(f"/crises/{drill.pk}/").content.decode()
    assert clock.title_en.replace("within 4 hours", "within 1 hour") in page
    assert clock.title_en not in page  # the legal basis below still quotes the law as written


@pytest.mark.django_db
def test_a_drills_status_update_cadence_runs_on_its_clock(crisis_world, users):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from crisis.selectors.course import status_update_due_at
    from crisis.services.status_updates import status_update_sweep

    t0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        drill = crisis_file(
            scenario="debt-collection-emergency",
            title="演练：催收人员到访",
            severity="critical",  # a status update every 30 minutes
            actor=users["hradmin"],
            drill=True,
            drill_speed=4,
        )
        real = crisis_file(
            scenario="debt-collection-emergency",
            title="催收人员到访",
            severity="critical",
            actor=users["manager"],
        )
        assert status_update_due_at(drill) == t0 + timedelta(minutes=8)  # 30 ÷ 4, rounded
        assert status_update_due_at(real) == t0 + timedelta(minutes=30)
        clock.move_to(t0 + timedelta(minutes=7))
        assert status_update_sweep() == 0
        clock.move_to(t0 + timedelta(minutes=8))
        assert status_update_sweep() == 1  # the drill, not the real crisis
        reminder = Notification.objects.get(kind="crisis.status_update_due")
        assert reminder.data.get("crisis_id", drill.pk) == drill.pk
        assert reminder.params["every_minutes"] == 8 and reminder.params["drill"] is True
        clock.move_to(t0 + timedelta(minutes=30))
        assert status_update_sweep() == 1  # now the real crisis, at its own cadence
