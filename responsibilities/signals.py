"""HR changes mark the map coverage stale (``services.coverage.coverage_mark_stale``): a saved
or deleted employee, absence, unit or position, after its transaction commits, and every HR
master-data change (``hrcore.hooks.on_org_changed``: webhooks and reconciliation, including
bulk updates the model signals do not see). The tick's
sweep then recomputes within seconds; without a signal it still does within a minute."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from hrcore.hooks import on_org_changed
from hrcore.models import Absence, Employee, OrgUnit, Position

from .services.coverage import coverage_mark_stale


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    transaction.on_commit(coverage_mark_stale)


def _org_changed(change) -> None:
    coverage_mark_stale()


def connect() -> None:
    on_org_changed(_org_changed)
    for model in (Employee, Absence, OrgUnit, Position):
        post_save.connect(
            _changed, sender=model, dispatch_uid=f"coverage-stale-save-{model.__name__}"
        )
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"coverage-stale-delete-{model.__name__}"
        )
