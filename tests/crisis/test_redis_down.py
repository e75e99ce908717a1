"""Redis down ≠ API down: with cache and broker on a Redis that is stopped, filing and listing
crises answer 2xx, their side effects wait in the outbox, /healthz names the broker as down;
after Redis returns the relay delivers every one of them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.core import mail

from hrcore.choices import OutboxStatus
from hrcore.models import OutboxMessage
from tests.run_tiers import free_port

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BODY = {
    "scenario": "debt-collection-emergency",
    "title": "Collectors in the Shanghai office",
    "description": "Two collectors, shouting.",
    "unit": "sh-business",
    "severity": "high",
}


class ThrowAwayRedis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    server = ThrowAwayRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_that_redis(redis_server, settings):
    """Point the cache and the Celery broker at the throw-away Redis; tasks really go to the
    broker (not eager), as in production."""
    from hrcore.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": settings.CACHES["default"]["BACKEND"],
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.broker_url = redis_server.url
    app.conf.task_always_eager = False
    app.pool.force_close_all()
    app._pool = None
    yield redis_server
    app.conf.update(saved)
    app.pool.force_close_all()
    app._pool = None


def test_with_redis_stopped_the_api_answers_and_side_effects_are_relayed_later(
    crisis_world, api_as, on_that_redis
):
    from hrcore.services.outbox import outbox_relay_due

    api = api_as("manager")
    assert api.get("/api/v1/crises/").status_code == 200  # Redis up: warm
    on_that_redis.stop()
    before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    filed = api.post("/api/v1/crises/", BODY, format="json")
    assert filed.status_code == 201, filed.content
    listed = api.get("/api/v1/crises/")
    assert listed.status_code == 200, listed.content
    assert [c["id"] for c in listed.json()["results"]] == [filed.json()["id"]]
    pending = set(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING).values_list("pk", flat=True)
    )
    assert pending, "filing wrote no outbox rows"
    assert mail.outbox == []

    health = api.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["broker"]["ok"] is False

    on_that_redis.start()
    for _ in range(10):
        if not outbox_relay_due():
            break
    # Every row the filing wrote is delivered, and so is every row its fan-out row wrote when
    # the relay ran it (the e-mails among them).
    written = OutboxMessage.objects.filter(pk__gt=before)
    assert pending <= set(written.values_list("pk", flat=True))
    assert set(written.exclude(status=OutboxStatus.SENT).values_list("pk", flat=True)) == set()
    emails = written.filter(channel="email").count()
    assert emails > 0
    assert len(mail.outbox) == emails
    assert api.get("/healthz").json()["checks"]["broker"]["ok"] is True
