"""Enums of customer master data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditStatus(models.TextChoices):
    """Where a customer stands with its payments (kept current from finance events)."""

    GOOD = "good", _("Good")
    WATCH = "watch", _("Watch (overdue)")
    AT_RISK = "at_risk", _("At risk (> 15 days overdue)")
    COLLECTIONS = "collections", _("Collections (≥ 30 days overdue)")


def credit_status_for(overdue_days: int) -> str:
    """The credit status implied by the number of days overdue."""
    if overdue_days >= 30:
        return CreditStatus.COLLECTIONS
    if overdue_days > 15:
        return CreditStatus.AT_RISK
    if overdue_days > 0:
        return CreditStatus.WATCH
    return CreditStatus.GOOD
