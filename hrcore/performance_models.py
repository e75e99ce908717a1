"""Performance events both ways (issue 17 §1): what Keel sends to the performance/OKR partner
(complaints, commissions, crisis duties, resilience stars, drills, simulations), the one table of
points per kind HR admins edit, and the goals and reviews pulled back. In hrcore because the
sources live in three higher apps (crisis, competency, integrations); each calls
``hrcore.services.performance`` at the moment its fact happens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .i18n import Bilingual


class PerformanceKind(models.TextChoices):
    COMPLAINT = "complaint", _("Customer complaint")
    COMMISSION = "commission", _("Commission approved")
    CRISIS_DUTY = "crisis_duty", _("Crisis duty")
    STAR = "star", _("Resilience star")
    DRILL = "drill", _("Drill duty")
    SIMULATION = "simulation", _("Simulation")


# Each kind's variants: the complaint's severity, on time or late, passed or failed; "" is the
# kind's only variant. The order is the rules page's.
PERFORMANCE_VARIANTS: dict[str, tuple[str, ...]] = {
    PerformanceKind.COMPLAINT: ("low", "medium", "high", "critical"),
    PerformanceKind.COMMISSION: ("",),
    PerformanceKind.CRISIS_DUTY: ("on_time", "late"),
    PerformanceKind.STAR: ("",),
    PerformanceKind.DRILL: ("on_time", "late"),
    PerformanceKind.SIMULATION: ("passed", "failed"),
}

VARIANT_LABELS = {
    "low": pgettext_lazy("severity", "Low"),
    "medium": pgettext_lazy("severity", "Medium"),
    "high": pgettext_lazy("severity", "High"),
    "critical": pgettext_lazy("severity", "Critical"),
    "on_time": _("On time"),
    "late": _("Late"),
    "passed": _("Passed"),
    "failed": _("Not passed"),
}


def performance_label(kind: str, variant: str) -> str:
    """ "Customer complaint · High", "Resilience star" — in the reader's language."""
    name = str(dict(PerformanceKind.choices).get(kind, kind))
    return f"{name} · {VARIANT_LABELS[variant]}" if variant in VARIANT_LABELS else name


# The defaults: the complaint rule is the one Keel has applied since HR↔CRM was built
# (integrations.services.complaints, the sandbox's "as Keel records them") — seed 003 §二 asks
# that a complaint "关联绩效考核" (count in the owner's performance review) without numbers; the
# other kinds start small, positive for work done on time and neutral for a late drill or a
# failed practice (practice must stay safe to fail). A star counts per star.
PERFORMANCE_DEFAULT_POINTS: dict[tuple[str, str], int] = {
    ("complaint", "low"): -1,
    ("complaint", "medium"): -2,
    ("complaint", "high"): -3,
    ("complaint", "critical"): -5,
    ("commission", ""): 1,
    ("crisis_duty", "on_time"): 1,
    ("crisis_duty", "late"): -1,
    ("star", ""): 1,
    ("drill", "on_time"): 1,
    ("drill", "late"): 0,
    ("simulation", "passed"): 2,
    ("simulation", "failed"): 0,
}


class PerformanceRule(models.Model):
    """How many points one kind (and variant) of performance event counts; HR admins edit them."""

    kind = models.CharField(_("kind"), max_length=20, choices=PerformanceKind.choices)
    variant = models.CharField(_("variant"), max_length=20, blank=True, default="")
    points = models.SmallIntegerField(_("points"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "variant"]
        verbose_name = _("performance rule")
        verbose_name_plural = _("performance rules")
        constraints = [
            models.UniqueConstraint(fields=["kind", "variant"], name="performance_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.variant} = {self.points}"


class PerformanceEvent(models.Model):
    """One fact that counts on a person's performance record, once per source (``source_key``),
    and its delivery to the performance partner through the outbox."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="performance_events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PerformanceKind.choices)
    variant = models.CharField(_("variant"), max_length=20, blank=True, default="")
    # Names the source fact ("complaint:12", "task:88", …): the idempotency key here and at the
    # partner, and what a dispute of the score points at (with the id).
    source_key = models.CharField(_("source"), max_length=200, unique=True)
    points = models.SmallIntegerField(_("points"))
    summary_zh = models.CharField(_("summary (Chinese)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    summary = Bilingual()
    link = models.CharField(_("link"), max_length=300, blank=True, default="")
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    period = models.CharField(pgettext_lazy("calendar month", "month"), max_length=7)  # YYYY-MM
    partner_reference = models.CharField(_("partner reference"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent to the partner"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("performance event")
        verbose_name_plural = _("performance events")
        indexes = [models.Index(fields=["employee", "-occurred_at"], name="perf_event_person")]

    def __str__(self) -> str:
        return self.source_key

    @property
    def label(self) -> str:
        return performance_label(self.kind, self.variant)


class PerformanceGoal(models.Model):
    """A goal (OKR) of a person as the performance partner holds it, pulled back into Keel."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="performance_goals"
    )
    external_id = models.CharField(_("external id"), max_length=64)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    title = Bilingual()
    period = models.CharField(
        pgettext_lazy("performance period", "period"), max_length=16, blank=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    status = models.CharField(_("status"), max_length=20, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    pulled_at = models.DateTimeField(_("pulled"), default=timezone.now)

    class Meta:
        ordering = ["employee_id", "due_on", "external_id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.UniqueConstraint(fields=["employee", "external_id"], name="perf_goal_once")
        ]

    def __str__(self) -> str:
        return self.external_id


class PerformanceReview(models.Model):
    """A performance review of a person from the performance partner, pulled back into Keel."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="performance_reviews"
    )
    external_id = models.CharField(_("external id"), max_length=64)
    period = models.CharField(
        pgettext_lazy("performance period", "period"), max_length=16, blank=True
    )
    rating = models.CharField(pgettext_lazy("performance review", "rating"), max_length=20)
    reviewer = models.CharField(_("reviewer"), max_length=100, blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary = Bilingual()
    reviewed_on = models.DateField(_("reviewed"), null=True, blank=True)
    pulled_at = models.DateTimeField(_("pulled"), default=timezone.now)

    class Meta:
        ordering = ["employee_id", "-reviewed_on", "-external_id"]
        verbose_name = _("performance review")
        verbose_name_plural = _("performance reviews")
        constraints = [
            models.UniqueConstraint(fields=["employee", "external_id"], name="perf_review_once")
        ]

    def __str__(self) -> str:
        return self.external_id


class PerformancePull(models.Model):
    """When a person's goals and reviews were last pulled from the partner, and the last error."""

    employee = models.OneToOneField(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="performance_pull"
    )
    pulled_at = models.DateTimeField(_("pulled"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("attempted"), default=timezone.now)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("performance pull")
        verbose_name_plural = _("performance pulls")

    def __str__(self) -> str:
        return f"pull {self.employee_id}"
