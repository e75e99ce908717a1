"""Post-incident review pages (issue 15 §5): one crisis's review with its findings and action
items, the lessons library and the monthly report (page, print, CSV). Thin: the selectors
assemble, the services write."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrcore.api.errors import forbidden
from hrcore.errors import KeelError, PermissionDenied

from . import presenters, report
from .choices import CrisisStatus, FindingKind
from .forms_review import ActionItemForm, FindingForm, LessonSearchForm
from .models import ActionItem, ReviewFinding
from .selectors import filing as filing_selectors
from .selectors import people as people_selectors
from .selectors import review as review_selectors
from .services import review as review_services
from .views import crisis_or_404, service_attempt, show_error


def _review_crisis(request, pk: int):
    crisis = crisis_or_404(request, pk)
    if not review_selectors.can_view_review(request.user, crisis):
        raise DjangoPermissionDenied(
            _("The review is for the people who took part, executives and HR admins.")
        )
    return crisis


def _owner_choices(crisis) -> list:
    people = {e.pk: e for e in people_selectors.crisis_people(crisis)}
    for e in people_selectors.crisis_unit_people(crisis):
        people.setdefault(e.pk, e)
    return sorted(people.values(), key=lambda e: e.name)


@login_required
def review(request, pk: int):
    crisis = _review_crisis(request, pk)
    data = review_selectors.review_assemble(crisis)
    user = request.user
    manage = review_selectors.can_manage_review(user, crisis)
    closed = crisis.status != CrisisStatus.OPEN
    findings = [f for group in data.findings.values() for f in group]
    context = {
        "crisis": crisis,
        "review": data,
        "closed": closed,
        "finding_groups": [
            (code, label, data.findings.get(code, [])) for code, label in FindingKind.choices
        ],
        "can_add_finding": closed and review_selectors.can_add_finding(user, crisis),
        "can_manage": closed and manage,
        "can_propose": closed and review_selectors.can_propose_map_change(user),
        "finding_form": FindingForm(),
        "action_form": ActionItemForm(people=_owner_choices(crisis), findings=findings)
        if closed and manage
        else None,
        "viewer_user_id": user.pk,
    }
    return render(request, "crisis/review.html", context)


@login_required
@require_POST
def review_finding_add(request, pk: int):
    crisis = _review_crisis(request, pk)
    form = FindingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the finding and say what it is about."))
    else:
        refused = service_attempt(
            request,
            lambda: review_services.finding_add(
                crisis=crisis,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                actor=request.user,
            ),
            _("Finding added."),
        )
        if refused:
            return refused
    return redirect("crisis:review", pk=crisis.pk)


def _finding(request, pk: int) -> ReviewFinding:
    finding = ReviewFinding.objects.filter(pk=pk).only("pk", "crisis_id").first()
    if finding is None:
        raise Http404(_("No such finding."))
    _review_crisis(request, finding.crisis_id)
    return finding


@login_required
@require_POST
def review_finding_lesson(request, pk: int):
    finding = _finding(request, pk)
    refused = service_attempt(
        request,
        lambda: review_services.finding_mark_lesson(
            finding=finding, is_lesson=request.POST.get("lesson") == "1", actor=request.user
        ),
    )
    if refused:
        return refused
    return redirect(reverse("crisis:review", args=[finding.crisis_id]) + f"#finding-{pk}")


@login_required
@require_POST
def review_finding_propose(request, pk: int):
    finding = _finding(request, pk)
    try:
        draft = review_services.finding_propose_map_change(finding=finding, actor=request.user)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except KeelError as exc:
        show_error(request, exc)
        return redirect("crisis:review", pk=finding.crisis_id)
    messages.success(
        request,
        _("Draft version %(version)s of the map has the finding in its change note.")
        % {"version": draft.version},
    )
    return redirect("responsibilities:map_edit", pk=draft.pk)


@login_required
@require_POST
def review_action_add(request, pk: int):
    crisis = _review_crisis(request, pk)
    people = _owner_choices(crisis)
    findings = list(crisis.review_findings.all())
    form = ActionItemForm(request.POST, people=people, findings=findings)
    if not form.is_valid():
        messages.error(request, _("Give the action, its owner and a due date."))
        return redirect("crisis:review", pk=crisis.pk)
    data = form.cleaned_data
    owner = next((p for p in people if str(p.pk) == data["owner"]), None)
    finding = next((f for f in findings if str(f.pk) == data.get("finding")), None)
    refused = service_attempt(
        request,
        lambda: review_services.action_item_create(
            crisis=crisis,
            title=data["title"],
            owner=owner,
            due_on=data["due_on"],
            finding=finding,
            actor=request.user,
        ),
        _("Action item added; its owner has been told."),
    )
    if refused:
        return refused
    return redirect(reverse("crisis:review", args=[crisis.pk]) + "#actions")


@login_required
@require_POST
def review_action_done(request, pk: int):
    item = ActionItem.objects.filter(pk=pk).only("pk", "crisis_id").first()
    if item is None:
        raise Http404(_("No such action item."))
    _review_crisis(request, item.crisis_id)
    refused = service_attempt(
        request,
        lambda: review_services.action_item_complete(
            item=item, actor=request.user, done=request.POST.get("done", "1") == "1"
        ),
    )
    if refused:
        return refused
    return redirect(reverse("crisis:review", args=[item.crisis_id]) + "#actions")


@login_required
def lessons(request):
    scenarios, units = filing_selectors.filter_choices(request.user)
    form = LessonSearchForm(
        request.GET or None,
        scenarios=[(s.code, str(s)) for s in scenarios],
        units=[(u.code, str(u)) for u in units],
    )
    filters = form.cleaned_data if form.is_valid() else {}
    qs = review_selectors.lessons_search(
        request.user,
        text=filters.get("q", ""),
        scenario=filters.get("scenario", ""),
        unit=filters.get("unit", ""),
    )
    page = presenters.page_of(
        qs,
        total=qs.count(),
        requested=request.GET.get("page"),
        size=review_selectors.LESSONS_PAGE_SIZE,
    )
    for finding in page.object_list:
        author = getattr(finding.author, "employee", None)
        finding.author_name = author.name if author else finding.author.get_username()
    query = request.GET.copy()
    query.pop("page", None)

    def page_url(number: int) -> str:
        query["page"] = number
        return f"?{query.urlencode()}"

    context = {"form": form, **presenters.page_links(page, page_url)}
    return render(request, "crisis/lessons.html", context)


def _report_month(request) -> tuple[int, int]:
    if not review_selectors.can_see_report(request.user):
        raise DjangoPermissionDenied(_("The monthly report is for executives and HR admins."))
    return review_selectors.month_of(request.GET.get("month"), timezone.localdate())


def _month_param(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


@login_required
def monthly_report(request):
    year, month = _report_month(request)
    today = timezone.localdate()
    data = review_selectors.monthly_report(request.user, year=year, month=month)
    figures = data.figures
    targets = [
        {
            "label": _("Response within %(target)s")
            % {"target": review_selectors.report_duration(_td(figures.response.target_seconds))},
            "figure": figures.response,
            "median": _seconds_text(figures.response.median_seconds),
        },
        {
            "label": _("All information within %(target)s")
            % {"target": review_selectors.report_duration(_td(figures.information.target_seconds))},
            "figure": figures.information,
            "median": _seconds_text(figures.information.median_seconds),
        },
    ]
    rows = [
        {
            "crisis": c,
            "response": _seconds_text(c.first_response_seconds),
            "response_held": c.first_response_seconds is not None
            and c.first_response_seconds <= report.RESPONSE_TARGET_SECONDS,
            "info": _seconds_text(c.all_info_seconds),
            "info_held": c.all_info_seconds is not None
            and c.all_info_seconds <= report.INFO_TARGET_SECONDS,
            "status_label": CrisisStatus(c.status).label,
        }
        for c in figures.crises
    ]
    month_code = _month_param(year, month)
    context = {
        "figures": figures,
        "rows": rows,
        "targets": targets,
        "open_items": data.open_items,
        "month_code": month_code,
        "month_start": data.start,
        # Links to months that can have crises only (none before the first, none ahead).
        "previous": _month_param(*report.previous_month(year, month))
        if review_selectors.crises_filed_before(request.user, data.start)
        else "",
        "next": _month_param(*report.next_month(year, month))
        if (year, month) < (today.year, today.month)
        else "",
        "csv_url": reverse("crisis:report_csv") + f"?month={month_code}",
    }
    return render(request, "crisis/report.html", context)


def _td(seconds: int):
    from datetime import timedelta

    return timedelta(seconds=seconds)


def _seconds_text(seconds: int | None) -> str:
    return review_selectors.report_duration(None if seconds is None else _td(seconds))


@login_required
def monthly_report_csv(request):
    year, month = _report_month(request)
    figures = review_selectors.monthly_report(request.user, year=year, month=month).figures
    headers = {
        "id": _("Crisis"),
        "title": _("Title"),
        "scenario": _("Scenario"),
        "unit": _("Unit"),
        "status": _("Status"),
        "filed_at": _("Filed at"),
        "first_response_seconds": _("First response (s)"),
        "response_within_target": _("Response within 30 min"),
        "all_info_seconds": _("All information (s)"),
        "info_within_target": _("All information within 5 min"),
        "breaches": _("Missed deadlines"),
        "stars": _("Resilience stars"),
        "total": _("Total"),
    }
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="keel-crises-{_month_param(year, month)}.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese titles) correctly with a BOM
    writer = csv.writer(response)
    for row in report.csv_rows(figures, headers=headers):
        writer.writerow([report.csv_safe(cell) for cell in row])
    return response
