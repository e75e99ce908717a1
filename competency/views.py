"""Pages of the competency app: thin, calling services and selectors."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from hrcore.choices import Role
from hrcore.errors import KeelError
from hrcore.i18n import is_chinese, pick
from hrcore.ids import parse_id
from hrcore.selectors import employee_of, has_role, is_hr_admin

from . import charts, practice_selectors, rating_selectors, replay_selectors, selectors
from .agreement import DISAGREEMENT_FLAG
from .choices import NodeKind, RunStatus, VersionStatus
from .forms import (
    AssignForm,
    ChoiceForm,
    NodeForm,
    RatingForm,
    RubricItemForm,
    RunStartForm,
    SimulationForm,
)
from .models import RunStep, SimNode, Simulation
from .rating_models import ReferenceAnswer
from .services import assignments, attempts, authoring, evidence, rating

# The recognition page's month navigation stays inside the years datetime can step over.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def _messages_text(value) -> str:
    """One error value (a message, or a list of them) as text."""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def _error(request, exc: KeelError) -> None:
    from hrcore.field_names import message_for

    detail = _("; ").join(message_for(k, _messages_text(v)) for k, v in exc.errors.items())
    messages.error(request, f"{exc.message} {detail}".strip())


def _form_error(request, form) -> None:
    detail = "; ".join(
        f"{form.fields[k].label if k in form.fields else ''}: {_messages_text(v)}".lstrip(": ")
        for k, v in form.errors.items()
    )
    messages.error(request, detail)


@login_required
def home(request):
    """The user's training home: assignments, results, resilience chart; team and HR panels."""
    employee = employee_of(request.user)
    context = {"employee": employee}
    if employee is not None:
        context["assignments"] = list(
            selectors.assignments_visible_to(request.user)
            .filter(employee=employee)
            .order_by("completed_at", "due_at")[:30]
        )
        context["runs"] = list(
            selectors.runs_visible_to(request.user).filter(employee=employee)[:20]
        )
        series = selectors.resilience_series(employee)
        context["series"] = series
        context["latest_score"] = series[-1]["score"] if series else None
        context["chart"] = charts.resilience_svg(series, title=_("Resilience score"))
        context["levels"] = selectors.current_levels(employee)
        context["gaps"] = selectors.gaps_for(employee, levels=context["levels"])
        context["team_assignments"] = list(
            selectors.assignments_visible_to(request.user)
            .filter(employee__manager=employee)
            .order_by("completed_at", "due_at")[:50]
        )
        context["reports"] = list(employee.reports.filter(is_active=True).order_by("name_en"))
        context["rateable"] = selectors.rateable_competencies()
        context["team_runs"] = list(
            selectors.runs_visible_to(request.user).filter(
                employee__manager=employee, status=RunStatus.FINISHED
            )[:20]
        )
    context["simulations"] = selectors.playable_simulations(request.user)
    context["aggregates"] = selectors.run_aggregates(request.user)
    context["is_hr"] = is_hr_admin(request.user)
    # Spaced re-drills: the role holders due a drill, per scenario and unit (HR admins book it).
    context["redrill"] = practice_selectors.redrill_due() if context["is_hr"] else []
    context["rates_answers"] = rating_selectors.rates_answers(request.user)
    # The same rule as the readiness view: a link only to a page this reader may open.
    context["sees_readiness"] = employee is not None or has_role(
        request.user, Role.MANAGER, Role.EXECUTIVE, Role.HR_ADMIN
    )
    return render(request, "competency/home.html", context)


@login_required
@require_POST
def rate(request):
    """A manager records a rating of a direct report (a ledger row)."""
    form = RatingForm(request.POST, user=request.user)
    if not form.is_valid():
        _form_error(request, form)
        return redirect("competency:home")
    try:
        evidence.manager_rating_record(
            employee=form.cleaned_data["employee"],
            competency_code=form.cleaned_data["competency"],
            level=form.cleaned_data["level"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except KeelError as exc:
        _error(request, exc)
        return redirect("competency:home")
    messages.success(request, _("Rating recorded."))
    return redirect("competency:home")


@login_required
def assignment_start(request, pk: int):
    assignment = get_object_or_404(
        selectors.assignments_visible_to(request.user), pk=pk, employee__user=request.user
    )
    return render(
        request,
        "competency/start.html",
        {"assignment": assignment, "simulation": assignment.simulation},
    )


@login_required
def simulation_detail(request, code: str):
    simulation = get_object_or_404(selectors.simulations_visible_to(request.user), code=code)
    return render(request, "competency/start.html", {"simulation": simulation})


@login_required
@require_POST
def run_start(request, code: str):
    simulation = get_object_or_404(selectors.simulations_visible_to(request.user), code=code)
    form = RunStartForm(request.POST, user=request.user)
    if not form.is_valid():
        _form_error(request, form)
        return redirect("competency:home")
    try:
        run = attempts.run_start(
            simulation=simulation, actor=request.user, assignment=form.cleaned_data["assignment"]
        )
    except KeelError as exc:
        _error(request, exc)
        return redirect("competency:home")
    return redirect("competency:play", run.pk)


def _play_context(run, request):
    node = run.current_node
    version = run.version
    shown = selectors.choices_for_run(node, run) if node else []
    remaining = None
    if node and node.kind == NodeKind.TIMED and node.time_limit_seconds:
        elapsed = (timezone.now() - run.node_started_at).total_seconds()
        remaining = max(int(node.time_limit_seconds - elapsed), 0)
    agitation = int(run.state.get("agitation", 0))
    history = list(run.steps.select_related("node", "choice").order_by("seq"))
    total = version.nodes.count()
    return {
        "run": run,
        "node": node,
        "choices": shown,
        "remaining": remaining,
        "agitation": agitation,
        "agitation_level": "high" if agitation >= 70 else "mid" if agitation >= 40 else "low",
        "history": history,
        "simulation": version.simulation,
        "version": version,
        "progress": min(100, int(100 * run.step_count / max(total // 2, 1))),
    }


@login_required
def play(request, pk: int):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    if run.status == RunStatus.FINISHED:
        return redirect("competency:result", run.pk)
    if run.employee.user_id != request.user.pk:
        raise Http404
    return render(request, "competency/play.html", _play_context(run, request))


@login_required
@require_POST
def answer(request, pk: int):
    try:
        node_id = int(request.POST.get("node", "0"))
        choice_raw = request.POST.get("choice")
        choice_id = int(choice_raw) if choice_raw else None
    except ValueError:
        node_id, choice_id = 0, None
    try:
        run = attempts.run_answer(
            run_id=pk,
            node_id=node_id,
            choice_id=choice_id,
            free_text=request.POST.get("free_text", ""),
            timed_out=request.POST.get("timed_out") == "1",
            actor=request.user,
        )
    except KeelError as exc:
        run = selectors.runs_visible_to(request.user).filter(pk=pk).first()
        if run is None or run.employee.user_id != request.user.pk:
            raise Http404 from exc
        _error(request, exc)
        if run.status == RunStatus.FINISHED:
            return render(
                request, "competency/result.html", _result_context(run, request), status=exc.status
            )
        return render(
            request, "competency/play.html", _play_context(run, request), status=exc.status
        )
    if run.status == RunStatus.FINISHED:
        return redirect("competency:result", run.pk)
    return redirect("competency:play", run.pk)


def _result_context(run, request):
    codes = list(run.competency_scores)
    names = {}
    for code in codes:
        competency = selectors.competency_for_code(code, run.employee)
        names[code] = competency.name if competency else code
    minimum = run.version.competency_minimum
    scores = [
        {
            "code": c,
            "name": names[c],
            "below_minimum": run.competency_scores[c]["percent"] < minimum,
            **run.competency_scores[c],
        }
        for c in sorted(codes)
    ]
    steps = list(run.steps.select_related("node", "choice").order_by("seq"))
    lang = "zh" if is_chinese() else "en"
    suggestions = [s.get(lang) or s.get("en") for s in run.suggestions]
    ending = run.current_node
    return {
        "run": run,
        "scores": scores,
        "reviews": attempts.run_free_text_reviews(run),
        "steps": steps,
        "suggestions": suggestions,
        "ending": ending,
        "simulation": run.version.simulation,
        "is_own": run.employee.user_id == request.user.pk,
        "pass_mark": run.version.pass_mark,
        "competency_minimum": minimum,
    }


@login_required
def result(request, pk: int):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    if run.status != RunStatus.FINISHED:
        if run.employee.user_id == request.user.pk:
            return redirect("competency:play", run.pk)
        raise Http404
    return render(request, "competency/result.html", _result_context(run, request))


@login_required
def recognition(request):
    """Monthly recognition: stars from real crises and training milestones."""
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        datetime(year, month, 1)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(year)
    except (ValueError, TypeError):
        year, month = today.year, today.month
    start = timezone.make_aware(datetime(year, month, 1))
    last = calendar.monthrange(year, month)[1]
    end = timezone.make_aware(datetime(year, month, last, 23, 59, 59))
    entries = selectors.recognition_between(request.user, start, end)
    leaderboard = selectors.leaderboard(entries)
    prev_month = (start.replace(day=1) - timezone.timedelta(days=1)).strftime("%Y-%m")
    next_month = (end + timezone.timedelta(days=1)).strftime("%Y-%m")
    return render(
        request,
        "competency/recognition.html",
        {
            "entries": list(entries[:100]),
            "leaderboard": leaderboard,
            "month": f"{year}-{month:02d}",
            "prev_month": prev_month,
            "next_month": next_month,
        },
    )


def _with_duty_gaps(gaps: list[dict], rows: list[dict]) -> list[dict]:
    """The unit's gaps include the ones the duty table above marks red (a level below what the
    duty needs, also of people in other units the duties resolve to), so the page does not show
    a red level above and "No gaps." below."""
    by_person = {g["employee"].pk: g for g in gaps}
    for row in rows:
        person = row.get("acting")
        if person is None:  # people of other units the unit's duties rely on count too
            continue
        for level in row["levels"]:
            if level["ok"]:
                continue
            entry = by_person.get(person.pk)
            if entry is None:
                entry = by_person[person.pk] = {"employee": person, "gaps": [], "total": 0}
                gaps.append(entry)
            if any(g["code"] == level["code"] for g in entry["gaps"]):
                continue
            gap = level["required"] - level["current"]
            entry["gaps"].append(
                {
                    "code": level["code"],
                    "competency": {"name": level["name"]},
                    "required": level["required"],
                    "current": level["current"],
                    "gap": gap,
                }
            )
            entry["total"] += gap
    return gaps


@login_required
def readiness(request):
    """Readiness per unit and scenario: who responds and how ready they are. Every employee
    (they hold the roles), managers, executives and HR; per-person gaps stay HR data."""
    if not (
        employee_of(request.user) is not None
        or has_role(request.user, Role.MANAGER, Role.EXECUTIVE, Role.HR_ADMIN)
    ):
        raise Http404
    units = selectors.readiness_units()
    scenarios = selectors.readiness_scenarios()
    employee = employee_of(request.user)
    unit = None
    invalid_filter = False
    if request.GET.get("unit"):
        unit = next((u for u in units if u.code == request.GET["unit"]), None)
        invalid_filter = unit is None
    if unit is None and employee is not None and not invalid_filter:
        unit = employee.unit
    scenario_code = request.GET.get("scenario") or (scenarios[0].code if scenarios else "")
    # A unit or scenario that does not exist says so, instead of showing another unit's
    # readiness; the unit's own gaps do not depend on the scenario and stay.
    unknown_scenario = bool(scenario_code) and scenario_code not in {s.code for s in scenarios}
    invalid_filter = invalid_filter or unknown_scenario
    data = {"map": None, "rows": []}
    if unit is not None and scenario_code and not unknown_scenario:
        data = selectors.readiness(unit=unit, scenario_code=scenario_code)
    gaps = selectors.unit_gaps(unit) if unit is not None else []
    if unit is not None:
        gaps = _with_duty_gaps(gaps, data["rows"])
    if not has_role(request.user, Role.HR_ADMIN, Role.EXECUTIVE):
        # results are private: others' practice shows as current or due, without scores
        for row in data["rows"]:
            person = row.get("holder")
            mine = (
                employee is not None
                and person is not None
                and (person.pk == employee.pk or person.manager_id == employee.pk)
            )
            if row.get("practice") and not mine:
                practice = row["practice"]
                drill = practice.get("drill")
                row["practice"] = {
                    "current": practice["current"],
                    "last_at": None,
                    "drill": drill,
                    "drill_private": True,
                }
                row["scores"] = []
        # per-person gaps are HR data: a manager sees only their own and their reports'
        gaps = [
            g
            for g in gaps
            if employee is not None
            and (g["employee"].pk == employee.pk or g["employee"].manager_id == employee.pk)
        ]
    return render(
        request,
        "competency/readiness.html",
        {
            "units": units,
            "scenarios": scenarios,
            "unit": unit,
            "scenario_code": scenario_code,
            "invalid_filter": invalid_filter,
            "data": data,
            "gaps": [g for g in gaps if g["gaps"]],
        },
    )


# --- authoring (HR admins) --------------------------------------------------------------------


def _found(obj):
    """The row, or 404 (also for junk ids: the selectors answer None for those)."""
    if obj is None:
        raise Http404
    return obj


def _require_hr(request):
    if not is_hr_admin(request.user):
        raise Http404


@login_required
def authoring_list(request):
    _require_hr(request)
    simulations = selectors.simulations_for_authoring()
    form = SimulationForm()
    if request.method == "POST":
        form = SimulationForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                version = authoring.simulation_create(
                    code=d["code"],
                    title_zh=d["title_zh"],
                    title_en=d["title_en"],
                    description_zh=d["description_zh"],
                    description_en=d["description_en"],
                    scenario_code=d["scenario_code"] or "",
                    pass_mark=d["pass_mark"],
                    competency_minimum=d["competency_minimum"],
                    initial_state={"agitation": d["agitation"]},
                    actor=request.user,
                )
            except KeelError as exc:
                _error(request, exc)
            else:
                return redirect("competency:authoring_edit", version.pk)
    return render(
        request,
        "competency/authoring_list.html",
        {
            "simulations": simulations,
            "form": form,
            "closed_crises": replay_selectors.recent_closed_crises(),
        },
    )


@login_required
def authoring_edit(request, pk: int):
    _require_hr(request)
    version = _found(selectors.version_for_authoring(pk))
    nodes = list(version.nodes.prefetch_related("choices__next_node", "rubric_items"))
    node_form = NodeForm(prefix="node")
    choice_form = ChoiceForm(prefix="choice", nodes=nodes)
    editing = selectors.rubric_item_of(version, request.GET.get("edit_item"))
    rubric_form = RubricItemForm(
        prefix="rubric",
        nodes=nodes,
        initial=RubricItemForm.initial_for(editing) if editing else None,
    )
    assign_form = AssignForm(prefix="assign")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_node":
                node_form = NodeForm(request.POST, prefix="node")
                if node_form.is_valid():
                    d = node_form.cleaned_data
                    authoring.node_save(version=version, actor=request.user, **d)
                    messages.success(request, _("Node added."))
                    return redirect("competency:authoring_edit", version.pk)
            elif action == "add_choice":
                choice_form = ChoiceForm(request.POST, prefix="choice", nodes=nodes)
                if choice_form.is_valid():
                    d = choice_form.cleaned_data
                    by_pk = {str(n.pk): n for n in nodes}
                    authoring.choice_save(
                        node=by_pk[d["node"]],
                        next_node=by_pk[d["next_node"]],
                        label_zh=d["label_zh"],
                        label_en=d["label_en"],
                        feedback_zh=d["feedback_zh"],
                        feedback_en=d["feedback_en"],
                        hint_zh=d["hint_zh"],
                        hint_en=d["hint_en"],
                        effects=d["effects"],
                        state_changes=d["state_changes"],
                        condition=d["condition"],
                        is_critical=d["is_critical"],
                        is_timeout=d["is_timeout"],
                        actor=request.user,
                    )
                    messages.success(request, _("Choice added."))
                    return redirect("competency:authoring_edit", version.pk)
            elif action == "save_rubric_item":
                rubric_form = RubricItemForm(request.POST, prefix="rubric", nodes=nodes)
                if rubric_form.is_valid():
                    d = rubric_form.cleaned_data
                    node = next(n for n in nodes if str(n.pk) == d["node"])
                    item = None
                    if d["id"]:
                        item = _found(selectors.rubric_item_of(version, d["id"]))
                    authoring.rubric_item_save(
                        node=node,
                        item=item,
                        kind=d["kind"],
                        label_zh=d["label_zh"],
                        label_en=d["label_en"],
                        phrases_zh=d["phrases_zh"],
                        phrases_en=d["phrases_en"],
                        effects=d["effects"],
                        feedback_zh=d["feedback_zh"],
                        feedback_en=d["feedback_en"],
                        actor=request.user,
                    )
                    messages.success(
                        request, _("Rubric item saved.") if item else _("Rubric item added.")
                    )
                    return redirect("competency:authoring_edit", version.pk)
            elif action == "delete_rubric_item":
                item = _found(selectors.rubric_item_of(version, request.POST.get("id")))
                authoring.rubric_item_delete(item=item, actor=request.user)
                return redirect("competency:authoring_edit", version.pk)
            elif action == "delete_node":
                node = _found(selectors.node_of(version, request.POST.get("id")))
                authoring.node_delete(node=node, actor=request.user)
                return redirect("competency:authoring_edit", version.pk)
            elif action == "delete_choice":
                choice = _found(selectors.choice_of(version, request.POST.get("id")))
                authoring.choice_delete(choice=choice, actor=request.user)
                return redirect("competency:authoring_edit", version.pk)
            elif action == "set_start":
                node = _found(selectors.node_of(version, request.POST.get("id")))
                authoring.version_update(version=version, start_node=node, actor=request.user)
                return redirect("competency:authoring_edit", version.pk)
            elif action == "publish":
                authoring.version_publish(version=version, actor=request.user)
                messages.success(request, _("Published."))
                return redirect("competency:authoring_edit", version.pk)
            elif action == "new_draft":
                draft = authoring.version_new_draft(
                    simulation=version.simulation, actor=request.user
                )
                return redirect("competency:authoring_edit", draft.pk)
            elif action == "assign":
                assign_form = AssignForm(request.POST, prefix="assign")
                if assign_form.is_valid():
                    d = assign_form.cleaned_data
                    created = assignments.assignments_assign_manual(
                        simulation=version.simulation,
                        employees=list(d["employees"]),
                        due_at=d["due_at"],
                        note=d["note"],
                        actor=request.user,
                    )
                    messages.success(request, _("Assigned to %(n)d people.") % {"n": len(created)})
                    return redirect("competency:authoring_edit", version.pk)
        except KeelError as exc:
            _error(request, exc)
    graph = selectors.graph_of(version)
    problems = selectors.version_problems(version) if nodes else [{"code": "empty", "node": None}]
    labels = {n.key: pick(n, "text") for n in nodes}
    tones = {n.key: n.ending_tone for n in nodes}
    return render(
        request,
        "competency/authoring_edit.html",
        {
            "version": version,
            "simulation": version.simulation,
            "nodes": nodes,
            "svg": charts.graph_svg(graph, labels, tones, problems),
            "problems": [
                {"node": p["node"], "message": authoring.problem_message(p["code"])}
                for p in problems
            ],
            "node_form": node_form,
            "choice_form": choice_form,
            "rubric_form": rubric_form,
            "editing_item": editing,
            "has_free_text": any(n.kind == NodeKind.FREE_TEXT for n in nodes),
            "assign_form": assign_form,
            "is_draft": version.status == VersionStatus.DRAFT,
            "versions": version.simulation.versions.order_by("-version"),
            "assign_url": reverse("competency:authoring_edit", args=[version.pk]),
        },
    )


# --- human rating of written answers ----------------------------------------------------------

RATING_SCALE = [(0, _lazy("not said")), (1, _lazy("partly")), (2, _lazy("fully said"))]


def _scores_from(post) -> dict[str, str]:
    return {key[5:]: value for key, value in post.items() if key.startswith("item-")}


@login_required
def answers_rate(request):
    """A rater's queue: written answers to score per key point, and reference answers to
    calibrate on. The player's name is never shown."""
    if request.method == "POST":
        target = request.POST.get("target", "")
        kind, _sep, raw_id = target.partition(":")
        try:
            if kind == "step":
                step = get_object_or_404(RunStep, pk=parse_id(raw_id))
                rating.answer_rate(actor=request.user, step=step, scores=_scores_from(request.POST))
            elif kind == "reference":
                reference = get_object_or_404(ReferenceAnswer, pk=parse_id(raw_id))
                rating.answer_rate(
                    actor=request.user, reference=reference, scores=_scores_from(request.POST)
                )
            else:
                raise Http404
        except KeelError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Scores recorded."))
        return redirect("competency:answers_rate")
    return render(
        request,
        "competency/answers_rate.html",
        {
            "answers": rating_selectors.answers_to_rate(request.user),
            "references": rating_selectors.references_to_calibrate(request.user),
            "scale": RATING_SCALE,
        },
    )


@login_required
def rating_agreement(request):
    """HR admins: raters per simulation, their agreement (ICC), split key points, calibration."""
    _require_hr(request)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "raters":
                simulation = get_object_or_404(Simulation, code=request.POST.get("simulation", ""))
                rating.raters_set(
                    simulation=simulation,
                    usernames=request.POST.get("raters", "").replace("，", ",").split(","),
                    actor=request.user,
                )
            elif action == "reference":
                node = get_object_or_404(
                    SimNode, pk=parse_id(request.POST.get("node", "")), kind=NodeKind.FREE_TEXT
                )
                rating.reference_answer_create(
                    node=node,
                    text=request.POST.get("text", ""),
                    expert_scores=_scores_from(request.POST),
                    actor=request.user,
                )
            else:
                raise Http404
        except KeelError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("competency:rating_agreement")
    return render(
        request,
        "competency/rating_agreement.html",
        {
            "overview": rating_selectors.agreement_overview(),
            "scale": RATING_SCALE,
            "flag": DISAGREEMENT_FLAG,
        },
    )
