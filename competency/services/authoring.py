"""Simulation authoring: drafts, nodes, choices, rubric items, and publishing a version."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hrcore.errors import Conflict, NotFound, ValidationFailed

from .. import graph as graph_mod
from ..choices import (
    NodeKind,
    RubricItemKind,
    VersionStatus,
)
from ..models import (
    SimChoice,
    SimNode,
    SimRubricItem,
    Simulation,
    SimulationVersion,
)
from ..selectors import (
    version_problems,
)
from .guards import require_hr_admin

# --- simulation authoring ---------------------------------------------------------------------


def _require_draft(version: SimulationVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise Conflict(_("A published version cannot be changed; start a new draft."))


@transaction.atomic
def simulation_create(
    *,
    code: str,
    title_zh: str,
    title_en: str,
    actor,
    description_zh: str = "",
    description_en: str = "",
    scenario_code: str = "",
    pass_mark: int = 60,
    competency_minimum: int = 60,
    initial_state: dict | None = None,
    counterpart_zh: str = "",
    counterpart_en: str = "",
) -> SimulationVersion:
    """A new simulation with an empty draft version 1 (returned)."""
    require_hr_admin(actor)
    errors = {}
    if not code or Simulation.objects.filter(code=code).exists():
        errors["code"] = [_("Give a code that is not used yet.")]
    if not (title_zh or title_en):
        errors["title_zh"] = [_("Give a title.")]
    if not (0 < int(pass_mark) <= 100):
        errors["pass_mark"] = [_("The pass mark lies between 1 and 100.")]
    if not (0 <= int(competency_minimum) <= 100):
        errors["competency_minimum"] = [_("Give a whole number from 0 to 100.")]
    if errors:
        raise ValidationFailed(_("The simulation is not valid."), errors=errors)
    simulation = Simulation.objects.create(
        code=code,
        title_zh=title_zh or title_en,
        title_en=title_en or title_zh,
        description_zh=description_zh,
        description_en=description_en,
        scenario_code=scenario_code,
        created_by=actor,
    )
    return SimulationVersion.objects.create(
        simulation=simulation,
        version=1,
        pass_mark=pass_mark,
        competency_minimum=competency_minimum,
        initial_state=initial_state if initial_state is not None else {"agitation": 50},
        counterpart_zh=counterpart_zh,
        counterpart_en=counterpart_en,
    )


@transaction.atomic
def version_new_draft(*, simulation: Simulation, actor) -> SimulationVersion:
    """A draft copy of the latest version (or the existing draft)."""
    require_hr_admin(actor)
    draft = simulation.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    source = simulation.versions.order_by("-version").first()
    new = SimulationVersion.objects.create(
        simulation=simulation,
        version=(source.version + 1) if source else 1,
        pass_mark=source.pass_mark if source else 60,
        competency_minimum=source.competency_minimum if source else 60,
        initial_state=source.initial_state if source else {"agitation": 50},
        counterpart_zh=source.counterpart_zh if source else "",
        counterpart_en=source.counterpart_en if source else "",
    )
    if source is None:
        return new
    mapping: dict[int, SimNode] = {}
    for node in source.nodes.all():
        old_pk = node.pk
        node.pk = None
        node.id = None
        node.version = new
        node.save()
        mapping[old_pk] = node
    for choice in SimChoice.objects.filter(node__version=source):
        choice.pk = None
        choice.id = None
        choice.node = mapping[choice.node_id]
        choice.next_node = mapping.get(choice.next_node_id)
        choice.save()
    for item in SimRubricItem.objects.filter(node__version=source):
        item.pk = None
        item.id = None
        item.node = mapping[item.node_id]
        item.save()
    if source.start_node_id:
        new.start_node = mapping[source.start_node_id]
        new.save(update_fields=["start_node"])
    return new


@transaction.atomic
def version_update(*, version: SimulationVersion, actor, **fields) -> SimulationVersion:
    require_hr_admin(actor)
    _require_draft(version)
    allowed = {
        "pass_mark",
        "competency_minimum",
        "initial_state",
        "counterpart_zh",
        "counterpart_en",
        "start_node",
    }
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationFailed(
                _("Unknown fields."), errors={name: [_("This field cannot be changed here.")]}
            )
        setattr(version, name, value)
    if not (0 < int(version.pass_mark) <= 100):
        raise ValidationFailed(
            _("The pass mark lies between 1 and 100."),
            errors={"pass_mark": [_("Give a whole number from 1 to 100.")]},
        )
    if not (0 <= int(version.competency_minimum) <= 100):
        raise ValidationFailed(
            _("The minimum on each competency lies between 0 and 100."),
            errors={"competency_minimum": [_("Give a whole number from 0 to 100.")]},
        )
    if version.start_node_id and version.start_node.version_id != version.pk:
        raise ValidationFailed(_("The start node belongs to another version."))
    version.save()
    return version


@transaction.atomic
def node_save(
    *,
    version: SimulationVersion,
    key: str,
    kind: str,
    text_zh: str,
    text_en: str,
    actor,
    node: SimNode | None = None,
    speaker_zh: str = "",
    speaker_en: str = "",
    time_limit_seconds: int | None = None,
    ending_tone: str = "",
    order: int | None = None,
) -> SimNode:
    """Create or change a node of a draft version (the first node becomes the start)."""
    require_hr_admin(actor)
    _require_draft(version)
    errors = {}
    if kind not in NodeKind.values:
        errors["kind"] = [_("Unknown node kind.")]
    if not key:
        errors["key"] = [_("Give a key.")]
    elif version.nodes.filter(key=key).exclude(pk=node.pk if node else None).exists():
        errors["key"] = [_("Another node already has this key.")]
    if not (text_zh or text_en):
        errors["text_zh"] = [_("Give the node's text.")]
    if kind == NodeKind.TIMED and not time_limit_seconds:
        errors["time_limit_seconds"] = [_("A timed decision needs a time limit.")]
    if errors:
        raise ValidationFailed(_("The node is not valid."), errors=errors)
    node = node or SimNode(version=version)
    if node.version_id != version.pk:
        raise NotFound(_("No such node in this version."))
    node.key = key
    node.kind = kind
    node.text_zh = text_zh or text_en
    node.text_en = text_en or text_zh
    node.speaker_zh = speaker_zh
    node.speaker_en = speaker_en or speaker_zh
    node.time_limit_seconds = time_limit_seconds if kind == NodeKind.TIMED else None
    node.ending_tone = ending_tone if kind == NodeKind.ENDING else ""
    if order is not None:
        node.order = order
    elif node.pk is None:
        node.order = version.nodes.count()
    node.save()
    if version.start_node_id is None:
        version.start_node = node
        version.save(update_fields=["start_node"])
    return node


@transaction.atomic
def node_delete(*, node: SimNode, actor) -> None:
    require_hr_admin(actor)
    _require_draft(node.version)
    version = node.version
    node.delete()
    if version.start_node_id is None:
        first = version.nodes.first()
        if first:
            version.start_node = first
            version.save(update_fields=["start_node"])


def _clean_number_map(value, field: str, errors: dict) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        errors[field] = [_('Give a mapping of names to numbers, e.g. {"agitation": -10}.')]
        return {}
    return value


@transaction.atomic
def choice_save(
    *,
    node: SimNode,
    label_zh: str,
    label_en: str,
    actor,
    choice: SimChoice | None = None,
    next_node: SimNode | None = None,
    feedback_zh: str = "",
    feedback_en: str = "",
    hint_zh: str = "",
    hint_en: str = "",
    effects: dict | None = None,
    state_changes: dict | None = None,
    condition: dict | None = None,
    is_critical: bool = False,
    is_timeout: bool = False,
    order: int | None = None,
) -> SimChoice:
    require_hr_admin(actor)
    _require_draft(node.version)
    errors: dict = {}
    if not (label_zh or label_en):
        errors["label_zh"] = [_("Give the choice's label.")]
    if next_node is not None and next_node.version_id != node.version_id:
        errors["next_node"] = [_("The next node must be in the same version.")]
    effects = _clean_number_map(effects, "effects", errors)
    state_changes = _clean_number_map(state_changes, "state_changes", errors)
    if condition and not graph_mod.condition_ok(condition):
        errors["condition"] = [
            _('A condition looks like {"var": "agitation", "op": "lt", "value": 70}.')
        ]
    if node.kind == NodeKind.ENDING:
        errors["node"] = [_("An ending has no choices.")]
    if errors:
        raise ValidationFailed(_("The choice is not valid."), errors=errors)
    choice = choice or SimChoice(node=node)
    choice.node = node
    choice.next_node = next_node
    choice.label_zh = label_zh or label_en
    choice.label_en = label_en or label_zh
    choice.feedback_zh, choice.feedback_en = feedback_zh, feedback_en or feedback_zh
    choice.hint_zh, choice.hint_en = hint_zh, hint_en or hint_zh
    choice.effects = effects
    choice.state_changes = state_changes
    choice.condition = condition or None
    choice.is_critical = bool(is_critical)
    choice.is_timeout = bool(is_timeout)
    if order is not None:
        choice.order = order
    elif choice.pk is None:
        choice.order = node.choices.count()
    choice.save()
    return choice


@transaction.atomic
def choice_delete(*, choice: SimChoice, actor) -> None:
    require_hr_admin(actor)
    _require_draft(choice.node.version)
    choice.delete()


MAX_PHRASES = 30
MAX_PHRASE_LENGTH = 100


def _clean_phrases(value, field: str, errors: dict) -> list[str]:
    """Alternatives as a list of distinct, non-empty strings (a string is split on lines and |)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace("｜", "|").replace("\n", "|").split("|")
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
        errors[field] = [_("Give the phrases as a list of texts.")]
        return []
    phrases: list[str] = []
    for phrase in (" ".join(p.split()) for p in value):
        if phrase.rstrip("*").strip() and phrase not in phrases:
            phrases.append(phrase)
    if len(phrases) > MAX_PHRASES or any(len(p) > MAX_PHRASE_LENGTH for p in phrases):
        errors[field] = [
            _("At most %(n)d phrases of at most %(length)d characters each.")
            % {"n": MAX_PHRASES, "length": MAX_PHRASE_LENGTH}
        ]
    return phrases


@transaction.atomic
def rubric_item_save(
    *,
    node: SimNode,
    kind: str,
    label_zh: str,
    label_en: str,
    actor,
    item: SimRubricItem | None = None,
    phrases_zh: list[str] | str | None = None,
    phrases_en: list[str] | str | None = None,
    effects: dict | None = None,
    feedback_zh: str = "",
    feedback_en: str = "",
    order: int | None = None,
) -> SimRubricItem:
    """Create or change a key point or forbidden phrase of a free-text node (draft versions only).

    A key point earns its effects when the answer contains one of its phrases; a forbidden phrase
    is a critical error and may only lower scores."""
    require_hr_admin(actor)
    _require_draft(node.version)
    if item is not None and item.node_id != node.pk:
        raise NotFound(_("No such rubric item on this node."))
    errors: dict = {}
    if node.kind != NodeKind.FREE_TEXT:
        errors["node"] = [_("Only a free-text node has a rubric.")]
    if kind not in RubricItemKind.values:
        errors["kind"] = [_("Unknown rubric item kind.")]
    if not (label_zh or label_en):
        errors["label_zh"] = [_("Name the key point.")]
    phrases_zh = _clean_phrases(phrases_zh, "phrases_zh", errors)
    phrases_en = _clean_phrases(phrases_en, "phrases_en", errors)
    if not (phrases_zh or phrases_en) and "phrases_zh" not in errors:
        errors["phrases_zh"] = [_("Give at least one phrase to look for in the answer.")]
    effects = _clean_number_map(effects, "effects", errors)
    if kind == RubricItemKind.FORBIDDEN and any(v > 0 for v in effects.values()):
        errors["effects"] = [_("A forbidden phrase cannot raise a score.")]
    if errors:
        raise ValidationFailed(_("The rubric item is not valid."), errors=errors)
    item = item or SimRubricItem(node=node)
    item.kind = kind
    item.label_zh = label_zh or label_en
    item.label_en = label_en or label_zh
    item.phrases_zh = phrases_zh
    item.phrases_en = phrases_en
    item.effects = effects
    item.feedback_zh = feedback_zh or feedback_en
    item.feedback_en = feedback_en or feedback_zh
    if order is not None:
        item.order = order
    elif item.pk is None:
        item.order = node.rubric_items.count()
    item.save()
    return item


@transaction.atomic
def rubric_item_delete(*, item: SimRubricItem, actor) -> None:
    require_hr_admin(actor)
    _require_draft(item.node.version)
    item.delete()


PROBLEM_MESSAGES = {
    "empty": gettext_noop("The scenario has no nodes."),
    "no_start": gettext_noop("The scenario has no start node."),
    "ending_has_choices": gettext_noop("An ending must not have choices."),
    "dead_end": gettext_noop("This node has no choice and is not an ending: the path never ends."),
    "all_choices_conditional": gettext_noop(
        "Every choice here has a condition: the player could be stuck."
    ),
    "timed_without_limit": gettext_noop("A timed decision needs a time limit."),
    "timed_needs_one_timeout_choice": gettext_noop(
        "A timed decision needs exactly one time-out choice."
    ),
    "dangling_choice": gettext_noop("A choice points nowhere."),
    "self_loop": gettext_noop("A choice leads back to its own node."),
    "bad_condition": gettext_noop("A condition is not well formed."),
    "bad_effect": gettext_noop("A score effect is not a number."),
    "unknown_competency": gettext_noop("A score effect names an unknown competency."),
    "unreachable": gettext_noop("This node cannot be reached from the start."),
    "cycle": gettext_noop("The graph has a loop: some path could go on forever."),
    "free_text_without_rubric": gettext_noop(
        "A free-text answer needs at least one key point that raises a score."
    ),
    "rubric_not_free_text": gettext_noop("Only a free-text node may have a rubric."),
    "rubric_item_without_phrases": gettext_noop("A rubric item has no phrase to look for."),
    "forbidden_raises_score": gettext_noop("A forbidden phrase cannot raise a score."),
}


def problem_message(code: str) -> str:
    return _(PROBLEM_MESSAGES.get(code, code))


@transaction.atomic
def version_publish(*, version: SimulationVersion, actor) -> SimulationVersion:
    """Validate and publish a draft; the previous published version is archived."""
    require_hr_admin(actor)
    version = SimulationVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    problems = version_problems(version)
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem["node"] or "graph", []).append(
                problem_message(problem["code"])
            )
        raise ValidationFailed(
            _("The scenario cannot be published: %(n)d problem(s).") % {"n": len(problems)},
            errors=errors,
            code="graph_invalid",
        )
    SimulationVersion.objects.filter(
        simulation=version.simulation, status=VersionStatus.PUBLISHED
    ).update(status=VersionStatus.ARCHIVED)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(update_fields=["status", "published_at", "published_by"])
    return version
