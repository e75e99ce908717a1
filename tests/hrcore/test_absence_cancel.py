"""Issue 17 §2: a person cancels their own leave from /me/leave/ — a leave that has not begun is
removed, one already running ends now — and what recording it did is undone: the resolver no
longer hands their duties to the delegate, the supervisor and the delegate are told, an audit
entry says who cancelled it. Someone else's leave, one already over and one the HR system
recorded are refused and stay as they were."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from hrcore.errors import Conflict, NotFound
from hrcore.models import Absence, Employee, Notification
from hrcore.notification_kinds import render
from hrcore.services import org, selfservice

pytestmark = pytest.mark.django_db


def emp(username: str) -> Employee:
    return Employee.objects.select_related("user", "manager__user").get(user__username=username)


def _leave(username: str, *, starts, days: int = 2, **extra) -> Absence:
    absence = selfservice.absence_self_record(
        user=emp(username).user,
        starts_at=starts,
        ends_at=starts + timedelta(days=days),
        delegate_id=emp("sh-finance-1").pk,
        reason="年假",
    )
    if extra:
        Absence.objects.filter(pk=absence.pk).update(**extra)
        absence.refresh_from_db()
    return absence


def _cancelled_notices() -> dict[str, dict]:
    return {
        n.recipient.username: n.params
        for n in Notification.objects.filter(kind="absence.cancelled").select_related("recipient")
    }


def _file_debt_crisis(users):
    from crisis.services.filing import crisis_file

    return crisis_file(
        scenario="debt-collection-emergency",
        title="催收人员到访上海办公室",
        description="Collectors are shouting in the office.",
        actor=users["manager"],
    )


def test_a_future_leave_is_removed_and_supervisor_and_delegate_are_told(users, client_as):
    now = timezone.now()
    absence = _leave("finance", starts=now + timedelta(days=1))
    finance = emp("finance")
    response = client_as("finance").post(reverse("absence_self_cancel", args=[absence.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("absence_self")
    assert not Absence.objects.filter(pk=absence.pk).exists()
    told = _cancelled_notices()
    assert set(told) == {finance.manager.user.username, "sh-finance-1"}
    params = told["sh-finance-1"]
    assert params["ended_early"] is False
    en = render("absence.cancelled", params, "en")
    assert en.subject.startswith(f"{finance.name_en} cancelled their leave ")
    assert en.body == f"{emp('sh-finance-1').name_en} no longer stands in for them."
    zh = render("absence.cancelled", params, "zh-hans")
    assert zh.subject.startswith(f"{finance.name_zh} 取消了")
    # The audit entry: who cancelled what.
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Absence),
        object_pk=str(absence.pk),
        additional_data__cancelled_by="employee",
    ).get()
    assert entry.actor == users["finance"] and entry.action == LogEntry.Action.DELETE
    # Twice: it is gone, a 404; nothing more is sent.
    again = client_as("finance").post(reverse("absence_self_cancel", args=[absence.pk]))
    assert again.status_code == 404
    assert Notification.objects.filter(kind="absence.cancelled").count() == 2


def test_a_running_leave_ends_now_and_duties_go_to_the_person_again(users, client_as):
    now = timezone.now()
    absence = _leave("finance", starts=now - timedelta(hours=1))
    stand_in = emp("sh-finance-1")
    assert _file_debt_crisis(users).tasks.get(duty_code="finance-records").assignee == stand_in

    client_as("finance").post(reverse("absence_self_cancel", args=[absence.pk]))
    absence.refresh_from_db()
    # The hour taken stays on record; it is over now.
    assert absence.starts_at < absence.ends_at <= timezone.now()
    assert _cancelled_notices()["sh-finance-1"]["ended_early"] is True
    assert render("absence.cancelled", _cancelled_notices()["sh-finance-1"], "en").body.startswith(
        f"{emp('finance').name_en} is back early."
    )
    # The resolver no longer hands the person's duties to the delegate.
    task = _file_debt_crisis(users).tasks.get(duty_code="finance-records")
    assert task.assignee == emp("finance")
    page = client_as("finance").get(reverse("absence_self")).content.decode()
    assert reverse("absence_self_cancel", args=[absence.pk]) not in page  # over: no button


def test_refused_cancellations_change_nothing(users, client_as):
    now = timezone.now()
    mine = _leave("finance", starts=now + timedelta(days=1))
    over = org.absence_record(
        employee=emp("finance"),
        starts_at=now - timedelta(days=5),
        ends_at=now - timedelta(days=4),
        delegate=emp("sh-finance-1"),
    )
    from_hr = _leave("finance", starts=now + timedelta(days=10), external_id="HR-ABS-7")
    # Entered by HR (a business trip with a chosen delegate): HR's to change, not the person's.
    by_hr = org.absence_record(
        employee=emp("finance"),
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=22),
        delegate=emp("sh-finance-1"),
    )
    snapshot = list(Absence.objects.order_by("pk").values_list("pk", "starts_at", "ends_at"))

    # Someone else's: as if it did not exist.
    assert client_as("staff").post(reverse("absence_self_cancel", args=[mine.pk])).status_code == (
        404
    )
    with pytest.raises(NotFound):
        selfservice.absence_self_cancel(user=users["hradmin"], absence_id=mine.pk)
    with pytest.raises(Conflict):
        selfservice.absence_self_cancel(user=users["finance"], absence_id=over.pk)
    with pytest.raises(Conflict):
        selfservice.absence_self_cancel(user=users["finance"], absence_id=from_hr.pk)
    with pytest.raises(Conflict, match="人事录入"):
        selfservice.absence_self_cancel(user=users["finance"], absence_id=by_hr.pk)
    response = client_as("finance").post(reverse("absence_self_cancel", args=[over.pk]))
    assert response.status_code == 302  # back to the page with the reason as a message
    assert client_as("finance").get(reverse("absence_self_cancel", args=[mine.pk])).status_code == (
        405
    )
    assert list(Absence.objects.order_by("pk").values_list("pk", "starts_at", "ends_at")) == (
        snapshot
    )
    assert not Notification.objects.filter(kind="absence.cancelled").exists()
    page = client_as("finance").get(reverse("absence_self")).content.decode()
    assert reverse("absence_self_cancel", args=[mine.pk]) in page
    assert reverse("absence_self_cancel", args=[from_hr.pk]) not in page
    assert reverse("absence_self_cancel", args=[over.pk]) not in page
    assert reverse("absence_self_cancel", args=[by_hr.pk]) not in page


def test_a_failure_after_the_removal_leaves_the_leave_in_place(users, monkeypatch):
    from hrcore.services import selfservice as module

    absence = _leave("finance", starts=timezone.now() + timedelta(days=1))

    def broken(**kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(module, "notification_send", broken)
    with pytest.raises(RuntimeError):
        selfservice.absence_self_cancel(user=users["finance"], absence_id=absence.pk)
    assert Absence.objects.filter(pk=absence.pk).exists()
