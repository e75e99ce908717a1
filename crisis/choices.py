"""Enumerations of the crisis app and their groups (open states, terminal states)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class CrisisStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


class CrisisSource(models.TextChoices):
    WEB = "web", _("Browser")
    API = "api", _("Partner API")
    WEBHOOK = "webhook", _("Partner webhook")
    TRIGGER = "trigger", _("Automatic trigger")
    DEMO = "demo", _("Demo data")


class TaskStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for prerequisites")
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskKind(models.TextChoices):
    """Where a task comes from: a duty of the map, or added while the crisis runs."""

    DUTY = "duty", _("Duty of the map")
    FOLLOW_UP = "follow_up", _("Decision follow-up")
    ADHOC = "adhoc", _("Ad-hoc task")
    NEED_HELP = "need_help", _("Help request")


TASK_ACTIVE_STATES = (TaskStatus.OPEN, TaskStatus.ACKNOWLEDGED)
TASK_OPEN_STATES = (TaskStatus.WAITING, TaskStatus.OPEN, TaskStatus.ACKNOWLEDGED)
TASK_TERMINAL_STATES = (TaskStatus.DONE, TaskStatus.CANCELLED)


class TimerState(models.TextChoices):
    """Where a task's SLA clock stands; the sweep moves it with compare-and-set updates."""

    IDLE = "idle", _("Not started")
    RUNNING = "running", _("On track")
    WARNED = "warned", _("Warning")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


TIMER_TICKING_STATES = (TimerState.RUNNING, TimerState.WARNED, TimerState.BREACHED)


class DeliverableKind(models.TextChoices):
    """Mirrors ``responsibilities.choices.DeliverableKind`` (the map's vocabulary)."""

    DOCUMENT = "document", _("Document")
    CONFIRMATION = "confirmation", _("Confirmation")
    ON_SITE = "on_site", _("On-site check-in")
    DECISION = "decision", _("Decision")
    CONTACT_LOG = "contact_log", _("Contact log")


class ContactChannel(models.TextChoices):
    """How a contact log's contact was made (stored as the code in ``Deliverable.fields``)."""

    PHONE = "phone", _("By phone")
    IN_PERSON = "in_person", _("Face to face")
    MESSAGE = "message", _("Message / IM")
    EMAIL = "email", _("By e-mail")


# The fields of a contact log, in the order they are shown, with their labels.
CONTACT_LOG_FIELDS = (
    ("contact_person", _("Who was contacted")),
    ("contact_channel", _("How")),
    ("contact_outcome", _("What was agreed")),
)


class DecisionOption(models.TextChoices):
    """What an executive picks when deciding (stored as the code in ``Decision.option``; pages
    show the label in the viewer's language). "other" means: the text says it all."""

    NEGOTIATE = "negotiate", _("Negotiate a payment plan with the data and legal basis at hand")
    PAY = "pay", _("Pay the verified outstanding amount")
    REFUSE = "refuse", _("Refuse the claim and hand over to legal")
    SECURITY = "security", _("Ask security / the police to restore order")
    ESCALATE = "escalate", _("Escalate to the president")
    OTHER = "other", _("Other (see the text)")


class ParticipantRole(models.TextChoices):
    FILER = "filer", _("Filed the crisis")
    ASSIGNEE = "assignee", _("Task assignee")
    ESCALATION = "escalation", _("Escalation contact")
    EXECUTIVE = "executive", _("Executive")
    INVITED = "invited", _("Invited")
    RESPONSIBLE = "responsible", _("Responsible employee")


class EventKind(models.TextChoices):
    """Every kind of timeline event (one function per kind in ``crisis.events``)."""

    FILED = "filed", _("Crisis filed")
    TASK_CREATED = "task_created", _("Task created")
    ASSIGNEE_UNRESOLVED = "assignee_unresolved", _("No assignee found")
    CLOCK_STARTED = "clock_started", _("Clock started")
    TASK_ACKNOWLEDGED = "task_acknowledged", _("Task acknowledged")
    TASK_COMPLETED = "task_completed", _("Task completed")
    TASK_REASSIGNED = "task_reassigned", _("Task reassigned")
    TASK_DELEGATED = "task_delegated", _("Task delegated")
    TASK_CANCELLED = "task_cancelled", _("Task cancelled")
    TASK_COMMENTED = "task_commented", _("Comment")
    TASK_PAUSED = "task_paused", _("Clock paused")
    TASK_RESUMED = "task_resumed", _("Clock resumed")
    TASK_WARNING = "task_warning", _("Deadline warning")
    WARNING_SUPERSEDED = "warning_superseded", _("Warning superseded by the breach")
    TASK_BREACHED = "task_breached", _("Deadline breached")
    TASK_ESCALATED = "task_escalated", _("Escalated")
    DECISION_MADE = "decision_made", _("Decision made")
    PARTICIPANT_INVITED = "participant_invited", _("Participant invited")
    CLOSED = "closed", _("Crisis closed")
    REACH_STEP = "reach_step", _("Not acknowledged: next channel tried")
    # Changing course (issue 15 §4)
    SEVERITY_CHANGED = "severity_changed", _("Severity changed")
    PARTICIPANT_UNINVITED = "participant_uninvited", _("Invitation withdrawn")
    CRISIS_LINKED = "crisis_linked", _("Related crisis linked")
    CRISIS_UNLINKED = "crisis_unlinked", _("Related crisis unlinked")
    REOPENED = "reopened", _("Crisis reopened")
    STATUS_UPDATE = "status_update", _("Status update")
    STATUS_UPDATE_OVERDUE = "status_update_overdue", _("Status update overdue")
    # The walk-in complaint's outcome (issue 17 §6), decided from the crisis or person page.
    COMPLAINT_DECIDED = "complaint_decided", _("Complaint outcome recorded")


class LinkReason(models.TextChoices):
    """Why two crises are linked (the suggestion that led to it, or a person's choice)."""

    SAME_CUSTOMER = "same_customer", _("Same customer")
    SAME_SITE = "same_site", _("Same site")
    OTHER = "other", _("Related")


class TriggerKind(models.TextChoices):
    OVERDUE = "overdue", _("Customer overdue (debt crisis)")
    EARLY_WARNING = "early_warning", _("Overdue with a risky last contact (early warning)")


class TriggerAction(models.TextChoices):
    ALERT = "alert", _("Alert people")
    FILE_CRISIS = "file_crisis", _("File the crisis automatically")


class FindingKind(models.TextChoices):
    """What a post-incident review finding says (issue 15 §5)."""

    WENT_WELL = "went_well", _("What went well")
    WENT_WRONG = "went_wrong", _("What went wrong")
    SUGGESTION = "suggestion", _("Suggestion")


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ComplaintOutcome(models.TextChoices):
    """What became of a complaint: open until the owner's supervisor or HR decides. Resolved and
    upheld keep its points on the performance record (the default: the points count from the
    moment it is recorded); dismissed takes them back with a compensating event. Shared by company
    complaints (``integrations.Complaint``) and walk-in complaints (``WalkInConsumer``)."""

    OPEN = "open", pgettext_lazy("complaint", "Open")
    RESOLVED = "resolved", pgettext_lazy("complaint", "Resolved")
    UPHELD = "upheld", pgettext_lazy("complaint", "Upheld")
    DISMISSED = "dismissed", pgettext_lazy("complaint", "Dismissed")
