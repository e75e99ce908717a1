"""``hrcore.inserts.insert_objects``: the plain INSERT a filing writes its rows with behaves as
``bulk_create`` — keys read back, values converted where the column needs it, conflicts
skipped only when asked, related objects saved first taken by their key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from hrcore.inserts import insert_objects
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
