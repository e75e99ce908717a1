"""Group robots (issue 13 §4): mentions of people the ladder asks to acknowledge are coalesced
per robot into one post; a throttled robot (DingTalk 20/min) keeps them queued — batched,
never dropped."""

from __future__ import annotations

import pytest

from integrations.models import RobotMention
from integrations.reach import robot_mention_queue, robot_mentions_flush

from .test_reach_ledger import channels  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def queue(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        assert robot_mention_queue(
            channel="dingtalk",
            crisis_id=None,
            address=f"dt-person-{i}",
            text=f"Person {i}: task assigned",
            dedupe_key=f"m:{i}",
        )


def test_forty_five_mentions_leave_in_one_post_not_forty_five(channels):  # noqa: F811
    queue(45)
    assert not robot_mention_queue(
        channel="dingtalk", crisis_id=None, address="dt-person-0", text="x", dedupe_key="m:0"
    )  # queued once per key
    assert robot_mentions_flush() == 45
    posts = [m for m in channels.messages if m["kind"] == "robot"]
    assert len(posts) == 1
    assert posts[0]["mentions"] == [f"dt-person-{i}" for i in range(45)]
    assert not RobotMention.objects.filter(sent_at__isnull=True).exists()


def test_a_throttled_robot_keeps_its_mentions_queued_and_sends_them_later(channels, sandbox):  # noqa: F811
    sandbox.knobs(dingtalk={"per_minute": 1})
    queue(3)
    assert robot_mentions_flush() == 3
    queue(2, start=3)
    assert robot_mentions_flush() == 0  # 130101: over the limit this minute
    pending = RobotMention.objects.filter(sent_at__isnull=True)
    assert pending.count() == 2
    assert "130101" in pending.first().last_error
    channels.robot_sent.clear()  # the next minute
    assert robot_mentions_flush() == 2
    posts = [m for m in channels.messages if m["kind"] == "robot"]
    assert [p["mentions"] for p in posts] == [
        ["dt-person-0", "dt-person-1", "dt-person-2"],
        ["dt-person-3", "dt-person-4"],
    ]


def test_without_a_robot_nothing_is_queued(channels):  # noqa: F811
    from integrations.models import ChannelProvider

    ChannelProvider.objects.filter(protocol="dingtalk-robot-channel").update(enabled=False)
    assert not robot_mention_queue(
        channel="dingtalk", crisis_id=None, address="dt-x", text="x", dedupe_key="m:x"
    )
