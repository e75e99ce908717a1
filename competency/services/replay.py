"""Replay a closed crisis as training: write the draft simulation ``replay.replay_spec`` plans."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from crisis.models import Crisis
from hrcore.errors import Conflict, NotFound

from .. import replay as replay_mod
from .. import replay_selectors
from ..choices import VersionStatus
from ..models import Simulation, SimulationVersion
from .authoring import choice_save, node_save, simulation_create
from .guards import require_hr_admin


def _existing(code: str) -> SimulationVersion | None:
    """The replay already made of this crisis: its draft, else its latest version."""
    simulation = Simulation.objects.filter(code=code).first()
    if simulation is None:
        return None
    return (
        simulation.versions.filter(status=VersionStatus.DRAFT).first()
        or simulation.versions.order_by("-version").first()
    )


@transaction.atomic
def crisis_replay(*, crisis_id: int, actor) -> tuple[SimulationVersion, bool]:
    """A draft branching simulation replaying a closed crisis; ``(version, created)``.

    HR admins only; the crisis must be closed (409 otherwise). Idempotent per crisis: a second
    call returns the replay already made (its draft, or its latest version once published)."""
    require_hr_admin(actor)
    # Lock the crisis row: two clicks at once make one simulation, the second finds it.
    crisis = Crisis.objects.select_for_update(of=("self",)).filter(pk=crisis_id).first()
    if crisis is None:
        raise NotFound(_("No such crisis."))
    if not replay_selectors.crisis_is_closed(crisis):
        raise Conflict(
            _("Only a closed crisis can be replayed as training: close the crisis first."),
            code="crisis_still_open",
        )
    existing = _existing(replay_mod.code_for(crisis.pk))
    if existing is not None:
        return existing, False
    crisis = replay_selectors.replay_crisis(crisis.pk)
    spec = replay_mod.replay_spec(replay_selectors.replay_facts(crisis))
    version = simulation_create(
        code=spec["code"],
        title_zh=spec["title_zh"],
        title_en=spec["title_en"],
        description_zh=spec["description_zh"],
        description_en=spec["description_en"],
        scenario_code=spec["scenario_code"],
        pass_mark=spec["pass_mark"],
        competency_minimum=spec["competency_minimum"],
        actor=actor,
    )
    nodes = {}
    for order, node in enumerate(spec["nodes"]):
        nodes[node["key"]] = node_save(
            version=version,
            key=node["key"],
            kind=node["kind"],
            text_zh=node["text_zh"],
            text_en=node["text_en"],
            ending_tone=node.get("ending_tone", ""),
            order=order,
            actor=actor,
        )
    for node in spec["nodes"]:
        for order, choice in enumerate(node["choices"]):
            choice_save(
                node=nodes[node["key"]],
                next_node=nodes[choice["next"]],
                label_zh=choice["label_zh"],
                label_en=choice["label_en"],
                feedback_zh=choice["feedback_zh"],
                feedback_en=choice["feedback_en"],
                effects=choice["effects"],
                order=order,
                actor=actor,
            )
    version.refresh_from_db()
    return version, True
