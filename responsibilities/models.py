"""Scenarios, versioned responsibility maps and their duties."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hrcore.choices import DepartmentFunction
from hrcore.i18n import Bilingual, pick

from .choices import DeliverableKind, MapStatus, Severity
from .decision_options import label_of
from .severity import default_severity_factors


class Scenario(models.Model):
    """A kind of pressure situation (debt collection, complaint…) that has responsibility maps."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    default_severity = models.CharField(
        _("default severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM
    )
    trigger_notes_zh = models.TextField(_("trigger notes (Chinese)"), blank=True)
    trigger_notes_en = models.TextField(_("trigger notes (English)"), blank=True)
    # Installed from the standard library (keel_bootstrap); the group's own scenarios are not.
    is_library = models.BooleanField(_("from the standard library"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name

    name = Bilingual()

    description = Bilingual()

    trigger_notes = Bilingual()


class ResponsibilityMap(models.Model):
    """One version of who does what, by when, for a scenario in an org scope."""

    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.PROTECT, related_name="maps"
    )
    scope = models.ForeignKey(
        "hrcore.OrgUnit",
        verbose_name=_("scope"),
        on_delete=models.PROTECT,
        related_name="responsibility_maps",
        help_text=_("The group or a subsidiary; the map applies to crises in its subtree."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=MapStatus.choices, default=MapStatus.DRAFT
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    change_note = models.TextField(_("change note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # A version installed from the standard library, unchanged. Adapting it (or any edit) gives a
    # draft of the group's own version, which keel_bootstrap never touches again.
    is_library = models.BooleanField(_("from the standard library"), default=False)
    # Digest of the library content this version was installed from: a re-run of the bootstrap
    # installs a newer library version only when the content changed.
    library_digest = models.CharField(_("library content digest"), max_length=64, blank=True)
    # How deadlines scale when a running crisis changes severity (``responsibilities.severity``).
    severity_factors = models.JSONField(
        _("deadline factor per severity"), default=default_severity_factors, blank=True
    )

    class Meta:
        ordering = ["scenario__code", "scope__path", "-version"]
        verbose_name = _("responsibility map")
        verbose_name_plural = _("responsibility maps")
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "scope", "version"], name="map_version_unique"
            ),
            # Published versions of a scenario and scope take over at distinct moments: the one
            # in force is the latest whose effective_from has come (selectors.maps_in_force), so
            # a version published for a future date waits while the current one keeps running.
            models.UniqueConstraint(
                fields=["scenario", "scope", "effective_from"],
                condition=Q(status="published"),
                name="map_one_published_per_moment",
            ),
            # At most one open draft per scenario and scope, so edits do not fork.
            models.UniqueConstraint(
                fields=["scenario", "scope"],
                condition=Q(status="draft"),
                name="map_one_draft_per_scope",
            ),
        ]
        indexes = [models.Index(fields=["scenario", "status"])]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        return pick(self, "title") or str(self.scenario)

    @property
    def is_draft(self) -> bool:
        return self.status == MapStatus.DRAFT


class Duty(models.Model):
    """One step of a map: who (function or position) does what, producing what, by when."""

    map = models.ForeignKey(
        ResponsibilityMap, verbose_name=_("map"), on_delete=models.CASCADE, related_name="duties"
    )
    code = models.SlugField(_("code"), max_length=64)
    assignee_function = models.CharField(
        _("assignee function"),
        max_length=32,
        choices=DepartmentFunction.choices,
        blank=True,
        default="",
    )
    assignee_position = models.ForeignKey(
        "hrcore.Position",
        verbose_name=_("assignee position"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duties",
    )
    action_zh = models.TextField(_("action (Chinese)"), blank=True)
    action_en = models.TextField(_("action (English)"), blank=True)
    deliverable = models.CharField(
        _("deliverable"),
        max_length=20,
        choices=DeliverableKind.choices,
        default=DeliverableKind.CONFIRMATION,
    )
    deadline_minutes = models.PositiveIntegerField(_("deadline (minutes)"))
    after = models.JSONField(_("starts after"), default=list, blank=True)
    warn_ratio = models.FloatField(_("warning at share of allowance"), default=0.8)
    business_hours = models.BooleanField(_("business hours only"), default=False)
    escalation = models.JSONField(_("escalation chain"), default=list, blank=True)
    information_items = models.JSONField(_("information needed"), default=list, blank=True)
    competencies = models.JSONField(_("competencies"), default=list, blank=True)
    notes_zh = models.TextField(_("notes (Chinese)"), blank=True)
    notes_en = models.TextField(_("notes (English)"), blank=True)
    # A decision duty's options (``responsibilities.decision_options``): [{"code", "label":
    # {"zh", "en"}, "follow_ups": [{"action": {"zh", "en"}, "function", "deadline_minutes"}]}].
    options = models.JSONField(_("decision options"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["map", "order", "id"]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.UniqueConstraint(fields=["map", "code"], name="duty_code_unique_in_map"),
            models.CheckConstraint(
                condition=(Q(assignee_function="") & Q(assignee_position__isnull=False))
                | (~Q(assignee_function="") & Q(assignee_position__isnull=True)),
                name="duty_exactly_one_assignee",
            ),
            models.CheckConstraint(
                condition=Q(deadline_minutes__gt=0), name="duty_deadline_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    action = Bilingual()

    notes = Bilingual()

    @property
    def option_labels(self) -> list[str]:
        """A decision duty's options by label, in the reader's language."""
        return [label_of(o) for o in self.options or []]

    @property
    def starts_at_crisis_start(self) -> bool:
        return not self.after

    @property
    def assignee_key(self) -> tuple[str, str]:
        """(department function or "", position code or ""): what the assignee resolver
        (``hrcore.selectors.resolve_assignees``) is asked for this duty."""
        return (
            self.assignee_function or "",
            self.assignee_position.code if self.assignee_position_id else "",
        )

    @property
    def assignee_label(self) -> str:
        if self.assignee_position_id:
            return self.assignee_position.title
        if self.assignee_function:
            return str(DepartmentFunction(self.assignee_function).label)
        return ""


class CoverageTally(models.Model):
    """How many (unit, duty) rows have a holder or a deputy who can act, out of how many."""

    computed_at = models.DateTimeField()
    covered = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def score(self) -> float:
        return 1.0 if self.total == 0 else self.covered / self.total


class CoverageSnapshot(CoverageTally):
    """The last computed coverage of one map in force (``services.coverage``): recomputed by the
    tick's sweep when marked stale (an HR change) or older than a minute."""

    map = models.OneToOneField(
        ResponsibilityMap, on_delete=models.CASCADE, related_name="coverage_snapshot"
    )
    # [{"unit", "duty", "who", "holder": {...} | None, "deputy": {...} | None, "gaps": [...]}]
    rows = models.JSONField(default=list, blank=True)
    stale = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")

    def __str__(self) -> str:
        return f"{self.map_id}: {self.covered}/{self.total}"


class ScenarioCoverage(CoverageTally):
    """A scenario's coverage over its maps in force, and whether HR admins were alerted about
    the current drop below 100 % (once per drop)."""

    scenario = models.OneToOneField(Scenario, on_delete=models.CASCADE, related_name="coverage")
    alerted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("scenario coverage")
        verbose_name_plural = _("scenario coverages")

    def __str__(self) -> str:
        return f"{self.scenario_id}: {self.covered}/{self.total}"
