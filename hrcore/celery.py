"""The Celery app: thin tasks that call services, acks late, prefetch 1, a separate ``sla`` queue."""

import os

from celery import Celery
from kombu import Queue

from . import broker as _broker  # noqa: F401  registers the keelfs:// transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrcore.settings.local")

app = Celery("keel", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("sla"))
app.conf.broker_connection_retry_on_startup = True
if app.conf.broker_url.startswith(("filesystem", "keelfs")):
    # The filesystem transport has no fan-out exchange: no remote control or events.
    app.conf.worker_enable_remote_control = False
    app.conf.worker_send_task_events = False
app.autodiscover_tasks()
