"""Acknowledgement and the escalation ladder (issue 13 §4): the signed short-lived link in the
IM card (one tap, no password; used/expired/forged links change nothing), the IM card's tap
callback, and the ladder: unacknowledged after the severity's minutes the next channel is
tried, channels without an id are skipped and say so, then the manager is told, each step on
the crisis timeline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crisis.choices import EventKind
from crisis.models import Task, TimelineEvent
from hrcore.contact import DeliveryState
from hrcore.models import Employee, MessageDelivery, Notification, ReachPolicy
from hrcore.reach import _ladder_step, deliveries_plan_due, ladder_sweep, reach_policy

from .test_reach_ledger import channels, post_callback, relay  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(channels, file_crisis):  # noqa: F811
    """A filed crisis whose task assignments went out on DingTalk; returns (crisis, anchor,
    the DingTalk message the assignee received)."""
    crisis = file_crisis()
    deliveries_plan_due()
    relay()
    anchor = (
        MessageDelivery.objects.filter(crisis_id=crisis.pk, kind="task.assigned", channel="inapp")
        .select_related("notification")
        .first()
    )
    row = MessageDelivery.objects.get(
        message_key=anchor.message_key, recipient_id=anchor.recipient_id, channel="dingtalk"
    )
    [received] = [m for m in channels.messages if m["id"] == row.provider_message_id]
    return crisis, anchor, received


def ack_path(received: dict) -> str:
    match = re.search(r"https?://[^/]+(/r/ack/[^/]+/)", received["link"])
    assert match, received["link"]
    return match.group(1)


def test_the_card_carries_a_one_tap_link_that_acknowledges_without_a_password(assigned, client):
    crisis, anchor, received = assigned
    path = ack_path(received)
    page = client.get(path)  # anonymous: the signed token is the credential
    assert page.status_code == 200
    assert 'data-state="confirm"' in page.content.decode()
    anchor.refresh_from_db()
    assert anchor.acknowledged_at is None  # a link preview fetching the URL changes nothing
    done = client.post(path)
    assert done.status_code == 200 and 'data-state="done"' in done.content.decode()
    anchor.refresh_from_db()
    assert anchor.state == DeliveryState.ACKNOWLEDGED and anchor.acknowledged_at
    assert anchor.next_step_at is None  # the ladder stops
    task = Task.objects.get(pk=anchor.notification.data["task_id"])
    assert task.acknowledged_at is not None  # the task itself is acknowledged
    assert (
        MessageDelivery.objects.filter(
            crisis_id=crisis.pk, kind="task.assigned", channel="inapp", state="acknowledged"
        ).count()
        == 1
    )


def test_a_used_link_shows_a_clear_page_and_changes_nothing(assigned, client):
    _crisis, anchor, received = assigned
    path = ack_path(received)
    client.post(path)
    anchor.refresh_from_db()
    first = anchor.acknowledged_at
    again = client.post(path)
    assert again.status_code == 409
    assert 'data-state="used"' in again.content.decode()
    assert client.get(path).status_code == 200
    anchor.refresh_from_db()
    assert anchor.acknowledged_at == first


def test_an_expired_link_shows_a_clear_page_and_changes_nothing(assigned, client):
    _crisis, anchor, received = assigned
    path = ack_path(received)
    hours = reach_policy().ack_link_hours
    with time_machine.travel(timezone.now() + timedelta(hours=hours, minutes=1)):
        response = client.post(path)
    assert response.status_code == 410
    assert 'data-state="expired"' in response.content.decode()
    anchor.refresh_from_db()
    assert anchor.acknowledged_at is None


def test_a_forged_link_is_refused_and_changes_nothing(assigned, client):
    _crisis, anchor, received = assigned
    path = ack_path(received)
    token = path.split("/")[3]
    tampered = f"/r/ack/{token[:-3]}abc/"
    response = client.post(tampered)
    assert response.status_code == 400
    assert 'data-state="invalid"' in response.content.decode()
    assert client.post("/r/ack/not-a-token/").status_code == 400
    anchor.refresh_from_db()
    assert anchor.acknowledged_at is None


def test_a_tap_on_the_im_card_acknowledges_through_the_signed_callback(assigned, client):
    _crisis, anchor, received = assigned
    payload = {"provider": "dingtalk", "message_id": received["id"], "event": "acknowledged"}
    response = post_callback(client, "dingtalk", payload, event_id="tap-1")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    anchor.refresh_from_db()
    assert anchor.acknowledged_at is not None
    assert post_callback(client, "dingtalk", payload, event_id="tap-1").status_code == 409


def steps_of(crisis):
    return list(
        TimelineEvent.objects.filter(crisis=crisis, kind=EventKind.REACH_STEP).order_by("id")
    )


def test_unacknowledged_messages_climb_the_ladder_then_reach_the_manager(assigned, channels):  # noqa: F811
    crisis, anchor, _received = assigned
    minutes = reach_policy().minutes_for(crisis.severity)
    assert anchor.next_step_at == anchor.created_at + timedelta(minutes=minutes)
    employee = Employee.objects.select_related("manager").get(user_id=anchor.recipient_id)
    # Not due yet: nothing happens.
    assert ladder_sweep(now=anchor.next_step_at - timedelta(seconds=1)) == 0
    climbed = []
    at = anchor.next_step_at
    for _ in range(6):
        ladder_sweep(now=at)
        relay()
        anchor.refresh_from_db()
        climbed = list(
            MessageDelivery.objects.filter(
                message_key=anchor.message_key, recipient_id=anchor.recipient_id
            )
            .exclude(channel__in=["inapp", "email"])  # the first rung, with in-app
            .order_by("rung", "id")
            .values_list("channel", "state")
        )
        if anchor.next_step_at is None:
            break
        at = anchor.next_step_at
    assert [c for c, _s in climbed] == ["dingtalk", "wecom", "feishu", "sms", "voice"]
    assert {s for _c, s in climbed} == {DeliveryState.SENT}
    received = {(m["provider"], m["to"]) for m in channels.messages}
    assert ("sms", employee.mobile) in received and ("voice", employee.mobile) in received
    steps = steps_of(crisis)
    mine = [e for e in steps if e.data["recipient_id"] == anchor.recipient_id]
    assert [e.data["channel"] for e in mine] == ["wecom", "feishu", "sms", "voice", ""]
    if employee.manager_id:
        assert mine[-1].data["manager"] == employee.manager.name
        assert Notification.objects.filter(
            recipient_id=employee.manager.user_id, kind="reach.manager"
        ).exists()
    assert anchor.next_step_at is None
    # The end of the ladder: nothing more, however long nobody answers.
    assert ladder_sweep(now=at + timedelta(days=1)) == 0 or anchor.next_step_at is None


def test_a_missing_channel_id_is_skipped_and_the_step_says_so(assigned):
    crisis, anchor, _received = assigned
    Employee.objects.filter(user_id=anchor.recipient_id).update(wecom_user_id="")
    ladder_sweep(now=anchor.next_step_at)
    rows = dict(
        MessageDelivery.objects.filter(
            message_key=anchor.message_key, recipient_id=anchor.recipient_id
        ).values_list("channel", "state")
    )
    assert rows["wecom"] == DeliveryState.FAILED
    assert rows["feishu"] == DeliveryState.QUEUED
    assert (
        MessageDelivery.objects.get(
            message_key=anchor.message_key, recipient_id=anchor.recipient_id, channel="wecom"
        ).reason
        == "skipped: no address on this channel"
    )
    [step] = [e for e in steps_of(crisis) if e.data["recipient_id"] == anchor.recipient_id]
    assert step.data["channel"] == "feishu"
    assert step.data["skipped"] == [{"channel": "wecom", "reason": "no_address"}]


def test_a_permanent_failure_tries_the_next_channel_without_waiting(assigned):
    _crisis, anchor, _received = assigned
    row = MessageDelivery.objects.get(
        message_key=anchor.message_key, recipient_id=anchor.recipient_id, channel="dingtalk"
    )
    from hrcore.reach import delivery_mark_failed

    MessageDelivery.objects.filter(pk=row.pk).update(state="queued")
    row.refresh_from_db()
    delivery_mark_failed(row, reason="33012 无效的USERID")
    anchor.refresh_from_db()
    now = timezone.now()
    assert anchor.next_step_at <= now
    ladder_sweep(now=now)
    assert MessageDelivery.objects.filter(
        message_key=anchor.message_key, recipient_id=anchor.recipient_id, channel="wecom"
    ).exists()


def test_acknowledged_messages_do_not_climb(assigned, client):
    crisis, anchor, received = assigned
    client.post(ack_path(received))
    ladder_sweep(now=anchor.next_step_at + timedelta(hours=1))
    assert not MessageDelivery.objects.filter(
        message_key=anchor.message_key, recipient_id=anchor.recipient_id, channel="wecom"
    ).exists()
    assert [e for e in steps_of(crisis) if e.data["recipient_id"] == anchor.recipient_id] == []


def test_two_sweeps_never_take_the_same_step(assigned):
    crisis, anchor, _received = assigned
    policy, available = reach_policy(), frozenset({"dingtalk", "wecom", "feishu", "sms", "voice"})
    due = anchor.next_step_at
    assert _ladder_step(anchor.pk, due, now=due, policy=policy, available=available)
    assert not _ladder_step(anchor.pk, due, now=due, policy=policy, available=available)
    assert (
        MessageDelivery.objects.filter(
            message_key=anchor.message_key, recipient_id=anchor.recipient_id, channel="wecom"
        ).count()
        == 1
    )
    assert len([e for e in steps_of(crisis) if e.data["recipient_id"] == anchor.recipient_id]) == 1


def test_hr_admins_set_the_minutes_per_severity(channels, file_crisis):  # noqa: F811
    ReachPolicy.objects.create(critical_minutes=1, high_minutes=2, medium_minutes=7, low_minutes=9)
    crisis = file_crisis()
    deliveries_plan_due()
    anchor = MessageDelivery.objects.filter(
        crisis_id=crisis.pk, kind="task.assigned", channel="inapp"
    ).first()
    expected = {"critical": 1, "high": 2, "medium": 7, "low": 9}[crisis.severity]
    assert anchor.next_step_at == anchor.created_at + timedelta(minutes=expected)
