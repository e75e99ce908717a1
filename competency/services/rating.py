"""Human rating of written answers: raters per simulation, reference answers, scores."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.selectors import employee_of

from ..choices import NodeKind, RunStatus
from ..models import RunStep, SimNode, Simulation
from ..rating_models import RATING_MAX, AnswerRating, ReferenceAnswer, SimulationRater
from .guards import require_hr_admin

# Two raters score each written answer; a third is not asked.
RATERS_PER_ANSWER = 2
REFERENCE_MAX_LENGTH = 4000


def key_points(node: SimNode) -> list:
    """The rubric items a rater scores: the key points (forbidden phrases are the machine's)."""
    return [item for item in node.rubric_items.all() if not item.is_forbidden]


def _clean_scores(node: SimNode, scores: dict) -> dict[int, int]:
    """{item id: 0–2} for every key point of ``node``, or a ValidationFailed naming what is wrong."""
    items = {item.pk: item for item in key_points(node)}
    cleaned: dict[int, int] = {}
    errors: dict[str, str] = {}
    for raw_key, raw_value in (scores or {}).items():
        try:
            key, value = int(raw_key), int(raw_value)
        except (TypeError, ValueError):
            errors[f"item-{raw_key}"] = _("Give 0, 1 or 2.")
            continue
        if key not in items:
            errors[f"item-{raw_key}"] = _("Not a key point of this answer.")
        elif not 0 <= value <= RATING_MAX:
            errors[f"item-{key}"] = _("Give 0, 1 or 2.")
        else:
            cleaned[key] = value
    for key in items:
        if key not in cleaned and f"item-{key}" not in errors:
            errors[f"item-{key}"] = _("Score every key point.")
    if errors:
        raise ValidationFailed(_("The scores are not complete."), errors=errors)
    return cleaned


@transaction.atomic
def raters_set(*, simulation: Simulation, usernames: list[str], actor) -> list[SimulationRater]:
    """Replace the raters of ``simulation`` (HR admins)."""
    require_hr_admin(actor)
    names = sorted({name.strip() for name in usernames if name.strip()})
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    unknown = [name for name in names if name not in users]
    if unknown:
        raise ValidationFailed(
            _("Unknown user names: %(names)s.") % {"names": ", ".join(unknown)},
            errors={"raters": _("Give existing user names.")},
        )
    SimulationRater.objects.filter(simulation=simulation).exclude(user__in=users.values()).delete()
    for user in users.values():
        SimulationRater.objects.get_or_create(simulation=simulation, user=user)
    return list(SimulationRater.objects.filter(simulation=simulation))


@transaction.atomic
def reference_answer_create(
    *, node: SimNode, text: str, expert_scores: dict, actor
) -> ReferenceAnswer:
    """A reference answer with the expert's score of every key point (HR admins)."""
    require_hr_admin(actor)
    if node.kind != NodeKind.FREE_TEXT:
        raise ValidationFailed(_("Only a written-answer step has reference answers."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write the reference answer."), errors={"text": _("Required.")})
    if len(text) > REFERENCE_MAX_LENGTH:
        raise ValidationFailed(
            _("At most %(n)d characters.") % {"n": REFERENCE_MAX_LENGTH},
            errors={"text": _("Too long.")},
        )
    scores = _clean_scores(node, expert_scores)
    return ReferenceAnswer.objects.create(
        node=node,
        text=text,
        expert_scores={str(k): v for k, v in scores.items()},
        created_by=actor,
    )


def _require_rater(actor, simulation_id: int) -> None:
    if not SimulationRater.objects.filter(simulation_id=simulation_id, user=actor).exists():
        raise PermissionDenied(_("You do not rate this simulation."))


@transaction.atomic
def answer_rate(
    *, actor, scores: dict, step: RunStep | None = None, reference: ReferenceAnswer | None = None
) -> list[AnswerRating]:
    """A rater scores every key point of one written answer: a player's (at most two raters,
    never their own) or a reference answer (calibration). Once per rater and answer."""
    if (step is None) == (reference is None):
        raise ValidationFailed(_("Rate one answer at a time."))
    if step is not None:
        step = (
            RunStep.objects.select_for_update()
            .select_related("run__version", "node", "run__employee")
            .filter(pk=step.pk)
            .first()
        )
        if step is None or step.node.kind != NodeKind.FREE_TEXT or not step.free_text:
            raise NotFound(_("No such written answer."))
        if step.run.status != RunStatus.FINISHED:
            raise Conflict(_("The run is still being played."))
        node, simulation_id = step.node, step.run.version.simulation_id
        _require_rater(actor, simulation_id)
        player = employee_of(actor)
        if player is not None and step.run.employee_id == player.pk:
            raise PermissionDenied(_("Nobody rates their own answer."))
        target = {"step": step}
    else:
        # locked like a player's answer: two quick submits of one rater are one rating
        reference = (
            ReferenceAnswer.objects.select_for_update()
            .select_related("node__version")
            .filter(pk=reference.pk)
            .first()
        )
        if reference is None:
            raise NotFound(_("No such written answer."))
        node = reference.node
        _require_rater(actor, node.version.simulation_id)
        target = {"reference": reference}
    existing = AnswerRating.objects.filter(**target)
    if existing.filter(rater=actor).exists():
        raise Conflict(_("You have already rated this answer."))
    if step is not None and existing.values("rater").distinct().count() >= RATERS_PER_ANSWER:
        raise Conflict(_("Two raters have already scored this answer."))
    cleaned = _clean_scores(node, scores)
    return AnswerRating.objects.bulk_create(
        [
            AnswerRating(item_id=item_id, rater=actor, score=value, **target)
            for item_id, value in cleaned.items()
        ]
    )
