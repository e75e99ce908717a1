"""Crises, their tasks with SLA timers, deliverables, decisions and the immutable timeline;
automatic trigger rules and alerts (business calendars are organisation data: hrcore.models)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrcore.contact import validate_mobile
from hrcore.i18n import Bilingual

from . import obligations as obligation_rules
from .choices import (
    ActionItemStatus,
    ComplaintOutcome,
    CrisisSource,
    CrisisStatus,
    DeliverableKind,
    EventKind,
    FindingKind,
    LinkReason,
    ParticipantRole,
    Severity,
    TaskKind,
    TaskStatus,
    TimerState,
    TriggerAction,
    TriggerKind,
)

# Longest free texts the crisis engine accepts (services check them; forms and serializers say
# the same so users learn the limit before the service refuses).
DESCRIPTION_MAX_LENGTH = 10_000
NOTE_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 5000
DECISION_MAX_LENGTH = 5000
OUTCOME_MAX_LENGTH = 10_000
ACTION_MAX_LENGTH = 500


class CrisisQuerySet(models.QuerySet):
    def delete(self):
        # Records that must not change (not business logic): a crisis is closed, never deleted.
        # PostgreSQL refuses it too (migration 0006); this is the guard everywhere else.
        raise ValueError("a crisis cannot be deleted, only closed")


class Crisis(models.Model):
    """One crisis: the frozen responsibility map it runs, who filed it, where, its outcome."""

    scenario = models.ForeignKey(
        "responsibilities.Scenario",
        verbose_name=_("scenario"),
        on_delete=models.PROTECT,
        related_name="crises",
    )
    map = models.ForeignKey(
        "responsibilities.ResponsibilityMap",
        verbose_name=_("responsibility map"),
        on_delete=models.PROTECT,
        related_name="crises",
    )
    map_version = models.PositiveIntegerField(_("map version"))
    unit = models.ForeignKey(
        "hrcore.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="crises"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crises",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what is happening"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CrisisStatus.choices, default=CrisisStatus.OPEN
    )
    source = models.CharField(
        _("source"), max_length=16, choices=CrisisSource.choices, default=CrisisSource.WEB
    )
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crises_filed",
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crises_closed",
    )
    outcome = models.TextField(_("outcome"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    # Milestones (``crisis.metrics`` defines them), stamped in the transaction of the service
    # that reaches them, so the dashboard reads three columns instead of replaying the timeline.
    # Resolution is ``closed_at``.
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    all_info_at = models.DateTimeField(_("all information in at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("first decision at"), null=True, blank=True)
    # The same milestones as seconds since filing, frozen when the crisis closes (API, webhooks).
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    all_info_seconds = models.PositiveIntegerField(null=True, blank=True)
    decision_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    breach_count = models.PositiveIntegerField(default=0)
    # The board's flags (issue 12), kept current by the services and the sweep
    # (``services.crisis_board_flags_refresh``) so the board orders and counts by an index:
    # a decision task still open, and the worst live task (0 breached, 1 warning, 2 on track).
    decision_pending = models.BooleanField(default=False)
    urgency = models.PositiveSmallIntegerField(default=2)
    # Status-update cadence (issue 15): the last status update (or the filing, or the reopening)
    # and whether its lapse was reminded — the next update is due ``StatusCadence`` minutes
    # after it; ``services.course.status_update_sweep`` reminds once per lapse (compare-and-set).
    status_updated_at = models.DateTimeField(default=timezone.now)
    status_update_reminded = models.BooleanField(default=False)
    # A drill (issue 16 §1): the real engine on the real map, marked 演练 / DRILL everywhere,
    # kept out of the metrics; its clocks run ``drill_speed`` times faster (deadlines ÷ speed).
    is_drill = models.BooleanField(_("drill"), default=False)
    drill_speed = models.PositiveSmallIntegerField(_("drill speed"), default=1)

    objects = CrisisQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("crisis")
        verbose_name_plural = _("crises")
        permissions = [("participate_crisis", "Can take part in a crisis (one-off invitation)")]
        indexes = [
            models.Index(fields=["status", "-filed_at"], name="crisis_status_filed"),
            models.Index(fields=["unit", "status"], name="crisis_unit_status"),
            # The executive board's order over open crises (partial: only open ones).
            models.Index(
                fields=["status", "-decision_pending", "urgency", "filed_at", "id"],
                condition=Q(status="open"),
                name="crisis_board_order",
            ),
            # The dashboard's metrics window.
            models.Index(fields=["-filed_at", "-id"], name="crisis_filed_at"),
            # The API list's order over real crises (drills only when asked for), and its count:
            # an index-only scan of this small partial index instead of the table.
            models.Index(
                fields=["-filed_at", "-id"], condition=Q(is_drill=False), name="crisis_real_filed"
            ),
            # The window's median time to each milestone reads only the crises that reached it
            # (partial: thousands of open crises without the milestone are not walked).
            *(
                models.Index(
                    fields=["filed_at"],
                    condition=Q(is_drill=False, **{f"{column}__isnull": False}),
                    name=f"crisis_window_{short}",
                )
                for column, short in (
                    ("first_response_at", "responded"),
                    ("all_info_at", "informed"),
                    ("decided_at", "decided"),
                    ("closed_at", "closed"),
                )
            ),
            # Finished drills (people's drill record on the dashboard's readiness): few rows.
            models.Index(
                fields=["closed_at"], condition=Q(is_drill=True), name="crisis_drills_closed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="crisis_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status == CrisisStatus.OPEN

    def delete(self, *args, **kwargs):
        raise ValueError("a crisis cannot be deleted, only closed")


class CrisisParticipant(models.Model):
    """Someone taking part in a crisis (filer, assignees, escalation contacts, invited)."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="participants")
    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="crisis_participations"
    )
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["crisis", "employee"], name="crisis_participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.employee} @ {self.crisis_id}"


class Task(models.Model):
    """One duty of the frozen map inside one crisis, with its assignee and SLA clock."""

    crisis = models.ForeignKey(
        Crisis, verbose_name=_("crisis"), on_delete=models.CASCADE, related_name="tasks"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=TaskKind.choices, default=TaskKind.DUTY
    )
    # Tasks of the map's duties have one; tasks added while the crisis runs (follow-ups,
    # ad-hoc tasks, help requests) have none and carry their instruction in ``action``.
    duty = models.ForeignKey(
        "responsibilities.Duty",
        verbose_name=_("duty"),
        on_delete=models.PROTECT,
        related_name="tasks",
        null=True,
        blank=True,
    )
    # Snapshot of the (immutable, published) duty that the engine runs on; the kind for
    # tasks without a duty.
    duty_code = models.SlugField(_("duty"), max_length=64)
    action = models.TextField(_("action"), blank=True, max_length=ACTION_MAX_LENGTH)
    # A decision's follow-up (督办, issue 15): the decision it follows through.
    follow_up_of = models.ForeignKey(
        "Decision",
        verbose_name=_("follow-up of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    deliverable_kind = models.CharField(
        _("deliverable"), max_length=16, choices=DeliverableKind.choices
    )
    deadline_minutes = models.PositiveIntegerField(_("deadline (minutes)"))
    warn_ratio = models.FloatField(default=0.8)
    business_hours = models.BooleanField(default=False)
    after = models.JSONField(default=list, blank=True)
    escalation = models.JSONField(default=list, blank=True)
    order = models.IntegerField(default=0)

    assignee = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crisis_tasks",
    )
    assignee_gap = models.BooleanField(
        _("assignee not resolved"),
        default=False,
        help_text=_("Nobody holds the duty's role: the task went to its escalation target."),
    )
    delegated_from = models.ForeignKey(
        "hrcore.Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.WAITING
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(_("clock started"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # SLA timer: deadlines live in the database; the sweep claims due rows by these columns.
    timer_state = models.CharField(
        _("SLA state"), max_length=16, choices=TimerState.choices, default=TimerState.IDLE
    )
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    pause_reason = models.CharField(max_length=300, blank=True)
    # A firing that raised (guarded per row by the sweep): what went wrong, how often, when the
    # sweep tries again (exponential backoff) and since when it fails (/healthz reports timers
    # failing for over a minute). Cleared by the next successful firing.
    fire_attempts = models.PositiveSmallIntegerField(default=0)
    fire_error = models.TextField(blank=True)
    fire_retry_at = models.DateTimeField(null=True, blank=True)
    fire_failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["crisis_id", "order", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            # One task per duty of the map; tasks added while the crisis runs share their kind
            # as duty code (several follow-ups, ad-hoc tasks…).
            models.UniqueConstraint(
                fields=["crisis", "duty_code"],
                condition=Q(kind="duty"),
                name="task_one_per_duty",
            ),
        ]
        indexes = [
            models.Index(
                fields=["warn_at"], name="task_timer_warn_due", condition=Q(timer_state="running")
            ),
            models.Index(
                fields=["due_at"], name="task_timer_breach_due", condition=Q(timer_state="running")
            ),
            models.Index(
                fields=["due_at"],
                name="task_timer_breach_warned",
                condition=Q(timer_state="warned"),
            ),
            models.Index(
                fields=["escalate_at"],
                name="task_timer_escalate_due",
                condition=Q(timer_state="breached", escalate_at__isnull=False),
            ),
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
            models.Index(
                fields=["fire_failing_since"],
                name="task_timer_failing",
                condition=Q(fire_failing_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.duty_code} (#{self.crisis_id})"


class TimelineEvent(models.Model):
    """An immutable record of something that happened in a crisis."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="timeline")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["crisis", "at"], name="timeline_crisis_at")]

    def __str__(self) -> str:
        return f"{self.kind}@{self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Immutability guard (not business logic): events are appended, never rewritten.
        if self.pk is not None:
            raise ValueError("timeline events are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("timeline events are immutable")


class Decision(models.Model):
    """An executive's decision on a crisis, pushed to every participant: one entry of the
    crisis's decision ledger (issue 15) — the situation as understood, the options considered,
    the choice and why, who decided, when to review it, and the earlier decision it replaces."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="decisions")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    text = models.TextField(_("decision"))
    # The code of one of the map's options, "other" (free text) or empty.
    option = models.CharField(_("chosen option"), max_length=200, blank=True)
    # The chosen option's label as the map said it when deciding: {"zh", "en"}.
    option_labels = models.JSONField(_("option label"), default=dict, blank=True)
    # The options offered when deciding: [{"code", "label": {"zh", "en"}}].
    options_considered = models.JSONField(_("options considered"), default=list, blank=True)
    situation = models.TextField(_("situation as understood"), blank=True)
    rationale = models.TextField(_("rationale"), blank=True)
    review_by = models.DateTimeField(_("review by"), null=True, blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crisis_decisions"
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.text[:60]


def _deliverable_path(instance: Deliverable, filename: str) -> str:
    return f"crisis/{instance.task.crisis_id}/{instance.task_id}/{filename}"


class Deliverable(models.Model):
    """What a task's assignee delivered: a file, a note, an on-site check-in, a contact log or a
    decision."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="deliverables")
    kind = models.CharField(_("kind"), max_length=16, choices=DeliverableKind.choices)
    note = models.TextField(_("note"), blank=True)
    file = models.FileField(_("file"), upload_to=_deliverable_path, blank=True, max_length=300)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    # A structured deliverable's content as codes and typed values, never sentences in the
    # submitter's language: a contact log is {"contact_person", "contact_channel" (a
    # ContactChannel code), "contact_outcome"}; pages render it in the reader's language.
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")

    def __str__(self) -> str:
        return f"{self.kind} for {self.task_id}"

    def field_rows(self) -> list[tuple[str, str, bool]]:
        """The structured content as (label, value, typed by the submitter) rows in the active
        language: a code shows as its label, typed values as typed."""
        from .choices import CONTACT_LOG_FIELDS, ContactChannel

        rows = []
        if self.kind == DeliverableKind.CONTACT_LOG:
            for name, label in CONTACT_LOG_FIELDS:
                value = (self.fields or {}).get(name) or ""
                if not value:
                    continue
                if name == "contact_channel":
                    shown = (
                        str(ContactChannel(value).label)
                        if value in ContactChannel.values
                        else value
                    )
                    rows.append((str(label), shown, value not in ContactChannel.values))
                else:
                    rows.append((str(label), value, True))
        return rows


class TaskComment(models.Model):
    """A comment on a task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.body[:60]


class TriggerRule(models.Model):
    """A configurable automatic rule over customer records, per scenario."""

    scenario = models.ForeignKey(
        "responsibilities.Scenario",
        verbose_name=_("scenario"),
        on_delete=models.CASCADE,
        related_name="trigger_rules",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TriggerKind.choices)
    action = models.CharField(
        _("action"), max_length=16, choices=TriggerAction.choices, default=TriggerAction.ALERT
    )
    min_overdue_days = models.PositiveIntegerField(_("overdue days at least"), default=30)
    requires_risky_contact = models.BooleanField(_("only with a risky last contact"), default=False)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.HIGH
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-min_overdue_days", "id"]
        verbose_name = _("trigger rule")
        verbose_name_plural = _("trigger rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥{self.min_overdue_days}d"


class TriggerAlert(models.Model):
    """One firing of a trigger rule for one customer and overdue episode (never twice)."""

    rule = models.ForeignKey(TriggerRule, on_delete=models.CASCADE, related_name="alerts")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="trigger_alerts"
    )
    episode = models.CharField(
        max_length=32, help_text=_("The overdue episode: the date the customer became overdue.")
    )
    kind = models.CharField(max_length=16, choices=TriggerKind.choices)
    overdue_days = models.IntegerField(default=0)
    crisis = models.ForeignKey(
        Crisis, null=True, blank=True, on_delete=models.SET_NULL, related_name="trigger_alerts"
    )
    recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("trigger alert")
        verbose_name_plural = _("trigger alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "customer", "episode"], name="trigger_alert_once_per_episode"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.episode}"


# --- Statutory clocks (issue 15 §3) -------------------------------------------------------


class Obligation(models.Model):
    """A legal obligation a crisis can trigger (the library's, editable by HR admins): what is
    owed to whom, its legal basis, what starts its clock and how long it runs. Guidance for the
    crisis team, not legal advice."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    basis_zh = models.TextField(_("legal basis (Chinese)"))
    basis_en = models.TextField(_("legal basis (English)"))
    guidance_zh = models.TextField(_("guidance (Chinese)"), blank=True)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=obligation_rules.ObligationTrigger.choices
    )
    severities = models.JSONField(
        _("severities (classification trigger)"),
        default=list,
        blank=True,
        help_text=_("Severity codes that start the clock when the crisis is classified at them."),
    )
    decision_options = models.JSONField(
        _("decision options (decision trigger)"),
        default=list,
        blank=True,
        help_text=_("Decision option codes that start the clock; empty: any decision."),
    )
    period_value = models.PositiveIntegerField(
        _("period"),
        validators=[MinValueValidator(1), MaxValueValidator(obligation_rules.MAX_PERIOD_DAYS)],
    )
    period_unit = models.CharField(
        _("period unit"), max_length=16, choices=obligation_rules.PeriodUnit.choices
    )
    extension_value = models.PositiveIntegerField(
        _("extension allowed"),
        default=0,
        validators=[MaxValueValidator(obligation_rules.MAX_PERIOD_DAYS)],
        help_text=_("How much the period may be extended once (same unit; 0: never)."),
    )
    warn_ratio = models.FloatField(
        _("warning at (share of the period)"),
        default=0.75,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    scenarios = models.ManyToManyField(
        "responsibilities.Scenario",
        verbose_name=_("scenarios"),
        blank=True,
        related_name="obligations",
        help_text=_("The scenarios whose crises can trigger this obligation."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    title = Bilingual()
    basis = Bilingual()
    guidance = Bilingual()

    class Meta:
        ordering = ["code"]
        verbose_name = _("statutory obligation")
        verbose_name_plural = _("statutory obligations")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        """The admin's check (the library page goes through ``obligation_save``): the trigger's
        lists hold codes."""
        errors = {}
        severities = self.severities or []
        if not isinstance(severities, list) or any(s not in Severity.values for s in severities):
            errors["severities"] = _("A list of severity codes: %(codes)s.") % {
                "codes": ", ".join(Severity.values)
            }
        elif self.trigger == obligation_rules.ObligationTrigger.CLASSIFICATION and not severities:
            errors["severities"] = _("Name the severities that start the clock.")
        options = self.decision_options or []
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            errors["decision_options"] = _("A list of decision option codes.")
        if errors:
            raise ValidationError(errors)


def _obligation_proof_path(instance: CrisisObligation, filename: str) -> str:
    return f"crisis/{instance.crisis_id}/obligations/{instance.pk or 'new'}/{filename}"


class CrisisObligation(models.Model):
    """One statutory clock running in one crisis: a snapshot of the obligation when it was
    triggered, its due time, and how it ended (filed with proof, or not applicable with a
    reason). The sweep moves it with compare-and-set updates."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="obligations")
    obligation = models.ForeignKey(
        Obligation, on_delete=models.PROTECT, related_name="crisis_obligations"
    )
    code = models.SlugField(max_length=64)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    basis_zh = models.TextField()
    basis_en = models.TextField()
    trigger = models.CharField(max_length=16, choices=obligation_rules.ObligationTrigger.choices)
    period_value = models.PositiveIntegerField()
    period_unit = models.CharField(max_length=16, choices=obligation_rules.PeriodUnit.choices)
    extension_value = models.PositiveIntegerField(default=0)
    warn_ratio = models.FloatField(default=0.75)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    triggered_at = models.DateTimeField(_("clock started"))
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=obligation_rules.ObligationState.choices,
        default=obligation_rules.ObligationState.RUNNING,
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    reason = models.TextField(_("why not applicable"), blank=True)
    file = models.FileField(
        _("proof"), upload_to=_obligation_proof_path, blank=True, max_length=300
    )
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)

    title = Bilingual()
    basis = Bilingual()

    class Meta:
        ordering = ["crisis_id", "due_at", "id"]
        verbose_name = _("statutory clock")
        verbose_name_plural = _("statutory clocks")
        constraints = [
            models.UniqueConstraint(fields=["crisis", "obligation"], name="crisis_obligation_once")
        ]
        indexes = [
            models.Index(
                fields=["warn_at"],
                name="obligation_warn_due",
                condition=Q(state="running", warned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"], name="obligation_breach_due", condition=Q(state="running")
            ),
            models.Index(
                fields=["escalate_at"],
                name="obligation_escalate_due",
                condition=Q(state="breached", escalate_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} (#{self.crisis_id})"


# --- Post-incident review (issue 15 §5) -------------------------------------------------------

FINDING_MAX_LENGTH = 2000
ACTION_ITEM_MAX_LENGTH = 300


class ReviewFinding(models.Model):
    """What a participant found after the crisis: what went well, what went wrong, a suggestion.
    Marked as a lesson it joins the lessons library; "propose a map change" links the draft map
    revision it started."""

    crisis = models.ForeignKey(
        Crisis, verbose_name=_("crisis"), on_delete=models.CASCADE, related_name="review_findings"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FindingKind.choices)
    text = models.TextField(_("finding"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    is_lesson = models.BooleanField(_("lesson for the library"), default=False)
    proposed_map = models.ForeignKey(
        "responsibilities.ResponsibilityMap",
        verbose_name=_("proposed map change"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("review finding")
        verbose_name_plural = _("review findings")
        indexes = [
            models.Index(
                fields=["-created_at", "-id"],
                name="finding_lessons",
                condition=Q(is_lesson=True),
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(models.Model):
    """Something the review decided must change, with an owner and a due date, tracked to done;
    the reminder sweep tells the owner on the due date and once it is overdue."""

    crisis = models.ForeignKey(
        Crisis, verbose_name=_("crisis"), on_delete=models.CASCADE, related_name="action_items"
    )
    finding = models.ForeignKey(
        ReviewFinding,
        verbose_name=_("finding"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    title = models.CharField(_("action"), max_length=ACTION_ITEM_MAX_LENGTH)
    owner = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="crisis_action_items",
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Reminders sent: 0 none, 1 the due-date reminder, 2 the overdue reminder.
    reminder_stage = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            models.Index(fields=["due_on"], name="action_item_open_due", condition=Q(status="open"))
        ]

    def __str__(self) -> str:
        return self.title[:60]

    @property
    def is_done(self) -> bool:
        return self.status == ActionItemStatus.DONE


class CrisisLink(models.Model):
    """Two related crises (same customer, same site…), stored once with the lower id first."""

    from_crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="+")
    to_crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(
        _("why related"), max_length=16, choices=LinkReason.choices, default=LinkReason.OTHER
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("crisis link")
        verbose_name_plural = _("crisis links")
        constraints = [
            models.UniqueConstraint(fields=["from_crisis", "to_crisis"], name="crisis_link_once"),
            models.CheckConstraint(
                condition=Q(from_crisis__lt=models.F("to_crisis")), name="crisis_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.from_crisis_id} ↔ #{self.to_crisis_id}"


STATUS_UPDATE_MAX_LENGTH = 2000


class StatusUpdate(models.Model):
    """The crisis manager's periodic word on where things stand, pushed to every participant."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="status_updates")
    body = models.TextField(_("status update"), max_length=STATUS_UPDATE_MAX_LENGTH)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")

    def __str__(self) -> str:
        return self.body[:60]


class StatusCadence(models.Model):
    """How often the crisis manager posts a status update at one severity (HR admins edit it;
    0 minutes: no cadence). Severities without a row use ``DEFAULT_STATUS_CADENCE``."""

    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, unique=True)
    every_minutes = models.PositiveIntegerField(
        _("every (minutes)"),
        help_text=_("0: no regular status update at this severity."),
        validators=[MaxValueValidator(7 * 24 * 60)],
    )

    class Meta:
        ordering = ["severity"]
        verbose_name = _("status-update cadence")
        verbose_name_plural = _("status-update cadences")

    def __str__(self) -> str:
        return f"{self.severity}: {self.every_minutes}"


DEFAULT_STATUS_CADENCE = {
    Severity.CRITICAL: 30,
    Severity.HIGH: 60,
    Severity.MEDIUM: 240,
    Severity.LOW: 0,
}


class DrillSchedule(models.Model):
    """A drill booked for a unit in a window (issue 16 §2). The tick sweep starts it at
    ``starts_at``, a random moment within the unit's business hours in the window; an announced
    drill's participants were told beforehand, an unannounced one starts without notice."""

    scenario = models.ForeignKey(
        "responsibilities.Scenario", on_delete=models.PROTECT, related_name="drill_schedules"
    )
    unit = models.ForeignKey(
        "hrcore.OrgUnit", on_delete=models.PROTECT, related_name="drill_schedules"
    )
    speed = models.PositiveSmallIntegerField(_("drill speed"), default=1)
    announced = models.BooleanField(_("announced"), default=False)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    starts_at = models.DateTimeField(_("starts at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    crisis = models.OneToOneField(
        Crisis, null=True, blank=True, on_delete=models.SET_NULL, related_name="drill_schedule"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(
                fields=["starts_at"], condition=Q(started_at=None), name="drill_schedule_due"
            )
        ]

    def __str__(self) -> str:
        return f"drill {self.scenario_id}@{self.unit_id} {self.starts_at:%Y-%m-%d %H:%M}"


WALK_IN_NAME_MAX_LENGTH = 100
WALK_IN_PURCHASE_MAX_LENGTH = 500


class ComplaintDecision(models.Model):
    """A complaint's outcome — a company complaint's (``integrations.Complaint``) and a walk-in
    consumer's alike: decided by the employee's supervisor chain or HR
    (``services.complaint_outcomes.complaint_outcome_decide``); dismissed takes its performance
    points back with a compensating event."""

    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ComplaintOutcome.choices,
        default=ComplaintOutcome.OPEN,
        db_index=True,
    )
    outcome_note = models.CharField(_("outcome note"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        abstract = True


class WalkInConsumer(ComplaintDecision):
    """The walk-in consumer of an in-store complaint (no company record) and the employee named
    responsible for it, with that employee's supervisor at the time of filing."""

    crisis = models.OneToOneField(
        Crisis, verbose_name=_("crisis"), on_delete=models.CASCADE, related_name="walk_in"
    )
    name = models.CharField(_("consumer's name"), max_length=WALK_IN_NAME_MAX_LENGTH)
    # Personal data: validated like every mobile number Keel keeps (hrcore.contact), shown only
    # on the crisis page to those who may see the crisis, never in events sent to partners.
    phone = models.CharField(_("consumer's phone"), max_length=20, validators=[validate_mobile])
    purchase = models.CharField(_("what they bought"), max_length=WALK_IN_PURCHASE_MAX_LENGTH)
    responsible = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("responsible employee"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="walk_in_complaints",
    )
    supervisor = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("walk-in consumer")
        verbose_name_plural = _("walk-in consumers")

    def __str__(self) -> str:
        return f"{self.name} @ {self.crisis_id}"


class CrisisDayRollup(models.Model):
    """The dashboard's metrics of the crises filed on one local day in one unit and scenario
    (drills and cancelled crises left out): how many, and per milestone how many reached it and
    the sum of their durations — recomputed for the day by ``services.rollup`` in the
    transaction of every service that changes a task or a milestone (issue 12)."""

    day = models.DateField()
    unit = models.ForeignKey("hrcore.OrgUnit", on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(
        "responsibilities.Scenario", on_delete=models.CASCADE, related_name="+"
    )
    filed = models.PositiveIntegerField(default=0)
    # per milestone (``crisis.metrics.METRIC_KEYS``): crises that reached it, and the sum of
    # their durations since filing in microseconds (a mean is sum ÷ n, exact)
    first_response_n = models.PositiveIntegerField(default=0)
    first_response_us = models.BigIntegerField(default=0)
    all_information_n = models.PositiveIntegerField(default=0)
    all_information_us = models.BigIntegerField(default=0)
    decision_n = models.PositiveIntegerField(default=0)
    decision_us = models.BigIntegerField(default=0)
    resolution_n = models.PositiveIntegerField(default=0)
    resolution_us = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "unit", "scenario"], name="crisis_day_rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} scenario {self.scenario_id}: {self.filed} filed"


class CrisisDutyRollup(models.Model):
    """The timed and breached tasks of one duty among the crises filed on one local day in one
    unit and scenario (the rules of ``crisis.metrics.task_breached``), kept with
    ``CrisisDayRollup``: the dashboard's breach rate per department reads these rows."""

    day = models.DateField()
    unit = models.ForeignKey("hrcore.OrgUnit", on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(
        "responsibilities.Scenario", on_delete=models.CASCADE, related_name="+"
    )
    duty = models.ForeignKey(
        "responsibilities.Duty", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    duty_code = models.CharField(max_length=64, blank=True)
    timed = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit", "scenario"], name="crisis_duty_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.duty_code}: {self.late} of {self.timed} late"
