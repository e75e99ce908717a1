"""Enumerations of the competency app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FrameworkStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class EvidenceKind(models.TextChoices):
    SIMULATION = "simulation", _("Simulation result")
    MANAGER_RATING = "manager_rating", _("Manager rating")
    TRAINING = "training", _("Training completion")
    CRISIS_REVIEW = "crisis_review", _("Real-crisis review")
    EXTERNAL = "external", _("External system")
    DRILL = "drill", _("Drill on the real engine")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class NodeKind(models.TextChoices):
    NARRATIVE = "narrative", _("Narrative")
    DECISION = "decision", _("Decision")
    FREE_TEXT = "free_text", _("Free-text answer")
    TIMED = "timed", _("Timed decision")
    ENDING = "ending", _("Ending")


class RubricItemKind(models.TextChoices):
    KEY_POINT = "key_point", _("Key point")
    FORBIDDEN = "forbidden", _("Forbidden phrase")


class EndingTone(models.TextChoices):
    GOOD = "good", _("Good ending")
    MIXED = "mixed", _("Mixed ending")
    BAD = "bad", _("Bad ending")


class RunStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")


class AssignmentReason(models.TextChoices):
    PERIODIC = "periodic", _("Periodic practice")
    RETRY = "retry", _("Practice again after a failed attempt")
    GAP = "gap", _("Competency gap")
    POST_CRISIS = "post_crisis", _("After a real crisis")
    MANUAL = "manual", _("Assigned by HR")


class RecognitionKind(models.TextChoices):
    CRISIS = "crisis", _("Real crisis")
    TRAINING = "training", _("Training milestone")


CONDITION_OPERATORS = ("lt", "lte", "gt", "gte", "eq", "ne")
STATE_MIN, STATE_MAX = 0, 100
