"""The Celery app: thin tasks that call services, acks late, prefetch 1, a separate ``sla`` queue."""

import os

from celery import Celery
from celery.worker.consumer import Consumer
from kombu import Queue

from . import broker as _broker  # noqa: F401  registers the keelfs:// transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrcore.settings.local")


class KeelConsumer(Consumer):
    """The worker's broker consumer, reconnecting every second after the broker went away.

    Celery's consumer reconnects with kombu's default backoff (2, 4, 6 … 30 s), so after a
    30-s Redis outage the workers listened again 10–30 s after Redis was back and every timer
    due meanwhile fired that much later (fault suite). A local broker costs nothing to retry,
    and the worker retries for as long as it takes (it is supervised anyway)."""

    def ensure_connected(self, conn):
        ensure = conn.ensure_connection

        def ensure_quickly(*args, **kwargs):
            kwargs.setdefault("interval_start", 1)
            kwargs.setdefault("interval_step", 0)
            kwargs.setdefault("interval_max", 1)
            return ensure(*args, **kwargs)

        conn.ensure_connection = ensure_quickly
        return super().ensure_connected(conn)


app = Celery("keel", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("sla"))
app.conf.broker_connection_retry_on_startup = True
app.conf.broker_connection_max_retries = None  # a worker waits for its broker, never exits
app.conf.worker_consumer = "hrcore.celery:KeelConsumer"
if app.conf.broker_url.startswith(("filesystem", "keelfs")):
    # The filesystem transport has no fan-out exchange: no remote control or events.
    app.conf.worker_enable_remote_control = False
    app.conf.worker_send_task_events = False
app.autodiscover_tasks()
