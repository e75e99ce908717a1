"""Issue 17 §1/§6: a walk-in complaint gets an outcome like a company complaint — decided by the
responsible employee's supervisor chain or HR, a dismissal taking its points back with a
compensating performance event — and the employee and their supervisor are told of the outcome
(of a company complaint too). The person page lists decided complaints of both kinds."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from crisis.models import WalkInConsumer
from crisis.services.walk_in import walk_in_complaint_file, walk_in_complaint_outcome_record
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Employee, Notification, PerformanceEvent
from hrcore.notification_kinds import render

GOOD = {
    "scenario": "customer-complaint",
    "title": "顾客投诉电水壶漏水",
    "consumer_name": "李娜",
    "consumer_phone": "13800138000",
    "consumer_purchase": "电水壶，小票 0042",
    "responsible": "staff",
}


def _file(users, **extra) -> WalkInConsumer:
    crisis = walk_in_complaint_file(**{**GOOD, **extra}, actor=users["manager"])
    return WalkInConsumer.objects.get(crisis=crisis)


def _events(crisis_pk: int) -> list[tuple[str, int]]:
    return list(
        PerformanceEvent.objects.filter(source_key__startswith=f"walk-in-complaint:{crisis_pk}")
        .order_by("pk")
        .values_list("source_key", "points")
    )


def _told(kind: str = "complaint.outcome") -> dict[str, dict]:
    return {
        n.recipient.username: n.params
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    }


@pytest.mark.django_db
def test_dismissing_a_walk_in_complaint_takes_its_points_back_and_tells_the_employee(
    crisis_world, users
):
    walk_in = _file(users, severity="high")
    key = f"walk-in-complaint:{walk_in.crisis_id}"
    assert _events(walk_in.crisis_id) == [(key, -3)]

    decided = walk_in_complaint_outcome_record(
        walk_in=walk_in, outcome="dismissed", note="Dropped at home", actor=users["manager"]
    )
    assert (decided.outcome, decided.outcome_note, decided.decided_by) == (
        "dismissed",
        "Dropped at home",
        users["manager"],
    )
    assert decided.decided_at is not None
    # A compensating event under <key>:reversed, never an edit of the first one.
    assert _events(walk_in.crisis_id) == [(key, -3), (f"{key}:reversed", 3)]
    entry = LogEntry.objects.get_for_object(decided).latest("timestamp")
    assert entry.changes_dict["outcome"] == ["open", "dismissed"]
    # The supervisor decided: only the employee is told (the decider knows).
    told = _told()
    assert set(told) == {"staff"}
    notice = Notification.objects.get(kind="complaint.outcome")
    text = render(notice.kind, notice.params, "en")
    assert text.subject == "Complaint about 李娜 decided: Dismissed"
    assert "its points are taken back" in text.body and "Dropped at home" in text.body
    text = render(notice.kind, notice.params, "zh-hans")
    assert "投诉不成立" in text.subject and "李娜" in text.subject

    # Again the same way: nothing more; otherwise: a conflict, nothing changes.
    walk_in_complaint_outcome_record(
        walk_in=walk_in, outcome="dismissed", note="Dropped at home", actor=users["manager"]
    )
    with pytest.raises(Conflict):
        walk_in_complaint_outcome_record(walk_in=walk_in, outcome="upheld", actor=users["hradmin"])
    assert WalkInConsumer.objects.get(pk=walk_in.pk).outcome == "dismissed"
    assert len(_events(walk_in.crisis_id)) == 2
    assert Notification.objects.filter(kind="complaint.outcome").count() == 1


@pytest.mark.django_db
def test_hr_upholding_keeps_the_points_and_tells_employee_and_supervisor(crisis_world, users):
    walk_in = _file(users)
    walk_in_complaint_outcome_record(walk_in=walk_in, outcome="upheld", actor=users["hradmin"])
    assert WalkInConsumer.objects.get(pk=walk_in.pk).outcome == "upheld"
    assert _events(walk_in.crisis_id) == [(f"walk-in-complaint:{walk_in.crisis_id}", -2)]
    told = _told()
    assert set(told) == {"staff", "manager"}
    assert (told["staff"]["as"], told["manager"]["as"]) == ("employee", "supervisor")
    notice = Notification.objects.get(kind="complaint.outcome", recipient=users["manager"])
    assert "stays on" in render(notice.kind, notice.params, "en").body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "outcome", "note", "error"),
    [
        ("staff", "dismissed", "not me", PermissionDenied),  # never the employee themselves
        ("manager2", "dismissed", "x", PermissionDenied),  # not their supervisor chain
        ("manager", "dismissed", "", ValidationFailed),  # a dismissal needs a reason
        ("manager", "forgotten", "x", ValidationFailed),
        ("manager", "upheld", "x" * 501, ValidationFailed),
    ],
)
def test_a_refused_outcome_changes_nothing(crisis_world, users, who, outcome, note, error):
    walk_in = _file(users)
    before = Notification.objects.count()
    with pytest.raises(error):
        walk_in_complaint_outcome_record(
            walk_in=walk_in, outcome=outcome, note=note, actor=users[who]
        )
    walk_in.refresh_from_db()
    assert (walk_in.outcome, walk_in.decided_at, walk_in.outcome_note) == ("open", None, "")
    assert len(_events(walk_in.crisis_id)) == 1
    assert Notification.objects.count() == before


@pytest.mark.django_db
def test_a_drill_complaint_has_nothing_to_take_back_and_its_notice_is_marked(crisis_world, users):
    walk_in = _file(users)
    type(walk_in.crisis).objects.filter(pk=walk_in.crisis_id).update(is_drill=True)
    PerformanceEvent.objects.filter(source_key__startswith="walk-in-complaint:").delete()
    walk_in_complaint_outcome_record(
        walk_in=walk_in, outcome="dismissed", note="practice", actor=users["hradmin"]
    )
    assert _events(walk_in.crisis_id) == []
    assert all(p.get("drill") is True for p in _told().values())


@pytest.mark.django_db
def test_the_supervisor_decides_from_the_person_page_and_sees_it_listed(
    crisis_world, users, client_as
):
    walk_in = _file(users, severity="high")
    staff = Employee.objects.get(user__username="staff")
    person = reverse("hrcore:person", args=[staff.pk])
    url = reverse("crisis:walk_in_outcome", args=[walk_in.crisis_id])
    manager = client_as("manager")
    page = manager.get(person).content.decode()
    assert f'data-walk-in="{walk_in.crisis_id}"' in page and url in page
    # The employee sees their complaint but no form to decide it.
    own = client_as("staff").get(person).content.decode()
    assert f'data-walk-in="{walk_in.crisis_id}"' in own and url not in own

    response = manager.post(url, {"outcome": "dismissed", "note": "Wrong store", "next": person})
    assert response.status_code == 302 and response["Location"] == person
    page = manager.get(person).content.decode()
    assert f'data-walk-in="{walk_in.crisis_id}"' not in page  # no longer open
    assert f'data-decided-complaint="walk-in-{walk_in.crisis_id}"' in page
    assert 'data-outcome="dismissed"' in page and "Wrong store" in page


@pytest.mark.django_db
def test_outcome_from_the_crisis_page_and_an_outsider_gets_404(crisis_world, users, client_as):
    walk_in = _file(users)
    detail = reverse("crisis:detail", args=[walk_in.crisis_id])
    url = reverse("crisis:walk_in_outcome", args=[walk_in.crisis_id])
    page = client_as("manager").get(detail).content.decode()
    assert 'data-testid="walk-in-outcome-form"' in page
    # Someone who may see neither the crisis nor the employee: as if it did not exist.
    assert client_as("legal").post(url, {"outcome": "upheld"}).status_code == 404
    # A bad "next" goes back to the crisis page.
    response = client_as("manager").post(url, {"outcome": "upheld", "next": "https://evil.test/"})
    assert response.status_code == 302 and response["Location"] == detail
    assert WalkInConsumer.objects.get(pk=walk_in.pk).outcome == "upheld"
    page = client_as("manager").get(detail).content.decode()
    assert 'data-testid="walk-in-outcome-form"' not in page  # decided: no form any more
    assert client_as("manager").get(url).status_code == 405


@pytest.mark.django_db
def test_the_employee_named_is_refused_and_junk_is_a_message_and_neither_writes(
    crisis_world, users, client_as
):
    walk_in = _file(users)
    url = reverse("crisis:walk_in_outcome", args=[walk_in.crisis_id])
    # The employee named may see their own page, but never decides their complaint: 403.
    refused = client_as(walk_in.responsible.user.username).post(
        url, {"outcome": "dismissed", "note": "Not me"}
    )
    assert refused.status_code == 403
    # Junk from the one who may decide: back to the page with the reason, nothing written.
    junk = client_as("manager").post(url, {"outcome": "<script>", "note": "x" * 5000})
    assert junk.status_code == 302
    walk_in.refresh_from_db()
    assert (walk_in.outcome, walk_in.decided_by) == ("open", None)
    assert not _told()


@pytest.mark.django_db
def test_the_outcome_is_on_the_crisis_timeline_once_in_both_languages(
    crisis_world, users, client_as
):
    from crisis.choices import EventKind
    from crisis.models import TimelineEvent
    from hrcore.services.org import user_preferences_update

    walk_in = _file(users)
    decided = TimelineEvent.objects.filter(
        crisis_id=walk_in.crisis_id, kind=EventKind.COMPLAINT_DECIDED
    )
    with pytest.raises(ValidationFailed):  # refused: nothing on the timeline
        walk_in_complaint_outcome_record(
            walk_in=walk_in, outcome="dismissed", note="", actor=users["manager"]
        )
    assert not decided.exists()
    for _twice in range(2):  # the same decision again changes nothing
        walk_in_complaint_outcome_record(
            walk_in=walk_in, outcome="dismissed", note="顾客认错了人", actor=users["manager"]
        )
    (event,) = decided
    assert (event.actor, event.data) == (
        users["manager"],
        {"outcome": "dismissed", "note": "顾客认错了人"},
    )
    detail = reverse("crisis:detail", args=[walk_in.crisis_id])
    page = client_as("manager").get(detail).content.decode()
    note = '<span data-user-content="">顾客认错了人</span>'  # the reason, marked as typed
    assert f"王建国 记录了投诉处理结果：投诉不成立（{note}）。" in page
    user_preferences_update(user=users["manager"], language="en")
    page = client_as("manager").get(detail).content.decode()
    assert f"Wang Jianguo recorded the complaint's outcome: Dismissed ({note})." in page
