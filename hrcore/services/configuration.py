"""Configuration rows HR admins edit by hand in the admin (rating scales, anchors, profiles,
messaging providers, logs pruned by hand …): saved and deleted with an audit entry of who
changed which fields. An app with a rule of its own (a published framework is not edited in
place) checks it in its service and then calls these."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.db import models, transaction

from ..audit import AuditAction, audit


@transaction.atomic
def configuration_save(
    *, row: models.Model, actor, changes: dict[str, list[str]] | None = None
) -> models.Model:
    """Save ``row`` (new or changed) and audit it with ``changes`` (``{field: [old, new]}``);
    an unchanged row writes no entry. A model registered with django-auditlog is audited by
    its signal (with the request's actor), so no second entry is written here."""
    created = row._state.adding
    row.save()
    if auditlog.contains(type(row)):
        return row
    if created or changes:
        audit(
            row,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            changes=changes,
            actor=actor,
        )
    return row


@transaction.atomic
def configuration_delete(*, row: models.Model, actor) -> None:
    """Delete ``row``, audited first (the entry names the row while it still exists); a model
    registered with django-auditlog by its signal."""
    if not auditlog.contains(type(row)):
        audit(row, AuditAction.DELETE, actor=actor)
    row.delete()
