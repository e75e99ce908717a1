"""Every write of the competency app (and the derived reads the writes need)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.ids import parse_id
from hrcore.models import Employee
from hrcore.selectors import employee_of, is_hr_admin
from hrcore.services import notification_send

from . import graph as graph_mod
from . import scoring, selectors
from .choices import (
    AssignmentReason,
    EvidenceKind,
    FrameworkStatus,
    NodeKind,
    RecognitionKind,
    RubricItemKind,
    RunStatus,
    VersionStatus,
)
from .models import (
    Assignment,
    BehaviouralAnchor,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    ProfileRequirement,
    RecognitionEntry,
    RunStep,
    SimChoice,
    SimNode,
    SimRubricItem,
    Simulation,
    SimulationRun,
    SimulationVersion,
)
from .selectors import (
    competency_for_code,
    current_levels,
    gaps_for,
    profile_for,
    published_version,
    scale_values,
    version_problems,
    visible_choices,
)

log = logging.getLogger(__name__)
REMIND_BEFORE = timedelta(days=2)
TIMER_GRACE_SECONDS = 5
DEFAULT_DUE_DAYS = 14
NOTE_MAX_LENGTH = 2000  # evidence notes: a remark, not a report


def _require_hr_admin(actor) -> None:
    if actor is None or not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins may do this."))


def _as_employee(employee: Employee | int) -> Employee:
    if isinstance(employee, Employee):
        return employee
    pk = parse_id(employee)
    found = (
        Employee.objects.filter(pk=pk).select_related("user", "position").first()
        if pk is not None
        else None
    )
    if found is None:
        raise ValidationFailed(
            _("Unknown employee."), errors={"employee": [_("No active employee has this id.")]}
        )
    return found


# --- competency model -------------------------------------------------------------------------


def framework_is_rated(framework: Framework) -> bool:
    return Evidence.objects.filter(competency__framework=framework).exists()


@transaction.atomic
def framework_new_version(*, framework: Framework, actor) -> Framework:
    """Copy a framework (competencies, tree, anchors) into a new draft version."""
    _require_hr_admin(actor)
    existing = Framework.objects.filter(code=framework.code, status=FrameworkStatus.DRAFT).first()
    if existing is not None:
        return existing
    latest = Framework.objects.filter(code=framework.code).order_by("-version").first()
    new = Framework.objects.create(
        code=framework.code,
        version=latest.version + 1,
        name_zh=framework.name_zh,
        name_en=framework.name_en,
        description_zh=framework.description_zh,
        description_en=framework.description_en,
        scale=framework.scale,
    )
    mapping: dict[int, Competency] = {}
    old = list(framework.competencies.order_by("parent_id", "order", "id"))
    for competency in old:
        mapping[competency.pk] = Competency.objects.create(
            framework=new,
            code=competency.code,
            name_zh=competency.name_zh,
            name_en=competency.name_en,
            description_zh=competency.description_zh,
            description_en=competency.description_en,
            order=competency.order,
        )
    for competency in old:
        if competency.parent_id:
            clone = mapping[competency.pk]
            clone.parent = mapping[competency.parent_id]
            clone.save(update_fields=["parent"])
    BehaviouralAnchor.objects.bulk_create(
        BehaviouralAnchor(
            competency=mapping[a.competency_id], level=a.level, text_zh=a.text_zh, text_en=a.text_en
        )
        for a in BehaviouralAnchor.objects.filter(competency__framework=framework)
    )
    return new


@transaction.atomic
def framework_publish(*, framework: Framework, actor) -> Framework:
    """Publish a draft; the previous published version is superseded and profiles move over
    (requirements re-pointed by competency code)."""
    _require_hr_admin(actor)
    if framework.status != FrameworkStatus.DRAFT:
        raise Conflict(_("Only a draft framework can be published."))
    previous = Framework.objects.filter(
        code=framework.code, status=FrameworkStatus.PUBLISHED
    ).first()
    if previous is not None:
        previous.status = FrameworkStatus.SUPERSEDED
        previous.save(update_fields=["status"])
        by_code = {c.code: c for c in framework.competencies.all()}
        for requirement in ProfileRequirement.objects.filter(
            profile__framework=previous
        ).select_related("competency"):
            target = by_code.get(requirement.competency.code)
            if target is None:
                requirement.delete()
            else:
                requirement.competency = target
                requirement.save(update_fields=["competency"])
        PositionProfile.objects.filter(framework=previous).update(framework=framework)
    framework.status = FrameworkStatus.PUBLISHED
    framework.published_at = timezone.now()
    framework.save(update_fields=["status", "published_at"])
    return framework


@transaction.atomic
def competency_update(*, competency: Competency, actor, **fields) -> Competency:
    """Edit a competency's texts; a framework somebody was rated against is never edited in
    place — the change goes into a new draft version, which is returned."""
    _require_hr_admin(actor)
    allowed = {"name_zh", "name_en", "description_zh", "description_en", "order"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."),
            errors={f: [_("This field cannot be changed here.")] for f in sorted(unknown)},
        )
    target = competency
    if competency.framework.status != FrameworkStatus.DRAFT and (
        competency.framework.status == FrameworkStatus.SUPERSEDED
        or framework_is_rated(competency.framework)
    ):
        draft = framework_new_version(framework=competency.framework, actor=actor)
        target = draft.competencies.get(code=competency.code)
    for name, value in fields.items():
        setattr(target, name, value)
    target.save()
    return target


# --- evidence ledger --------------------------------------------------------------------------


@transaction.atomic
def evidence_record(
    *,
    employee: Employee | int,
    competency_code: str,
    level: int,
    kind: str,
    actor,
    source: str = "",
    note: str = "",
    score: float | None = None,
    observed_at: datetime | None = None,
    source_key: str | None = None,
    run: SimulationRun | None = None,
    push: bool = True,
) -> tuple[Evidence, bool]:
    """Append one evidence row (never updated); idempotent per ``source_key``.

    Returns ``(row, created)``. A replayed key with different content is a conflict.
    """
    employee = _as_employee(employee)
    errors: dict[str, list[str]] = {}
    if kind not in EvidenceKind.values:
        errors["kind"] = [_("Unknown evidence kind.")]
    competency = competency_for_code(competency_code, employee)
    if competency is None:
        errors["competency"] = [_("Unknown competency “%(code)s”.") % {"code": competency_code}]
    else:
        values = scale_values(competency.framework)
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = -1
        if level not in values:
            errors["level"] = [
                _("Level must be one of %(levels)s.") % {"levels": ", ".join(map(str, values))}
            ]
    if score is not None and not (0 <= float(score) <= 100):
        errors["score"] = [_("A score lies between 0 and 100.")]
    if len(note or "") > NOTE_MAX_LENGTH:
        errors["note"] = [_("A note has at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]
    observed_at = observed_at or timezone.now()
    if observed_at > timezone.now() + timedelta(minutes=5):
        errors["observed_at"] = [_("Evidence cannot come from the future.")]
    if errors:
        raise ValidationFailed(_("The evidence is not valid."), errors=errors)
    if source_key:
        existing = Evidence.objects.filter(source_key=source_key).first()
        if existing is not None:
            if (
                existing.employee_id != employee.pk
                or existing.competency_code != competency_code
                or existing.level != level
            ):
                raise Conflict(_("This key was already used for different evidence."))
            return existing, False
    try:
        with transaction.atomic():
            row = Evidence.objects.create(
                employee=employee,
                competency=competency,
                competency_code=competency_code,
                level=level,
                score=score,
                kind=kind,
                source=source[:200],
                source_key=source_key or None,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                observed_at=observed_at,
                note=note,
                run=run,
            )
    except IntegrityError as exc:  # a concurrent writer used the same key first
        existing = Evidence.objects.filter(source_key=source_key).first()
        if existing is None:
            raise Conflict(_("The evidence could not be recorded.")) from exc
        return existing, False
    if push:
        gap_pushes_for(employee=employee, now=timezone.now())
    return row, True


def manager_rating_record(
    *, employee: Employee, competency_code: str, level: int, actor, note: str = ""
) -> Evidence:
    """A manager rates a direct report (HR admins may rate anyone): one ledger row."""
    me = employee_of(actor) if actor is not None else None
    if not (is_hr_admin(actor) or (me is not None and employee.manager_id == me.pk)):
        raise PermissionDenied(_("Only the person's manager or an HR admin can rate them."))
    row, _created = evidence_record(
        employee=employee,
        competency_code=competency_code,
        level=level,
        kind=EvidenceKind.MANAGER_RATING,
        source=f"rating by {actor.username}",
        note=note,
        actor=actor,
    )
    return row


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
    initial_state: dict | None = None,
    counterpart_zh: str = "",
    counterpart_en: str = "",
) -> SimulationVersion:
    """A new simulation with an empty draft version 1 (returned)."""
    _require_hr_admin(actor)
    errors = {}
    if not code or Simulation.objects.filter(code=code).exists():
        errors["code"] = [_("Give a code that is not used yet.")]
    if not (title_zh or title_en):
        errors["title_zh"] = [_("Give a title.")]
    if not (0 < int(pass_mark) <= 100):
        errors["pass_mark"] = [_("The pass mark lies between 1 and 100.")]
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
        initial_state=initial_state if initial_state is not None else {"agitation": 50},
        counterpart_zh=counterpart_zh,
        counterpart_en=counterpart_en,
    )


@transaction.atomic
def version_new_draft(*, simulation: Simulation, actor) -> SimulationVersion:
    """A draft copy of the latest version (or the existing draft)."""
    _require_hr_admin(actor)
    draft = simulation.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    source = simulation.versions.order_by("-version").first()
    new = SimulationVersion.objects.create(
        simulation=simulation,
        version=(source.version + 1) if source else 1,
        pass_mark=source.pass_mark if source else 60,
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
    _require_hr_admin(actor)
    _require_draft(version)
    allowed = {"pass_mark", "initial_state", "counterpart_zh", "counterpart_en", "start_node"}
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
    _require_hr_admin(actor)
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
    _require_hr_admin(actor)
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
    _require_hr_admin(actor)
    _require_draft(node.version)
    errors: dict = {}
    if not (label_zh or label_en):
        errors["label_zh"] = [_("Give the choice's label.")]
    if next_node is not None and next_node.version_id != node.version_id:
        errors["next_node"] = [_("The next node must be in the same version.")]
    effects = _clean_number_map(effects, "effects", errors)
    state_changes = _clean_number_map(state_changes, "state_changes", errors)
    if condition and not graph_mod._condition_ok(condition):
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
    _require_hr_admin(actor)
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
    _require_hr_admin(actor)
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
    _require_hr_admin(actor)
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
    _require_hr_admin(actor)
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


# --- assignments and pushes -------------------------------------------------------------------


def _assignment_link(assignment: Assignment) -> str:
    return reverse("competency:assignment_start", args=[assignment.pk])


@transaction.atomic
def assignment_create(
    *,
    employee: Employee,
    simulation: Simulation,
    reason: str,
    source_key: str,
    actor=None,
    due_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Assignment | None:
    """Assign a simulation once per ``source_key`` and tell the employee; None if it existed."""
    if reason not in AssignmentReason.values:
        raise ValidationFailed(
            _("Unknown assignment reason."),
            errors={
                "reason": [_("“%(reason)s” is not an assignment reason.") % {"reason": reason}]
            },
        )
    if published_version(simulation) is None:
        raise ValidationFailed(
            _("Only a published simulation can be assigned."),
            errors={"simulation": [_("This simulation has no published version yet.")]},
        )
    now = now or timezone.now()
    due_at = due_at or now + timedelta(days=DEFAULT_DUE_DAYS)
    if due_at <= now:
        raise ValidationFailed(
            _("The due date must be in the future."),
            errors={"due_at": [_("Pick a date after today.")]},
        )
    if Assignment.objects.filter(source_key=source_key).exists():
        return None
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                employee=employee,
                simulation=simulation,
                reason=reason,
                source_key=source_key,
                note=note[:300],
                assigned_by=actor,
                assigned_at=now,
                due_at=due_at,
            )
    except IntegrityError:
        return None
    notification_send(
        recipient=employee.user,
        kind="training.assigned",
        subject=(
            f"新的情景演练：{simulation.title_zh}",
            f"New practice simulation: {simulation.title_en}",
        ),
        body=(
            f"请在 {timezone.localtime(due_at):%Y-%m-%d} 前完成。{note}",
            f"Please complete it by {timezone.localtime(due_at):%Y-%m-%d}. {note}",
        ),
        link=_assignment_link(assignment),
        data={"assignment_id": assignment.pk},
        dedupe_key=f"competency:assigned:{assignment.pk}",
    )
    return assignment


def assignments_assign_manual(
    *, simulation: Simulation, employees: list[Employee], due_at: datetime, actor, note: str = ""
) -> list[Assignment]:
    """HR assigns a published simulation to people (once per person and day)."""
    _require_hr_admin(actor)
    day = timezone.localdate()
    created = []
    for employee in employees:
        assignment = assignment_create(
            employee=employee,
            simulation=simulation,
            reason=AssignmentReason.MANUAL,
            source_key=f"manual:{simulation.code}:{employee.pk}:{day.isoformat()}",
            actor=actor,
            due_at=due_at,
            note=note,
        )
        if assignment:
            created.append(assignment)
    return created


def _published_simulations() -> list[tuple[Simulation, SimulationVersion]]:
    versions = SimulationVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "simulation"
    )
    return [(v.simulation, v) for v in versions]


def _simulation_trains(version: SimulationVersion) -> set[str]:
    codes: set[str] = set()
    for effects in SimChoice.objects.filter(node__version=version).values_list(
        "effects", flat=True
    ):
        codes.update(k for k, v in (effects or {}).items() if v and v > 0)
    for effects in SimRubricItem.objects.filter(
        node__version=version, kind=RubricItemKind.KEY_POINT
    ).values_list("effects", flat=True):
        codes.update(k for k, v in (effects or {}).items() if v and v > 0)
    return codes


def _simulation_for_competency(code: str, scenario_codes: list[str]) -> Simulation | None:
    """A published simulation training ``code``, preferring the given scenarios."""
    candidates = [(s, v) for s, v in _published_simulations() if code in _simulation_trains(v)]
    candidates.sort(key=lambda sv: (sv[0].scenario_code not in scenario_codes, sv[0].code))
    return candidates[0][0] if candidates else None


def _open_assignment_exists(employee: Employee, simulation: Simulation) -> bool:
    return Assignment.objects.filter(
        employee=employee, simulation=simulation, completed_at__isnull=True
    ).exists()


def gap_pushes_for(*, employee: Employee, now: datetime | None = None) -> int:
    """Assign a simulation for each competency where the employee is below the required level,
    once per latest-evidence state, never while one for that simulation is still open."""
    now = now or timezone.now()
    profile = profile_for(employee)
    if profile is None:
        return 0
    created = 0
    levels = current_levels(employee)
    latest_ids = dict(
        Evidence.objects.filter(employee=employee)
        .order_by("competency_code", "observed_at", "id")
        .values_list("competency_code", "id")
    )
    for gap in gaps_for(employee, levels=levels):
        simulation = _simulation_for_competency(gap["code"], profile.scenario_codes)
        if simulation is None or _open_assignment_exists(employee, simulation):
            continue
        key = f"gap:{employee.pk}:{gap['code']}:{latest_ids.get(gap['code'], 0)}"
        if assignment_create(
            employee=employee,
            simulation=simulation,
            reason=AssignmentReason.GAP,
            source_key=key,
            due_at=now + timedelta(days=profile.due_days),
            note=f"{gap['competency'].name_zh} {gap['current']}→{gap['required']}",
            now=now,
        ):
            created += 1
    return created


def pushes_run(*, now: datetime | None = None) -> dict[str, int]:
    """The beat sweep: periodic practice per profile cadence, gap-driven pushes, reminders and
    overdue notices. Idempotent: keys and compare-and-set flags stop any duplicate."""
    now = now or timezone.now()
    counts = {"periodic": 0, "gap": 0, "reminders": 0, "overdue": 0}
    published = _published_simulations()
    for profile in PositionProfile.objects.filter(is_active=True).select_related("position"):
        holders = list(
            Employee.objects.filter(is_active=True, position=profile.position).select_related(
                "user", "position"
            )
        )
        simulations = [s for s, _v in published if s.scenario_code in profile.scenario_codes]
        period = int(now.timestamp() // (max(profile.cadence_days, 1) * 86400))
        window_start = now - timedelta(days=profile.cadence_days)
        for holder in holders:
            for simulation in simulations:
                recent = Assignment.objects.filter(
                    employee=holder, simulation=simulation, assigned_at__gt=window_start
                ).exists()
                if recent:
                    continue
                with transaction.atomic():
                    if assignment_create(
                        employee=holder,
                        simulation=simulation,
                        reason=AssignmentReason.PERIODIC,
                        source_key=f"periodic:{holder.pk}:{simulation.code}:{period}",
                        due_at=now + timedelta(days=profile.due_days),
                        now=now,
                    ):
                        counts["periodic"] += 1
            with transaction.atomic():
                counts["gap"] += gap_pushes_for(employee=holder, now=now)
    counts["reminders"] = _remind_due(now)
    counts["overdue"] = _notify_overdue(now)
    return counts


def _remind_due(now: datetime) -> int:
    sent = 0
    due_soon = Assignment.objects.filter(
        completed_at__isnull=True,
        reminded_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + REMIND_BEFORE,
    ).select_related("employee__user", "simulation")
    for assignment in due_soon:
        with transaction.atomic():
            claimed = Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            notification_send(
                recipient=assignment.employee.user,
                kind="training.reminder",
                subject=(
                    f"提醒：请完成情景演练「{assignment.simulation.title_zh}」",
                    f"Reminder: please complete “{assignment.simulation.title_en}”",
                ),
                body=(
                    f"截止 {timezone.localtime(assignment.due_at):%Y-%m-%d %H:%M}。",
                    f"Due {timezone.localtime(assignment.due_at):%Y-%m-%d %H:%M}.",
                ),
                link=_assignment_link(assignment),
                dedupe_key=f"competency:reminder:{assignment.pk}",
            )
            sent += 1
    return sent


def _notify_overdue(now: datetime) -> int:
    sent = 0
    overdue = Assignment.objects.filter(
        completed_at__isnull=True, overdue_notified_at__isnull=True, due_at__lte=now
    ).select_related("employee__user", "employee__manager__user", "simulation")
    for assignment in overdue:
        with transaction.atomic():
            claimed = Assignment.objects.filter(
                pk=assignment.pk, overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            if not claimed:
                continue
            employee = assignment.employee
            recipients = [employee.user]
            if employee.manager_id and employee.manager.user_id:
                recipients.append(employee.manager.user)
            for recipient in recipients:
                notification_send(
                    recipient=recipient,
                    kind="training.overdue",
                    subject=(
                        f"逾期：{employee.name_zh} 的情景演练「{assignment.simulation.title_zh}」",
                        f"Overdue: {employee.name_en}'s simulation “{assignment.simulation.title_en}”",
                    ),
                    link=reverse("competency:home"),
                    dedupe_key=f"competency:overdue:{assignment.pk}:{recipient.pk}",
                )
            sent += 1
    return sent


# --- playing ----------------------------------------------------------------------------------


@transaction.atomic
def run_start(
    *, simulation: Simulation, actor, assignment: Assignment | None = None
) -> SimulationRun:
    """Start (or resume) the actor's run of the published version."""
    employee = employee_of(actor)
    if employee is None:
        raise PermissionDenied(_("Only employees can play simulations."))
    if assignment is not None and assignment.employee_id != employee.pk:
        raise NotFound(_("No such assignment."))
    version = published_version(simulation)
    if version is None or version.start_node_id is None:
        raise NotFound(_("This simulation is not published."))
    existing = (
        SimulationRun.objects.select_for_update()
        .filter(employee=employee, version=version, status=RunStatus.IN_PROGRESS)
        .first()
    )
    if existing is not None:
        if assignment is not None and existing.assignment_id is None:
            existing.assignment = assignment
            existing.save(update_fields=["assignment"])
        return existing
    if assignment is None:
        assignment = (
            Assignment.objects.filter(
                employee=employee, simulation=simulation, completed_at__isnull=True
            )
            .order_by("due_at")
            .first()
        )
    return SimulationRun.objects.create(
        version=version,
        employee=employee,
        assignment=assignment,
        current_node=version.start_node,
        state=dict(version.initial_state or {}),
        node_started_at=timezone.now(),
    )


def _get_own_run(run_id: int, actor, *, lock: bool = False) -> SimulationRun:
    qs = SimulationRun.objects.all()
    if lock:
        qs = qs.select_for_update()
    run = qs.filter(pk=run_id).first()
    if run is None or not selectors.runs_visible_to(actor).filter(pk=run_id).exists():
        raise NotFound(_("No such simulation run."))
    if employee_of(actor) is None or run.employee_id != employee_of(actor).pk:
        raise PermissionDenied(_("Only the person who plays a run can answer in it."))
    return run


@transaction.atomic
def run_answer(
    *,
    run_id: int,
    node_id: int,
    actor,
    choice_id: int | None = None,
    free_text: str = "",
    timed_out: bool = False,
    now: datetime | None = None,
) -> SimulationRun:
    """Answer the current step. Out of order, twice, after the end or in someone else's run:
    an error and nothing changes."""
    now = now or timezone.now()
    run = _get_own_run(run_id, actor, lock=True)
    if run.status == RunStatus.FINISHED:
        raise Conflict(_("This run is finished; start a new one to play again."))
    if run.current_node_id != node_id:
        raise Conflict(
            _("This step was already answered or is not the current one."), code="out_of_order"
        )
    node = SimNode.objects.prefetch_related("choices").get(pk=node_id)
    shown = visible_choices(node, run.state)
    timeout_choice = next((c for c in node.choices.all() if c.is_timeout), None)
    chosen: SimChoice | None = None
    expired = False
    if node.kind == NodeKind.TIMED and node.time_limit_seconds:
        deadline = run.node_started_at + timedelta(
            seconds=node.time_limit_seconds + TIMER_GRACE_SECONDS
        )
        expired = timed_out or now > deadline
    if node.kind == NodeKind.ENDING:
        raise Conflict(_("An ending has nothing to answer."))
    if expired and timeout_choice is not None:
        chosen = timeout_choice
    elif node.kind == NodeKind.FREE_TEXT:
        if not free_text.strip():
            raise ValidationFailed(
                _("Write your answer first."), errors={"free_text": [_("Required.")]}
            )
        if choice_id is None:
            chosen = shown[0] if shown else None
        else:
            chosen = next((c for c in shown if c.pk == choice_id), None)
    else:
        chosen = next((c for c in shown if c.pk == choice_id), None)
    if chosen is None:
        raise ValidationFailed(
            _("That choice is not on offer at this step."),
            errors={"choice": [_("Pick one of the choices shown.")]},
        )
    offered = [c.pk for c in shown]
    if timeout_choice is not None:
        offered.append(timeout_choice.pk)
    state_after = scoring.apply_state_changes(run.state, chosen.state_changes)
    try:
        with transaction.atomic():
            RunStep.objects.create(
                run=run,
                seq=run.step_count + 1,
                node=node,
                choice=chosen,
                offered=offered,
                free_text=free_text.strip()[:4000],
                timed_out=chosen.is_timeout,
                state_after=state_after,
                at=now,
            )
    except IntegrityError as exc:
        raise Conflict(_("This step was already answered.")) from exc
    run.state = state_after
    run.step_count += 1
    run.current_node = chosen.next_node
    run.node_started_at = now
    run.save(update_fields=["state", "step_count", "current_node", "node_started_at"])
    if chosen.next_node is None or chosen.next_node.kind == NodeKind.ENDING:
        _run_finish(run, now=now)
    return run


def _rubric_facts(items: list[SimRubricItem]) -> tuple[scoring.RubricItem, ...]:
    return tuple(
        scoring.RubricItem(
            id=i.pk, phrases=tuple(i.phrases), effects=i.effects or {}, forbidden=i.is_forbidden
        )
        for i in items
    )


def _rubrics_of(steps: list[RunStep]) -> dict[int, list[SimRubricItem]]:
    """Rubric items per node of the free-text steps (one query)."""
    node_ids = {s.node_id for s in steps if s.node.kind == NodeKind.FREE_TEXT}
    rubrics: dict[int, list[SimRubricItem]] = {}
    for item in SimRubricItem.objects.filter(node_id__in=node_ids).order_by("order", "id"):
        rubrics.setdefault(item.node_id, []).append(item)
    return rubrics


def _steps_for_scoring(run: SimulationRun) -> tuple[list, list[scoring.Step], dict, dict]:
    steps = list(run.steps.select_related("choice", "node").order_by("seq"))
    offered_ids = {i for s in steps for i in s.offered}
    choices = {c.pk: c for c in SimChoice.objects.filter(pk__in=offered_ids)}
    rubrics = _rubrics_of(steps)
    facts = []
    for step in steps:
        offered = tuple(
            scoring.Option(
                id=c.pk,
                effects=c.effects or {},
                critical=c.is_critical,
                has_hint=bool(c.hint_zh or c.hint_en),
            )
            for c in (choices[i] for i in step.offered if i in choices)
        )
        facts.append(
            scoring.Step(
                offered=offered,
                chosen_id=step.choice_id,
                rubric=_rubric_facts(rubrics.get(step.node_id, [])),
                answer=step.free_text,
            )
        )
    items = {i.pk: i for found in rubrics.values() for i in found}
    return steps, facts, choices, items


def run_free_text_reviews(run: SimulationRun) -> list[dict]:
    """Per free-text step of a run: the answer, the key points it covered and missed, and the
    forbidden phrases it used (rubric rows, with the phrase found)."""
    steps = list(run.steps.select_related("node").order_by("seq"))
    rubrics = _rubrics_of(steps)
    reviews = []
    for step in steps:
        items = rubrics.get(step.node_id)
        if not items:
            continue
        review = scoring.rubric_review(step.free_text, _rubric_facts(items))
        by_id = {i.pk: i for i in items}
        reviews.append(
            {
                "step": step,
                "node": step.node,
                "answer": step.free_text,
                "covered": [(by_id[i], review.found[i]) for i in review.covered],
                "missed": [by_id[i] for i in review.missed],
                "forbidden": [(by_id[i], review.found[i]) for i in review.forbidden],
            }
        )
    return reviews


def _run_finish(run: SimulationRun, *, now: datetime) -> None:
    version = run.version
    simulation = version.simulation
    employee = run.employee
    profile = profile_for(employee)
    weights = {}
    if profile is not None:
        weights = {
            r.competency.code: r.weight for r in profile.requirements.select_related("competency")
        }
    _steps, facts, choices, rubric_items = _steps_for_scoring(run)
    result = scoring.score_run(facts, pass_mark=version.pass_mark, weights=weights)
    plan = scoring.suggestions_plan(result, facts)
    run.status = RunStatus.FINISHED
    run.finished_at = now
    run.overall_score = result.overall
    run.critical_error = result.critical_error
    run.passed = result.passed
    run.competency_scores = {
        code: {"earned": s.earned, "best": s.best, "percent": s.percent}
        for code, s in result.competencies.items()
    }
    run.suggestions = _render_suggestions(plan, choices, employee, rubric_items)
    run.save()
    for code, s in result.competencies.items():
        competency = competency_for_code(code, employee)
        if competency is None:
            continue
        level = scoring.level_from_percent(s.percent, scale_values(competency.framework))
        evidence_record(
            employee=employee,
            competency_code=code,
            level=level,
            score=s.percent,
            kind=EvidenceKind.SIMULATION,
            source=f"{simulation.code} v{version.version}",
            source_key=f"run:{run.pk}:{code}",
            run=run,
            actor=employee.user,
            observed_at=now,
            push=False,
        )
    Assignment.objects.filter(
        employee=employee, simulation=simulation, completed_at__isnull=True
    ).update(completed_at=now)
    if result.passed:
        recognition_award(
            employee=employee,
            kind=RecognitionKind.TRAINING,
            source_key=f"training:pass:{simulation.code}",
            reason=(f"通过情景演练「{simulation.title_zh}」", f"Passed “{simulation.title_en}”"),
        )
        passed = (
            SimulationRun.objects.filter(employee=employee, passed=True)
            .values("version__simulation")
            .distinct()
            .count()
        )
        if passed >= 3:
            recognition_award(
                employee=employee,
                kind=RecognitionKind.TRAINING,
                source_key="training:milestone:3-simulations",
                stars=2,
                reason=("通过三个不同的情景演练", "Passed three different simulations"),
            )
    transaction.on_commit(lambda: gap_pushes_for(employee=employee))


def _render_suggestions(
    plan: list[dict],
    choices: dict,
    employee: Employee,
    rubric_items: dict[int, SimRubricItem] | None = None,
) -> list[dict]:
    """Turn the scoring plan into bilingual advice texts."""
    out: list[dict] = []
    levels = current_levels(employee)
    rubric_items = rubric_items or {}
    for item in plan:
        if item["kind"] == "forbidden":
            rubric = rubric_items.get(item["item_id"])
            if rubric is None:
                continue
            out.append(
                {
                    "kind": "critical",
                    "zh": f"关键错误——你的回答触及「{rubric.label_zh}」：{rubric.feedback_zh}",
                    "en": f"Critical error — your answer hit “{rubric.label_en}”: "
                    f"{rubric.feedback_en}",
                }
            )
        elif item["kind"] == "missed_points":
            missed = [rubric_items[i] for i in item["item_ids"] if i in rubric_items]
            if not missed:
                continue
            out.append(
                {
                    "kind": "missed_points",
                    "zh": "书面回答还应包含："
                    + "；".join(
                        f"{m.label_zh}（{m.feedback_zh.rstrip('。；;. ')}）"
                        if m.feedback_zh
                        else m.label_zh
                        for m in missed
                    )
                    + "。",
                    "en": "Your written answer should also cover: "
                    + "; ".join(
                        f"{m.label_en} ({m.feedback_en.rstrip('。；;. ')})"
                        if m.feedback_en
                        else m.label_en
                        for m in missed
                    )
                    + ".",
                }
            )
        elif item["kind"] in ("critical", "choice"):
            choice = choices.get(item["choice_id"])
            if choice is None:
                continue
            advice_zh = choice.hint_zh or choice.feedback_zh
            advice_en = choice.hint_en or choice.feedback_en
            if item["kind"] == "critical":
                out.append(
                    {
                        "kind": "critical",
                        "zh": f"关键错误——「{choice.label_zh}」：{advice_zh}",
                        "en": f"Critical error — “{choice.label_en}”: {advice_en}",
                    }
                )
            else:
                out.append({"kind": "choice", "zh": advice_zh, "en": advice_en})
        else:
            competency = competency_for_code(item["code"], employee)
            if competency is None:
                continue
            target = min(
                levels.get(item["code"], {}).get("level", 1) + 1,
                max(scale_values(competency.framework)),
            )
            anchor = competency.anchors.filter(level=target).first()
            out.append(
                {
                    "kind": "competency",
                    "zh": f"重点练习「{competency.name_zh}」（本次 {int(item['percent'] + 0.5)} 分）"
                    + (f"：达到 {target} 级意味着——{anchor.text_zh}" if anchor else "。"),
                    "en": f"Practise “{competency.name_en}” (this run {int(item['percent'] + 0.5)})"
                    + (f": level {target} means — {anchor.text_en}" if anchor else "."),
                }
            )
    return out


# --- recognition and crisis reviews -----------------------------------------------------------


@transaction.atomic
def recognition_award(
    *,
    employee: Employee | int,
    kind: str,
    source_key: str,
    stars: int = 1,
    reason: tuple[str, str],
    actor: AbstractBaseUser | None = None,
) -> RecognitionEntry | None:
    """Add resilience stars once per (employee, source_key); None when already awarded."""
    employee = _as_employee(employee)
    if kind not in RecognitionKind.values:
        raise ValidationFailed(
            _("Unknown recognition kind."),
            errors={"kind": [_("“%(kind)s” is not a recognition kind.") % {"kind": kind}]},
        )
    if not source_key:
        raise ValidationFailed(
            _("A source key is required."),
            errors={"source_key": [_("Give the key that identifies the source event.")]},
        )
    if int(stars) < 1 or int(stars) > 5:
        raise ValidationFailed(
            _("Between 1 and 5 stars."), errors={"stars": [_("Give 1 to 5 stars.")]}
        )
    if RecognitionEntry.objects.filter(employee=employee, source_key=source_key).exists():
        return None
    try:
        with transaction.atomic():
            entry = RecognitionEntry.objects.create(
                employee=employee,
                kind=kind,
                source_key=source_key[:200],
                stars=int(stars),
                reason_zh=(reason[0] or reason[1])[:300],
                reason_en=(reason[1] or reason[0])[:300],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return None
    notification_send(
        recipient=employee.user,
        kind="training.recognition",
        subject=(f"获得 {entry.stars} 颗韧性之星", f"You earned {entry.stars} resilience star(s)"),
        body=(entry.reason_zh, entry.reason_en),
        link=reverse("competency:recognition"),
        dedupe_key=f"competency:recognition:{entry.pk}",
        email=False,
    )
    return entry


def _crisis_scenario_code(crisis_id: int) -> str:
    try:
        from django.apps import apps

        crisis_model = apps.get_model("crisis", "Crisis")
        crisis = crisis_model.objects.filter(pk=crisis_id).select_related("scenario").first()
        return getattr(getattr(crisis, "scenario", None), "code", "") or ""
    except (LookupError, AttributeError, Exception):  # crisis app not ready: no preference
        return ""


@transaction.atomic
def crisis_review_record(*, crisis_id: int, findings: list[dict], actor) -> int:
    """Record the weaknesses a closed crisis revealed: one real-crisis-review evidence row per
    (crisis, employee, competency), one level below the required (or current) level, and a
    post-crisis simulation for each person. Idempotent; returns the number of new rows."""
    errors: dict[str, list[str]] = {}
    prepared = []
    for index, finding in enumerate(findings or []):
        employee = Employee.objects.filter(pk=finding.get("employee_id")).first()
        code = finding.get("competency") or ""
        competency = competency_for_code(code, employee) if employee else None
        if employee is None:
            errors[f"findings[{index}].employee_id"] = [_("Unknown employee.")]
        elif competency is None:
            errors[f"findings[{index}].competency"] = [_("Unknown competency.")]
        else:
            prepared.append((employee, competency, str(finding.get("note", ""))))
    if errors:
        raise ValidationFailed(_("The crisis review is not valid."), errors=errors)
    scenario_code = _crisis_scenario_code(crisis_id)
    created = 0
    now = timezone.now()
    for employee, competency, note in prepared:
        key = f"crisis:{crisis_id}:{employee.pk}:{competency.code}"
        if Evidence.objects.filter(source_key=key).exists():
            continue  # already reviewed: replaying the closure changes nothing
        values = scale_values(competency.framework)
        current = current_levels(employee).get(competency.code, {}).get("level")
        required = None
        profile = profile_for(employee)
        if profile is not None:
            requirement = profile.requirements.filter(competency__code=competency.code).first()
            required = requirement.required_level if requirement else None
        basis = min(x for x in (current, required) if x is not None) if (current or required) else 2
        level = max(min(values), basis - 1)
        _row, was_new = evidence_record(
            employee=employee,
            competency_code=competency.code,
            level=level,
            kind=EvidenceKind.CRISIS_REVIEW,
            source=f"crisis #{crisis_id}",
            source_key=key,
            note=note,
            actor=actor,
            observed_at=now,
            push=False,
        )
        created += int(was_new)
        simulation = _simulation_for_competency(
            competency.code, [scenario_code] if scenario_code else []
        )
        if simulation is not None:
            assignment_create(
                employee=employee,
                simulation=simulation,
                reason=AssignmentReason.POST_CRISIS,
                source_key=f"post-crisis:{crisis_id}:{employee.pk}:{simulation.code}",
                actor=actor,
                due_at=now + timedelta(days=7),
                note=f"#{crisis_id} {competency.name_zh}",
                now=now,
            )
    return created
