"""Employee self-service (issue 17 §2, seed 001): questions and score disputes routed to the
supervisor (their delegate when away, HR when nobody), the weekly answer window's reminder and
escalation (exactly once per window), who sees and answers what, the pages and the API; one's
own leave with a delegate, whom the resolver then hands crisis duties."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone
from django.utils import translation

from hrcore import selfservice_selectors
from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Absence, AnswerWindow, Employee, Notification, OrgUnit, Question
from hrcore.selfservice_selectors import open_questions_for
from hrcore.services import org, selfservice

pytestmark = pytest.mark.django_db

SH = timezone(timedelta(hours=8))
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
OPENS = datetime(2026, 12, 3, 19, 0, tzinfo=SH)
CLOSES = datetime(2026, 12, 3, 21, 0, tzinfo=SH)


def emp(username: str) -> Employee:
    return Employee.objects.select_related("user", "manager", "unit").get(user__username=username)


def ask(user, *, now=WEDNESDAY, **kwargs) -> Question:
    values = {"kind": "question", "subject": "年假余额", "body": "我还有几天年假？"}
    values.update(kwargs)
    return selfservice.question_ask(user=user, now=now, **values)


def kinds_of(user) -> list[str]:
    """The self-service notifications of ``user`` (the demo world has others), oldest first."""
    rows = Notification.objects.filter(recipient=user, kind__regex=r"^(question|absence)\.")
    return list(rows.order_by("id").values_list("kind", flat=True))


def away(employee, delegate=None, *, starts=WEDNESDAY - timedelta(hours=1), days=3):
    return org.absence_record(
        employee=employee,
        starts_at=starts,
        ends_at=starts + timedelta(days=days),
        delegate=delegate,
    )


# --- Routing -------------------------------------------------------------------------------


def test_a_question_goes_to_the_supervisor_due_in_the_next_window(users):
    question = ask(users["staff"])
    assert question.answerer == emp("manager")
    assert question.routed_via == "supervisor"
    assert (question.window_opens_at, question.window_closes_at) == (OPENS, CLOSES)
    assert kinds_of(users["manager"]) == ["question.routed"]
    note = Notification.objects.get(recipient=users["manager"], kind="question.routed")
    assert note.data == {"question_id": question.pk}
    assert "2026-12-03 19:00" in note.rendered("en").body


def test_an_absent_supervisor_hands_the_question_to_the_delegate(users):
    stand_in = emp("sh-business-1")
    away(emp("manager"), stand_in)
    question = ask(users["staff"])
    assert (question.answerer, question.routed_via) == (stand_in, "delegate")
    assert kinds_of(stand_in.user) == ["question.routed"]
    assert kinds_of(users["manager"]) == []
    # After the absence the supervisor answers again.
    later = ask(users["staff"], now=WEDNESDAY + timedelta(days=7))
    assert (later.answerer, later.routed_via) == (emp("manager"), "supervisor")


def test_no_supervisor_present_or_none_at_all_goes_to_hr(users):
    away(emp("manager"))  # no delegate
    question = ask(users["staff"])
    assert (question.answerer, question.routed_via) == (None, "hr")
    assert kinds_of(users["hradmin"]) == ["question.routed"]
    president = emp("president")
    assert president.manager is None
    top = ask(president.user)
    assert (top.answerer, top.routed_via) == (None, "hr")


def test_the_window_is_configurable_per_unit_and_inherited(users):
    AnswerWindow.objects.create(
        unit=OrgUnit.objects.get(code="sh"), weekday=1, starts=time(9), ends=time(10)
    )
    question = ask(users["staff"])  # sh-business is under sh
    assert question.window_opens_at == datetime(2026, 12, 8, 9, 0, tzinfo=SH)  # next Tuesday
    other = ask(users["manager2"])  # Shenzhen keeps the default
    assert other.window_opens_at == OPENS


# --- The window: reminder when it opens, escalation when it closes unanswered --------------


def test_reminder_at_opening_and_escalation_at_closing_happen_once_per_window(users):
    question = ask(users["staff"])
    manager, hr = users["manager"], users["hradmin"]
    assert selfservice.questions_sweep(now=OPENS - timedelta(minutes=1)) == {
        "escalated": 0,
        "reminded": 0,
    }
    assert selfservice.questions_sweep(now=OPENS + timedelta(seconds=5)) == {
        "escalated": 0,
        "reminded": 1,
    }
    assert selfservice.questions_sweep(now=OPENS + timedelta(minutes=1)) == {
        "escalated": 0,
        "reminded": 0,
    }
    assert kinds_of(manager) == ["question.routed", "question.reminder"]
    reminder = Notification.objects.get(recipient=manager, kind="question.reminder")
    assert reminder.params["count"] == 1
    assert selfservice.questions_sweep(now=CLOSES) == {"escalated": 1, "reminded": 0}
    assert selfservice.questions_sweep(now=CLOSES + timedelta(minutes=1)) == {
        "escalated": 0,
        "reminded": 0,
    }
    question.refresh_from_db()
    assert question.status == "open" and question.escalations == 1
    assert question.escalated_at == CLOSES and question.reminded_at is None
    assert question.window_opens_at == OPENS + timedelta(days=7)
    assert kinds_of(hr) == ["question.escalated"]
    # The next week: reminded and escalated once more (once per window, not once in all).
    next_open, next_close = OPENS + timedelta(days=7), CLOSES + timedelta(days=7)
    assert selfservice.questions_sweep(now=next_open)["reminded"] == 1
    assert selfservice.questions_sweep(now=next_close)["escalated"] == 1
    assert selfservice.questions_sweep(now=next_close)["escalated"] == 0
    question.refresh_from_db()
    assert question.escalations == 2
    assert kinds_of(hr) == ["question.escalated", "question.escalated"]


def test_a_supervisor_away_when_the_window_opens_hands_over_to_the_delegate(users):
    question = ask(users["staff"])  # routed to the manager, present on Wednesday
    stand_in = emp("sh-business-1")
    away(emp("manager"), stand_in, starts=OPENS - timedelta(hours=2), days=2)
    assert selfservice.questions_sweep(now=OPENS)["reminded"] == 1
    question.refresh_from_db()
    assert (question.answerer, question.routed_via) == (stand_in, "delegate")
    assert kinds_of(stand_in.user) == ["question.reminder"]
    assert kinds_of(users["manager"]) == ["question.routed"]
    assert list(selfservice_selectors.open_questions_to_answer(stand_in)) == [question]
    # The stand-in answers it (the supervisor could too: the asker reports to them).
    selfservice.question_answer(user=stand_in.user, question_id=question.pk, answer="好的。")
    assert kinds_of(users["staff"]) == ["question.answered"]


def test_an_answered_question_is_neither_reminded_nor_escalated(users):
    question = ask(users["staff"])
    selfservice.question_answer(user=users["manager"], question_id=question.pk, answer="还有5天。")
    assert selfservice.questions_sweep(now=OPENS) == {"escalated": 0, "reminded": 0}
    assert selfservice.questions_sweep(now=CLOSES) == {"escalated": 0, "reminded": 0}
    assert kinds_of(users["hradmin"]) == []
    assert kinds_of(users["staff"]) == ["question.answered"]


def test_a_missed_week_escalates_once_and_moves_to_a_window_after_now(users):
    question = ask(users["staff"])
    much_later = CLOSES + timedelta(days=15, hours=1)  # two windows missed by the tick
    assert selfservice.questions_sweep(now=much_later)["escalated"] == 1
    question.refresh_from_db()
    assert question.escalations == 1 and question.window_opens_at > much_later


# --- Disputes: a score of one's own, named generically -------------------------------------


@pytest.fixture
def commission(users):
    from customers.models import Customer
    from integrations.services import commissions

    customer = Customer.objects.get(external_id="CUST-1002")  # owned by staff
    return commissions.order_mark_paid(customer=customer, external_id="SO-Q1", amount="1000")


def test_a_dispute_names_one_of_ones_own_scores(users, commission):
    dispute = ask(
        users["staff"],
        kind="dispute",
        subject="提成计算有误",
        reference_kind="commission",
        reference_id=str(commission.pk),
    )
    assert dispute.reference_label["en"].startswith("Commission on order SO-Q1: CNY ")
    assert dispute.reference_label["zh"] != dispute.reference_label["en"]
    before = Question.objects.count()
    for kind, ref, field in [
        ("commission", "", "reference"),  # a dispute without its score
        ("commission", "999999", "reference"),  # no such commission
        ("horoscope", "1", "reference"),  # not a kind of score
    ]:
        with pytest.raises(ValidationFailed) as caught:
            ask(users["staff"], kind="dispute", reference_kind=kind, reference_id=ref)
        assert field in caught.value.errors
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:  # not theirs
        ask(
            users["admin"],
            kind="dispute",
            reference_kind="commission",
            reference_id=str(commission.pk),
        )
    assert caught.value.errors == {"reference": "That is not one of your scores."}
    with pytest.raises(ValidationFailed) as caught:
        ask(users["staff"], subject=" ", body="")
    assert set(caught.value.errors) == {"subject", "body"}
    assert Question.objects.count() == before


# --- Who sees and answers what -------------------------------------------------------------


def test_people_see_their_own_and_supervisors_their_teams(users, api_as):
    mine = ask(users["staff"])
    theirs = ask(users["admin"])  # Sun Qiang reports to the Shanghai administration head
    staff, manager, manager2 = api_as("staff"), api_as("manager"), api_as("manager2")
    assert [q["id"] for q in staff.get("/api/v1/questions/").json()["results"]] == [mine.pk]
    assert staff.get(f"/api/v1/questions/{theirs.pk}/").status_code == 404
    team = manager.get("/api/v1/questions/?scope=team").json()["results"]
    assert [q["id"] for q in team] == [mine.pk]
    assert manager2.get(f"/api/v1/questions/{mine.pk}/").status_code == 404
    assert manager2.get("/api/v1/questions/").json()["results"] == []
    assert staff.get("/api/v1/questions/?scope=escalated").json()["results"] == []
    assert staff.get("/api/v1/questions/?scope=everyone").status_code == 400
    assert list(open_questions_for(emp("staff"))) == [mine]
    # Answering: not visible → 404; the asker → 403; twice → 409; nothing changed meanwhile.
    with pytest.raises(NotFound):
        selfservice.question_answer(user=users["manager2"], question_id=mine.pk, answer="x")
    with pytest.raises(PermissionDenied):
        selfservice.question_answer(user=users["staff"], question_id=mine.pk, answer="x")
    mine.refresh_from_db()
    assert mine.status == "open" and mine.answer == ""
    assert manager.post(f"/api/v1/questions/{mine.pk}/answer/", {"answer": ""}).status_code == 400
    response = manager.post(f"/api/v1/questions/{mine.pk}/answer/", {"answer": "还有5天。"})
    assert response.status_code == 200 and response.json()["status"] == "answered"
    assert response.json()["answered_by"]["username"] == "manager"
    with pytest.raises(Conflict):
        selfservice.question_answer(user=users["manager"], question_id=mine.pk, answer="y")
    assert open_questions_for(emp("staff")).count() == 0


def test_dispute_routed_and_escalated_outside_the_window_end_to_end(users, api_as, commission):
    staff = api_as("staff")
    created = staff.post(
        "/api/v1/questions/",
        {
            "kind": "dispute",
            "subject": "Commission too low",
            "body": "The rate should be the grade-3 rate.",
            "reference_kind": "commission",
            "reference_id": str(commission.pk),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["answerer"]["username"] == "manager" and body["routed_via"] == "supervisor"
    assert body["reference"]["kind"] == "commission"
    question = Question.objects.get(pk=body["id"])
    hr = api_as("hradmin")
    assert hr.get(f"/api/v1/questions/{question.pk}/").status_code == 404  # not HR's yet
    # The window passes without an answer: at its close the tick escalates to HR.
    selfservice.questions_sweep(now=question.window_opens_at)
    selfservice.questions_sweep(now=question.window_closes_at)
    escalated = hr.get("/api/v1/questions/?scope=escalated").json()["results"]
    assert [(q["id"], q["escalations"]) for q in escalated] == [(question.pk, 1)]
    assert kinds_of(users["hradmin"]) == ["question.escalated"]
    text = Notification.objects.get(recipient=users["hradmin"], kind="question.escalated")
    text = text.rendered("en")
    assert text.subject == "Unanswered score dispute from Zhou Ting: Commission too low"
    assert "Wang Jianguo did not answer it" in text.body
    answered = hr.post(
        f"/api/v1/questions/{question.pk}/answer/", {"answer": "Checked: grade 3 applies."}
    )
    assert answered.status_code == 200
    assert answered.json()["answered_by"]["username"] == "hradmin"
    assert kinds_of(users["staff"])[-1] == "question.answered"
    mine = staff.get(f"/api/v1/questions/{question.pk}/").json()
    assert (mine["status"], mine["answer"]) == ("answered", "Checked: grade 3 applies.")


# --- Pages ---------------------------------------------------------------------------------


def test_pages_ask_answer_and_hr_only_escalated_list(users, client_as):
    staff = client_as("staff")
    assert staff.get("/me/questions/").status_code == 200
    refused = staff.post("/me/questions/", {"kind": "dispute", "subject": "x", "body": "y"})
    assert refused.status_code == 400
    assert "reference" in refused.context["form"].errors
    sent = staff.post(
        "/me/questions/", {"kind": "question", "subject": "加班费", "body": "怎么算？"}
    )
    assert sent.status_code == 302
    question = Question.objects.get(subject="加班费")
    assert staff.get("/me/questions/escalated/").status_code == 403
    manager = client_as("manager")
    team = manager.get("/me/questions/team/").content.decode()
    assert f'data-answer-for="{question.pk}"' in team
    assert (
        client_as("manager2")
        .post(f"/me/questions/{question.pk}/answer/", {"answer": "x"})
        .status_code
        == 404
    )
    done = manager.post(f"/me/questions/{question.pk}/answer/", {"answer": "按1.5倍计算。"})
    assert done.status_code == 302
    page = staff.get("/me/questions/").content.decode()
    assert "按1.5倍计算。" in page
    assert client_as("hradmin").get("/me/questions/escalated/").status_code == 200


# --- One's own leave with a delegate -------------------------------------------------------


def _leave_form(delegate, starts, ends) -> dict:
    local = dj_timezone.localtime
    return {
        "starts_at": local(starts).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": local(ends).strftime("%Y-%m-%dT%H:%M"),
        "delegate": str(delegate.pk) if delegate else "",
        "reason": "年假",
    }


def test_leave_is_validated_with_form_errors_and_nothing_written(users, client_as):
    now = dj_timezone.now()
    start, end = now + timedelta(days=1), now + timedelta(days=3)
    finance = client_as("finance")
    stand_in, busy = emp("sh-finance-1"), emp("sh-finance-2")
    away(busy, starts=start + timedelta(days=1), days=1)
    left = org.employee_save(employee=_left(emp("sh-legal-2")))
    before = Absence.objects.count()
    cases = [
        (_leave_form(stand_in, end, start), "ends_at"),  # ends before it starts
        (_leave_form(stand_in, now - timedelta(days=3), now - timedelta(days=1)), "ends_at"),
        (_leave_form(emp("finance"), start, end), "delegate"),  # oneself
        (_leave_form(busy, start, end), "delegate"),  # away in the same period
        (_leave_form(None, start, end), "delegate"),
        (_leave_form(left, start, end), "delegate"),  # no longer employed
    ]
    for data, field in cases:
        response = finance.post("/me/leave/", data)
        assert response.status_code == 400, (data, field)
        assert field in response.context["form"].errors, (field, response.context["form"].errors)
    assert Absence.objects.count() == before
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        selfservice.absence_self_record(
            user=users["finance"], starts_at=start, ends_at=end, delegate_id=busy.pk
        )
    assert caught.value.errors["delegate"].endswith("is away themselves during this period.")


def _left(employee):
    employee.is_active = False
    return employee


def test_recorded_leave_tells_the_supervisor_and_crisis_duties_go_to_the_delegate(users, client_as):
    from crisis.services.filing import crisis_file

    now = dj_timezone.now()
    stand_in = emp("sh-finance-1")
    finance = users["finance"]
    response = client_as("finance").post(
        "/me/leave/",
        _leave_form(stand_in, now - timedelta(minutes=5), now + timedelta(days=2)),
    )
    assert response.status_code == 302
    absence = Absence.objects.get(employee=finance.employee)
    assert absence.delegate == stand_in and absence.kind == "leave"
    supervisor = finance.employee.manager.user
    assert kinds_of(supervisor)[-1] == "absence.recorded"
    assert kinds_of(stand_in.user)[-1] == "absence.recorded"
    again = client_as("finance").post(
        "/me/leave/", _leave_form(stand_in, now + timedelta(days=1), now + timedelta(days=4))
    )
    assert again.status_code == 400 and "starts_at" in again.context["form"].errors
    crisis = crisis_file(
        scenario="debt-collection-emergency",
        title="催收人员到访上海办公室",
        description="Collectors are shouting in the office.",
        actor=users["manager"],
    )
    task = crisis.tasks.get(duty_code="finance-records")
    assert task.assignee == stand_in


# --- The beat tick runs the sweep; lists in constant queries -------------------------------


def test_the_tick_escalates_through_the_registered_sweep(users, settings):
    import time_machine

    from hrcore.tasks import tick

    assert "hrcore.services.selfservice.questions_sweep" in settings.KEEL_TICK_SWEEPS
    question = ask(users["staff"])
    with time_machine.travel(CLOSES + timedelta(minutes=1), tick=False):
        tick()
        tick()  # a doubled beat escalates nothing twice
    question.refresh_from_db()
    assert question.escalations == 1
    assert kinds_of(users["hradmin"]) == ["question.escalated"]


def test_question_lists_take_the_same_queries_for_1_and_25_rows(users, api_as, client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api, page = api_as("manager"), client_as("manager")
    api.get("/api/v1/questions/")  # the token's first use writes its last-used time
    page.get("/me/questions/team/")
    counts = []
    for total in (1, 25):
        while Question.objects.count() < total:
            ask(users["staff"], subject=f"Q{Question.objects.count()}")
        with CaptureQueriesContext(connection) as api_queries:
            assert len(api.get("/api/v1/questions/?scope=team").json()["results"]) == total
        with CaptureQueriesContext(connection) as page_queries:
            assert page.get("/me/questions/team/").status_code == 200
        counts.append((len(api_queries), len(page_queries)))
    assert counts[0] == counts[1]


def test_a_performance_event_can_be_disputed_by_its_owner_only(users):
    from hrcore.services.performance import performance_event_record

    event = performance_event_record(
        employee=users["staff"].employee,
        kind="complaint",
        variant="high",
        source_key="test:complaint:dispute",
        summary=("客户投诉：交付延误", "Complaint: late delivery"),
    )
    dispute = ask(
        users["staff"],
        kind="dispute",
        subject="投诉不是我的责任",
        reference_kind="performance_event",
        reference_id=str(event.pk),
    )
    with translation.override("en"):
        kind_label = event.label  # the kind's words, not the summary (user text, two languages)
    assert dispute.reference_label["en"] == (
        f"Performance event #{event.pk}: {kind_label} ({event.points:+d} points, {event.period})"
    )
    assert dispute.reference_label["zh"].startswith(f"绩效事件 #{event.pk}：")
    with pytest.raises(ValidationFailed) as caught:  # someone else's event
        ask(
            users["manager"],
            kind="dispute",
            reference_kind="performance_event",
            reference_id=str(event.pk),
        )
    assert "reference" in caught.value.errors


def test_a_read_scope_token_cannot_ask_or_answer_and_writes_nothing(api_as, users):
    reader = api_as("staff", scopes=["read"])
    before = Question.objects.count()
    asked = reader.post("/api/v1/questions/", {"subject": "休假规定？"}, format="json")
    assert asked.status_code == 403
    assert reader.get("/api/v1/questions/").status_code == 200  # reading is what it may do
    assert Question.objects.count() == before
