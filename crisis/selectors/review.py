"""Post-incident review reads (issue 15 §5): who may see and act on a review, the review of one
crisis assembled from its timeline (the one place the review page and the API read from), the
lessons library and the monthly report's rows. Query counts do not grow with the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrcore.choices import Role
from hrcore.selectors import employee_of, has_role, is_hr_admin
from responsibilities.models import Duty

from .. import presenters, report
from ..choices import (
    TASK_ACTIVE_STATES,
    ActionItemStatus,
    CrisisStatus,
    EventKind,
    FindingKind,
    TaskKind,
    TaskStatus,
)
from ..forms import decision_option_label
from ..models import ActionItem, Crisis, CrisisParticipant, ReviewFinding, Task, TimelineEvent
from ..task_state import task_late, task_state
from .access import _granted_this_crisis, can_manage, crises_visible_to
from .dashboard import _department
from .people import employee_names

LESSONS_PAGE_SIZE = 20
# Where the report counts tasks that are no duty of the map (follow-ups, ad-hoc tasks).
ADDED_TASKS = _("Follow-ups and added tasks")

# --- Permissions ------------------------------------------------------------------------------


def is_participant(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Took part in the crisis: filed it, held a task, listed as a participant or invited."""
    if not user.is_authenticated:
        return False
    if crisis.filed_by_id == user.pk:
        return True
    employee = employee_of(user)
    if employee is not None and (
        CrisisParticipant.objects.filter(crisis=crisis, employee=employee).exists()
        or Task.objects.filter(crisis=crisis, assignee=employee).exists()
    ):
        return True
    return _granted_this_crisis(user, crisis)


def can_view_review(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """The crisis's participants, HR admins and the executives who see the crisis."""
    if is_hr_admin(user):
        return True
    if has_role(user, Role.EXECUTIVE) and crises_visible_to(user).filter(pk=crisis.pk).exists():
        return True
    return is_participant(user, crisis)


def can_add_finding(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Participants write findings (HR admins too: they run the reviews)."""
    return is_hr_admin(user) or is_participant(user, crisis)


def can_manage_review(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Action items and lessons: the crisis's managers (filer, managers, executives who see it)
    and HR admins — who may close a crisis may run its review."""
    return can_manage(user, crisis)


def can_see_report(user: AbstractBaseUser) -> bool:
    """The monthly report: executives (their scope) and HR admins (everything)."""
    return is_hr_admin(user) or has_role(user, Role.EXECUTIVE)


def can_propose_map_change(user: AbstractBaseUser) -> bool:
    """Draft map revisions are HR admins' work (responsibilities.services.maps)."""
    return is_hr_admin(user)


# --- One crisis's review ----------------------------------------------------------------------


@dataclass
class Review:
    """Everything the review page shows, in display order. ``held``/``broke`` rows are dicts:
    task, department, assignee, what, due_at, completed_at, and ``margin`` (held: how early) or
    ``lateness`` (broke: how late, up to delivery, closure or now) as timedelta and text."""

    crisis: Crisis
    timeline: list[dict]
    held: list[dict]
    broke: list[dict]
    decisions: list
    follow_ups: list[dict]
    findings: dict[str, list[ReviewFinding]]
    action_items: list[ActionItem]
    targets: list[dict] = field(default_factory=list)

    @property
    def findings_count(self) -> int:
        return sum(len(v) for v in self.findings.values())


def follow_up_tasks(tasks: list[Task]) -> list[Task]:
    """Tasks added while the crisis ran: decision follow-ups, ad-hoc tasks, help requests."""
    return [t for t in tasks if t.kind != TaskKind.DUTY]


def _person(task: Task) -> str:
    return task.assignee.name if task.assignee_id else "—"


def _deadline_rows(tasks: list[Task], *, until: datetime) -> tuple[list[dict], list[dict]]:
    held, broke = [], []
    for task in tasks:
        if task.due_at is None:
            continue
        late = task_late(task, until)
        row = {
            "task": task,
            "department": presenters.task_department(task),
            "assignee": _person(task),
            "what": presenters.task_what(task),
            "due_at": task.due_at,
            "completed_at": task.completed_at,
        }
        if late:
            end = task.completed_at or until
            row["lateness"] = max(end - task.due_at, timedelta(0))
            row["lateness_text"] = report_duration(row["lateness"])
            row["still_open"] = task.completed_at is None
            broke.append(row)
        elif task.status == TaskStatus.DONE:
            row["margin"] = task.due_at - task.completed_at
            row["margin_text"] = report_duration(row["margin"])
            held.append(row)
    broke.sort(key=lambda r: (-r["lateness"], r["task"].order, r["task"].pk))
    return held, broke


def report_duration(value: timedelta | None) -> str:
    from hrcore.durations import format_duration

    return format_duration(seconds=None if value is None else value.total_seconds())


def _timeline(crisis: Crisis, tasks: list[Task], now: datetime) -> list[dict]:
    events = list(
        TimelineEvent.objects.filter(crisis=crisis)
        .select_related("actor__employee")
        .order_by("at", "id")
    )
    labels = {t.duty_code: presenters.task_department(t) for t in tasks}
    people = employee_names(
        {
            value
            for e in events
            for key in ("assignee_id", "fallback_assignee_id", "to_id", "target_id", "from_id")
            if isinstance(value := (e.data or {}).get(key), int)
        }
    )
    return [
        {
            "event": e,
            "text": presenters.event_text(e, task_labels=labels, people=people, now=now),
            "tone": presenters.EVENT_TONE.get(e.kind, ""),
            "since_filing": report_duration(max(e.at - crisis.filed_at, timedelta(0))),
        }
        for e in events
        if e.kind != EventKind.TASK_COMMENTED
    ]


def _targets(crisis: Crisis, until: datetime) -> list[dict]:
    rows = []
    for key, stamped, target in (
        ("response", crisis.first_response_at, report.RESPONSE_TARGET_SECONDS),
        ("information", crisis.all_info_at, report.INFO_TARGET_SECONDS),
    ):
        seconds = None if stamped is None else max((stamped - crisis.filed_at).total_seconds(), 0)
        rows.append(
            {
                "key": key,
                "target_text": report_duration(timedelta(seconds=target)),
                "seconds": seconds,
                "text": report_duration(None if seconds is None else timedelta(seconds=seconds)),
                "held": seconds is not None and seconds <= target,
            }
        )
    return rows


def review_assemble(crisis: Crisis, *, now: datetime | None = None) -> Review:
    """The review of ``crisis`` from its timeline and tasks (a fixed number of queries)."""
    now = now or timezone.now()
    until = crisis.closed_at or now
    tasks = list(
        crisis.tasks.select_related(
            "assignee", "duty", "duty__assignee_position", "completed_by"
        ).order_by("order", "id")
    )
    held, broke = _deadline_rows(tasks, until=until)
    decisions = list(
        crisis.decisions.select_related("made_by", "made_by__employee").order_by("made_at", "id")
    )
    for decision in decisions:
        decision.option_label = decision_option_label(decision.option) if decision.option else ""
        maker = employee_of(decision.made_by)
        decision.maker_name = maker.name if maker else decision.made_by.get_username()
        decision.review_rationale = getattr(decision, "rationale", "") or ""
    follow_ups = []
    for task in follow_up_tasks(tasks):
        follow_ups.append(
            {
                "task": task,
                "what": presenters.task_what(task),
                "assignee": _person(task),
                "state": task_state(task, until),
                "late": task_late(task, until),
            }
        )
    for row in follow_ups:
        row["state_label"] = presenters.state_label(row["state"], late=row["late"])
    findings: dict[str, list[ReviewFinding]] = {k: [] for k in FindingKind.values}
    for finding in crisis.review_findings.select_related(
        "author", "author__employee", "proposed_map"
    ).order_by("created_at", "id"):
        author = employee_of(finding.author)
        finding.author_name = author.name if author else finding.author.get_username()
        findings.setdefault(finding.kind, []).append(finding)
    items = list(
        crisis.action_items.select_related("owner", "finding").order_by("status", "due_on", "id")
    )
    today = timezone.localdate(now)
    for item in items:
        item.overdue = item.status == ActionItemStatus.OPEN and item.due_on < today
    return Review(
        crisis=crisis,
        timeline=_timeline(crisis, tasks, now),
        held=held,
        broke=broke,
        decisions=decisions,
        follow_ups=follow_ups,
        findings=findings,
        action_items=items,
        targets=_targets(crisis, until),
    )


# --- Lessons library --------------------------------------------------------------------------


def lessons_search(
    user: AbstractBaseUser, *, text: str = "", scenario: str = "", unit: str = ""
) -> QuerySet[ReviewFinding]:
    """Findings marked as lessons, of the crises ``user`` sees, newest first; ``text`` matches
    the finding or the crisis title, ``scenario`` a scenario code, ``unit`` a unit code (its
    subtree)."""
    qs = ReviewFinding.objects.filter(
        is_lesson=True, crisis__in=crises_visible_to(user).values("pk")
    ).select_related("crisis", "crisis__scenario", "crisis__unit", "author__employee")
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(text__icontains=text) | Q(crisis__title__icontains=text))
    if scenario:
        qs = qs.filter(crisis__scenario__code=scenario)
    if unit:
        from hrcore.selectors import unit_by_code

        found = unit_by_code(unit)
        qs = qs.filter(crisis__unit__path__startswith=found.path) if found else qs.none()
    return qs.order_by("-created_at", "-id")


# --- Monthly report ---------------------------------------------------------------------------


def _stars_by_crisis(crisis_ids: list[int]) -> dict[int, int]:
    """Resilience stars awarded at closure, per crisis: the people credited in its (last)
    closure event — what the competency app awarded one star each for (crisis.hooks)."""
    stars: dict[int, int] = {}
    for crisis_id, data in (
        TimelineEvent.objects.filter(crisis_id__in=crisis_ids, kind=EventKind.CLOSED)
        .order_by("at", "id")
        .values_list("crisis_id", "data")
    ):
        stars[crisis_id] = len((data or {}).get("credited_ids") or [])
    return stars


def report_breach_conditions(now: datetime) -> tuple[Q, Q]:
    """(timed, late) for the report — ``task_late`` in SQL: a task is timed once its clock ran
    and it was not cancelled before its breach; late when its breach fired, it was delivered
    after its due time or it is still open past it. (The dashboard leaves every cancelled task
    out; the report keeps a breach that the closure later cancelled, as the review does.)"""
    timed = Q(due_at__isnull=False) & (
        ~Q(status=TaskStatus.CANCELLED) | Q(breached_at__isnull=False)
    )
    late = timed & (
        Q(breached_at__isnull=False)
        | Q(completed_at__isnull=False, completed_at__gt=F("due_at"))
        | Q(status__in=TASK_ACTIVE_STATES, paused_at__isnull=True, due_at__lte=now)
    )
    return timed, late


def _breach_counts_by_department(
    crisis_ids: list[int], now: datetime
) -> list[tuple[str, int, int]]:
    """(department, late, timed) over the tasks of ``crisis_ids``: grouped per duty by the
    database, named per department like the dashboard (``dashboard._department``)."""
    timed, late = report_breach_conditions(now)
    per_duty = list(
        Task.objects.filter(crisis_id__in=crisis_ids)
        .order_by()
        .values("duty_id", "duty_code")
        .annotate(timed=Count("pk", filter=timed), late=Count("pk", filter=late))
        .values_list("duty_id", "duty_code", "late", "timed")
    )
    duties = {
        row[0]: row[1:]
        for row in Duty.objects.filter(pk__in={d for d, *_ in per_duty if d}).values_list(
            "pk", "assignee_position__title_zh", "assignee_position__title_en", "assignee_function"
        )
    }
    return [
        (
            _department(*duties[duty_id], code) if duty_id in duties else str(ADDED_TASKS),
            breached,
            total,
        )
        for duty_id, code, breached, total in per_duty
    ]


def _seconds(start: datetime, end: datetime | None, frozen: int | None) -> int | None:
    if frozen is not None:
        return frozen
    if end is None:
        return None
    return max(int((end - start).total_seconds()), 0)


@dataclass
class MonthlyReport:
    figures: report.MonthlyFigures
    open_items: list[ActionItem]
    start: datetime
    end: datetime


def monthly_report(user: AbstractBaseUser, *, year: int, month: int, now=None) -> MonthlyReport:
    """The month's crises (filed in it, in the site's time zone) that ``user`` sees, with their
    response times, breaches by department, stars; and the open action items of those crises
    and of earlier ones (everything still open, whenever its crisis was)."""
    now = now or timezone.now()
    start, end = report.month_bounds(year, month, timezone.get_current_timezone())
    visible = crises_visible_to(user)
    scope = visible.filter(filed_at__gte=start, filed_at__lt=end, is_drill=False)  # no drills
    rows = list(
        scope.order_by("filed_at", "id").values_list(
            "pk",
            "title",
            "scenario__code",
            "unit__code",
            "status",
            "filed_at",
            "first_response_at",
            "first_response_seconds",
            "all_info_at",
            "all_info_seconds",
        )
    )
    ids = [r[0] for r in rows]
    stars = _stars_by_crisis(ids)
    _timed, late = report_breach_conditions(now)
    breaches = dict(
        Task.objects.filter(crisis_id__in=ids)
        .order_by()
        .values("crisis_id")
        .annotate(n=Count("pk", filter=late))
        .values_list("crisis_id", "n")
    )
    crises = [
        report.ReportCrisis(
            pk=pk,
            title=title,
            scenario=scenario,
            unit=unit,
            status=status,
            filed_at=filed_at,
            first_response_seconds=_seconds(filed_at, fr_at, fr_s),
            all_info_seconds=_seconds(filed_at, ai_at, ai_s),
            breach_count=breaches.get(pk, 0),
            stars=stars.get(pk, 0) if status == CrisisStatus.RESOLVED else 0,
        )
        for pk, title, scenario, unit, status, filed_at, fr_at, fr_s, ai_at, ai_s in rows
    ]
    today = timezone.localdate(now)
    open_items = list(
        ActionItem.objects.filter(
            status=ActionItemStatus.OPEN, crisis__in=visible.values("pk")
        ).select_related("owner", "crisis")[:200]
    )
    figures = report.monthly_figures(
        year=year,
        month=month,
        crises=crises,
        breach_counts=_breach_counts_by_department(ids, now),
        action_items_open=ActionItem.objects.filter(
            status=ActionItemStatus.OPEN, crisis__in=visible.values("pk")
        ).count(),
        action_items_overdue=ActionItem.objects.filter(
            status=ActionItemStatus.OPEN, crisis__in=visible.values("pk"), due_on__lt=today
        ).count(),
    )
    for item in open_items:
        item.overdue = item.due_on < today
    return MonthlyReport(figures=figures, open_items=open_items, start=start, end=end)


def crises_filed_before(user: AbstractBaseUser, moment: datetime) -> bool:
    """Whether ``user`` sees any crisis filed before ``moment`` (the report's "previous month")."""
    return crises_visible_to(user).filter(filed_at__lt=moment, is_drill=False).exists()


def month_of(value: str | None, today: date) -> tuple[int, int]:
    """``"2026-11"`` → (2026, 11); missing or garbage → the current month."""
    try:
        year, month = (int(p) for p in (value or "").split("-", 1))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month
