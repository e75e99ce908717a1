"""Celery tasks of the crisis engine: thin, ids in, idempotent; they call services."""

from celery import shared_task

from integrations.selectors import customer_by_id

from .services import sweep as sweep_services
from .services import triggers as triggers_services


@shared_task(name="crisis.tasks.sla_sweep")
def sla_sweep() -> dict:
    """Fire due warnings, breaches and escalations (the tick also runs this every few seconds)."""
    return sweep_services.sla_sweep()


@shared_task(name="crisis.tasks.triggers_sweep")
def triggers_sweep() -> int:
    """Periodic pass of the automatic trigger rules over overdue customers."""
    return triggers_services.triggers_sweep()


@shared_task(name="crisis.tasks.triggers_evaluate_customer")
def triggers_evaluate_customer(customer_id: int) -> int:
    customer = customer_by_id(customer_id)
    if customer is None:
        return 0
    return len(triggers_services.triggers_evaluate_customer(customer=customer))
