"""Hooks higher apps register (in their ``AppConfig.ready()``) to hear about changes of the
organisation without hrcore importing them (app order: hrcore ← responsibilities ← customers ←
crisis ← integrations | competency).

``on_org_changed``: people, units or absences changed — an HR webhook event, the periodic HR
reconciliation, or an edit through the organisation services (``hrcore.services.org``). A
listener such as the maps' coverage registers a callback and recomputes what depends on the
organisation. Callbacks run **after the commit** of the change (never for a change that was
rolled back), each guarded: a failing listener is logged and never undoes or breaks the change.
They run in the committing process, so they should be quick (e.g. queue a Celery task).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrgChange:
    """What changed: ``kind`` is a short code ("employee.hired", "employee.transferred",
    "employee.left", "employee.absent", "org_unit.changed", "employee.saved", "absence.saved",
    "absence.deleted", "reconciliation" …); the ids of the employees and units concerned."""

    kind: str
    employee_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    source: str = ""  # "webhook", "reconciliation", "" (an edit in Keel)


OrgListener = Callable[[OrgChange], None]
_listeners: list[OrgListener] = []


def on_org_changed(callback: OrgListener) -> OrgListener:
    """Register ``callback(change: OrgChange)`` (idempotent; usable as a decorator)."""
    if callback not in _listeners:
        _listeners.append(callback)
    return callback


def org_changed_unregister(callback: OrgListener) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def org_listeners() -> list[OrgListener]:
    return list(_listeners)


def _dispatch(change: OrgChange) -> None:
    for callback in list(_listeners):
        try:
            callback(change)
        except Exception:  # a listener never breaks an organisation change
            logger.exception("org-changed listener %r failed for %s", callback, change.kind)


def org_changed(
    *,
    kind: str,
    employee_ids: Iterable[int | None] = (),
    unit_ids: Iterable[int | None] = (),
    source: str = "",
) -> None:
    """Tell the registered listeners, once the current transaction commits (at once outside
    one), that the organisation changed."""
    if not _listeners:
        return
    change = OrgChange(
        kind=kind,
        employee_ids=tuple(sorted({i for i in employee_ids if i})),
        unit_ids=tuple(sorted({i for i in unit_ids if i})),
        source=source,
    )
    transaction.on_commit(lambda: _dispatch(change))
