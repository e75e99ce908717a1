"""Models of the integrations app: partner configuration, dossiers, response plans, webhooks and
the HR↔CRM records (the customer itself is master data in the customers app)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisis.models import ComplaintDecision
from hrcore.contact import Channel
from hrcore.i18n import Bilingual

from .choices import (
    CommissionStatus,
    DossierReason,
    DossierStatus,
    InboundStatus,
    MasterDataOrigin,
    MasterDataStatus,
    PartnerKind,
    PlanOrigin,
    SourceStatus,
)
from .crypto import decrypt, is_readable


class Partner(models.Model):
    """An outside system Keel talks to (finance, legal, CRM …), configured by HR admins."""

    slug = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    protocol = models.CharField(_("protocol"), max_length=32, default="keel-rest")
    base_url = models.URLField(_("base URL"), max_length=500)
    credentials_encrypted = models.TextField(_("API token (encrypted)"), blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(
        _("inbound webhook secret (encrypted)"), blank=True, editable=False
    )
    timeout_seconds = models.FloatField(_("timeout (seconds)"), default=5.0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts per call"), default=3)
    enabled = models.BooleanField(_("enabled"), default=True)
    service_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The account recorded as the actor of what this partner's webhooks do."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "slug"]
        verbose_name = _("partner system")
        verbose_name_plural = _("partner systems")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def token(self) -> str:
        """The API token in clear; raises ``CredentialUnreadable`` (never returns '' for it)."""
        return decrypt(self.credentials_encrypted, what=f"API token of partner {self.slug}")

    @property
    def webhook_secret(self) -> str:
        return decrypt(self.webhook_secret_encrypted, what=f"webhook secret of partner {self.slug}")

    @property
    def unreadable_credentials(self) -> list[str]:
        """Which stored credentials no configured key can decrypt (shown in the admin)."""
        stored = {
            "token": self.credentials_encrypted,
            "webhook_secret": self.webhook_secret_encrypted,
        }
        return [name for name, value in stored.items() if not is_readable(value)]

    def config(self):
        from .adapters import PartnerConfig

        return PartnerConfig(
            slug=self.slug,
            kind=self.kind,
            base_url=self.base_url,
            token=self.token,
            protocol=self.protocol,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_seconds=settings.KEEL_PARTNER_BACKOFF_SECONDS,
        )


class WebhookSubscription(models.Model):
    """A partner's subscription to Keel's outbound events, signed with its own secret."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    url = models.URLField(_("target URL"), max_length=500)
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_("Empty means every event.")
    )
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["partner", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.partner.slug} → {self.url}"

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted, what=f"signing secret of subscription {self.pk}")

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events or "*" in self.events


class InboundDelivery(models.Model):
    """A webhook received from a partner; the unique delivery id drops replays.

    Not the API's ``hrcore.IdempotencyKey``, though both remember a key: this is the record of
    an event a partner *pushed* (signed over its delivery id, kept with its processing status
    and result, pruned by retention, also refusing the same body under a new id), and a replay
    is refused (409 ``replayed``) or, for HR/CRM events, entered in the event ledger as a
    duplicate. ``IdempotencyKey`` is a client's retry of a write it *called* Keel's API for:
    scoped per user and endpoint, keyed by the client, and a retry is answered with the stored
    response. See docs/architecture.md ("Two records that look alike")."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="inbound")
    delivery_id = models.CharField(_("delivery id"), max_length=100)
    event = models.CharField(_("event"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.ACCEPTED
    )
    error = models.TextField(_("error"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    body_sha256 = models.CharField(
        _("body digest"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the raw body: the same body under a new id is refused."),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound webhook")
        verbose_name_plural = _("inbound webhooks")
        constraints = [
            models.UniqueConstraint(fields=["partner", "delivery_id"], name="inbound_delivery_once")
        ]
        indexes = [
            models.Index(fields=["partner", "body_sha256", "received_at"], name="inbound_body")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.delivery_id} {self.event}"


class MasterDataEvent(models.Model):
    """The HR/CRM master-data event ledger: every event received (webhook or reconciliation
    difference) and what became of it — applied, rejected with the reason, or a duplicate — for
    HR admins to read (admin, ``GET /api/v1/integrations/master-data-events/``)."""

    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(
        _("origin"),
        max_length=16,
        choices=MasterDataOrigin.choices,
        default=MasterDataOrigin.WEBHOOK,
    )
    event_id = models.CharField(_("event id"), max_length=100, db_index=True)
    event = models.CharField(_("event"), max_length=64)
    subject = models.CharField(
        _("subject"), max_length=100, blank=True, help_text=_("HR id, unit code or customer id.")
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=MasterDataStatus.choices,
        default=MasterDataStatus.RECEIVED,
    )
    reason_code = models.CharField(_("reason code"), max_length=64, blank=True)
    reason_zh = models.TextField(_("reason (Chinese)"), blank=True)
    reason_en = models.TextField(_("reason (English)"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("master-data event")
        verbose_name_plural = _("master-data events")
        indexes = [models.Index(fields=["partner", "subject", "status"], name="md_event_subject")]

    def __str__(self) -> str:
        return f"{self.event} {self.subject} ({self.status})"

    reason = Bilingual()


class Dossier(models.Model):
    """One assembly of everything known about a crisis or a customer; every refresh is a new row,
    so history is kept."""

    crisis = models.ForeignKey(
        "crisis.Crisis",
        verbose_name=_("crisis"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dossiers",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dossiers",
    )
    scenario = models.CharField(_("scenario"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DossierStatus.choices, default=DossierStatus.BUILDING
    )
    reason = models.CharField(_("reason"), max_length=64, blank=True, choices=DossierReason.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    # A drill's dossier (issue 16): a frozen copy of this real dossier, never a fresh pull.
    snapshot_of = models.ForeignKey(
        "self",
        verbose_name=_("frozen snapshot of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="snapshots",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [models.Index(fields=["customer", "-requested_at"], name="dossier_customer")]

    def __str__(self) -> str:
        subject = f"crisis {self.crisis_id}" if self.crisis_id else str(self.customer_id)
        return f"dossier {self.pk} ({subject})"

    @property
    def snapshot_taken_at(self):
        """When the real dossier a drill's snapshot copies was assembled (None: no snapshot)."""
        return self.snapshot_of.completed_at if self.snapshot_of_id else None

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.completed_at:
            return int((self.completed_at - self.started_at).total_seconds() * 1000)
        return None


class DossierSource(models.Model):
    """One source's part of a dossier: its data, status (fresh/stale/failed), time and error."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="sources")
    source = models.CharField(_("source"), max_length=32)
    partner_slug = models.CharField(_("partner"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SourceStatus.choices, default=SourceStatus.PENDING
    )
    data = models.JSONField(default=None, null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dossier", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "source"], name="dossier_source_once")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.status}"


class ResponsePlan(models.Model):
    """A version of the crisis response plan: script, legal basis, amounts, next steps."""

    crisis = models.ForeignKey(
        "crisis.Crisis",
        verbose_name=_("crisis"),
        on_delete=models.CASCADE,
        related_name="response_plans",
    )
    version = models.PositiveIntegerField(_("version"))
    origin = models.CharField(
        _("origin"), max_length=16, choices=PlanOrigin.choices, default=PlanOrigin.GENERATED
    )
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.SET_NULL)
    say_zh = models.TextField(_("what to say (Chinese)"), blank=True)
    say_en = models.TextField(_("what to say (English)"), blank=True)
    never_say_zh = models.TextField(_("never say (Chinese)"), blank=True)
    never_say_en = models.TextField(_("never say (English)"), blank=True)
    legal_basis_zh = models.TextField(_("legal basis (Chinese)"), blank=True)
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)
    amounts = models.JSONField(_("amounts at stake"), default=dict, blank=True)
    next_steps = models.JSONField(_("next steps"), default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    shared_at = models.DateTimeField(_("shared"), null=True, blank=True)

    class Meta:
        ordering = ["crisis_id", "-version"]
        verbose_name = _("response plan")
        verbose_name_plural = _("response plans")
        constraints = [
            models.UniqueConstraint(fields=["crisis", "version"], name="plan_version_once")
        ]

    def __str__(self) -> str:
        return f"plan v{self.version} (crisis {self.crisis_id})"


class Complaint(ComplaintDecision):
    """A customer complaint routed to the account owner and their supervisor; counts against the
    owner's performance record."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="complaints"
    )
    employee = models.ForeignKey(
        "hrcore.Employee", null=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    supervisor = models.ForeignKey(
        "hrcore.Employee", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    severity = models.CharField(_("severity"), max_length=16, default="medium")
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    performance_points = models.IntegerField(_("performance points"), default=0)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self) -> str:
        return self.external_id


class Order(models.Model):
    """A sales order from the CRM; a paid order earns its owner a commission."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="orders"
    )
    owner = models.ForeignKey(
        "hrcore.Employee", null=True, on_delete=models.SET_NULL, related_name="orders"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    product_line = models.CharField(_("product line"), max_length=64, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, default="open")
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = pgettext_lazy("sales order", "order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.external_id


class CommissionRule(models.Model):
    """A commission rate for a grade and product line over a period (``effective_to`` exclusive;
    empty: open-ended). Rules of the same grade and product line never overlap; an empty product
    line is every line without a rule of its own."""

    grade = models.PositiveSmallIntegerField(_("grade"))
    product_line = models.CharField(_("product line"), max_length=64, blank=True, default="")
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["grade", "product_line", "effective_from"]
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")

    def __str__(self) -> str:
        return f"G{self.grade} {self.product_line or '*'} {self.rate} from {self.effective_from}"


class Commission(models.Model):
    """A commission owed on a paid order at the rule in force when it was paid, approved by
    finance then HR; a refund or cancellation adds a reversal row (``reverses``, negative)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="commissions")
    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.PROTECT, related_name="commissions"
    )
    rule = models.ForeignKey(
        CommissionRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reversal"
    )
    grade = models.PositiveSmallIntegerField(_("grade"))
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    period = models.CharField(_("period"), max_length=7, default="")  # YYYY-MM of the paid order
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CommissionStatus.choices,
        default=CommissionStatus.PENDING,
    )
    finance_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finance_approved_at = models.DateTimeField(null=True, blank=True)
    hr_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hr_approved_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    payroll_reference = models.CharField(_("payroll reference"), max_length=64, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(reverses__isnull=True),
                name="one_commission_per_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} → {self.employee}: {self.amount}"


class Handover(models.Model):
    """A leaving employee's customers and open tasks handed to a successor in one audited action;
    reversible until ``revertible_until``."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.PROTECT, related_name="handovers_given"
    )
    successor = models.ForeignKey(
        "hrcore.Employee", on_delete=models.PROTECT, related_name="handovers_received"
    )
    customer_ids = models.JSONField(default=list)
    task_ids = models.JSONField(default=list)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    executed_at = models.DateTimeField(default=timezone.now)
    revertible_until = models.DateTimeField()
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-executed_at"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return f"{self.employee} → {self.successor} ({self.executed_at:%Y-%m-%d})"


class ChannelProvider(models.Model):
    """A messaging provider Keel reaches people through (DingTalk, WeCom, Feishu, SMS, voice,
    e-mail), configured by HR admins; the adapter is chosen by ``protocol``."""

    slug = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    protocol = models.CharField(_("protocol"), max_length=32)
    base_url = models.CharField(_("base URL"), max_length=500)
    token_encrypted = models.TextField(_("secret (encrypted)"), blank=True, editable=False)
    callback_secret_encrypted = models.TextField(
        _("callback secret (encrypted)"), blank=True, editable=False
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    timeout_seconds = models.FloatField(_("timeout (seconds)"), default=5.0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts per call"), default=3)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["channel", "slug"]
        verbose_name = _("messaging provider")
        verbose_name_plural = _("messaging providers")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()})"

    @property
    def token(self) -> str:
        return decrypt(self.token_encrypted, what=f"secret of messaging provider {self.slug}")

    @property
    def callback_secret(self) -> str:
        return decrypt(
            self.callback_secret_encrypted,
            what=f"callback secret of messaging provider {self.slug}",
        )

    def config(self):
        from .adapters import PartnerConfig

        return PartnerConfig(
            slug=f"channel-{self.slug}",
            kind="channel",
            protocol=self.protocol,
            base_url=self.base_url,
            token=self.token if self.token_encrypted else "",
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_seconds=settings.KEEL_PARTNER_BACKOFF_SECONDS,
            options=dict(self.options or {}),
        )


class ChannelCallback(models.Model):
    """A provider callback already applied: its event id refuses a replay."""

    event_id = models.CharField(max_length=200, unique=True)
    provider = models.ForeignKey(ChannelProvider, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.event_id


class RollCall(models.Model):
    """An "are you safe" roll call of a crisis to everyone in a unit (issue 13 §6)."""

    crisis = models.ForeignKey("crisis.Crisis", on_delete=models.CASCADE, related_name="roll_calls")
    unit = models.ForeignKey("hrcore.OrgUnit", on_delete=models.PROTECT, related_name="+")
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["crisis", "unit"], name="one_roll_call_per_unit")
        ]

    def __str__(self) -> str:
        return f"roll call {self.pk} of crisis {self.crisis_id}"


class RollCallAnswer(models.Model):
    """One person asked in a roll call, and what they answered (empty: no answer yet)."""

    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=16, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The administration's task a "need help" answer became (once per person and roll call).
    help_task = models.ForeignKey(
        "crisis.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["roll_call", "user"], name="asked_once_per_roll_call")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.answer or '—'}"


class RobotMention(models.Model):
    """Someone to mention in a group robot's next post (a ladder step asking them to
    acknowledge): queued, then coalesced with the others of the same robot into one post, so
    the robots' per-minute limits are respected by batching, never by dropping."""

    provider = models.ForeignKey(ChannelProvider, on_delete=models.CASCADE, related_name="+")
    crisis_id = models.IntegerField(null=True, blank=True)
    address = models.CharField(max_length=200)
    text = models.CharField(max_length=500)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["provider"],
                name="robot_mention_pending",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"@{self.address} via {self.provider_id}"


class WarRoom(models.Model):
    """A crisis's group chat on an IM (issue 13 §7): status changes and decisions are posted
    there; it is closed (Feishu: dissolved) with the crisis."""

    crisis_id = models.IntegerField(db_index=True)
    provider = models.ForeignKey(ChannelProvider, on_delete=models.PROTECT, related_name="+")
    chat_id = models.CharField(max_length=200)
    members = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["crisis_id", "provider"], name="one_war_room_per_im")
        ]

    def __str__(self) -> str:
        return f"war room {self.chat_id} of crisis {self.crisis_id}"
