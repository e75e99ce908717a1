"""Drills (issue 16 §1–2): who may run and stop them, the drills list, and the drill report —
each participant's timings against the duty's deadline and the links of the map that failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from hrcore.choices import Role
from hrcore.contact import DeliveryState
from hrcore.models import Employee, MessageDelivery
from hrcore.selectors import employee_of, has_role, is_hr_admin
from responsibilities.decision_options import decision_quality, label_of
from responsibilities.models import Duty
from responsibilities.selectors import may_see_option_credits

from ..choices import DeliverableKind, EventKind
from ..models import Crisis, Decision, DrillSchedule, Task, TimelineEvent
from ..task_state import task_late
from .access import crises_visible_to, executive_scope


class MapFailure:
    """The kinds of broken link a drill reveals."""

    VACANT = "vacant"  # nobody holds the duty's role: the task went to a fallback
    UNREACHABLE = "unreachable"  # a message to the assignee failed on a channel
    WRONG_PERSON = "wrong_person"  # the task had to be reassigned or delegated
    DEADLINE_MISSED = "deadline_missed"  # nobody met the duty's deadline


def may_run_drills(user: AbstractBaseUser) -> bool:
    """Start or schedule a drill, see the drills page: HR admins."""
    return bool(user and user.is_authenticated and is_hr_admin(user))


def may_stop_drill(user: AbstractBaseUser, crisis: Crisis) -> bool:
    """Stop a drill at once: an HR admin, or the executive over the drill's unit."""
    if not crisis.is_drill or not user.is_authenticated:
        return False
    if is_hr_admin(user):
        return True
    employee = employee_of(user)
    if employee is None or not has_role(user, Role.EXECUTIVE):
        return False
    return crisis.unit.path.startswith(executive_scope(employee).path)


def drills_visible_to(user: AbstractBaseUser) -> QuerySet[Crisis]:
    """The drills page: drills ``user`` sees, newest first."""
    return (
        crises_visible_to(user)
        .filter(is_drill=True)
        .select_related("scenario", "unit")
        .order_by("-filed_at", "-id")
    )


def schedules_pending() -> QuerySet[DrillSchedule]:
    """Booked drills not started yet, soonest first (HR admins only see this)."""
    return (
        DrillSchedule.objects.filter(started_at=None)
        .select_related("scenario", "unit")
        .order_by("starts_at", "id")[:100]
    )


def drill_for_report(user: AbstractBaseUser, crisis_id: int) -> Crisis | None:
    return drills_visible_to(user).filter(pk=crisis_id).first()


@dataclass
class Participant:
    employee: Employee | None
    duty: str
    acknowledged_after_s: int | None
    done_after_s: int | None
    deadline_s: int | None
    late: bool
    task_id: int


@dataclass
class DecisionScore:
    """One decision of a drill against the map's preferred options (``score`` 0–1, None: not
    scored — the map rates no option, or the decision was free text)."""

    decision_id: int
    employee: Employee | None
    duty: str
    competencies: list[str]
    chosen: str
    chosen_label: str
    preferred: list[str]
    preferred_labels: list[str]
    score: float | None


@dataclass
class DrillReport:
    crisis: Crisis
    participants: list[Participant] = field(default_factory=list)
    map_failures: list[dict] = field(default_factory=list)
    decisions: list[DecisionScore] = field(default_factory=list)


def _after(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def preferred_options_visible(user: AbstractBaseUser | None, crisis: Crisis) -> bool:
    """While a drill runs, the map's preferred options are shown only to those who may see its
    credits (HR admins, map editors, the map's author): a participant reading the report must
    not learn the preferred answer to a decision still to take. Once closed, they are feedback."""
    if user is None or not crisis.is_open:
        return True
    return may_see_option_credits(user, crisis.map)


def drill_report(
    crisis: Crisis, *, now: datetime | None = None, viewer: AbstractBaseUser | None = None
) -> DrillReport:
    """The drill's report in a constant number of queries, however many tasks: the tasks with
    their assignees, the reassignments, the failed deliveries, the people named, and the
    decisions scored against the map's preferred options (``decision_scores``) — hidden from a
    ``viewer`` who may not see them yet (``preferred_options_visible``)."""
    now = now or timezone.now()
    tasks = list(
        Task.objects.filter(crisis=crisis)
        .select_related("assignee", "assignee__unit")
        .order_by("order", "id")
    )
    report = DrillReport(crisis=crisis)
    for task in tasks:
        start = task.started_at or task.created_at
        report.participants.append(
            Participant(
                employee=task.assignee,
                duty=task.duty_code,
                acknowledged_after_s=_after(start, task.acknowledged_at),
                done_after_s=_after(start, task.completed_at),
                deadline_s=task.deadline_minutes * 60 if task.deadline_minutes else None,
                late=task_late(task, now),
                task_id=task.pk,
            )
        )
    by_id = {t.pk: t for t in tasks}
    failures = report.map_failures
    for task in tasks:
        if task.assignee_gap:
            failures.append(
                {"kind": MapFailure.VACANT, "duty": task.duty_code, "employee_id": None}
            )
    moved = TimelineEvent.objects.filter(
        crisis=crisis, kind__in=(EventKind.TASK_REASSIGNED, EventKind.TASK_DELEGATED)
    ).values_list("task_id", "data")
    for task_id, data in moved:
        task = by_id.get(task_id)
        if task is not None:
            failures.append(
                {
                    "kind": MapFailure.WRONG_PERSON,
                    "duty": task.duty_code,
                    "employee_id": (data or {}).get("from_id"),
                }
            )
    failed = MessageDelivery.objects.filter(
        crisis_id=crisis.pk, state=DeliveryState.FAILED
    ).values_list("notification__data", "recipient__employee", "channel")
    seen: set[tuple] = set()
    for data, employee_id, channel in failed:
        task = by_id.get((data or {}).get("task_id"))
        key = (task.duty_code if task else "", employee_id, channel)
        if key in seen:
            continue
        seen.add(key)
        failures.append(
            {
                "kind": MapFailure.UNREACHABLE,
                "duty": key[0],
                "employee_id": employee_id,
                "channel": channel,
            }
        )
    duties: dict[str, list[Participant]] = {}
    for participant in report.participants:
        duties.setdefault(participant.duty, []).append(participant)
    for duty, rows in duties.items():
        if rows and all(r.late for r in rows):
            failures.append({"kind": MapFailure.DEADLINE_MISSED, "duty": duty, "employee_id": None})
    # The page names the people (the API gives their ids): one query for all of them.
    people = Employee.objects.in_bulk({f["employee_id"] for f in failures if f["employee_id"]})
    for failure in failures:
        failure["person"] = people.get(failure["employee_id"])
    report.decisions = decision_scores(crisis)
    if not preferred_options_visible(viewer, crisis):
        for entry in report.decisions:
            entry.preferred, entry.preferred_labels = [], []
    return report


def decision_scores(crisis: Crisis) -> list[DecisionScore]:
    """Each decision of the drill scored against the preferred options of its decision duty,
    oldest first (three queries). A decision taken while its task was still waiting has no task:
    it is scored against the map's decision duty that offers the option chosen (else the first)."""
    decisions = list(
        Decision.objects.filter(crisis=crisis)
        .select_related("task__duty", "made_by__employee")
        .order_by("made_at", "id")
    )
    if not decisions:
        return []
    map_duties = list(
        Duty.objects.filter(map_id=crisis.map_id, deliverable=DeliverableKind.DECISION).order_by(
            "order", "id"
        )
    )
    scores = []
    for decision in decisions:
        duty = decision.task.duty if decision.task_id and decision.task.duty_id else None
        if duty is None:
            offering = [
                d for d in map_duties if any(o.get("code") == decision.option for o in d.options)
            ]
            duty = (offering or map_duties or [None])[0]
        options = list((duty.options if duty else None) or [])
        quality = decision_quality(options, decision.option)
        by_code = {o.get("code"): o for o in options}
        chosen_label = (
            label_of({"code": decision.option, "label": decision.option_labels})
            if decision.option
            else ""
        )
        scores.append(
            DecisionScore(
                decision_id=decision.pk,
                employee=getattr(decision.made_by, "employee", None),
                duty=duty.code if duty else "",
                competencies=list((duty.competencies if duty else None) or []),
                chosen=quality.chosen,
                chosen_label=chosen_label,
                preferred=list(quality.preferred),
                preferred_labels=[label_of(by_code[c]) for c in quality.preferred],
                score=quality.score,
            )
        )
    return scores
