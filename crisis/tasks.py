"""Celery tasks of the crisis engine: thin, ids in, idempotent; they call services. (The SLA
sweep runs inside hrcore's tick, registered in ``KEEL_TICK_SWEEPS``; it has no task of its own.)"""

from celery import shared_task

from .services import review as review_services
from .services import triggers as triggers_services


@shared_task(name="crisis.tasks.triggers_sweep")
def triggers_sweep() -> int:
    """Periodic pass of the automatic trigger rules over overdue customers."""
    return triggers_services.triggers_sweep()


@shared_task(name="crisis.tasks.action_items_remind")
def action_items_remind() -> dict:
    """Hourly: remind owners of review action items due today or overdue (once each)."""
    return review_services.action_items_remind()
