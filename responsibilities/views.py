"""Pages of the responsibility maps: list, the drawn map with its dry run, versions and diffs,
archive and revise, and the generated documents (process manual, a position's crisis duties).
The map editor and publishing live in editor.py."""

from __future__ import annotations

from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrcore.errors import KeelError, ValidationFailed
from hrcore.models import Position
from hrcore.selectors import employee_of, is_hr_admin, positions_visible_to

from . import coverage_selectors, drawing, planning, selectors
from .choices import MapStatus
from .decision_options import without_credits
from .forms import DryRunForm, ScenarioForm
from .models import Duty
from .services import coverage as coverage_services
from .services import dry_run, maps, scenarios


def _require_hr_admin(request) -> None:
    if not is_hr_admin(request.user):
        raise DjangoPermissionDenied


def _position_titles() -> dict[str, str]:
    return {p.code: p.title for p in Position.objects.all()}


@login_required
def map_list(request):
    """Scenarios with their versions; drafts only for HR admins. A fixed number of queries."""
    listed = selectors.maps_for_list(request.user).order_by(
        "scenario__code", "scope__path", "-version"
    )
    by_scenario: OrderedDict = OrderedDict()
    for s in selectors.scenarios_visible_to(request.user).order_by("code"):
        by_scenario[s.pk] = {"scenario": s, "maps": []}
    for m in listed:
        entry = by_scenario.setdefault(m.scenario_id, {"scenario": m.scenario, "maps": []})
        entry["maps"].append(m)
    # Coverage (who can act on each duty) for HR admins and executives: it names people.
    shows_coverage = coverage_selectors.coverage_scope(request.user) == coverage_selectors.ALL_UNITS
    coverage_of_map = {}
    if shows_coverage:
        for sc in coverage_selectors.coverage_by_scenario():
            by_scenario.setdefault(sc.scenario.pk, {"scenario": sc.scenario, "maps": []})
            by_scenario[sc.scenario.pk]["coverage"] = sc
            coverage_of_map.update({v.map.pk: v for v in sc.maps})
        for entry in by_scenario.values():
            for m in entry["maps"]:
                m.coverage = coverage_of_map.get(m.pk)
    return render(
        request,
        "responsibilities/map_list.html",
        {
            "scenarios": list(by_scenario.values()),
            "can_edit": is_hr_admin(request.user),
            "shows_coverage": shows_coverage,
        },
    )


@login_required
@require_POST
def coverage_recompute(request):
    """Recompute every map's coverage now (HR admins), instead of waiting for the sweep."""
    _require_hr_admin(request)
    coverage_services.coverage_recompute()
    messages.success(request, _("Coverage recomputed."))
    return redirect("responsibilities:map_list")


def _drawing_for(m, run, *, full: bool = False):
    labels = []
    for row in run.rows:
        d = row.duty
        who = row.resolution.employee.name if row.resolution else _("nobody")
        labels.append(
            {
                "code": d.code,
                "label": f"{d.assignee_label} · {who}",
                "sublabel": str(d.get_deliverable_display()),
                "title": d.action,
                "deliverable": d.deliverable,
                "warn_ratio": d.warn_ratio,
                "after": d.after,
            }
        )
    horizon = None if full else drawing.default_horizon(run.plan)
    return drawing.draw(run.plan, labels, horizon=horizon)


@login_required
def map_detail(request, pk: int):
    """The map drawn on a time axis, with the dry run for a unit and a start time beside it."""
    m = get_object_or_404(selectors.map_with_duties(selectors.maps_visible_to(request.user)), pk=pk)
    employee = employee_of(request.user)
    default_unit = m.scope
    if employee and employee.unit.path.startswith(m.scope.path):
        default_unit = employee.unit
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = DryRunForm(
        request.GET if "unit" in request.GET else None,
        scope=m.scope,
        initial={"unit": default_unit, "start": now},
    )
    unit, start = default_unit, now
    if form.is_bound and form.is_valid():
        unit, start = form.cleaned_data["unit"], form.cleaned_data["start"]
    run = None
    drawn = None
    problems: dict[str, str] = {}
    try:
        run = dry_run.responsibility_map_dry_run(responsibility_map=m, unit=unit, start=start)
        if run.rows:
            drawn = _drawing_for(m, run, full=request.GET.get("scale") == "full")
    except KeelError as exc:
        problems["duties"] = exc.message
    can_edit = is_hr_admin(request.user)
    if m.status == MapStatus.DRAFT and can_edit and not problems:
        problems = maps.responsibility_map_validate(responsibility_map=m)
    critical_labels = []
    if run:
        by_code = {r.duty.code: r.duty for r in run.rows}
        critical_labels = [by_code[c] for c in run.critical_path]
    return render(
        request,
        "responsibilities/map_detail.html",
        {
            "map": m,
            "run": run,
            "drawing": drawn,
            "form": form,
            "problems": problems,
            "can_edit": can_edit,
            "critical_duties": critical_labels,
            "position_titles": _position_titles(),
        },
    )


def _shown(value) -> str:
    """A diff value for people: lists as comma-separated text, empty as a dash."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)


@login_required
def map_versions(request, pk: int):
    """Every version of this scenario and scope, each with its diff to the one before."""
    m = get_object_or_404(selectors.maps_visible_to(request.user), pk=pk)
    versions = list(
        selectors.map_with_duties(selectors.maps_for_list(request.user))
        .filter(scenario_id=m.scenario_id, scope_id=m.scope_id)
        .order_by("-version")
    )
    dicts = {v.pk: maps.map_duty_dicts(v) for v in versions}
    for v in versions:  # the preferred options stay hidden from people a drill may score
        if not selectors.may_see_option_credits(request.user, v):
            for duty in dicts[v.pk]:
                duty["options"] = without_credits(duty.get("options") or [])
    rows = []
    for newer, older in zip(versions, [*versions[1:], None], strict=False):
        diff = planning.diff(dicts[older.pk], dicts[newer.pk]) if older else None
        changes = [
            {
                "code": c.code,
                "label": Duty._meta.get_field(c.field).verbose_name,
                "old": _shown(c.old),
                "new": _shown(c.new),
            }
            for c in (diff.changed if diff else [])
        ]
        rows.append({"map": newer, "previous": older, "diff": diff, "changes": changes})
    return render(
        request,
        "responsibilities/map_versions.html",
        {"map": m, "rows": rows, "can_edit": is_hr_admin(request.user)},
    )


def _action(request, pk: int, do, success: str, *, to_result: bool = False):
    _require_hr_admin(request)
    m = get_object_or_404(selectors.maps_visible_to(request.user), pk=pk)
    try:
        result = do(responsibility_map=m, actor=request.user)
    except KeelError as exc:
        messages.error(request, exc.message)
        return redirect("responsibilities:map_detail", pk=m.pk)
    messages.success(request, success)
    if to_result:
        return redirect("responsibilities:map_edit", pk=result.pk)
    return redirect("responsibilities:map_detail", pk=m.pk)


@login_required
@require_POST
def map_archive(request, pk: int):
    return _action(request, pk, maps.responsibility_map_archive, _("The version is archived."))


@login_required
@require_POST
def map_revise(request, pk: int):
    return _action(
        request,
        pk,
        maps.responsibility_map_revise,
        _("You are editing the next draft version."),
        to_result=True,
    )


@login_required
def scenario_new(request):
    _require_hr_admin(request)
    form = ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scenario = scenarios.scenario_create(**form.cleaned_data, actor=request.user)
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
            for key, message in exc.errors.items():
                if key in form.fields:
                    form.add_error(key, message)
        else:
            messages.success(request, _("The scenario was created; now build its map."))
            return redirect(f"{_url('responsibilities:map_new')}?scenario={scenario.code}")
    return render(request, "responsibilities/scenario_new.html", {"form": form})


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


@login_required
def scenario_manual(request, code: str):
    """The process manual of a scenario: every published map's steps in order."""
    scenario = get_object_or_404(selectors.scenarios_visible_to(request.user), code=code)
    published = list(
        selectors.map_with_duties(
            selectors.maps_visible_to(request.user).filter(
                scenario=scenario, status=MapStatus.PUBLISHED
            )
        ).order_by("scope__path")
    )
    sections = []
    for m in published:
        duties = list(m.duties.all())
        plan = planning.schedule(
            [
                {
                    "code": d.code,
                    "deadline_minutes": d.deadline_minutes,
                    "after": d.after,
                    "deliverable": d.deliverable,
                }
                for d in duties
            ]
        )
        by_code = {d.code: d for d in duties}
        steps = sorted(
            plan.order, key=lambda c: (plan.slots[c].start, plan.slots[c].due, by_code[c].order)
        )
        number = {c: i for i, c in enumerate(steps, start=1)}
        sections.append(
            {
                "map": m,
                "steps": [
                    {
                        "duty": by_code[c],
                        "slot": plan.slots[c],
                        "after_steps": [str(number[a]) for a in by_code[c].after if a in number],
                    }
                    for c in steps
                ],
                "plan": plan,
            }
        )
    return render(
        request,
        "responsibilities/scenario_manual.html",
        {
            "scenario": scenario,
            "sections": sections,
            "position_titles": _position_titles(),
            "printed_at": timezone.localtime(),
        },
    )


@login_required
def position_duties(request, code: str):
    """The generated "crisis duties" section of a position's job description, printable."""
    position = get_object_or_404(positions_visible_to(request.user), code=code)
    return render(
        request,
        "responsibilities/position_duties.html",
        {
            "position": position,
            "duties": selectors.position_crisis_duties(position=position),
            "position_titles": _position_titles(),
            "printed_at": timezone.localtime(),
        },
    )
