"""Enumerations of the integrations app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Company and walk-in complaints share their outcomes; walk-in complaints live in crisis.
from crisis.choices import ComplaintOutcome  # noqa: F401  (re-exported)


class PartnerKind(models.TextChoices):
    FINANCE = "finance", _("Finance")
    LEGAL = "legal", _("Legal")
    CRM = "crm", _("CRM")
    PERFORMANCE = "performance", _("Performance / OKR")
    ATTENDANCE = "attendance", _("Attendance")
    IM = "im", _("Instant messaging")
    HR = "hr", _("HR system")
    PAYROLL = "payroll", _("Payroll")


class SourceStatus(models.TextChoices):
    PENDING = "pending", _("Loading")
    FRESH = "fresh", _("Fresh")
    STALE = "stale", _("Stale")
    FAILED = "failed", _("Failed")


class DossierStatus(models.TextChoices):
    BUILDING = "building", _("Building")
    COMPLETE = "complete", _("Complete")


class DossierReason(models.TextChoices):
    """Why a dossier was assembled (shown in the dossier history)."""

    MANUAL = "manual", _("Requested manually")
    PAGE = "page", _("Page opened")
    PANEL = "panel", _("Crisis panel opened")
    REFRESH = "refresh", _("Refresh pressed")
    API = "api", _("API request")
    FILED = "filed", _("Crisis filed")
    WEBHOOK = "webhook", _("Partner event")
    RETRY = "retry", _("Automatic retry")
    DRILL = "drill", _("Drill: frozen snapshot")


class PlanOrigin(models.TextChoices):
    GENERATED = "generated", _("Generated")
    EDITED = "edited", _("Edited by the manager")


# The outbox channel of signed webhook deliveries; its delivery ledger rows are the webhook
# delivery log.
WEBHOOK_CHANNEL = "webhook"


class DeliveryStatus(models.TextChoices):
    """A webhook delivery attempt as the partner API's delivery log reports it (read from the
    outbox's delivery ledger: ``selectors.webhook_delivery_status``)."""

    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (will retry)")
    DEAD = "dead", _("Given up")


class InboundStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    PROCESSED = "processed", _("Processed")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class MasterDataStatus(models.TextChoices):
    """What became of an HR/CRM master-data event (the event ledger HR admins read)."""

    RECEIVED = "received", _("Received")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate (not applied again)")


class MasterDataOrigin(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    RECONCILIATION = "reconciliation", _("Reconciliation pull")


class CommissionStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    FINANCE_APPROVED = "finance_approved", _("Approved by finance")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")
    REVERSED = "reversed", _("Reversed")


# The dossier's sources: (source code, partner kind)
DOSSIER_SOURCES = {
    "credit": "finance",
    "payments": "finance",
    "invoices": "finance",
    "legal_guide": "legal",
    "contacts": "crm",
    "complaints": "crm",
    "orders": "crm",
    "attendance": "attendance",
}
CUSTOMER_SOURCES = ("credit", "payments", "invoices", "contacts", "complaints", "orders")
# The order sources are read in, on pages and in the API.
SOURCE_ORDER = (
    "credit",
    "invoices",
    "payments",
    "legal_guide",
    "attendance",
    "contacts",
    "complaints",
    "orders",
)
# Sources only a crisis's dossier has: who of the crisis's unit and assignees is on site today.
CRISIS_SOURCES = ("attendance",)


class AttendanceStatus(models.TextChoices):
    """A person's attendance today, as the attendance partner reports it."""

    ON_SITE = "on_site", _("On site")
    REMOTE = "remote", _("Working remotely")
    BUSINESS_TRIP = "business_trip", _("On a business trip")
    LEAVE = "leave", _("On leave")
    ABSENT = "absent", _("Not checked in")
    UNKNOWN = "unknown", _("Not in the attendance system")


# Keel's outbound events (the "event" outbox channel; crisis/services.py enqueues them, and the
# admin's "send test event" sends test.ping). A subscription names some of them, or "*" (or
# none) for every event.
OUTBOUND_EVENTS = (
    "crisis.filed",
    "decision.made",
    "task.warning",
    "task.breached",
    "crisis.closed",
    "test.ping",
)
EVERY_EVENT = "*"
