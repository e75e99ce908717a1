"""Post-incident review (issue 15 §5) and "late work stays late" (§6): the review assembled from
a known timeline, findings → map draft, action items reminded and tracked, the lessons library,
the monthly report's figures and CSV, permissions, both languages."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from crisis import presenters
from crisis.models import ActionItem, ReviewFinding, Task
from crisis.selectors import review as review_selectors
from crisis.services import review as review_services
from crisis.services.closure import credited_employees, crisis_close
from crisis.services.sweep import sla_sweep
from crisis.services.tasks import task_complete
from crisis.task_state import task_late, task_state
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Notification
from hrcore.services.org import user_preferences_update
from responsibilities.models import ResponsibilityMap

from .conftest import tasks_by_duty

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday in Shanghai

pytestmark = pytest.mark.django_db


def _known_crisis(file_emergency, users, *, at=T0, close=True):
    """Manager done at +5 (due 10), finance at +10 (due 30), admin at +25 (due 20: 5 min late),
    legal never (due 60, its breach fires at +61); the VP's decision never starts; closed at +70
    (legal 10 min late, cancelled by the closure)."""
    with time_machine.travel(at, tick=False) as clock:
        crisis = file_emergency()
        t = tasks_by_duty(crisis)
        clock.move_to(at + timedelta(minutes=5))
        task_complete(task=t["manager-contact"], actor=users["manager"], note="Called")
        clock.move_to(at + timedelta(minutes=10))
        task_complete(task=t["finance-records"], actor=users["finance"], note="Records")
        clock.move_to(at + timedelta(minutes=25))
        task_complete(task=t["admin-on-site"], actor=users["admin"], location="3F lobby")
        clock.move_to(at + timedelta(minutes=61))
        sla_sweep()  # legal's breach fires
        if close:
            clock.move_to(at + timedelta(minutes=70))
            crisis_close(crisis=crisis, outcome="Settled", actor=users["manager"])
    crisis.refresh_from_db()
    return crisis


# --- §6 late work stays late ------------------------------------------------------------------


def test_a_task_done_after_its_due_time_stays_late_after_done_and_after_closing(
    file_emergency, users
):
    crisis = _known_crisis(file_emergency, users)
    admin = Task.objects.get(crisis=crisis, duty_code="admin-on-site")
    manager = Task.objects.get(crisis=crisis, duty_code="manager-contact")
    assert admin.breached_at is None  # no sweep ran: only the completion time tells
    later = T0 + timedelta(days=30)
    assert (task_state(admin, later), task_late(admin)) == ("done", True)
    assert (task_state(manager, later), task_late(manager)) == ("done", False)
    with translation.override("en"):
        rows = {
            r["task"].duty_code: r
            for r in presenters.task_rows([admin, manager], now=later, viewer_employee=None)
        }
        assert rows["admin-on-site"]["state_label"] == "Done late"
        assert rows["manager-contact"]["state_label"] == "Done"
    with translation.override("zh-hans"):
        assert presenters.state_label("done", late=True) == "逾期完成"


def test_a_breach_fired_then_delivered_stays_late(file_emergency, users):
    with time_machine.travel(T0, tick=False) as clock:
        crisis = file_emergency()
        clock.move_to(T0 + timedelta(minutes=11))
        sla_sweep()
        task = Task.objects.get(crisis=crisis, duty_code="manager-contact")
        assert task.breached_at is not None
        clock.move_to(T0 + timedelta(minutes=12))
        task_complete(task=task, actor=users["manager"], note="late")
    task.refresh_from_db()
    assert task_late(task) is True and task_state(task, T0 + timedelta(days=1)) == "done"


def test_closing_does_not_preselect_a_star_for_someone_who_breached(
    file_emergency, users, client_as
):
    crisis = _known_crisis(file_emergency, users, close=False)
    with time_machine.travel(T0 + timedelta(minutes=70), tick=False):
        credited = {e.user.username for e in credited_employees(crisis)}
        # admin delivered 5 min late, legal is still open past its due time: neither is ticked
        assert credited == {"manager", "finance"}
        page = client_as("manager").get(reverse("crisis:close", args=[crisis.pk]))
    html = page.content.decode()
    for username, ticked in (("finance", True), ("admin", False), ("manager", True)):
        pk = users[username].employee.pk
        (tag,) = re.findall(rf'<input type="checkbox" name="credited" value="{pk}"[^>]*>', html)
        assert ("checked" in tag) is ticked, username


# --- §5 the review ----------------------------------------------------------------------------


def test_review_from_a_known_timeline_lists_held_and_broken_deadlines(file_emergency, users):
    crisis = _known_crisis(file_emergency, users)
    with translation.override("en"):
        review = review_selectors.review_assemble(crisis, now=T0 + timedelta(days=2))
    held = {r["task"].duty_code: r["margin"] for r in review.held}
    broke = {r["task"].duty_code: (r["lateness"], r["still_open"]) for r in review.broke}
    assert held == {
        "manager-contact": timedelta(minutes=5),
        "finance-records": timedelta(minutes=20),
    }
    assert broke == {
        "legal-support": (timedelta(minutes=10), True),
        "admin-on-site": (timedelta(minutes=5), False),
    }
    assert [r["task"].duty_code for r in review.broke] == ["legal-support", "admin-on-site"]
    assert review.broke[0]["lateness_text"] == "10 min"
    targets = {t["key"]: (t["seconds"], t["held"]) for t in review.targets}
    assert targets == {"response": (300, True), "information": (1500, False)}
    assert review.timeline[0]["event"].kind == "filed"
    assert review.timeline[-1]["event"].kind == "closed"
    assert review.follow_ups == [] or all(
        f["task"].crisis_id == crisis.pk for f in review.follow_ups
    )


def test_review_assembly_query_count_does_not_grow(
    file_emergency, users, django_assert_max_num_queries
):
    crisis = _known_crisis(file_emergency, users)
    for i in range(3):
        review_services.finding_add(
            crisis=crisis, kind="went_wrong", text=f"f{i}", actor=users["finance"]
        )
    with django_assert_max_num_queries(12):
        review_selectors.review_assemble(crisis)
    for i in range(10):
        review_services.finding_add(
            crisis=crisis, kind="went_well", text=f"g{i}", actor=users["legal"]
        )
        review_services.action_item_create(
            crisis=crisis,
            title=f"a{i}",
            owner=users["finance"].employee,
            due_on=date(2026, 12, 1),
            actor=users["manager"],
        )
    with django_assert_max_num_queries(12):
        review_selectors.review_assemble(crisis)


def test_findings_only_after_closing_and_only_by_participants(file_emergency, users):
    crisis = _known_crisis(file_emergency, users, close=False)
    with pytest.raises(Conflict):
        review_services.finding_add(
            crisis=crisis, kind="went_well", text="x", actor=users["manager"]
        )
    with time_machine.travel(T0 + timedelta(minutes=70), tick=False):
        crisis_close(crisis=crisis, outcome="ok", actor=users["manager"])
    crisis.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        review_services.finding_add(crisis=crisis, kind="nonsense", text="", actor=users["finance"])
    assert set(exc.value.errors) == {"kind", "text"}
    # another manager of the unit sees the crisis but took no part: no review, no finding
    bystander = _bystander().user
    assert review_selectors.can_view_review(users["vp"], crisis)
    assert not review_selectors.can_view_review(bystander, crisis)
    with pytest.raises(PermissionDenied):
        review_services.finding_add(crisis=crisis, kind="went_well", text="x", actor=bystander)
    finding = review_services.finding_add(
        crisis=crisis, kind="went_wrong", text="Legal had no on-call lawyer", actor=users["legal"]
    )
    assert (finding.kind, finding.author_id, finding.is_lesson) == (
        "went_wrong",
        users["legal"].pk,
        False,
    )


def test_a_finding_becomes_a_draft_map_revision_with_the_change_note(file_emergency, users):
    crisis = _known_crisis(file_emergency, users)
    finding = review_services.finding_add(
        crisis=crisis,
        kind="suggestion",
        text="Give legal 90 minutes at night",
        actor=users["legal"],
    )
    with pytest.raises(PermissionDenied):
        review_services.finding_propose_map_change(finding=finding, actor=users["manager"])
    published = crisis.map
    with translation.override("en"):
        draft = review_services.finding_propose_map_change(finding=finding, actor=users["hradmin"])
    assert draft.status == "draft"
    assert (draft.scenario_id, draft.scope_id) == (published.scenario_id, published.scope_id)
    assert draft.version == published.version + 1
    expected = (
        f"From the review of crisis #{crisis.pk} “{crisis.title}” (Suggestion): "
        "Give legal 90 minutes at night"
    )
    assert draft.change_note == expected
    assert sorted(draft.duties.values_list("code", flat=True)) == sorted(
        published.duties.values_list("code", flat=True)
    )
    finding.refresh_from_db()
    assert finding.proposed_map_id == draft.pk
    # Proposing again (or another finding) reuses the one open draft; the note is not repeated.
    with translation.override("en"):
        again = review_services.finding_propose_map_change(finding=finding, actor=users["hradmin"])
        other = review_services.finding_add(
            crisis=crisis, kind="went_wrong", text="Nobody answered", actor=users["finance"]
        )
        review_services.finding_propose_map_change(finding=other, actor=users["hradmin"])
    assert again.pk == draft.pk
    draft.refresh_from_db()
    assert draft.change_note.count("Give legal 90 minutes at night") == 1
    assert draft.change_note.endswith("(What went wrong): Nobody answered")
    assert (
        ResponsibilityMap.objects.filter(
            scenario_id=published.scenario_id, scope_id=published.scope_id, status="draft"
        ).count()
        == 1
    )
    # A change note that would overflow the map's limit is refused whole, the note unchanged.
    ResponsibilityMap.objects.filter(pk=draft.pk).update(change_note="x" * 3990)
    third = review_services.finding_add(
        crisis=crisis, kind="suggestion", text="One more", actor=users["finance"]
    )
    with pytest.raises(Conflict) as exc:
        review_services.finding_propose_map_change(finding=third, actor=users["hradmin"])
    assert exc.value.code == "change_note_full"
    draft.refresh_from_db()
    third.refresh_from_db()
    assert (draft.change_note, third.proposed_map_id) == ("x" * 3990, None)


def test_action_items_are_tracked_to_done_and_reminded_once_each(file_emergency, users):
    crisis = _known_crisis(file_emergency, users)
    finance = users["finance"].employee
    with pytest.raises(PermissionDenied):
        review_services.action_item_create(
            crisis=crisis,
            title="x",
            owner=finance,
            due_on=date(2026, 12, 1),
            actor=users["finance"],
        )
    with pytest.raises(ValidationFailed) as exc:
        review_services.action_item_create(
            crisis=crisis, title="", owner=None, due_on=None, actor=users["manager"]
        )
    assert set(exc.value.errors) == {"title", "owner", "due_on"}
    item = review_services.action_item_create(
        crisis=crisis,
        title="Night-shift contact for finance",
        owner=finance,
        due_on=date(2026, 12, 1),
        actor=users["manager"],
    )
    sent = Notification.objects.filter(recipient=users["finance"], data__action_item_id=item.pk)
    assert list(sent.values_list("kind", flat=True)) == ["crisis.action_item"]

    def remind(day):
        return review_services.action_items_remind(
            datetime.combine(day, datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
        )

    assert remind(date(2026, 11, 30)) == {"due": 0, "overdue": 0}
    assert remind(date(2026, 12, 1)) == {"due": 1, "overdue": 0}
    assert remind(date(2026, 12, 1)) == {"due": 0, "overdue": 0}
    assert remind(date(2026, 12, 2)) == {"due": 0, "overdue": 1}
    assert remind(date(2026, 12, 5)) == {"due": 0, "overdue": 0}
    assert sorted(sent.values_list("kind", flat=True)) == [
        "crisis.action_item",
        "crisis.action_item_due",
        "crisis.action_item_overdue",
    ]
    with translation.override("en"):
        overdue = sent.get(kind="crisis.action_item_overdue").rendered("en")
    assert overdue.subject == "Action item overdue: Night-shift contact for finance"
    # someone else may not tick it; the owner may
    with pytest.raises(PermissionDenied):
        review_services.action_item_complete(item=item, actor=users["legal"])
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=SH), tick=False):
        done = review_services.action_item_complete(item=item, actor=users["finance"])
    assert (done.status, done.done_by_id) == ("done", users["finance"].pk)
    assert remind(date(2026, 12, 9)) == {"due": 0, "overdue": 0}
    from django.conf import settings

    beat = settings.CELERY_BEAT_SCHEDULE["crisis-action-item-reminders"]
    assert (beat["task"], beat["schedule"]) == ("crisis.tasks.action_items_remind", 3600.0)


def test_lessons_library_searches_text_scenario_and_unit_and_pages(file_emergency, users):
    crisis = _known_crisis(file_emergency, users)
    lesson = review_services.finding_add(
        crisis=crisis, kind="went_wrong", text="锁门太晚 door locked late", actor=users["admin"]
    )
    review_services.finding_add(
        crisis=crisis, kind="went_well", text="not a lesson", actor=users["admin"]
    )
    with pytest.raises(PermissionDenied):
        review_services.finding_mark_lesson(finding=lesson, is_lesson=True, actor=users["admin"])
    review_services.finding_mark_lesson(finding=lesson, is_lesson=True, actor=users["manager"])

    def search(user="hradmin", **kw):
        return list(review_selectors.lessons_search(users[user], **kw).values_list("pk", flat=True))

    assert search() == [lesson.pk]
    assert search(text="LOCKED") == [lesson.pk]
    assert search(text="锁门") == [lesson.pk]
    assert search(text="not a lesson") == []
    assert search(scenario="debt-collection-emergency") == [lesson.pk]
    assert search(scenario="retail-complaint") == []
    assert search(unit="sh-business") == [lesson.pk]
    assert search(unit="no-such-unit") == []
    assert search(user="manager2") == []  # another subsidiary does not see the crisis
    for i in range(25):
        f = review_services.finding_add(
            crisis=crisis, kind="suggestion", text=f"lesson {i}", actor=users["admin"]
        )
        review_services.finding_mark_lesson(finding=f, is_lesson=True, actor=users["manager"])
    client = _client(users, "hradmin")
    first = client.get(reverse("crisis:lessons"), {"q": "lesson"})
    second = client.get(reverse("crisis:lessons"), {"q": "lesson", "page": 2})
    assert first.content.decode().count('data-testid="lesson"') == 20
    assert second.content.decode().count('data-testid="lesson"') == 5


def _bystander():
    """A second manager of the crisis's unit: sees the crisis, took no part in it."""
    from hrcore.choices import Role
    from hrcore.demo import _person
    from hrcore.models import OrgUnit

    unit = OrgUnit.objects.get(code="sh-business")
    return _person("sh-manager-b", "赵六", "Zhao Liu", unit, "department-manager", [Role.MANAGER])


def _client(users, username):
    from django.test import Client

    from tests.conftest import pass_second_factor

    c = Client()
    c.force_login(users[username])
    pass_second_factor(c, users[username])
    return c


# --- the monthly report -----------------------------------------------------------------------


def test_monthly_report_figures_and_csv_from_known_data(
    file_emergency, users, django_assert_max_num_queries
):
    # November 2026: A (response 5 min, information 25 min, 2 late: admin, legal; stars:
    # manager and finance), B (response 40 min, information 41 min; finance, manager and admin
    # late, legal on time; nobody credited) and C (cancelled at once: nothing timed); December's
    # crisis D is outside. Timed tasks: A 4 (legal's breach fired before the closure cancelled
    # it), B 4 (the VP's decision was cancelled on time), C 0.
    a = _known_crisis(file_emergency, users, at=T0)
    t1 = T0 + timedelta(days=3)
    with time_machine.travel(t1, tick=False) as clock:
        b = file_emergency(title="B")
        t = tasks_by_duty(b)
        clock.move_to(t1 + timedelta(minutes=40))
        task_complete(task=t["finance-records"], actor=users["finance"], note="late")
        clock.move_to(t1 + timedelta(minutes=41))
        task_complete(task=t["manager-contact"], actor=users["manager"], note="late")
        task_complete(task=t["admin-on-site"], actor=users["admin"], location="lobby")
        task_complete(task=t["legal-support"], actor=users["legal"], note="ok")
        clock.move_to(t1 + timedelta(minutes=50))
        crisis_close(crisis=b, outcome="ok", actor=users["manager"], credited=[])
    with time_machine.travel(T0 + timedelta(days=4), tick=False):
        c = file_emergency(title="C")
        crisis_close(crisis=c, outcome="filed twice", actor=users["manager"], status="cancelled")
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=SH), tick=False):
        file_emergency(title="D")
    review_services.action_item_create(
        crisis=a,
        title="Open one",
        owner=users["finance"].employee,
        due_on=date(2026, 11, 25),
        actor=users["manager"],
    )
    done = review_services.action_item_create(
        crisis=a,
        title="Done one",
        owner=users["finance"].employee,
        due_on=date(2026, 11, 25),
        actor=users["manager"],
    )
    review_services.action_item_complete(item=done, actor=users["finance"])

    now = datetime(2026, 12, 2, 12, tzinfo=SH)
    with translation.override("en"), django_assert_max_num_queries(10):
        # A fixed number of queries, however many crises the month holds.
        data = review_selectors.monthly_report(users["hradmin"], year=2026, month=11, now=now)
    f = data.figures
    assert [c.title for c in f.crises] == [a.title, "B", "C"]
    assert (f.total, f.resolved, f.cancelled, f.still_open) == (3, 2, 1, 0)
    assert (f.response.measured, f.response.within, f.response.median_seconds) == (2, 1, 1350)
    assert f.response.within_pct == 50
    assert (f.information.measured, f.information.within, f.information.median_seconds) == (
        2,
        0,
        1980,
    )
    assert [c.breach_count for c in f.crises] == [2, 3, 0]
    assert [c.stars for c in f.crises] == [2, 0, 0]
    assert f.stars == 2
    assert (f.tasks_timed, f.tasks_breached) == (8, 5)
    by_department = {r.department: (r.breached, r.total) for r in f.breaches}
    assert by_department["Finance"] == (1, 2)
    assert sum(b for b, _ in by_department.values()) == 5
    assert (f.action_items_open, f.action_items_overdue) == (1, 1)

    client = _client(users, "hradmin")
    user_preferences_update(user=users["hradmin"], language="en")
    response = client.get(reverse("crisis:report_csv"), {"month": "2026-11"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Crisis", "Title", "Scenario"]
    assert [r[1] for r in rows[1:4]] == [a.title, "B", "C"]
    assert rows[2][6:] == ["2400", "0", "2460", "0", "3", "0"]
    assert rows[-1] == ["Total", "3", "", "", "", "", "1350", "1/2", "1980", "0/2", "5", "2"]
    with time_machine.travel(now, tick=False):
        page = client.get(reverse("crisis:report"), {"month": "2026-11"}).content.decode()
        december = client.get(reverse("crisis:report"), {"month": "2026-12"}).content.decode()
    assert page.count('data-testid="report-row"') == 3
    assert "1 of 2" in page
    # Month links only where crises can be: none before the first crisis, none ahead of today.
    assert 'href="?month=2026-12" rel="next"' in page and 'rel="prev"' not in page
    assert 'href="?month=2026-11" rel="prev"' in december and 'rel="next"' not in december


def test_report_csv_neutralises_formulas():
    from crisis.report import csv_safe

    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_safe("+1") == "'+1"
    assert csv_safe("催收") == "催收"


# --- pages: permissions and both languages ----------------------------------------------------


def test_review_pages_permissions(file_emergency, users):
    crisis = _known_crisis(file_emergency, users)
    url = reverse("crisis:review", args=[crisis.pk])
    assert _client(users, "finance").get(url).status_code == 200  # took part
    assert _client(users, "vp").get(url).status_code == 200  # executive
    assert _client(users, "hradmin").get(url).status_code == 200
    assert _client(users, "staff").get(url).status_code in (403, 404)
    assert _client(users, "manager2").get(url).status_code in (403, 404)
    bystander = _bystander()
    users["sh-manager-b"] = bystander.user
    assert _client(users, "sh-manager-b").get(url).status_code == 403
    report = reverse("crisis:report")
    assert _client(users, "manager").get(report).status_code == 403
    assert _client(users, "finance").get(reverse("crisis:report_csv")).status_code == 403
    assert _client(users, "vp").get(report).status_code == 200
    # a participant without the managing right cannot add an action item through the page
    before = ActionItem.objects.count()
    response = _client(users, "finance").post(
        reverse("crisis:review_action_add", args=[crisis.pk]),
        {"title": "x", "owner": users["finance"].employee.pk, "due_on": "2026-12-01"},
    )
    assert response.status_code == 403 and ActionItem.objects.count() == before
    # the HR admin proposes a map change from the page and lands in the map editor
    finding = review_services.finding_add(
        crisis=crisis, kind="suggestion", text="s", actor=users["legal"]
    )
    response = _client(users, "hradmin").post(
        reverse("crisis:review_finding_propose", args=[finding.pk])
    )
    finding.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "responsibilities:map_edit", args=[finding.proposed_map_id]
    )
    assert ReviewFinding.objects.filter(proposed_map__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Post-incident review", "Deadlines missed", "10 min late", "What went wrong"]),
        ("zh-hans", ["事后复盘", "未守住的时限", "逾期 10 分钟", "问题所在"]),
    ],
)
def test_review_page_in_both_languages(file_emergency, users, language, expected):
    crisis = _known_crisis(file_emergency, users)
    review_services.finding_add(
        crisis=crisis, kind="went_wrong", text="Legal was late", actor=users["legal"]
    )
    user_preferences_update(user=users["manager"], language=language)
    html = (
        _client(users, "manager").get(reverse("crisis:review", args=[crisis.pk])).content.decode()
    )
    for text in expected:
        assert text in html, text
    assert 'data-testid="action-form"' in html  # the manager manages action items


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_review_lessons_and_report_pages_are_in_one_language(file_emergency, users, language):
    """The language sweep's check (tests/language_text.py) on the pages of a closed crisis with
    findings, a lesson, a map proposal and action items, for a manager and the HR admin."""
    from tests.language_text import foreign_text, product_text

    crisis = _known_crisis(file_emergency, users)
    finding = review_services.finding_add(
        crisis=crisis, kind="went_wrong", text="法务迟到", actor=users["legal"]
    )
    review_services.finding_mark_lesson(finding=finding, is_lesson=True, actor=users["manager"])
    review_services.finding_propose_map_change(finding=finding, actor=users["hradmin"])
    review_services.action_item_create(
        crisis=crisis,
        title="夜间联系人",
        owner=users["finance"].employee,
        due_on=date(2026, 11, 25),
        actor=users["manager"],
    )
    pages = [
        ("manager", reverse("crisis:review", args=[crisis.pk])),
        ("hradmin", reverse("crisis:review", args=[crisis.pk])),
        ("hradmin", reverse("crisis:lessons")),
        ("hradmin", reverse("crisis:report") + "?month=2026-11"),
    ]
    for name in ("manager", "hradmin"):
        user_preferences_update(user=users[name], language=language)
    failures = []
    for name, url in pages:
        response = _client(users, name).get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        failures += [
            f"{name} {url}: {t[:120]}" for t in foreign_text(product_text(html, language), language)
        ]
    assert failures == []


# --- API --------------------------------------------------------------------------------------


def test_review_api_and_action_item_api(file_emergency, users, api_as):
    crisis = _known_crisis(file_emergency, users)
    review_services.finding_add(crisis=crisis, kind="went_wrong", text="Late", actor=users["legal"])
    body = api_as("finance").get(f"/api/v1/crises/{crisis.pk}/review/").json()
    assert [(r["duty"], r["late_seconds"], r["still_open"]) for r in body["broke"]] == [
        ("legal-support", 600, True),
        ("admin-on-site", 300, False),
    ]
    assert [(r["duty"], r["spare_seconds"]) for r in body["held"]] == [
        ("finance-records", 1200),
        ("manager-contact", 300),
    ]
    assert [(f["kind"], f["author"]) for f in body["findings"]] == [("went_wrong", "legal")]
    assert body["targets"] == [
        {"key": "response", "seconds": 300, "held": True},
        {"key": "information", "seconds": 1500, "held": False},
    ]
    tasks = {
        t["duty"]: t["late"]
        for t in api_as("finance").get(f"/api/v1/crises/{crisis.pk}/tasks/").json()
    }
    assert tasks == {
        "manager-contact": False,
        "finance-records": False,
        "admin-on-site": True,
        "legal-support": True,
        "vp-decision": False,
    }
    url = f"/api/v1/crises/{crisis.pk}/action-items/"
    payload = {"title": "Night contact", "owner": "finance", "due_on": "2026-12-31"}
    assert api_as("finance").post(url, payload, format="json").status_code == 403
    assert api_as("staff").post(url, payload, format="json").status_code == 404
    assert (
        api_as("manager").post(url, {**payload, "owner": "nobody"}, format="json").status_code
        == 400
    )
    assert (
        api_as("manager").post(url, {**payload, "due_on": "soon"}, format="json").status_code == 400
    )
    created = api_as("manager").post(url, payload, format="json")
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("title", "owner", "due_on", "status")} == {
        "title": "Night contact",
        "owner": "finance",
        "due_on": "2026-12-31",
        "status": "open",
    }
    assert ActionItem.objects.filter(crisis=crisis).count() == 1


def test_the_closed_crisis_page_still_says_done_late(file_emergency, users):
    crisis = _known_crisis(file_emergency, users)
    user_preferences_update(user=users["manager"], language="en")
    html = (
        _client(users, "manager").get(reverse("crisis:detail", args=[crisis.pk])).content.decode()
    )
    rows = re.findall(
        r'data-testid="task-([a-z-]+)" data-state="(\w+)".*?data-testid="task-state"( data-late)?>([^<]+)<',
        html,
        re.S,
    )
    states = {code: (state, bool(late), label) for code, state, late, label in rows}
    assert states["admin-on-site"] == ("done", True, "Done late")
    assert states["manager-contact"] == ("done", False, "Done")
    assert f'href="/crises/{crisis.pk}/review/" data-testid="review-link"' in html
