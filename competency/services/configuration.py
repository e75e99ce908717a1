"""The competency model as HR admins configure it in the admin (scales and their levels,
frameworks, competencies and their anchors, position profiles and requirements, simulations,
assignments): audited saves and deletes; a framework that is not a draft is not edited in
place (start a new draft version)."""

from __future__ import annotations

from django.db import models, transaction
from django.utils.translation import gettext as _

from hrcore.errors import Conflict
from hrcore.services.configuration import configuration_delete, configuration_save

from ..choices import FrameworkStatus
from ..models import BehaviouralAnchor, Competency, Framework


def _framework_of(row: models.Model) -> Framework | None:
    if isinstance(row, Competency):
        return row.framework
    if isinstance(row, BehaviouralAnchor):
        return row.competency.framework
    return None


def _require_draft_framework(row: models.Model) -> None:
    framework = _framework_of(row)
    if framework is not None and framework.status != FrameworkStatus.DRAFT:
        raise Conflict(
            _(
                "The framework %(code)s v%(version)s is not a draft: start a new draft version "
                "and edit that."
            )
            % {"code": framework.code, "version": framework.version},
            code="framework_frozen",
        )


@transaction.atomic
def competency_config_save(
    *, row: models.Model, actor, changes: dict[str, list[str]] | None = None
) -> models.Model:
    """Save a configuration row of the competency model (audited)."""
    _require_draft_framework(row)
    return configuration_save(row=row, actor=actor, changes=changes)


@transaction.atomic
def competency_config_delete(*, row: models.Model, actor) -> None:
    """Delete a configuration row of the competency model (audited)."""
    _require_draft_framework(row)
    configuration_delete(row=row, actor=actor)
