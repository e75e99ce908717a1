"""Employee self-service (seed 001): questions and score disputes routed to the supervisor, who
answers in a weekly window; the window each organisation unit keeps. Imported by
``hrcore.models``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .answer_window import DEFAULT_ENDS, DEFAULT_STARTS, DEFAULT_WEEKDAY
from .notification_kinds import local


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class QuestionKind(models.TextChoices):
    QUESTION = "question", _("Question")
    DISPUTE = "dispute", _("Score dispute")


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")


class RoutedVia(models.TextChoices):
    """Who a question went to, and why."""

    SUPERVISOR = "supervisor", _("Supervisor")
    DELEGATE = "delegate", _("Supervisor's delegate")
    HR = "hr", _("HR")


class AnswerWindow(models.Model):
    """The weekly window in which supervisors of a unit (and the units below it) answer their
    team's questions, in the time zone of the unit's business calendar."""

    unit = models.OneToOneField(
        "hrcore.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="answer_window",
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, default=DEFAULT_WEEKDAY
    )
    starts = models.TimeField(_("opens at"), default=DEFAULT_STARTS)
    ends = models.TimeField(_("closes at"), default=DEFAULT_ENDS)

    class Meta:
        verbose_name = _("question answer window")
        verbose_name_plural = _("question answer windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="answer_window_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="answer_window_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Question(models.Model):
    """A question or a score dispute an employee put to their supervisor (or the delegate, or
    HR), due in the next weekly answer window; escalated to HR when a window closes unanswered."""

    asker = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("asked by"),
        on_delete=models.CASCADE,
        related_name="questions_asked",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.QUESTION
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("question"), max_length=4000)
    # A dispute names the score: the kind registered by the app that owns it
    # (``hrcore.score_refs``), its id there and the label it had when disputed.
    reference_kind = models.CharField(_("score kind"), max_length=40, blank=True, default="")
    reference_id = models.CharField(_("score"), max_length=64, blank=True, default="")
    reference_label = models.JSONField(default=dict, blank=True)
    answerer = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("routed to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions_to_answer",
    )
    routed_via = models.CharField(
        _("routed to"), max_length=16, choices=RoutedVia.choices, default=RoutedVia.SUPERVISOR
    )
    status = models.CharField(
        _("status"), max_length=16, choices=QuestionStatus.choices, default=QuestionStatus.OPEN
    )
    answer = models.TextField(_("answer"), max_length=4000, blank=True, default="")
    answered_by = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions_answered",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    # The window the question is due in; moved to the next one when it closes unanswered.
    window_opens_at = models.DateTimeField(_("window opens"))
    window_closes_at = models.DateTimeField(_("window closes"))
    # Set by the tick (compare-and-set): the reminder of the current window went out; the last
    # escalation to HR, and how many windows closed without an answer.
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to HR"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(
                fields=["window_opens_at"],
                name="question_reminder_due",
                condition=Q(status="open", reminded_at__isnull=True),
            ),
            models.Index(
                fields=["window_closes_at"], name="question_window_due", condition=Q(status="open")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="dispute") | (~Q(reference_kind="") & ~Q(reference_id="")),
                name="question_dispute_names_a_score",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="question_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=Q(window_closes_at__gt=models.F("window_opens_at")),
                name="question_window_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference_name(self) -> str:
        """The disputed score's label (as it was when disputed) in the reader's language."""
        return local(self.reference_label) if self.reference_label else ""

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.OPEN


__all__ = ["AnswerWindow", "Question", "QuestionKind", "QuestionStatus", "RoutedVia", "Weekday"]
