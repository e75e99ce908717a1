"""Scenarios, map drafts and their duties as HR admins edit them in the admin: a new map is the
next draft version of its scenario and scope, a duty changes only on a draft; saved and deleted
through ``hrcore.services.configuration`` (audited). Publishing, archiving and new versions are
``services.maps``."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from hrcore.errors import Conflict
from hrcore.services.configuration import configuration_delete, configuration_save

from ..choices import FROZEN_STATES, MapStatus
from ..models import Duty, ResponsibilityMap


def _require_draft(row: models.Model) -> None:
    responsibility_map = row.map if isinstance(row, Duty) else row
    if (
        isinstance(responsibility_map, ResponsibilityMap)
        and not responsibility_map._state.adding
        and responsibility_map.status in FROZEN_STATES
    ):
        raise Conflict(
            _("A published or archived version is not changed; create the next draft version."),
            code="map_frozen",
        )


@transaction.atomic
def responsibilities_row_save(
    *, row: models.Model, actor, changes: dict[str, list[str]] | None = None
) -> models.Model:
    """Save a scenario, a map draft or a duty of a draft; a new map is numbered after the
    existing versions of its scenario and scope, as a draft authored by ``actor``."""
    _require_draft(row)
    if isinstance(row, ResponsibilityMap) and row._state.adding:
        last = ResponsibilityMap.objects.filter(scenario=row.scenario, scope=row.scope).aggregate(
            v=Max("version")
        )["v"]
        row.version = (last or 0) + 1
        row.author = actor
        row.status = MapStatus.DRAFT
    return configuration_save(row=row, actor=actor, changes=changes)


@transaction.atomic
def responsibilities_row_delete(*, row: models.Model, actor) -> None:
    """Delete a scenario, a map draft or a duty of a draft."""
    _require_draft(row)
    configuration_delete(row=row, actor=actor)
