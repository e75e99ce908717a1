"""Enumerations of the responsibilities app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class MapStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# A published or archived version is frozen: it may be running in a crisis or be history.
FROZEN_STATES = (MapStatus.PUBLISHED, MapStatus.ARCHIVED)


class DeliverableKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    CONFIRMATION = "confirmation", _("Confirmation")
    ON_SITE = "on_site", _("On-site presence")
    DECISION = "decision", _("Decision")
    CONTACT_LOG = "contact_log", _("Contact log")


class EscalationStep(models.TextChoices):
    """Fixed escalation targets; a step may also be ``position:<code>``."""

    MANAGER = "manager", _("The assignee's manager")
    EXECUTIVE = "executive", _("The scope's executive")


ESCALATION_POSITION_PREFIX = "position:"

# Deadlines longer than this are almost certainly typos (minutes entered as seconds…).
MAX_DEADLINE_MINUTES = 30 * 24 * 60
MAX_DUTIES_PER_MAP = 100
