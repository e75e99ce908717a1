"""``hrcore.inserts.insert_objects``: the plain INSERT a filing writes its rows with behaves as
``bulk_create`` — keys read back, values converted where the column needs it, conflicts
skipped only when asked, related objects saved first taken by their key — and
``pipelined``, which sends them to PostgreSQL without waiting for each answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from hrcore.inserts import insert_objects, pipelined
from hrcore.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db


def test_rows_get_their_keys_and_read_back_equal(users):
    at = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    rows = [
        Notification(
            recipient=users["manager"],
            kind="crisis.task",
            params={"title": "付款记录", "n": i},
            link=f"/c/{i}",
            data={"crisis_id": i},
            dedupe_key=f"inserts:{i}",
            created_at=at,
        )
        for i in range(3)
    ]
    written = insert_objects(rows)
    assert [r.pk for r in written] == [r.pk for r in rows]
    assert all(r.pk is not None and not r._state.adding for r in rows)
    for i, row in enumerate(rows):
        stored = Notification.objects.get(pk=row.pk)
        assert stored.params == {"title": "付款记录", "n": i}
        assert stored.data == {"crisis_id": i}
        assert stored.created_at == at
        assert stored.recipient_id == users["manager"].pk
        assert stored.dedupe_key == f"inserts:{i}"


def test_a_clash_raises_unless_conflicts_are_ignored():
    insert_objects([OutboxMessage(channel="event", dedupe_key="same", payload={"a": 1})])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects([OutboxMessage(channel="event", dedupe_key="same", payload={"a": 2})])
    insert_objects(
        [
            OutboxMessage(channel="event", dedupe_key="same", payload={"a": 3}),
            OutboxMessage(channel="event", dedupe_key="other", payload={"a": 4}),
        ],
        ignore_conflicts=True,
    )
    assert OutboxMessage.objects.get(dedupe_key="same").payload == {"a": 1}
    assert OutboxMessage.objects.get(dedupe_key="other").payload == {"a": 4}


def test_a_related_object_saved_after_assignment_is_taken_by_its_key(users):
    from django.contrib.auth import get_user_model

    user = get_user_model()(username="late-saved")
    note = Notification(recipient=user, kind="crisis.task", params={}, dedupe_key="late")
    user.save()  # saved after it was assigned: the row must still point at it
    insert_objects([note])
    assert Notification.objects.get(dedupe_key="late").recipient_id == user.pk
    unsaved = get_user_model()(username="never-saved")
    with pytest.raises(ValueError, match="unsaved"):
        insert_objects([Notification(recipient=unsaved, kind="crisis.task", dedupe_key="x")])


def test_pipelined_rows_are_written_and_a_read_inside_sees_those_sent_before_it():
    with transaction.atomic(), pipelined():
        sent = insert_objects(
            [
                OutboxMessage(channel="event", dedupe_key=f"p{i}", payload={"i": i})
                for i in range(3)
            ],
            keys=False,
        )
        assert all(row.pk is None for row in sent)  # nothing read back, nothing waited for
        seen = list(
            OutboxMessage.objects.filter(dedupe_key__startswith="p")
            .order_by("dedupe_key")
            .values_list("payload", flat=True)
        )
        with_keys = insert_objects([OutboxMessage(channel="event", dedupe_key="k", payload={})])
    assert seen == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert with_keys[0].pk == OutboxMessage.objects.get(dedupe_key="k").pk


@pytest.mark.parametrize("last", [False, True], ids=["then-more", "last"])
def test_a_pipelined_clash_raises_djangos_error_and_the_write_rolls_back(last):
    """Wherever the clash is — answered while later statements are sent, or only when the
    block ends — it is Django's ``IntegrityError`` and nothing of the block is kept."""
    insert_objects([OutboxMessage(channel="event", dedupe_key="same", payload={"a": 1})])
    keys = ["before", "same"] + ([] if last else ["after"])
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined():
        for key in keys:
            insert_objects([OutboxMessage(channel="event", dedupe_key=key, payload={})], keys=False)
    assert not OutboxMessage.objects.filter(dedupe_key__in=["before", "after"]).exists()
    assert OutboxMessage.objects.get(dedupe_key="same").payload == {"a": 1}
    # The connection is usable after the error (the pipeline ended with the block).
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
