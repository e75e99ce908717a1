"""The organisation: units, positions, employees, absences — plus the cross-app plumbing every
capability uses (heartbeat, in-app notifications, outbox, API tokens)."""

from __future__ import annotations

import hashlib
from datetime import time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    AbsenceKind,
    DeliveryResult,
    DepartmentFunction,
    Language,
    OutboxStatus,
    UnitKind,
)
from .contact import (
    Channel,
    DeliveryState,
    validate_channel_order,
    validate_feishu_open_id,
    validate_im_user_id,
    validate_mobile,
)
from .i18n import Bilingual


class OrgUnit(models.Model):
    """A node of the organisation tree: the group, a subsidiary or a department."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    function = models.CharField(
        _("function"), max_length=32, choices=DepartmentFunction.choices, blank=True, default=""
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "Employee",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_units",
    )
    # Materialised path of ids ("/1/4/9/"), kept by the services, for one-query subtree lookups.
    path = models.CharField(max_length=500, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="department") | Q(function=""),
                name="orgunit_function_only_on_departments",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    name = Bilingual()

    def ancestor_ids(self) -> list[int]:
        """Ids from this unit up to the root (self first)."""
        return [int(x) for x in reversed(self.path.strip("/").split("/")) if x]


class Position(models.Model):
    """A job title with its job description and grade."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_zh = models.TextField(_("job description (Chinese)"), blank=True)
    description_en = models.TextField(_("job description (English)"), blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"), default=1)
    is_managerial = models.BooleanField(_("managerial"), default=False)
    decides_crises = models.BooleanField(
        _("decides crises"),
        default=False,
        help_text=_(
            "Crises escalate to the holder of this position nearest to the crisis's unit when "
            "nobody holds a duty's role, and as the last escalation step."
        ),
    )

    class Meta:
        ordering = ["-grade", "code"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return self.title

    title = Bilingual()

    description = Bilingual()


class Employee(models.Model):
    """A person in the group: account, unit, position, manager, preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.CASCADE,
        related_name="employee",
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="employees"
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("position"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holders",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    grade = models.PositiveSmallIntegerField(_("grade"), default=1)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("employed"), default=True)
    # The person's id in the HR system of record (HR master data, issue 14 §4); empty for people
    # typed in by hand. Unique when set.
    external_id = models.CharField(_("HR system id"), max_length=64, blank=True, default="")
    # The pinyin and initials of the Chinese name ("zhangwei zw", hrcore.search_keys), kept by
    # ``hrcore.services.org.employee_save`` so that the people list finds 张伟 by "zw".
    search_key = models.CharField(max_length=400, blank=True, default="", editable=False)
    # Contact channels (hrcore.contact): where crisis messages reach this person.
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, validators=[validate_mobile])
    dingtalk_user_id = models.CharField(
        _("DingTalk user id"), max_length=64, blank=True, validators=[validate_im_user_id]
    )
    wecom_user_id = models.CharField(
        _("WeCom user id"), max_length=64, blank=True, validators=[validate_im_user_id]
    )
    feishu_open_id = models.CharField(
        _("Feishu open id"), max_length=64, blank=True, validators=[validate_feishu_open_id]
    )
    channel_order = models.CharField(
        _("channel order"),
        max_length=100,
        blank=True,
        validators=[validate_channel_order],
        help_text=_(
            "Channels to try first, comma-separated (inapp, email, dingtalk, wecom, feishu, sms, "
            "voice); empty for the default order."
        ),
    )
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(
        _("quiet hours until"),
        null=True,
        blank=True,
        help_text=_("High and critical crises reach you during quiet hours anyway."),
    )

    class Meta:
        ordering = ["unit__path", "-grade", "id"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        indexes = [models.Index(fields=["unit", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="employee_external_id_once",
            )
        ]

    def __str__(self) -> str:
        return self.name

    name = Bilingual()

    @property
    def picker_label(self) -> str:
        """The name with position and unit, so that namesakes can be told apart in people
        pickers ("Wang Wei · Accountant · Shanghai Finance"). Select ``unit`` and ``position``
        with the rows."""
        parts = [self.name]
        if self.position_id:
            parts.append(self.position.title)
        parts.append(self.unit.name)
        return " · ".join(parts)


class Absence(models.Model):
    """A period an employee is away; their duties go to the delegate meanwhile."""

    employee = models.ForeignKey(
        Employee, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="absences"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    delegate = models.ForeignKey(
        Employee,
        verbose_name=_("delegate"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delegations",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=AbsenceKind.choices, blank=True, default=""
    )
    # The absence's id in the HR system (an update or cancellation names it); empty otherwise.
    external_id = models.CharField(_("HR system id"), max_length=64, blank=True, default="")
    # Who recorded it from Keel's "my leave" page: only that person may cancel it there (one HR
    # entered, or the HR system sent, is changed by HR).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(delegate=models.F("employee")), name="absence_delegate_not_self"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="absence_external_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


class Heartbeat(models.Model):
    """Last time a periodic process succeeded (the timer tick), or — in a ``<name>.failed`` row
    — last failed and why, for /healthz."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()
    # What failed, for the "<name>.failed" rows the tick writes when a sweep raised.
    detail = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.at.isoformat()}"


class Notification(models.Model):
    """An in-app message for one user, written once per dedupe key as a kind and its parameters,
    rendered in the reader's language when read (``hrcore.notification_kinds``)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    # What the message says, as structure: codes, ids, names in both scripts, user text as typed.
    params = models.JSONField(default=dict, blank=True)
    # Texts of rows written before kinds had parameters (the render-time fallback); empty since.
    subject_zh = models.CharField(max_length=300, blank=True)
    subject_en = models.CharField(max_length=300, blank=True)
    body_zh = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When the recipient acknowledged it (issue 13: decisions, task assignments, warnings).
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.subject

    def rendered(self, language: str | None = None, *, html: bool = False):
        """Subject and body in ``language`` (default: the active one); ``html``: escaped, with
        user-entered parts marked ``data-user-content``."""
        from django.utils.translation import get_language

        from .notification_kinds import render

        return render(
            self.kind,
            self.params,
            language or get_language() or settings.LANGUAGE_CODE,
            fallback=((self.subject_zh, self.subject_en), (self.body_zh, self.body_en)),
            html=html,
        )

    @property
    def html(self):
        """For pages: ``{{ n.html.subject }}`` in the active language."""
        return self.rendered(html=True)

    @property
    def subject(self) -> str:
        return self.rendered().subject

    @property
    def body(self) -> str:
        return self.rendered().body


class OutboxMessage(models.Model):
    """A must-deliver side effect (e-mail, webhook, IM), written in the business transaction and
    relayed by the tick with retries; the dedupe key makes writing it idempotent."""

    channel = models.CharField(max_length=32)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_due",
                condition=Q(status="pending"),
            ),
            # A webhook subscription's delivery log finds its messages by the subscription named
            # in the payload (``integrations.selectors.webhook_subscription_deliveries``): without
            # it, every page of the log read every webhook message ever relayed.
            models.Index(
                KeyTransform("subscription_id", "payload"),
                name="outbox_webhook_subscription",
                condition=Q(channel="webhook"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.dedupe_key} ({self.status})"


class DeliveryAttempt(models.Model):
    """One attempt to deliver an outbox message over its channel: the delivery ledger. Written
    in its own commits around the send, so a retry knows whether an earlier attempt delivered
    (skip) or lost its answer (resend with the same delivery id, for the receiver to dedupe).

    The one record of outbound attempts: the partner API's webhook delivery log
    (``/api/v1/webhook-subscriptions/<id>/deliveries/``) is these rows on the ``webhook``
    channel (``integrations.selectors.webhook_subscription_deliveries``); it replaced
    ``integrations.WebhookDelivery``, which recorded the same attempts a second time."""

    message = models.ForeignKey(
        OutboxMessage, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    channel = models.CharField(max_length=32)
    attempt = models.PositiveIntegerField()
    delivery_id = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(
        max_length=16, choices=DeliveryResult.choices, default=DeliveryResult.STARTED
    )
    provider_message_id = models.CharField(max_length=300, blank=True)
    # The receiver's HTTP status, on channels that speak HTTP (webhooks); None otherwise.
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return f"{self.channel}:{self.delivery_id} #{self.attempt} ({self.result})"


API_TOKEN_LIFETIME = timedelta(days=90)


def api_token_default_expiry():
    return timezone.now() + API_TOKEN_LIFETIME


class ApiToken(models.Model):
    """A partner's bearer token; only its SHA-256 is stored. Its owner is fixed at creation (a
    token is revoked, never re-pointed); it expires; its scopes say what it may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=api_token_default_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def save(self, *args, **kwargs):
        # The owner is who every action of the token is recorded as: re-pointing a token would
        # let its holder act as someone else. Refused here whatever the path (admin, shell).
        if self.pk is not None:
            owner = ApiToken.objects.filter(pk=self.pk).values_list("user_id", flat=True).first()
            if owner is not None and owner != self.user_id:
                raise ValueError("An API token's owner cannot change; revoke it instead.")
        super().save(*args, **kwargs)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def has_scope(self, scope: str) -> bool:
        return self.allows_any((scope,))

    def allows_any(self, scopes) -> bool:
        """A token without scopes (or with ``*``) is unrestricted; otherwise it needs one."""
        return not self.scopes or "*" in self.scopes or any(s in self.scopes for s in scopes)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class LoginSession(models.Model):
    """One browser session a user logged in with, so "log out everywhere" can end them all
    whatever the session engine (Django keeps no index of sessions by user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """One partner-API write sent with an ``Idempotency-Key``: its request fingerprint and the
    response to replay (see ``hrcore.api.idempotency``).

    Not ``integrations.InboundDelivery``: a retry here is answered with the first response (same
    status and body) and the key is the client's, scoped per user and endpoint; an inbound
    webhook is an event a partner pushed, signed over its delivery id, whose replay is refused
    and whose record (status, result) is the event's. See docs/architecture.md."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    # 0 while the first request is still running (only ever visible inside its transaction)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="hrcore_idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint}:{self.key}"


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class BusinessCalendar(models.Model):
    """Working days and hours of an org unit (and everything below it) in its time zone."""

    unit = models.OneToOneField(
        "hrcore.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="business_calendar",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    working_days = models.JSONField(
        _("working days"),
        default=default_working_days,
        help_text=_("Weekday numbers, Monday = 0 … Sunday = 6."),
    )
    day_start = models.TimeField(_("working day starts"), default=time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=time(18, 0))

    class Meta:
        # Tables keep the names they had in the crisis app (moved without copying a row).
        db_table = "crisis_businesscalendar"
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.CheckConstraint(
                condition=Q(day_end__gt=models.F("day_start")),
                name="calendar_day_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name or str(self.unit)


class Holiday(models.Model):
    """A day off in a calendar — or, with ``is_working_day``, a weekend made a working day."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    is_working_day = models.BooleanField(_("make-up working day"), default=False)

    class Meta:
        db_table = "crisis_holiday"
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    name = Bilingual()


class MessageDelivery(models.Model):
    """The reach ledger: one row per (message, recipient, channel) — queued → sent → delivered
    → read → acknowledged, or failed with the provider's reason. Written before the send; the
    idempotency key goes to providers that dedupe, so a retry never sends twice."""

    message_key = models.CharField(max_length=200)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=64)
    crisis_id = models.IntegerField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=200, blank=True)
    rung = models.PositiveSmallIntegerField(default=0)
    needs_ack = models.BooleanField(default=False)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    reason = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # On the in-app row of a message that asks for an acknowledgement: when the ladder tries
    # the next channel if nobody has acknowledged by then (swept by the tick).
    next_step_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_step_at"],
                name="delivery_ladder_due",
                condition=Q(next_step_at__isnull=False),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message_key", "recipient", "channel"], name="delivery_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} via {self.channel} ({self.state})"


class ReachPolicy(models.Model):
    """How long an unacknowledged crisis message waits before the next channel is tried, per
    severity (one row; HR admins edit it)."""

    critical_minutes = models.PositiveSmallIntegerField(_("critical: minutes"), default=3)
    high_minutes = models.PositiveSmallIntegerField(_("high: minutes"), default=5)
    medium_minutes = models.PositiveSmallIntegerField(_("medium: minutes"), default=15)
    low_minutes = models.PositiveSmallIntegerField(_("low: minutes"), default=30)
    ack_link_hours = models.PositiveSmallIntegerField(
        _("acknowledgement links valid (hours)"), default=12
    )

    class Meta:
        verbose_name = _("escalation ladder")
        verbose_name_plural = _("escalation ladder")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def minutes_for(self, severity: str) -> int:
        return max(1, int(getattr(self, f"{severity}_minutes", self.medium_minutes)))


from .performance_models import (  # noqa: E402, F401
    PerformanceEvent,
    PerformanceGoal,
    PerformancePull,
    PerformanceReview,
    PerformanceRule,
)

# Employee self-service (issue 17 §2): questions, disputes and the weekly answer window.
from .selfservice_models import AnswerWindow, Question  # noqa: E402, F401  isort: skip
