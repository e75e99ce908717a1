"""Human rating of free-text answers: who rates a simulation, their scores per rubric item, and
the reference answers raters calibrate on (imported by ``competency.models``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A rubric item is scored 0 (not said), 1 (partly) or 2 (fully said).
RATING_MAX = 2


class SimulationRater(models.Model):
    """A person HR admins trust to rate the written answers of one simulation."""

    simulation = models.ForeignKey(
        "competency.Simulation", on_delete=models.CASCADE, related_name="raters"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["simulation", "user"], name="simrater_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} rates {self.simulation}"


class ReferenceAnswer(models.Model):
    """A written answer with the expert's score per rubric item, for calibration."""

    node = models.ForeignKey(
        "competency.SimNode", on_delete=models.CASCADE, related_name="reference_answers"
    )
    text = models.TextField(_("reference answer"))
    # {rubric item id (str): 0–2}
    expert_scores = models.JSONField(_("expert scores"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["node", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class AnswerRating(models.Model):
    """One rater's score of one rubric item in one answer: a player's (``step``) or a
    reference answer (``reference``, calibration)."""

    step = models.ForeignKey(
        "competency.RunStep",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ratings",
    )
    reference = models.ForeignKey(
        ReferenceAnswer, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    item = models.ForeignKey(
        "competency.SimRubricItem", on_delete=models.CASCADE, related_name="ratings"
    )
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(step__isnull=False, reference__isnull=True)
                | Q(step__isnull=True, reference__isnull=False),
                name="answerrating_one_target",
            ),
            models.CheckConstraint(condition=Q(score__lte=RATING_MAX), name="answerrating_scale"),
            models.UniqueConstraint(
                fields=["step", "item", "rater"], name="answerrating_unique_step"
            ),
            models.UniqueConstraint(
                fields=["reference", "item", "rater"], name="answerrating_unique_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rater} {self.item_id}: {self.score}"
