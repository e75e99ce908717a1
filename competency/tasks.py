"""Celery tasks of the competency app: thin and idempotent."""

from celery import shared_task

from .services import assignments


@shared_task(name="competency.tasks.training_pushes")
def training_pushes() -> dict:
    """Periodic, gap-driven pushes plus reminders and overdue notices (idempotent per key)."""
    return assignments.pushes_run()
