"""Playing a simulation: starting a run, answering, finishing and scoring it."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.selectors import employee_of
from hrcore.services.performance import performance_event_record

from .. import scoring, selectors
from ..choices import (
    EvidenceKind,
    NodeKind,
    RecognitionKind,
    RunStatus,
)
from ..models import (
    Assignment,
    RunStep,
    SimChoice,
    SimNode,
    SimRubricItem,
    Simulation,
    SimulationRun,
)
from ..selectors import (
    competency_for_code,
    current_levels,
    profile_for,
    published_version,
    scale_values,
    visible_choices,
)
from .assignments import gap_pushes_for
from .evidence import evidence_record
from .recognition import recognition_award

TIMER_GRACE_SECONDS = 5


# --- playing ----------------------------------------------------------------------------------


@transaction.atomic
def run_start(
    *, simulation: Simulation, actor, assignment: Assignment | None = None
) -> SimulationRun:
    """Start (or resume) the actor's run of the published version."""
    employee = employee_of(actor)
    if employee is None:
        raise PermissionDenied(_("Only employees can play simulations."))
    if assignment is not None and assignment.employee_id != employee.pk:
        raise NotFound(_("No such assignment."))
    version = published_version(simulation)
    if version is None or version.start_node_id is None:
        raise NotFound(_("This simulation is not published."))
    existing = (
        SimulationRun.objects.select_for_update()
        .filter(employee=employee, version=version, status=RunStatus.IN_PROGRESS)
        .first()
    )
    if existing is not None:
        if assignment is not None and existing.assignment_id is None:
            existing.assignment = assignment
            existing.save(update_fields=["assignment"])
        return existing
    if assignment is None:
        assignment = (
            Assignment.objects.filter(
                employee=employee, simulation=simulation, completed_at__isnull=True
            )
            .order_by("due_at")
            .first()
        )
    return SimulationRun.objects.create(
        version=version,
        shuffle_seed=secrets.randbelow(2**31),
        employee=employee,
        assignment=assignment,
        current_node=version.start_node,
        state=dict(version.initial_state or {}),
        node_started_at=timezone.now(),
    )


def _get_own_run(run_id: int, actor, *, lock: bool = False) -> SimulationRun:
    qs = SimulationRun.objects.all()
    if lock:
        qs = qs.select_for_update()
    run = qs.filter(pk=run_id).first()
    if run is None or not selectors.runs_visible_to(actor).filter(pk=run_id).exists():
        raise NotFound(_("No such simulation run."))
    if employee_of(actor) is None or run.employee_id != employee_of(actor).pk:
        raise PermissionDenied(_("Only the person who plays a run can answer in it."))
    return run


@transaction.atomic
def run_answer(
    *,
    run_id: int,
    node_id: int,
    actor,
    choice_id: int | None = None,
    free_text: str = "",
    timed_out: bool = False,
    now: datetime | None = None,
) -> SimulationRun:
    """Answer the current step. Out of order, twice, after the end or in someone else's run:
    an error and nothing changes."""
    now = now or timezone.now()
    run = _get_own_run(run_id, actor, lock=True)
    if run.status == RunStatus.FINISHED:
        raise Conflict(_("This run is finished; start a new one to play again."))
    if run.current_node_id != node_id:
        raise Conflict(
            _("This step was already answered or is not the current one."), code="out_of_order"
        )
    node = SimNode.objects.prefetch_related("choices").get(pk=node_id)
    shown = visible_choices(node, run.state)
    timeout_choice = next((c for c in node.choices.all() if c.is_timeout), None)
    chosen: SimChoice | None = None
    expired = False
    if node.kind == NodeKind.TIMED and node.time_limit_seconds:
        deadline = run.node_started_at + timedelta(
            seconds=node.time_limit_seconds + TIMER_GRACE_SECONDS
        )
        expired = timed_out or now > deadline
    if node.kind == NodeKind.ENDING:
        raise Conflict(_("An ending has nothing to answer."))
    if expired and timeout_choice is not None:
        chosen = timeout_choice
    elif node.kind == NodeKind.FREE_TEXT:
        if not free_text.strip():
            raise ValidationFailed(
                _("Write your answer first."), errors={"free_text": [_("Required.")]}
            )
        if choice_id is None:
            chosen = shown[0] if shown else None
        else:
            chosen = next((c for c in shown if c.pk == choice_id), None)
    else:
        chosen = next((c for c in shown if c.pk == choice_id), None)
    if chosen is None:
        raise ValidationFailed(
            _("That choice is not on offer at this step."),
            errors={"choice": [_("Pick one of the choices shown.")]},
        )
    offered = [c.pk for c in shown]
    if timeout_choice is not None:
        offered.append(timeout_choice.pk)
    state_after = scoring.apply_state_changes(run.state, chosen.state_changes)
    try:
        with transaction.atomic():
            RunStep.objects.create(
                run=run,
                seq=run.step_count + 1,
                node=node,
                choice=chosen,
                offered=offered,
                free_text=free_text.strip()[:4000],
                timed_out=chosen.is_timeout,
                state_after=state_after,
                at=now,
            )
    except IntegrityError as exc:
        raise Conflict(_("This step was already answered.")) from exc
    run.state = state_after
    run.step_count += 1
    run.current_node = chosen.next_node
    run.node_started_at = now
    run.save(update_fields=["state", "step_count", "current_node", "node_started_at"])
    if chosen.next_node is None or chosen.next_node.kind == NodeKind.ENDING:
        _run_finish(run, now=now)
    return run


def _rubric_facts(items: list[SimRubricItem]) -> tuple[scoring.RubricItem, ...]:
    return tuple(
        scoring.RubricItem(
            id=i.pk, phrases=tuple(i.phrases), effects=i.effects or {}, forbidden=i.is_forbidden
        )
        for i in items
    )


def _rubrics_of(steps: list[RunStep]) -> dict[int, list[SimRubricItem]]:
    """Rubric items per node of the free-text steps (one query)."""
    node_ids = {s.node_id for s in steps if s.node.kind == NodeKind.FREE_TEXT}
    rubrics: dict[int, list[SimRubricItem]] = {}
    for item in SimRubricItem.objects.filter(node_id__in=node_ids).order_by("order", "id"):
        rubrics.setdefault(item.node_id, []).append(item)
    return rubrics


def _steps_for_scoring(run: SimulationRun) -> tuple[list, list[scoring.Step], dict, dict]:
    steps = list(run.steps.select_related("choice", "node").order_by("seq"))
    offered_ids = {i for s in steps for i in s.offered}
    choices = {c.pk: c for c in SimChoice.objects.filter(pk__in=offered_ids)}
    rubrics = _rubrics_of(steps)
    facts = []
    for step in steps:
        offered = tuple(
            scoring.Option(
                id=c.pk,
                effects=c.effects or {},
                critical=c.is_critical,
                has_hint=bool(c.hint_zh or c.hint_en),
            )
            for c in (choices[i] for i in step.offered if i in choices)
        )
        facts.append(
            scoring.Step(
                offered=offered,
                chosen_id=step.choice_id,
                rubric=_rubric_facts(rubrics.get(step.node_id, [])),
                answer=step.free_text,
            )
        )
    items = {i.pk: i for found in rubrics.values() for i in found}
    return steps, facts, choices, items


def run_free_text_reviews(run: SimulationRun) -> list[dict]:
    """Per free-text step of a run: the answer, the key points it covered and missed, and the
    forbidden phrases it used (rubric rows, with the phrase found)."""
    steps = list(run.steps.select_related("node").order_by("seq"))
    rubrics = _rubrics_of(steps)
    reviews = []
    for step in steps:
        items = rubrics.get(step.node_id)
        if not items:
            continue
        review = scoring.rubric_review(step.free_text, _rubric_facts(items))
        by_id = {i.pk: i for i in items}
        reviews.append(
            {
                "step": step,
                "node": step.node,
                "answer": step.free_text,
                "covered": [(by_id[i], review.found[i]) for i in review.covered],
                "missed": [by_id[i] for i in review.missed],
                "forbidden": [(by_id[i], review.found[i]) for i in review.forbidden],
            }
        )
    return reviews


def _run_finish(run: SimulationRun, *, now: datetime) -> None:
    version = run.version
    simulation = version.simulation
    employee = run.employee
    profile = profile_for(employee)
    weights = {}
    if profile is not None:
        weights = {
            r.competency.code: r.weight for r in profile.requirements.select_related("competency")
        }
    _steps, facts, choices, rubric_items = _steps_for_scoring(run)
    result = scoring.score_run(
        facts,
        pass_mark=version.pass_mark,
        weights=weights,
        competency_minimum=version.competency_minimum,
    )
    plan = scoring.suggestions_plan(result, facts)
    run.status = RunStatus.FINISHED
    run.finished_at = now
    run.overall_score = result.overall
    run.critical_error = result.critical_error
    run.passed = result.passed
    run.competency_scores = {
        code: {"earned": s.earned, "best": s.best, "percent": s.percent}
        for code, s in result.competencies.items()
    }
    run.suggestions = _render_suggestions(plan, choices, employee, rubric_items)
    run.save()
    for code, s in result.competencies.items():
        competency = competency_for_code(code, employee)
        if competency is None:
            continue
        level = scoring.level_from_percent(s.percent, scale_values(competency.framework))
        evidence_record(
            employee=employee,
            competency_code=code,
            level=level,
            score=s.percent,
            kind=EvidenceKind.SIMULATION,
            source=f"{simulation.code} v{version.version}",
            source_key=f"run:{run.pk}:{code}",
            run=run,
            actor=employee.user,
            observed_at=now,
            push=False,
        )
    Assignment.objects.filter(
        employee=employee, simulation=simulation, completed_at__isnull=True
    ).update(completed_at=now)
    performance_event_record(
        employee=employee,
        kind="simulation",
        variant="passed" if result.passed else "failed",
        source_key=f"simulation_run:{run.pk}",
        summary=(
            f"情景演练「{simulation.title_zh}」{'通过' if result.passed else '未通过'}",
            f"Simulation “{simulation.title_en}” {'passed' if result.passed else 'not passed'}",
        ),
        occurred_at=now,
    )
    if result.passed:
        recognition_award(
            employee=employee,
            kind=RecognitionKind.TRAINING,
            source_key=f"training:pass:{simulation.code}",
            reason=(f"通过情景演练「{simulation.title_zh}」", f"Passed “{simulation.title_en}”"),
        )
        passed = (
            SimulationRun.objects.filter(employee=employee, passed=True)
            .values("version__simulation")
            .distinct()
            .count()
        )
        if passed >= 3:
            recognition_award(
                employee=employee,
                kind=RecognitionKind.TRAINING,
                source_key="training:milestone:3-simulations",
                stars=2,
                reason=("通过三个不同的情景演练", "Passed three different simulations"),
            )
    transaction.on_commit(lambda: gap_pushes_for(employee=employee))


def _render_suggestions(
    plan: list[dict],
    choices: dict,
    employee: Employee,
    rubric_items: dict[int, SimRubricItem] | None = None,
) -> list[dict]:
    """Turn the scoring plan into bilingual advice texts."""
    out: list[dict] = []
    levels = current_levels(employee)
    rubric_items = rubric_items or {}
    for item in plan:
        if item["kind"] == "forbidden":
            rubric = rubric_items.get(item["item_id"])
            if rubric is None:
                continue
            out.append(
                {
                    "kind": "critical",
                    "zh": f"关键错误——你的回答触及「{rubric.label_zh}」：{rubric.feedback_zh}",
                    "en": f"Critical error — your answer hit “{rubric.label_en}”: "
                    f"{rubric.feedback_en}",
                }
            )
        elif item["kind"] == "missed_points":
            missed = [rubric_items[i] for i in item["item_ids"] if i in rubric_items]
            if not missed:
                continue
            out.append(
                {
                    "kind": "missed_points",
                    "zh": "书面回答还应包含："
                    + "；".join(
                        f"{m.label_zh}（{m.feedback_zh.rstrip('。；;. ')}）"
                        if m.feedback_zh
                        else m.label_zh
                        for m in missed
                    )
                    + "。",
                    "en": "Your written answer should also cover: "
                    + "; ".join(
                        f"{m.label_en} ({m.feedback_en.rstrip('。；;. ')})"
                        if m.feedback_en
                        else m.label_en
                        for m in missed
                    )
                    + ".",
                }
            )
        elif item["kind"] in ("critical", "choice"):
            choice = choices.get(item["choice_id"])
            if choice is None:
                continue
            advice_zh = choice.hint_zh or choice.feedback_zh
            advice_en = choice.hint_en or choice.feedback_en
            if item["kind"] == "critical":
                out.append(
                    {
                        "kind": "critical",
                        "zh": f"关键错误——「{choice.label_zh}」：{advice_zh}",
                        "en": f"Critical error — “{choice.label_en}”: {advice_en}",
                    }
                )
            else:
                out.append({"kind": "choice", "zh": advice_zh, "en": advice_en})
        else:
            competency = competency_for_code(item["code"], employee)
            if competency is None:
                continue
            target = min(
                levels.get(item["code"], {}).get("level", 1) + 1,
                max(scale_values(competency.framework)),
            )
            anchor = competency.anchors.filter(level=target).first()
            out.append(
                {
                    "kind": "competency",
                    "zh": f"重点练习「{competency.name_zh}」（本次 {int(item['percent'] + 0.5)} 分）"
                    + (f"：达到 {target} 级意味着——{anchor.text_zh}" if anchor else "。"),
                    "en": f"Practise “{competency.name_en}” (this run {int(item['percent'] + 0.5)})"
                    + (f": level {target} means — {anchor.text_en}" if anchor else "."),
                }
            )
    return out
