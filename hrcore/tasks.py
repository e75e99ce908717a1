"""Periodic plumbing: the timer tick heartbeat and the outbox relay."""

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string

from . import services


@shared_task(name="hrcore.tasks.tick")
def tick() -> None:
    """Record the heartbeat and run every app's sweep registered in ``KEEL_TICK_SWEEPS``."""
    services.heartbeat_record(name="tick")
    for path in getattr(settings, "KEEL_TICK_SWEEPS", ()):
        import_string(path)()


@shared_task(name="hrcore.tasks.outbox_relay")
def outbox_relay() -> int:
    return services.outbox_relay_due()
