"""The one way a service writes an audit entry (django-auditlog's ``LogEntry``).

Services write explicit entries where auditlog's signals do not fire (bulk updates, changes
whose values must not be logged, accesses). An actor without a primary key (an anonymous or
system caller) is recorded as no one."""

from __future__ import annotations

from auditlog.models import LogEntry

AuditAction = LogEntry.Action


def audit(
    obj, action: int, *, changes: dict | None = None, actor=None, data: dict | None = None
) -> LogEntry | None:
    """Record ``action`` on ``obj`` by ``actor`` with the changed fields (``{field: [old,
    new]}``) and any extra ``data`` (a reason, a count)."""
    return LogEntry.objects.log_create(
        obj,
        action=action,
        changes=changes or {},
        force_log=True,
        actor=actor if getattr(actor, "pk", None) else None,
        additional_data=data,
    )
