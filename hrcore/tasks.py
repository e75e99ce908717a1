"""Periodic plumbing: the timer tick heartbeat and the outbox relay."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string

from .services import housekeeping as housekeeping_services
from .services import outbox

logger = logging.getLogger(__name__)


@shared_task(name="hrcore.tasks.tick")
def tick() -> None:
    """Run every app's sweep registered in ``KEEL_TICK_SWEEPS``, then record the heartbeat —
    only when all of them succeeded; a failing sweep is recorded instead (``/healthz`` 503) and
    does not keep the others from running."""
    failures = []
    for path in getattr(settings, "KEEL_TICK_SWEEPS", ()):
        try:
            import_string(path)()
        except Exception as exc:
            logger.exception("sweep %s failed", path)
            failures.append(f"{path}: {type(exc).__name__}: {exc}")
    if failures:
        housekeeping_services.heartbeat_failure_record(name="tick", error="\n".join(failures))
    else:
        housekeeping_services.heartbeat_record(name="tick")


@shared_task(name="hrcore.tasks.outbox_relay")
def outbox_relay() -> int:
    return outbox.outbox_relay_due()


@shared_task(name="hrcore.tasks.housekeeping")
def housekeeping() -> dict:
    """Prune old rows with every app's service registered in ``KEEL_HOUSEKEEPING``."""
    counts: dict[str, int] = {}
    for path in getattr(settings, "KEEL_HOUSEKEEPING", ()):
        counts.update(import_string(path)())
    return counts
