"""Crisis pages: filing, the live crisis page (with htmx-polled partials), the crisis list with
"my tasks", the executive dashboard with decisions and metrics, closure.

Thin: reads come from ``crisis.selectors``, every write from ``crisis.services``; domain errors
are shown as messages, never a 500. What a page shows (task states, the plain-words checklist,
timeline sentences, board rows, dashboard charts) is shaped by ``crisis.presenters``.

Length (~700 lines, over the ~600 guideline): one function per page and htmx partial of the
crisis app plus the request helpers they share; each view is short, and splitting by page would
only scatter those helpers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST

from hrcore.api.errors import forbidden
from hrcore.choices import Role
from hrcore.errors import KeelError, PermissionDenied, ValidationFailed
from hrcore.field_names import message_for
from hrcore.selectors import employee_of, has_role, unit_by_code
from responsibilities.coverage_selectors import coverage_gaps_overview

from . import board_cards, decision_page, presenters
from .choices import ComplaintOutcome
from .downloads import attachment
from .forms import (
    CloseForm,
    CommentForm,
    CompleteForm,
    CrisisFileForm,
    CrisisFilterForm,
    PauseForm,
    ReassignForm,
)
from .selectors import access as access_selectors
from .selectors import crises as crises_selectors
from .selectors import dashboard as dashboard_selectors
from .selectors import filing as filing_selectors
from .selectors import obligations as obligation_selectors
from .selectors import people as people_selectors
from .selectors import review as review_selectors
from .selectors import walk_in as walk_in_selectors
from .selectors.drills import may_run_drills, may_stop_drill
from .services import clocks as clocks_services
from .services import closure as closure_services
from .services import decisions as decisions_services
from .services import filing as filing_services
from .services import tasks as tasks_services
from .services import uploads as uploads_services
from .services import walk_in as walk_in_services
from .services.common import is_assignee
from .task_state import task_state


def dossier_url(crisis_pk: int) -> str:
    """The dossier panel of the crisis page (served by integrations; linked by URL name)."""
    return reverse("integrations:crisis_dossier_panel", args=[crisis_pk])


# --------------------------------------------------------------------------------------------
# Shared request helpers
# --------------------------------------------------------------------------------------------


def show_error(request, exc: KeelError) -> None:
    details = []
    for field, problems in (exc.errors or {}).items():
        if isinstance(problems, (list, tuple)):
            problems = " ".join(str(p) for p in problems)
        # The field in words in the reader's language, never its key ("duties[1].…").
        details.append(message_for(field, str(problems)))
    message = exc.message
    if details:
        message = f"{message} ({'; '.join(details)})"
    messages.error(request, message)


def back_to(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def crisis_or_404(request, pk: int):
    crisis = crises_selectors.crisis_for_page(request.user, pk)
    if crisis is None:
        raise Http404(_("No such crisis, or you may not see it."))
    return crisis


def _get_task(request, pk: int):
    task = access_selectors.tasks_visible_to(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404(_("No such task, or you may not see it."))
    return task


# --------------------------------------------------------------------------------------------
# Filing
# --------------------------------------------------------------------------------------------


@login_required
def crisis_file(request):
    employee = employee_of(request.user)
    scenarios, units = filing_selectors.filing_choices(request.user)
    initial = {"unit": employee.unit.code if employee else ""}
    if request.GET.get("scenario"):
        initial["scenario"] = request.GET["scenario"]
    form = CrisisFileForm(request.POST or None, initial=initial, scenarios=scenarios, units=units)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The form's one-time token is the filing's idempotency key (scoped to the user): a
        # second submit of the same page shows the crisis the first one filed.
        token = str(data["form_token"]) if data.get("form_token") else None
        key = f"{request.user.pk}:{token}" if token else None
        already = (
            filing_selectors.crisis_filed_with_key(request.user, f"web:{key}") if key else None
        )
        filing = dict(
            scenario=data["scenario"],
            title=data["title"],
            description=data["description"],
            unit=unit_by_code(data["unit"]),
            customer_external_id=filing_selectors.customer_external_id(
                request.user, data["customer"]
            ),
            severity=data["severity"] or None,
            actor=request.user,
            source="web",
            idempotency_key=key,
        )
        try:
            if already is not None:
                crisis = already
            elif form.is_walk_in():
                crisis = walk_in_services.walk_in_complaint_file(
                    **filing,
                    consumer_name=data["consumer_name"],
                    consumer_phone=data["consumer_phone"],
                    consumer_purchase=data["consumer_purchase"],
                    responsible=walk_in_selectors.responsible_username(
                        request.user, data["responsible"]
                    ),
                )
            else:
                crisis = filing_services.crisis_file(**filing)
        except KeelError as exc:
            status = exc.status  # a refused filing is a 4xx, as in the API
            for field, problems in (exc.errors or {}).items():
                if field in form.fields:
                    form.add_error(field, problems if isinstance(problems, list) else [problems])
            form.add_error(None, exc.message)
        else:
            if already is not None:
                messages.info(
                    request, _("This form was already submitted: here is the crisis it filed.")
                )
            else:
                messages.success(request, _("Crisis filed. Everyone involved has been notified."))
            return redirect("crisis:detail", pk=crisis.pk)
    return render(
        request,
        "crisis/file.html",
        {
            "form": form,
            "customers": filing_selectors.customers_for_filing(request.user),
            "responsible_choices": walk_in_selectors.responsible_choices(request.user),
            "walk_in_open": form.walk_in_typed()
            or form["scenario"].value() == walk_in_services.WALK_IN_SCENARIO,
            "scenarios": scenarios,
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# List and "my tasks"
# --------------------------------------------------------------------------------------------


@login_required
def crisis_list(request):
    scenarios, units = filing_selectors.filter_choices(request.user)
    chosen = request.GET.copy()
    chosen.pop("page", None)
    form = CrisisFilterForm(chosen or None, scenarios=scenarios, units=units)
    # A filter with a value that does not exist says so (it used to show every crisis).
    invalid_filter = bool(chosen) and not form.is_valid()
    filters = form.cleaned_data if form.is_valid() else {}
    if not chosen:
        filters = {"status": "open"}
        form = CrisisFilterForm(initial=filters, scenarios=scenarios, units=units)
    now = timezone.now()
    crises, total = (
        ([], 0)
        if invalid_filter
        else crises_selectors.crises_for_list(request.user, filters=filters)
    )
    page = presenters.page_of(
        crises, total=total, requested=request.GET.get("page"), size=crises_selectors.LIST_PAGE_SIZE
    )
    rows = [presenters.crisis_row(c, now) for c in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page"}

    def page_url(number: int) -> str:
        return f"{reverse('crisis:list')}?{urlencode({**query, 'page': number})}"

    viewer = employee_of(request.user)
    my_tasks = [
        {"task": t, "state": task_state(t, now), "what": presenters.task_what(t)}
        for t in crises_selectors.my_open_tasks(request.user)
    ]
    return render(
        request,
        "crisis/list.html",
        {
            "form": form,
            "rows": rows,
            **presenters.page_links(page, page_url),
            "my_tasks": my_tasks,
            "invalid_filter": invalid_filter,
            "viewer": viewer,
            "can_file": viewer is not None,
            "can_run_drills": may_run_drills(request.user),
        },
    )


# --------------------------------------------------------------------------------------------
# The live crisis page and its partials
# --------------------------------------------------------------------------------------------


def _live_context(request, crisis) -> dict:
    now = timezone.now()
    viewer = employee_of(request.user)
    tasks = list(crises_selectors.crisis_tasks_for_page(crisis))
    rows = presenters.task_rows(
        tasks, now=now, viewer_employee=viewer, comments=crises_selectors.comments_by_task(crisis)
    )
    # Need to know: other tasks' deliverables and comments only where the viewer's duty needs
    # them (access_selectors.crisis_access); the headline of every task stays on the board.
    access = access_selectors.crisis_access(request.user, crisis)
    for row in rows:
        if not access.sees_task_details(row["task"].pk):
            row["deliverables"], row["comments"] = [], []
    decisions = decision_page.ledger(crisis, now, tasks)
    return {
        "crisis": crisis,
        "rows": rows,
        "decisions": decisions,
        "checklist": presenters.checklist(crisis, rows, decisions, now=now),
        "now": now,
        "all_done": bool(rows) and all(r["state"] in ("done", "cancelled") for r in rows),
    }


def _timeline_context(crisis, tasks=None) -> dict:
    now = timezone.now()
    events = list(crises_selectors.timeline_of(crisis).select_related("actor__employee"))
    if tasks is None:
        tasks = list(crisis.tasks.select_related("duty", "duty__assignee_position"))
    labels = {t.duty_code: presenters.task_department(t) for t in tasks}
    people = people_selectors.employee_names(
        {
            value
            for e in events
            for key in ("assignee_id", "fallback_assignee_id", "to_id", "target_id", "from_id")
            if isinstance(value := (e.data or {}).get(key), int)
        }
    )
    return {
        "crisis": crisis,
        "events": [
            {
                "event": e,
                "text": presenters.event_text(e, task_labels=labels, people=people, now=now),
                "tone": presenters.EVENT_TONE.get(e.kind, ""),
            }
            for e in reversed(events)
        ],
    }


@login_required
def crisis_detail(request, pk: int):
    crisis = crisis_or_404(request, pk)
    context = _live_context(request, crisis)
    context.update(_timeline_context(crisis, [r["task"] for r in context["rows"]]))
    viewer = employee_of(request.user)
    can_manage = access_selectors.can_manage(request.user, crisis)
    my_rows = [r for r in context["rows"] if r["mine"] and r["state"] not in ("done", "cancelled")]
    for row in my_rows:
        row["complete_form"] = CompleteForm(
            kind=row["task"].deliverable_kind, prefix=f"t{row['task'].pk}"
        )
        row["comment_form"] = CommentForm(prefix=f"c{row['task'].pk}")
    reassign_form = (
        # Managers mostly hand over tasks that are not theirs: "reassign" comes first for them.
        ReassignForm(
            people=people_selectors.reassign_candidates(crisis), initial={"mode": "reassign"}
        )
        if can_manage and crisis.is_open
        else None
    )
    can_decide = crisis.is_open and access_selectors.can_decide(request.user, crisis)
    walk_in = walk_in_selectors.walk_in_of(crisis)
    if can_decide:  # the form's options and people are read for deciders only
        context.update(decision_page.decision_form_context(crisis, context["decisions"]))
    context.update(
        {
            "viewer": viewer,
            "my_rows": my_rows,
            "can_manage": can_manage and crisis.is_open,
            # who was reached, roll calls, war room: still readable once the crisis is closed
            "sees_reach": can_manage,
            "can_stop_drill": crisis.is_drill
            and crisis.is_open
            and may_stop_drill(request.user, crisis),
            "can_decide": can_decide,
            "can_review": not crisis.is_open
            and review_selectors.can_view_review(request.user, crisis),
            "pause_form": PauseForm(),
            "reassign_form": reassign_form,
            "reassign_fields": _reassign_fields(reassign_form),
            "any_paused": any(r["state"] == "paused" for r in context["rows"]),
            "any_running": any(
                r["state"] in ("ok", "warning", "breached") for r in context["rows"]
            ),
            "dossier_url": dossier_url(crisis.pk),
            "walk_in": walk_in,
            "walk_in_may_decide": walk_in is not None
            and walk_in.outcome == ComplaintOutcome.OPEN
            and walk_in_services.may_decide_walk_in(request.user, walk_in),
            "complaint_outcomes": [
                c for c in ComplaintOutcome.choices if c[0] != ComplaintOutcome.OPEN
            ],
            "upload_types": " ".join(sorted(uploads_services.ALLOWED_UPLOAD_TYPES)),
            "upload_mb": uploads_services.upload_max_bytes() // (1024 * 1024),
            **obligation_selectors.crisis_clocks(request.user, crisis, timezone.now()),
        }
    )
    return render(request, "crisis/detail.html", context)


def _reassign_fields(form) -> dict | None:
    """The reassign form's fields rendered once per page (issue 12): the "To" select lists every
    active employee, and the page offers it on every open task — render it once, reuse it."""
    if form is None:
        return None
    from django.template.loader import render_to_string

    return {
        "mode": form["mode"].as_widget(),
        "assignee": form["assignee"].as_widget(),
        "reason": form["reason"].as_widget(),
        "mode_field": render_to_string("crisis/_field.html", {"field": form["mode"]}),
        "assignee_field": render_to_string("crisis/_field.html", {"field": form["assignee"]}),
        "reason_field": render_to_string(
            "crisis/_field.html", {"field": form["reason"], "wide": 1}
        ),
    }


def _partial_etag(request, pk: int) -> str | None:
    """The ETag of a polled crisis partial, from ``crises_selectors.crisis_page_version`` (no rendering):
    the crisis's status and last timeline event, the viewer (need to know differs per person),
    the language and time zone, and the current minute (task colours turn to warning or breach
    with time even before the sweep writes its event). None when the crisis is not visible."""
    version = crises_selectors.crisis_page_version(request.user, pk)
    if version is None:
        return None
    status, last_event = version
    minute = int(timezone.now().timestamp() // 60)
    zone = timezone.get_current_timezone_name()
    return f"{request.resolver_match.url_name}-{pk}-{status}-{last_event}-{request.user.pk}-{get_language()}-{zone}-{minute}"


def _revalidate(response):
    # The browser keeps the partial and asks again with If-None-Match on every poll.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@condition(etag_func=_partial_etag)
def crisis_live(request, pk: int):
    """htmx partial: checklist, task board and decisions (polled every 3 s; ``304`` while
    nothing changed)."""
    crisis = crisis_or_404(request, pk)
    return _revalidate(render(request, "crisis/partials/live.html", _live_context(request, crisis)))


@login_required
@condition(etag_func=_partial_etag)
def crisis_timeline(request, pk: int):
    """htmx partial: the timeline (polled every 3 s; ``304`` while nothing changed)."""
    crisis = crisis_or_404(request, pk)
    return _revalidate(render(request, "crisis/partials/timeline.html", _timeline_context(crisis)))


# --------------------------------------------------------------------------------------------
# Task actions (POST, then back to the crisis page)
# --------------------------------------------------------------------------------------------


def service_attempt(request, call, success: str = ""):
    """Run a service ``call``: a refusal answers 403 with its reason (returned), another error is
    shown as a message, success says ``success`` (or the words ``call`` returned). None unless
    refused."""
    try:
        done = call()
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except KeelError as exc:
        show_error(request, exc)
    else:
        said = success or (done if isinstance(done, str) else "")
        if said:
            messages.success(request, said)
    return None


def _task_action(request, pk: int, action):
    task = _get_task(request, pk)
    refused = service_attempt(request, lambda: action(task))
    return refused or back_to(request, reverse("crisis:detail", args=[task.crisis_id]))


@require_POST
@login_required
def task_acknowledge(request, pk: int):
    def act(task):
        tasks_services.task_acknowledge(task=task, actor=request.user)
        return _("Acknowledged: everyone can see you are on it.")

    return _task_action(request, pk, act)


@require_POST
@login_required
def task_complete(request, pk: int):
    def act(task):
        form = CompleteForm(
            request.POST, request.FILES, kind=task.deliverable_kind, prefix=f"t{task.pk}"
        )
        if not form.is_valid():
            problems = "; ".join(
                f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".lstrip(": ")
                for f, e in form.errors.items()
            )
            messages.error(
                request, _("The task was not completed: %(problems)s") % {"problems": problems}
            )
            return None
        data = form.cleaned_data
        tasks_services.task_complete(
            task=task,
            actor=request.user,
            note=form.deliverable_note(),
            file=data.get("file"),
            location=data.get("location", ""),
            fields=form.deliverable_fields(),
        )
        return _("Done. Your deliverable is with everyone involved.")

    return _task_action(request, pk, act)


@require_POST
@login_required
def task_comment(request, pk: int):
    def act(task):
        form = CommentForm(request.POST, prefix=f"c{task.pk}")
        if not form.is_valid():
            messages.error(request, _("Write a comment first."))
            return None
        tasks_services.task_comment(task=task, body=form.cleaned_data["body"], actor=request.user)
        return _("Comment added.")

    return _task_action(request, pk, act)


@require_POST
@login_required
def task_reassign(request, pk: int):
    def act(task):
        form = ReassignForm(
            request.POST, people=people_selectors.reassign_candidates(task.crisis, task=task)
        )
        if not form.is_valid():
            messages.error(request, _("Choose the person to hand the task to."))
            return None
        data = form.cleaned_data
        try:
            tasks_services.task_reassign(
                task=task,
                assignee=people_selectors.employee_by_id(int(data["assignee"])),
                delegate=data["mode"] == "delegate",
                reason=data["reason"],
                actor=request.user,
            )
        except PermissionDenied as exc:
            if data["mode"] != "delegate" or is_assignee(request.user, task):
                raise
            # A manager who chose "delegate" for someone else's task: say what to do instead
            # of a page of its own.
            messages.error(request, _("%(why)s Choose “Reassign” to hand it over.") % {"why": exc})
            return None
        return _("The task has a new assignee; they have been notified.")

    return _task_action(request, pk, act)


# --------------------------------------------------------------------------------------------
# Crisis-level actions: pause/resume, decide, close
# --------------------------------------------------------------------------------------------


@require_POST
@login_required
def crisis_pause(request, pk: int):
    crisis = crisis_or_404(request, pk)
    form = PauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the clocks are paused."))
        return redirect("crisis:detail", pk=crisis.pk)
    try:
        clocks_services.crisis_pause(
            crisis=crisis, reason=form.cleaned_data["reason"], actor=request.user
        )
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except KeelError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Clocks paused. Paused time does not count."))
    return redirect("crisis:detail", pk=crisis.pk)


@require_POST
@login_required
def crisis_resume(request, pk: int):
    crisis = crisis_or_404(request, pk)
    try:
        clocks_services.crisis_resume(crisis=crisis, actor=request.user)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except KeelError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Clocks resumed; deadlines moved by the paused time."))
    return redirect("crisis:detail", pk=crisis.pk)


@login_required
def crisis_brief(request, pk: int):
    """The one-page brief for executives (printable): situation, decisions with their lineage,
    open follow-ups, the clocks."""
    crisis = crisis_or_404(request, pk)
    return render(request, "crisis/brief.html", decision_page.brief(crisis, timezone.now()))


@require_POST
@login_required
def crisis_decide(request, pk: int):
    crisis = crisis_or_404(request, pk)
    form = decision_page.decision_form(crisis, request.POST)
    if not form.is_valid():
        refused = _("The decision was not recorded. %(problem)s") % {"problem": ""}
        show_error(request, ValidationFailed(refused.strip(), errors=form.errors))
    else:
        data = form.cleaned_data
        try:
            decisions_services.decision_make(
                crisis=crisis,
                text=data["text"],
                option=data["option"],
                situation=data["situation"],
                rationale=data["rationale"],
                review_by=data["review_by"],
                supersedes=int(data["supersedes"]) if data["supersedes"] else None,
                follow_ups=form.follow_ups(),
                option_follow_ups=data["option_follow_ups"],
                actor=request.user,
            )
        except PermissionDenied as exc:
            return forbidden(request, exc)
        except KeelError as exc:
            show_error(request, exc)
        else:
            messages.success(request, _("Decision recorded and pushed to every participant."))
    return back_to(request, reverse("crisis:detail", args=[crisis.pk]))


# Service error keys → fields of the closure form (the form has one weakness row).
CLOSE_ERROR_FIELDS = {
    "outcome": "outcome",
    "lessons": "lessons",
    "credited": "credited",
    "findings[0].employee_id": "weakness_employee",
    "findings[0].competency": "weakness_competency",
    "findings[0].note": "weakness_note",
}


@login_required
def crisis_close(request, pk: int):
    crisis = crisis_or_404(request, pk)
    if not access_selectors.can_manage(request.user, crisis):
        raise DjangoPermissionDenied(
            _("Only the filer, managers and executives may close a crisis.")
        )
    people = people_selectors.crisis_people(crisis)
    form = CloseForm(
        request.POST or None,
        people=people,
        competencies=filing_selectors.competency_choices(),
        initial={
            "credited": []
            if crisis.is_drill  # a drill earns no stars: its results go to the drill report
            else [str(p.pk) for p in closure_services.credited_employees(crisis)]
        },
        drill=crisis.is_drill,
    )
    if request.method == "POST" and crisis.is_open and form.is_valid():
        data = form.cleaned_data
        chosen = set(data.get("credited") or [])
        try:
            closure_services.crisis_close(
                crisis=crisis,
                outcome=data["outcome"],
                lessons=data["lessons"],
                actor=request.user,
                credited=[] if crisis.is_drill else [p for p in people if str(p.pk) in chosen],
                findings=[] if crisis.is_drill else form.findings(),
            )
        except KeelError as exc:
            form.add_error(None, exc.message)
            for key, problems in (exc.errors or {}).items():
                problems = problems if isinstance(problems, (list, tuple)) else [problems]
                form.add_error(CLOSE_ERROR_FIELDS.get(key), [str(p) for p in problems])
        else:
            if crisis.is_drill:
                messages.success(request, _("Drill closed. Its results are in the drill report."))
            else:
                messages.success(request, _("Crisis closed. Thank you to everyone credited."))
            return redirect("crisis:detail", pk=crisis.pk)
    return render(
        request,
        "crisis/close.html",
        {"crisis": crisis, "form": form, "recognition_url": reverse("competency:recognition")},
    )


# --------------------------------------------------------------------------------------------
# Deliverable download (permission-checked)
# --------------------------------------------------------------------------------------------


@login_required
def deliverable_download(request, pk: int):
    deliverable = access_selectors.deliverable_for_download(request.user, pk)
    if deliverable is None or not deliverable.file:
        raise Http404(_("No such file, or you may not download it."))
    return attachment(
        deliverable.file, name=deliverable.file_name, content_type=deliverable.content_type
    )


# --------------------------------------------------------------------------------------------
# Executive dashboard
# --------------------------------------------------------------------------------------------


def _require_dashboard(user) -> None:
    if not has_role(user, Role.EXECUTIVE, Role.HR_ADMIN):
        raise DjangoPermissionDenied(_("The dashboard is for executives."))


def _dashboard_filters(request) -> tuple[CrisisFilterForm, dict, int]:
    """The board's filters (scenario, unit, severity) and the metrics period from the query."""
    scenarios, units = filing_selectors.filter_choices(request.user)
    form = CrisisFilterForm(
        request.GET or None, scenarios=scenarios, units=units, with_status=False
    )
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {k: v for k, v in filters.items() if k != "q" and v}
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    return form, filters, days if days in (30, 90) else 30


def _dashboard_board(request, filters: dict, days: int) -> dict:
    """One page of the board by keyset (``after`` / ``before`` / ``at`` a row's cursor), the
    totals of the whole filtered set and previous/next links that keep the filters — a constant
    number of queries however many crises are open and however deep the page."""
    now = timezone.now()
    totals, crises = dashboard_selectors.dashboard_board(request.user, filters=filters, now=now)
    page = dashboard_selectors.board_page(
        crises,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        at=request.GET.get("at"),
        start=request.GET.get("n"),
        size=dashboard_selectors.DASHBOARD_PAGE_SIZE,
    )
    base = reverse("crisis:dashboard")
    keep = {**filters, "days": days}
    here = {"at": page.first.token, "n": page.start} if page.start > 1 and page.first else {}
    # The polled partial reloads the page being looked at, with the same filters.
    board_query = urlencode({**keep, **here})
    can_decide = has_role(request.user, Role.EXECUTIVE)
    rows = board_cards.board_rows(
        request, page.crises, now=now, can_decide=can_decide, board_query=board_query
    )

    def url(**cursor) -> str:
        return f"{base}?{urlencode({**keep, **cursor})}"

    return {
        "rows": rows,
        "totals": totals,
        "page_start": page.start if rows else 0,
        "page_end": page.start + len(rows) - 1 if rows else 0,
        "paged": page.previous is not None or page.next is not None,
        "first_url": url() if page.previous else "",
        "previous_url": (url(before=page.previous.token, n=page.start) if page.previous else ""),
        "next_url": url(after=page.next.token, n=page.start + len(rows)) if page.next else "",
        "board_query": board_query,
        "filter_query": urlencode(filters),
        "can_decide": can_decide,
    }


@login_required
def dashboard(request):
    _require_dashboard(request.user)
    form, filters, days = _dashboard_filters(request)
    return render(
        request,
        "crisis/dashboard.html",
        {
            "form": form,
            "days": days,
            "metrics": _metrics_context(request.user, days=days),
            # Duties of the maps in force nobody can act on (responsibilities' coverage).
            "coverage_gaps": coverage_gaps_overview(),
            **_dashboard_board(request, filters, days),
            **obligation_selectors.obligations_board(request.user, timezone.now()),
        },
    )


@login_required
def dashboard_live(request):
    """htmx partial: the open-crisis board of the dashboard (polled), same page and filters."""
    _require_dashboard(request.user)
    _form, filters, days = _dashboard_filters(request)
    return render(request, "crisis/partials/board.html", _dashboard_board(request, filters, days))


def _metrics_context(user, *, days: int) -> dict:
    period = dashboard_selectors.dashboard_metrics(user, days=days, now=timezone.now())
    return presenters.metrics_panel(period, days=days)
