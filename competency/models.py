"""Competency models, the evidence ledger, branching scenario simulations, assignments and
recognition."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrcore.i18n import Bilingual, pick

from .choices import (
    AssignmentReason,
    EndingTone,
    EvidenceKind,
    FrameworkStatus,
    NodeKind,
    RecognitionKind,
    RubricItemKind,
    RunStatus,
    VersionStatus,
)


def _check_level_on_scale(competency, level, field: str) -> None:
    """Admin-form validation: a level must exist on the competency's rating scale."""
    from django.core.exceptions import ValidationError

    if not competency or level is None:
        return
    values = set(competency.framework.scale.levels.values_list("value", flat=True))
    if level not in values:
        raise ValidationError(
            {
                field: _("Level must be one of %(levels)s.")
                % {"levels": ", ".join(map(str, sorted(values)))}
            }
        )


class RatingScale(models.Model):
    """An ordered set of proficiency levels (e.g. 1 aware … 4 expert)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("rating scale")
        verbose_name_plural = _("rating scales")

    def __str__(self) -> str:
        return pick(self, "name")

    name = Bilingual()


class ScaleLevel(models.Model):
    """One level of a rating scale; ``value`` orders the levels."""

    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField(_("value"))
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    is_proficient = models.BooleanField(_("proficient level"), default=False)

    class Meta:
        ordering = ["scale", "value"]
        verbose_name = _("scale level")
        verbose_name_plural = _("scale levels")
        constraints = [
            models.UniqueConstraint(fields=["scale", "value"], name="scalelevel_unique_value")
        ]

    def __str__(self) -> str:
        return f"{self.value} {self.label}"

    label = Bilingual()


class Framework(models.Model):
    """A versioned set of competencies; once someone is rated against it, edits make a new version."""

    code = models.SlugField(_("code"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    scale = models.ForeignKey(RatingScale, verbose_name=_("rating scale"), on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=16, choices=FrameworkStatus.choices, default=FrameworkStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("competency framework")
        verbose_name_plural = _("competency frameworks")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="framework_unique_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status="published"),
                name="framework_one_published_per_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    name = Bilingual()


class Competency(models.Model):
    """A competency inside a framework (may have a parent: a tree)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="competencies")
    code = models.SlugField(_("code"), max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order", "code"]
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="competency_unique_code")
        ]

    def __str__(self) -> str:
        return self.name

    name = Bilingual()

    description = Bilingual()


class BehaviouralAnchor(models.Model):
    """What a competency looks like at one level of the scale."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="anchors")
    level = models.PositiveSmallIntegerField(_("level"))
    text_zh = models.TextField(_("behaviour (Chinese)"))
    text_en = models.TextField(_("behaviour (English)"))

    class Meta:
        ordering = ["competency", "level"]
        verbose_name = _("behavioural anchor")
        verbose_name_plural = _("behavioural anchors")
        constraints = [
            models.UniqueConstraint(fields=["competency", "level"], name="anchor_unique_level")
        ]

    def __str__(self) -> str:
        return f"{self.competency.code}@{self.level}"

    def clean(self) -> None:
        _check_level_on_scale(self.competency_id and self.competency, self.level, "level")

    text = Bilingual()


class PositionProfile(models.Model):
    """What a position needs: required levels and weights, training cadence and scenarios."""

    position = models.ForeignKey(
        "hrcore.Position", on_delete=models.CASCADE, related_name="competency_profiles"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="profiles")
    cadence_days = models.PositiveIntegerField(_("practice every (days)"), default=90)
    due_days = models.PositiveIntegerField(_("days to complete an assignment"), default=14)
    scenario_codes = models.JSONField(_("scenario codes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position__code"]
        verbose_name = _("position profile")
        verbose_name_plural = _("position profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["position"], condition=Q(is_active=True), name="profile_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position} — {self.framework}"


class ProfileRequirement(models.Model):
    """Required level and weight of one competency in a position profile."""

    profile = models.ForeignKey(
        PositionProfile, on_delete=models.CASCADE, related_name="requirements"
    )
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="+")
    required_level = models.PositiveSmallIntegerField(_("required level"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    class Meta:
        ordering = ["profile", "competency__order"]
        verbose_name = _("profile requirement")
        verbose_name_plural = _("profile requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "competency"], name="requirement_unique_competency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competency.code}≥{self.required_level}"

    def clean(self) -> None:
        _check_level_on_scale(
            self.competency_id and self.competency, self.required_level, "required_level"
        )


class Evidence(models.Model):
    """An append-only fact about someone's level in one competency; levels derive from these."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="competency_evidence"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="evidence")
    # Ledger rows key on the competency *code*, so levels survive framework versions.
    competency_code = models.SlugField(max_length=64, db_index=True)
    level = models.PositiveSmallIntegerField(_("level"))
    score = models.FloatField(_("score (0–100)"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    source_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    observed_at = models.DateTimeField(_("observed"), default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    run = models.ForeignKey(
        "SimulationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )

    class Meta:
        ordering = ["employee", "competency_code", "observed_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        indexes = [models.Index(fields=["employee", "competency_code", "observed_at"])]

    def __str__(self) -> str:
        return f"{self.employee} {self.competency_code}={self.level} ({self.kind})"


class Simulation(models.Model):
    """A branching role-play exercise; its content lives in immutable published versions."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    scenario_code = models.SlugField(_("scenario code"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")

    def __str__(self) -> str:
        return self.title

    title = Bilingual()

    description = Bilingual()


class SimulationVersion(models.Model):
    """One version of a simulation's graph; immutable once published."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    start_node = models.ForeignKey(
        "SimNode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (0–100)"), default=60)
    # A pass also needs this much on every competency the run measured: a strong total cannot
    # hide a competency the player never showed.
    competency_minimum = models.PositiveSmallIntegerField(
        _("minimum on each competency (0–100)"), default=60
    )
    initial_state = models.JSONField(_("initial state"), default=dict, blank=True)
    counterpart_zh = models.CharField(_("counterpart (Chinese)"), max_length=100, blank=True)
    counterpart_en = models.CharField(_("counterpart (English)"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["simulation", "-version"]
        verbose_name = _("simulation version")
        verbose_name_plural = _("simulation versions")
        constraints = [
            models.UniqueConstraint(fields=["simulation", "version"], name="simversion_unique"),
            models.UniqueConstraint(
                fields=["simulation"],
                condition=Q(status="published"),
                name="simversion_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.simulation.code} v{self.version} ({self.status})"

    counterpart = Bilingual()


class SimNode(models.Model):
    """A step of a simulation: narrative, decision, free-text answer, timed decision or ending."""

    version = models.ForeignKey(SimulationVersion, on_delete=models.CASCADE, related_name="nodes")
    key = models.SlugField(_("key"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=NodeKind.choices)
    speaker_zh = models.CharField(_("speaker (Chinese)"), max_length=100, blank=True)
    speaker_en = models.CharField(_("speaker (English)"), max_length=100, blank=True)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    time_limit_seconds = models.PositiveIntegerField(
        _("time limit (seconds)"), null=True, blank=True
    )
    ending_tone = models.CharField(
        _("ending tone"), max_length=8, choices=EndingTone.choices, blank=True
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "order", "id"]
        verbose_name = _("simulation node")
        verbose_name_plural = _("simulation nodes")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="simnode_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.kind})"

    text = Bilingual()

    speaker = Bilingual()


class SimChoice(models.Model):
    """An option at a node: where it leads, what it teaches and what it does to scores and state."""

    node = models.ForeignKey(SimNode, on_delete=models.CASCADE, related_name="choices")
    next_node = models.ForeignKey(
        SimNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="incoming"
    )
    label_zh = models.CharField(_("label (Chinese)"), max_length=500)
    label_en = models.CharField(_("label (English)"), max_length=500)
    feedback_zh = models.TextField(_("feedback (Chinese)"), blank=True)
    feedback_en = models.TextField(_("feedback (English)"), blank=True)
    hint_zh = models.TextField(_("coaching hint (Chinese)"), blank=True)
    hint_en = models.TextField(_("coaching hint (English)"), blank=True)
    # {"emotional-control": 2, "negotiation": -1}
    effects = models.JSONField(_("score effects"), default=dict, blank=True)
    # {"agitation": 15}: added to the run's state, clamped to 0–100
    state_changes = models.JSONField(_("state changes"), default=dict, blank=True)
    # {"var": "agitation", "op": "lt", "value": 70} — shown only when true; null = always
    condition = models.JSONField(_("condition"), null=True, blank=True)
    is_critical = models.BooleanField(_("critical error"), default=False)
    is_timeout = models.BooleanField(_("taken when time runs out"), default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["node", "order", "id"]
        verbose_name = _("simulation choice")
        verbose_name_plural = _("simulation choices")

    def __str__(self) -> str:
        return self.label

    label = Bilingual()

    feedback = Bilingual()

    hint = Bilingual()


class SimRubricItem(models.Model):
    """A key point or forbidden phrase of a free-text node's rubric; immutable with its version."""

    node = models.ForeignKey(SimNode, on_delete=models.CASCADE, related_name="rubric_items")
    kind = models.CharField(
        _("kind"), max_length=16, choices=RubricItemKind.choices, default=RubricItemKind.KEY_POINT
    )
    label_zh = models.CharField(_("key point (Chinese)"), max_length=200)
    label_en = models.CharField(_("key point (English)"), max_length=200)
    # Alternatives; the answer says the point if it contains any of them (see competency.scoring).
    phrases_zh = models.JSONField(_("phrases (Chinese)"), default=list, blank=True)
    phrases_en = models.JSONField(_("phrases (English)"), default=list, blank=True)
    # {"emotional-control": 2}: earned when the answer covers the point (forbidden: when said)
    effects = models.JSONField(_("score effects"), default=dict, blank=True)
    feedback_zh = models.TextField(_("feedback (Chinese)"), blank=True)
    feedback_en = models.TextField(_("feedback (English)"), blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["node", "order", "id"]
        verbose_name = _("rubric item")
        verbose_name_plural = _("rubric items")

    def __str__(self) -> str:
        return self.label

    label = Bilingual()

    feedback = Bilingual()

    @property
    def is_forbidden(self) -> bool:
        return self.kind == RubricItemKind.FORBIDDEN

    @property
    def phrases(self) -> list[str]:
        return [*(self.phrases_zh or []), *(self.phrases_en or [])]


class Assignment(models.Model):
    """A simulation pushed to an employee, with a due date; one per source key."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="training_assignments"
    )
    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="assignments")
    reason = models.CharField(max_length=16, choices=AssignmentReason.choices)
    source_key = models.CharField(max_length=200, unique=True)
    note = models.CharField(max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("training assignment")
        verbose_name_plural = _("training assignments")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="assignment_open_due",
                condition=Q(completed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} → {self.simulation.code}"

    def is_overdue(self, now=None) -> bool:
        return self.completed_at is None and self.due_at < (now or timezone.now())


class SimulationRun(models.Model):
    """One play-through of a simulation version by an employee; resumable until it ends."""

    version = models.ForeignKey(SimulationVersion, on_delete=models.PROTECT, related_name="runs")
    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="simulation_runs"
    )
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.IN_PROGRESS
    )
    current_node = models.ForeignKey(
        SimNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    node_started_at = models.DateTimeField(default=timezone.now)
    # Orders the choices of every step of this run (competency.selectors.choices_for_run): the
    # first choice on screen is a different one in each attempt.
    shuffle_seed = models.PositiveIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)
    step_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    competency_scores = models.JSONField(default=dict, blank=True)
    critical_error = models.BooleanField(default=False)
    passed = models.BooleanField(null=True, blank=True)
    suggestions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")
        indexes = [models.Index(fields=["employee", "status"])]

    def __str__(self) -> str:
        return f"run {self.pk} {self.employee} {self.version}"


class RunStep(models.Model):
    """One answered step of a run; (run, seq) and (run, node) are unique so nothing scores twice."""

    run = models.ForeignKey(SimulationRun, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveIntegerField()
    node = models.ForeignKey(SimNode, on_delete=models.PROTECT, related_name="+")
    choice = models.ForeignKey(
        SimChoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Choices shown at this step (ids), so scoring normalises by what was reachable.
    offered = models.JSONField(default=list)
    free_text = models.TextField(blank=True)
    timed_out = models.BooleanField(default=False)
    state_after = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="runstep_unique_seq"),
            models.UniqueConstraint(fields=["run", "node"], name="runstep_unique_node"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.seq}"


class RecognitionEntry(models.Model):
    """Resilience stars on a points ledger; one row per (employee, source) so nothing counts twice."""

    employee = models.ForeignKey(
        "hrcore.Employee", on_delete=models.CASCADE, related_name="recognition"
    )
    kind = models.CharField(max_length=16, choices=RecognitionKind.choices)
    source_key = models.CharField(max_length=200)
    stars = models.PositiveSmallIntegerField(default=1)
    reason_zh = models.CharField(max_length=300)
    reason_en = models.CharField(max_length=300)
    awarded_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-awarded_at", "-id"]
        verbose_name = _("recognition entry")
        verbose_name_plural = _("recognition entries")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "source_key"], name="recognition_once_per_source"
            ),
            models.CheckConstraint(condition=Q(stars__gte=1), name="recognition_positive_stars"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} +{self.stars} ({self.source_key})"

    reason = Bilingual()

    @property
    def reason_html(self) -> str:
        """The reason for pages: what it quotes (“a crisis title”) is text a person typed."""
        from hrcore.notification_kinds import quoted_user_html

        return quoted_user_html(self.reason)


from .rating_models import AnswerRating, ReferenceAnswer, SimulationRater  # noqa: E402, F401
