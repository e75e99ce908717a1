"""Celery tasks of the integrations app: ids in, idempotent, thin."""

from celery import shared_task

from .services import credit, dossiers, performance, plans, reconciliation


@shared_task(name="integrations.tasks.dossier_build", acks_late=True)
def dossier_build(dossier_id: int) -> None:
    dossiers.dossier_assemble(dossier_id=dossier_id)


@shared_task(name="integrations.tasks.dossier_maintenance")
def dossier_maintenance() -> dict:
    """Re-queue lost builds, retry failed sources of open crises with backoff, and bring
    response plans up to date with their crises' tasks."""
    return {
        "requeued": dossiers.dossier_sweep_stuck(),
        "retried": dossiers.dossier_retry_failed(),
        "plans": plans.response_plans_refresh(),
    }


@shared_task(name="integrations.tasks.customers_pull")
def customers_pull() -> dict:
    return credit.customers_pull()


@shared_task(name="integrations.tasks.master_data_reconcile")
def master_data_reconcile() -> dict:
    """The HR roster and the CRM's customers, diffed with Keel (the webhooks' safety net)."""
    return reconciliation.master_data_reconcile()


@shared_task(name="integrations.tasks.performance_pull")
def performance_pull() -> dict:
    """Goals and reviews of every employed person from the performance/OKR partner."""
    return performance.performance_pull_all()
