"""The library's scenarios and responsibility maps (``fixtures_library/scenarios.yaml``): the typed
reader and the install (``keel_bootstrap``, ``seed_demo``); adapting a library map into the
group's own version is ``services.maps.responsibility_map_adapt``.

Rules of the install, per scenario and scope:
* the scenario is created once (its texts are then the group's to edit; never overwritten);
* a library map is installed and published when the scope has no map of the scenario yet, or
  when its map in force is an unchanged library version and the library content changed;
* a scope whose map was adapted (any version that is not library content, draft or not) or that
  has an open draft is left alone: the bootstrap never duplicates or overwrites the group's work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from hrcore import library
from hrcore.audit import AuditAction, audit
from hrcore.models import OrgUnit

from .choices import MapStatus, Severity
from .models import ResponsibilityMap, Scenario
from .services.maps import (
    responsibility_map_create,
    responsibility_map_publish,
)
from .services.scenarios import scenario_create

LIBRARY_FILE = "scenarios.yaml"
INSTALL_NOTE = "标准库版本 / Standard library version."


@dataclass(frozen=True)
class ScenarioSpec:
    """One library scenario with the duties of its map (the services' input shape)."""

    code: str
    name_zh: str
    name_en: str
    default_severity: str
    description_zh: str
    description_en: str
    trigger_notes_zh: str
    trigger_notes_en: str
    title_zh: str
    title_en: str
    duties: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, record: Any, where: str) -> ScenarioSpec:
        r = library.require(
            record, ["code", "name_zh", "name_en", "default_severity", "duties"], where
        )
        if r["default_severity"] not in Severity.values:
            raise library.LibraryError(f"{where}: unknown severity {r['default_severity']!r}.")
        duties = library.items(r, "duties", where)
        for i, duty in enumerate(duties):
            library.require(duty, ["code", "deliverable", "deadline_minutes"], f"{where} duty #{i}")
        return cls(
            code=str(r["code"]),
            name_zh=str(r["name_zh"]),
            name_en=str(r["name_en"]),
            default_severity=str(r["default_severity"]),
            description_zh=str(r.get("description_zh", "")),
            description_en=str(r.get("description_en", "")),
            trigger_notes_zh=str(r.get("trigger_notes_zh", "")),
            trigger_notes_en=str(r.get("trigger_notes_en", "")),
            title_zh=str(r.get("title_zh", "")),
            title_en=str(r.get("title_en", "")),
            duties=[dict(d) for d in duties],
        )

    @property
    def map_digest(self) -> str:
        return library.digest(
            {"title_zh": self.title_zh, "title_en": self.title_en, "duties": self.duties}
        )


def scenario_specs() -> list[ScenarioSpec]:
    document = library.read("responsibilities", LIBRARY_FILE)
    return [
        ScenarioSpec.parse(record, f"{LIBRARY_FILE} #{i}")
        for i, record in enumerate(library.items(document, "scenarios", LIBRARY_FILE))
    ]


def _scenario_ensure(spec: ScenarioSpec) -> Scenario:
    scenario = Scenario.objects.filter(code=spec.code).first()
    if scenario is not None:
        return scenario
    scenario = scenario_create(
        code=spec.code,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        description_zh=spec.description_zh,
        description_en=spec.description_en,
        default_severity=spec.default_severity,
        trigger_notes_zh=spec.trigger_notes_zh,
        trigger_notes_en=spec.trigger_notes_en,
        actor=None,
    )
    Scenario.objects.filter(pk=scenario.pk).update(is_library=True)
    scenario.is_library = True
    return scenario


def _publish_library_version(draft: ResponsibilityMap, *, require_holders: bool) -> None:
    """Publish a library draft. With ``require_holders`` (the demo: its people exist) through
    the ordinary publish, every check included. Without (a fresh installation: nobody holds any
    position yet) the duties' shape is still validated by ``responsibility_map_create``; who
    holds each duty is what the map's coverage reports, and filing assigns whoever holds it then.
    """
    if require_holders:
        responsibility_map_publish(responsibility_map=draft, actor=None)
        return
    now = timezone.now()
    ResponsibilityMap.objects.filter(
        scenario_id=draft.scenario_id, scope_id=draft.scope_id, status=MapStatus.PUBLISHED
    ).update(status=MapStatus.ARCHIVED)
    ResponsibilityMap.objects.filter(pk=draft.pk).update(
        status=MapStatus.PUBLISHED, published_at=now, effective_from=draft.effective_from or now
    )
    audit(draft, AuditAction.UPDATE, changes={"status": ["draft", "published"]})


@transaction.atomic
def library_install(*, scope: OrgUnit, require_holders: bool = False) -> dict[str, list[str]]:
    """Install the library's scenarios and publish their maps for ``scope`` (idempotent; see the
    module docstring). Returns the scenario codes per outcome."""
    outcome: dict[str, list[str]] = {"installed": [], "updated": [], "unchanged": [], "kept": []}
    for spec in scenario_specs():
        scenario = _scenario_ensure(spec)
        maps = ResponsibilityMap.objects.select_for_update().filter(scenario=scenario, scope=scope)
        if maps.filter(is_library=False).exists() or maps.filter(status=MapStatus.DRAFT).exists():
            outcome["kept"].append(spec.code)  # adapted, or being edited: the group's own
            continue
        current = maps.filter(status=MapStatus.PUBLISHED).first()
        if current is not None and current.library_digest == spec.map_digest:
            outcome["unchanged"].append(spec.code)
            continue
        draft = responsibility_map_create(
            scenario=scenario,
            scope=scope,
            duties=spec.duties,
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            change_note=INSTALL_NOTE,
            actor=None,
        )
        ResponsibilityMap.objects.filter(pk=draft.pk).update(
            is_library=True, library_digest=spec.map_digest
        )
        _publish_library_version(draft, require_holders=require_holders)
        outcome["updated" if current is not None else "installed"].append(spec.code)
    return outcome
