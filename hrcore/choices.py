"""Enumerations of the organisation app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    GROUP = "group", _("Group")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    DEPARTMENT = "department", _("Department")


class AbsenceKind(models.TextChoices):
    """Why someone is away (as the HR system reports it)."""

    LEAVE = "leave", _("Leave")
    BUSINESS_TRIP = "business_trip", _("Business trip")


class DepartmentFunction(models.TextChoices):
    BUSINESS = "business", _("Business / sales")
    FINANCE = "finance", _("Finance")
    LEGAL = "legal", _("Legal")
    ADMINISTRATION = "administration", _("Administration")
    HR = "hr", _("Human resources")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    EXECUTIVE = "executive", _("Executive office")


class Role(models.TextChoices):
    """Roles are Django groups with these names."""

    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")
    EXECUTIVE = "executive", _("Executive")
    HR_ADMIN = "hr_admin", _("HR admin")
    PARTNER = "partner", _("Partner system")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Given up")


class DeliveryResult(models.TextChoices):
    """What one delivery attempt of an outbox message came to (the delivery ledger)."""

    STARTED = "started", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    REFUSED = "refused", _("Refused for good")
    UNKNOWN = "unknown", _("No answer recorded")
