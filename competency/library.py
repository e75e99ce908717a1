"""The library's competency content: the crisis-capability framework with its rating scale and
behavioural anchors, the position profiles (``fixtures_library/framework.yaml``) and the
bilingual branching simulations (``fixtures_library/simulations/*.yaml``).

Idempotent: the scale, framework, profiles and simulations are looked up by code first; a
published framework or simulation is never overwritten (the group may have revised it).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from hrcore import library
from hrcore.models import Position

from . import selectors
from .choices import FrameworkStatus
from .models import (
    BehaviouralAnchor,
    Competency,
    Framework,
    PositionProfile,
    ProfileRequirement,
    RatingScale,
    ScaleLevel,
    SimRubricItem,
    Simulation,
)
from .services import authoring

FRAMEWORK_FILE = "framework.yaml"
SIMULATIONS_FOLDER = "simulations"


def framework_document() -> dict[str, Any]:
    document = library.read("competency", FRAMEWORK_FILE)
    library.require(document, ["scale", "framework", "groups", "profiles"], FRAMEWORK_FILE)
    library.require(document["scale"], ["code", "levels"], f"{FRAMEWORK_FILE} scale")
    library.require(document["framework"], ["code", "name_zh", "name_en"], FRAMEWORK_FILE)
    for i, group in enumerate(library.items(document, "groups", FRAMEWORK_FILE)):
        where = f"{FRAMEWORK_FILE} group #{i}"
        for j, item in enumerate(library.items(group, "competencies", where)):
            library.require(
                item, ["code", "name_zh", "name_en", "anchors_zh", "anchors_en"], f"{where} #{j}"
            )
            if len(item["anchors_zh"]) != len(item["anchors_en"]):
                raise library.LibraryError(f"{where} #{j}: anchors differ in number per language.")
    for i, profile in enumerate(library.items(document, "profiles", FRAMEWORK_FILE)):
        library.require(
            profile, ["position", "cadence_days", "requirements"], f"{FRAMEWORK_FILE} profile #{i}"
        )
    return document


def simulation_specs() -> list[dict[str, Any]]:
    specs = []
    for name in library.files("competency", SIMULATIONS_FOLDER):
        spec = library.read("competency", name)
        library.require(
            spec, ["code", "scenario", "title", "description", "counterpart", "nodes"], name
        )
        specs.append(spec)
    return specs


def _framework(document: dict[str, Any]) -> Framework:
    scale_doc = document["scale"]
    scale, _ = RatingScale.objects.get_or_create(
        code=scale_doc["code"],
        defaults={"name_zh": scale_doc.get("name_zh", ""), "name_en": scale_doc.get("name_en", "")},
    )
    for level in scale_doc["levels"]:
        ScaleLevel.objects.get_or_create(
            scale=scale,
            value=level["value"],
            defaults={
                "label_zh": level["label_zh"],
                "label_en": level["label_en"],
                "is_proficient": level.get("is_proficient", False),
            },
        )
    head = document["framework"]
    framework = Framework.objects.filter(code=head["code"]).order_by("-version").first()
    if framework is not None:
        return framework
    framework = Framework.objects.create(
        code=head["code"],
        version=1,
        name_zh=head["name_zh"],
        name_en=head["name_en"],
        description_zh=head.get("description_zh", ""),
        description_en=head.get("description_en", ""),
        scale=scale,
        status=FrameworkStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    for group_order, group_doc in enumerate(document["groups"]):
        group = Competency.objects.create(
            framework=framework,
            code=group_doc["code"],
            name_zh=group_doc["name_zh"],
            name_en=group_doc["name_en"],
            order=group_order * 10,
        )
        for order, item in enumerate(group_doc["competencies"]):
            competency = Competency.objects.create(
                framework=framework,
                code=item["code"],
                parent=group,
                name_zh=item["name_zh"],
                name_en=item["name_en"],
                order=group_order * 10 + order + 1,
            )
            BehaviouralAnchor.objects.bulk_create(
                BehaviouralAnchor(competency=competency, level=i + 1, text_zh=z, text_en=e)
                for i, (z, e) in enumerate(zip(item["anchors_zh"], item["anchors_en"], strict=True))
            )
    return framework


def _profiles(framework: Framework, document: dict[str, Any]) -> int:
    competencies = {c.code: c for c in framework.competencies.all()}
    created = 0
    for spec in document["profiles"]:
        position = Position.objects.filter(code=spec["position"]).first()
        if position is None:
            continue
        profile, was_new = PositionProfile.objects.get_or_create(
            position=position,
            is_active=True,
            defaults={
                "framework": framework,
                "cadence_days": spec["cadence_days"],
                "scenario_codes": list(spec.get("scenarios", [])),
            },
        )
        if not was_new:
            continue
        created += 1
        for req in spec["requirements"]:
            ProfileRequirement.objects.create(
                profile=profile,
                competency=competencies[req["competency"]],
                required_level=req["required_level"],
                weight=req["weight"],
            )
    return created


def _lacks_rubric(version) -> bool:
    """A published version from before free-text rubrics existed."""
    return not SimRubricItem.objects.filter(node__version=version).exists()


def _pair(value, index: int) -> str:
    return (value or ["", ""])[index]


def _is_current(published, spec: dict[str, Any]) -> bool:
    """The published version already is the library's: it has rubrics (versions from before
    free-text scoring do not) and the library's pass rules (their revision changes them)."""
    return not _lacks_rubric(published) and (
        published.pass_mark,
        published.competency_minimum,
    ) == (spec.get("pass_mark", 60), spec.get("competency_minimum", 60))


def _simulation(spec: dict[str, Any], author) -> Simulation:
    simulation = Simulation.objects.filter(code=spec["code"]).first()
    published = selectors.published_version(simulation) if simulation else None
    if published is not None and _is_current(published, spec):
        return simulation
    # A library simulation published before free-text answers were scored gets a new version.
    version = (
        authoring.version_new_draft(simulation=simulation, actor=author)
        if simulation
        else authoring.simulation_create(
            code=spec["code"],
            title_zh=spec["title"][0],
            title_en=spec["title"][1],
            description_zh=spec["description"][0],
            description_en=spec["description"][1],
            scenario_code=spec["scenario"],
            pass_mark=spec.get("pass_mark", 60),
            competency_minimum=spec.get("competency_minimum", 60),
            initial_state={"agitation": spec.get("agitation", 60)},
            counterpart_zh=spec["counterpart"][0],
            counterpart_en=spec["counterpart"][1],
            actor=author,
        )
    )
    version.nodes.all().delete()
    nodes = {}
    for order, node in enumerate(spec["nodes"]):
        nodes[node["key"]] = authoring.node_save(
            version=version,
            key=node["key"],
            kind=node["kind"],
            text_zh=node["text"][0],
            text_en=node["text"][1],
            speaker_zh=_pair(node.get("speaker"), 0),
            speaker_en=_pair(node.get("speaker"), 1),
            time_limit_seconds=node.get("time_limit"),
            ending_tone=node.get("tone", ""),
            order=order,
            actor=author,
        )
    version.refresh_from_db()
    version.start_node = nodes[spec["nodes"][0]["key"]]
    version.pass_mark = spec.get("pass_mark", 60)
    version.competency_minimum = spec.get("competency_minimum", 60)
    version.save(update_fields=["start_node", "pass_mark", "competency_minimum"])
    for node in spec["nodes"]:
        for order, choice in enumerate(node.get("choices", [])):
            authoring.choice_save(
                node=nodes[node["key"]],
                next_node=nodes[choice["to"]],
                label_zh=choice["label"][0],
                label_en=choice["label"][1],
                feedback_zh=_pair(choice.get("feedback"), 0),
                feedback_en=_pair(choice.get("feedback"), 1),
                hint_zh=_pair(choice.get("hint"), 0),
                hint_en=_pair(choice.get("hint"), 1),
                effects=choice.get("effects", {}),
                state_changes=choice.get("state", {}),
                condition=choice.get("condition"),
                is_critical=choice.get("critical", False),
                is_timeout=choice.get("timeout", False),
                order=order,
                actor=author,
            )
    for node in spec["nodes"]:
        for order, item in enumerate(node.get("rubric", [])):
            authoring.rubric_item_save(
                node=nodes[node["key"]],
                kind=item["kind"],
                label_zh=item["label"][0],
                label_en=item["label"][1],
                phrases_zh=item["phrases"][0],
                phrases_en=item["phrases"][1],
                effects=item["effects"],
                feedback_zh=item["feedback"][0],
                feedback_en=item["feedback"][1],
                order=order,
                actor=author,
            )
    authoring.version_publish(version=version, actor=author)
    return version.simulation


@transaction.atomic
def library_install(*, author) -> dict[str, Any]:
    """Install the framework, the profiles of the positions that exist and, when an HR admin
    ``author`` is given (simulations are authored content), the simulations. Returns the
    framework and the simulations by code."""
    document = framework_document()
    framework = _framework(document)
    profiles = _profiles(framework, document)
    simulations = {}
    if author is not None:
        for spec in simulation_specs():
            simulations[spec["code"]] = _simulation(spec, author)
    return {"framework": framework, "profiles": profiles, "simulations": simulations}
