"""The embedded broker (keelfs://): an empty or half-written message file is never fatal."""

from __future__ import annotations

import os
import time

import pytest
from kombu import Connection
from kombu.transport import filesystem

from hrcore import broker


@pytest.fixture(autouse=True)
def _fresh_broker_state():
    """kombu keeps declared exchanges per transport class, across connections: start clean so
    each test's bindings are written into its own control folder."""
    for transport in (broker.Transport, filesystem.Transport):
        transport.global_state.clear()


def _folders(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
        "quarantine_folder": str(tmp_path / "quarantine"),
    }


def _bad_files(queue_dir, age: float):
    """An empty file and a truncated JSON file that sort before any message written now."""
    empty = queue_dir / "0000_empty.jobs.msg"
    empty.write_bytes(b"")
    partial = queue_dir / "0001_partial.jobs.msg"
    partial.write_bytes(b'{"body": "eyJ0YXNrIj')
    then = time.time() - age
    for path in (empty, partial):
        os.utime(path, (then, then))
    return empty, partial


@pytest.mark.parametrize("transport", ["keelfs"])
def test_empty_and_partial_files_are_quarantined_and_the_next_message_is_delivered(
    tmp_path, transport
):
    options = _folders(tmp_path)
    empty, partial = _bad_files(tmp_path / "queue", age=60)
    with Connection(f"{transport}://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 1})
        message = queue.get(timeout=1)
        assert message.payload == {"n": 1}
        message.ack()
        queue.close()
    assert not empty.exists() and not partial.exists()
    assert sorted(os.listdir(tmp_path / "quarantine")) == [empty.name, partial.name]
    assert os.listdir(tmp_path / "queue") == []


def test_a_young_unreadable_file_is_left_for_its_writer_and_later_delivered(tmp_path):
    """A file a (non-atomic) writer is still writing is put back, not quarantined."""
    options = _folders(tmp_path)
    with Connection("keelfs://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 2})
        # an old-style writer created its file but has not written yet
        young = tmp_path / "queue" / "0000_writer.jobs.msg"
        young.write_bytes(b"")
        message = queue.get(timeout=1)
        assert message.payload == {"n": 2}
        message.ack()
        assert young.exists()
        assert not (tmp_path / "quarantine").exists() or os.listdir(tmp_path / "quarantine") == []
        # the writer finishes: the message is delivered whole
        with Connection("filesystem://", transport_options=options) as writer:
            writer.SimpleQueue("jobs").put({"n": 3})
        written = sorted(p for p in os.listdir(tmp_path / "queue") if p != young.name)[0]
        os.replace(tmp_path / "queue" / written, young)
        message = queue.get(timeout=1)
        assert message.payload == {"n": 3}
        message.ack()
        queue.close()


def test_writes_are_atomic_no_partial_file_is_ever_visible(tmp_path):
    options = _folders(tmp_path)
    with Connection("keelfs://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        for n in range(20):
            queue.put({"n": n})
        names = os.listdir(tmp_path / "queue")
        assert len(names) == 20 and all(n.endswith(".jobs.msg") for n in names)
        # (same-millisecond messages come in any order, as with stock kombu)
        assert sorted(queue.get(timeout=1).payload["n"] for _ in range(20)) == list(range(20))
        queue.close()


def test_the_embedded_default_uses_the_safe_transport(settings):
    if os.environ.get("REDIS_URL"):
        pytest.skip("the Redis tier uses Redis as its broker")
    assert settings.CELERY_BROKER_URL == "keelfs://"
