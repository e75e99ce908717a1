"""Reads of human rating: what a rater has to score, and the raters' agreement per simulation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Prefetch

from . import agreement
from .choices import NodeKind, RubricItemKind, RunStatus, VersionStatus
from .models import RunStep, SimNode, SimRubricItem, Simulation
from .rating_models import AnswerRating, ReferenceAnswer, SimulationRater
from .services.rating import RATERS_PER_ANSWER

QUEUE_LIMIT = 20


def _rated_simulations(user: AbstractBaseUser):
    return SimulationRater.objects.filter(user=user).values("simulation_id")


def _key_points(path: str = "node__rubric_items") -> Prefetch:
    """The key points (not the forbidden phrases) of the nodes at ``path``, as ``key_points``."""
    return Prefetch(
        path,
        queryset=SimRubricItem.objects.filter(kind=RubricItemKind.KEY_POINT).order_by(
            "order", "id"
        ),
        to_attr="key_points",
    )


def rates_answers(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and SimulationRater.objects.filter(user=user).exists()


def answers_to_rate(user: AbstractBaseUser) -> list[RunStep]:
    """Written answers of finished runs of the simulations ``user`` rates that fewer than two
    raters have scored, not the user's own and not already scored by them; oldest first. The
    rater sees the answer, never the player's name."""
    mine = AnswerRating.objects.filter(rater=user, step=OuterRef("pk"))
    return list(
        RunStep.objects.filter(
            run__version__simulation_id__in=_rated_simulations(user),
            run__status=RunStatus.FINISHED,
            node__kind=NodeKind.FREE_TEXT,
        )
        .exclude(free_text="")
        .exclude(run__employee__user=user)
        .annotate(raters=Count("ratings__rater", distinct=True))
        .filter(raters__lt=RATERS_PER_ANSWER)
        .exclude(Exists(mine))
        .select_related("node", "run__version__simulation")
        .prefetch_related(_key_points())
        .order_by("at", "pk")[:QUEUE_LIMIT]
    )


def references_to_calibrate(user: AbstractBaseUser) -> list[ReferenceAnswer]:
    """Reference answers of the simulations ``user`` rates that they have not scored yet."""
    mine = AnswerRating.objects.filter(rater=user, reference=OuterRef("pk"))
    return list(
        ReferenceAnswer.objects.filter(node__version__simulation_id__in=_rated_simulations(user))
        .exclude(Exists(mine))
        .select_related("node__version__simulation")
        .prefetch_related(_key_points())
        .order_by("pk")[:QUEUE_LIMIT]
    )


@dataclass
class SimulationAgreement:
    simulation: Simulation
    raters: list = field(default_factory=list)
    answers_rated_twice: int = 0
    icc: float | None = None
    items: list[dict] = field(default_factory=list)
    calibration: list[dict] = field(default_factory=list)
    free_text_nodes: list[SimNode] = field(default_factory=list)


def agreement_overview() -> list[SimulationAgreement]:
    """Per published simulation: its raters, ICC(2,1) over every (answer, key point) scored by
    two raters, the key points raters split on, and each rater's deviation from the expert on
    the reference answers. A constant number of queries whatever the number of ratings."""
    simulations = list(
        Simulation.objects.filter(versions__status=VersionStatus.PUBLISHED)
        .prefetch_related(
            Prefetch("raters", queryset=SimulationRater.objects.select_related("user"))
        )
        .order_by("code")
        .distinct()
    )
    nodes = defaultdict(list)
    for node in (
        SimNode.objects.filter(version__status=VersionStatus.PUBLISHED, kind=NodeKind.FREE_TEXT)
        .select_related("version")
        .prefetch_related(
            _key_points("rubric_items"),
            "reference_answers",
        )
    ):
        nodes[node.version.simulation_id].append(node)
    labels = {
        item.pk: item for node_list in nodes.values() for n in node_list for item in n.key_points
    }
    # player answers: (simulation, step, item) → scores in rater order
    scores = defaultdict(list)
    for sim_id, step_id, item_id, score in (
        AnswerRating.objects.filter(step__isnull=False)
        .values_list("step__run__version__simulation_id", "step_id", "item_id", "score")
        .order_by("step_id", "item_id", "rater_id")
    ):
        scores[(sim_id, step_id, item_id)].append(score)
    # reference answers: (simulation, rater) → {(reference, item): score}
    expert = {}
    given = defaultdict(dict)
    for sim_id, ref_id, expert_scores, rater, item_id, score in AnswerRating.objects.filter(
        reference__isnull=False
    ).values_list(
        "reference__node__version__simulation_id",
        "reference_id",
        "reference__expert_scores",
        "rater__username",
        "item_id",
        "score",
    ):
        given[(sim_id, rater)][(ref_id, item_id)] = score
        expert[(ref_id, item_id)] = (expert_scores or {}).get(str(item_id))
    out = []
    for simulation in simulations:
        rows, pairs, steps = [], defaultdict(list), set()
        for (sim_id, step_id, item_id), values in scores.items():
            if sim_id != simulation.pk or len(values) < 2:
                continue
            rows.append(values[:2])
            pairs[item_id].append((values[0], values[1]))
            steps.add(step_id)
        calibration = [
            {
                "rater": rater,
                "rated": len(mine),
                "deviation": agreement.calibration_deviation(
                    mine, {key: expert[key] for key in mine if expert.get(key) is not None}
                ),
            }
            for (sim_id, rater), mine in sorted(given.items())
            if sim_id == simulation.pk
        ]
        out.append(
            SimulationAgreement(
                simulation=simulation,
                raters=[r.user for r in simulation.raters.all()],
                answers_rated_twice=len(steps),
                icc=agreement.icc_2_1(rows),
                items=[
                    {"item": labels.get(a.item_id), **a.__dict__}
                    for a in agreement.item_agreement(pairs)
                ],
                calibration=calibration,
                free_text_nodes=nodes.get(simulation.pk, []),
            )
        )
    return out
