"""Pages: customers, customer and crisis dossiers with the response plan, offboarding/handover,
commissions. Thin: selectors to read, services to write."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisis.selectors.walk_in import walk_in_of
from customers.models import Customer
from customers.selectors import customers_visible_to
from hrcore import paging
from hrcore.errors import KeelError
from hrcore.ids import parse_id
from hrcore.models import Employee
from hrcore.selectors import employees_visible_to, is_hr_admin, person_page_access

from . import selectors
from . import selectors as integrations_selectors
from .choices import DossierReason, SourceStatus
from .filters import CustomerFilter
from .forms import HandoverForm, PlanEditForm
from .models import Complaint
from .services import commissions, complaints, dossiers, handovers, plans

# How long a page keeps polling for a dossier or plan before it says that something is stuck
# (a stopped worker, a partner that never answers) instead of "generating…" forever.
STUCK_AFTER = timedelta(seconds=90)


def _stuck(waiting_since) -> bool:
    return waiting_since is not None and timezone.now() - waiting_since > STUCK_AFTER


def _dossier_context(dossier, building: bool, access=None, *, waiting_since=None) -> dict:
    sources = selectors.dossier_sources(dossier, access=access)
    data = {s.source: s.data for s in sources if s.data is not None}
    poll = building or dossier is None
    stuck = poll and _stuck(waiting_since)
    return {
        "dossier": dossier,
        "building": building,
        "sources": sources,
        "data": data,
        "failed": [s for s in sources if s.status == SourceStatus.FAILED],
        "poll": poll and not stuck,
        "stuck": stuck,
    }


# --- Customers -----------------------------------------------------------------------------


@login_required
def customer_list(request):
    """The customers the reader sees, found by name, pinyin, initials or code, in pages."""
    found = CustomerFilter(request.GET, queryset=customers_visible_to(request.user))
    # A filter with a value that does not parse says so (it used to show every customer).
    invalid_filter = bool(request.GET) and not found.is_valid()
    rows = (
        Customer.objects.none()
        if invalid_filter
        else found.qs.order_by("-overdue_days", "external_id")
    )
    page = paging.page_of(rows, request.GET.get("page"))
    return render(
        request,
        "integrations/customer_list.html",
        {
            "invalid_filter": invalid_filter,
            "customers": page.object_list,
            "pager": paging.pager(page, request.GET),
            "query": found.form["q"].value() or "",
            "overdue_min": found.form["overdue_days_min"].value() or "",
            "can_manage_people": integrations_selectors.can_manage_people(request.user),
        },
    )


def _visible_customer(request, external_id: str):
    customer = customers_visible_to(request.user).filter(external_id=external_id).first()
    if customer is None:
        raise Http404
    return customer


@login_required
def customer_dossier(request, external_id: str):
    customer = _visible_customer(request, external_id)
    dossier, building = integrations_selectors.latest_dossier(customer=customer)
    if dossier is None and not building:
        dossiers.dossier_request(customer=customer, reason=DossierReason.PAGE, actor=request.user)
        building = True
    access = selectors.customer_dossier_access(request.user, customer)
    context = {
        "customer": customer,
        "record": selectors.customer_record(request.user, customer),
        "history": selectors.dossier_history(customer=customer)[:10],
        "show_amounts": access.sees_amounts,
        **_dossier_context(
            dossier,
            building,
            access,
            waiting_since=selectors.dossier_waiting_since(customer=customer),
        ),
    }
    return render(request, "integrations/customer_dossier.html", context)


@login_required
def customer_dossier_fragment(request, external_id: str):
    customer = _visible_customer(request, external_id)
    dossier, building = integrations_selectors.latest_dossier(customer=customer)
    access = selectors.customer_dossier_access(request.user, customer)
    return render(
        request,
        "integrations/_customer_dossier_body.html",
        {
            "customer": customer,
            **_dossier_context(
                dossier,
                building,
                access,
                waiting_since=selectors.dossier_waiting_since(customer=customer),
            ),
        },
    )


@login_required
@require_POST
def customer_dossier_refresh(request, external_id: str):
    customer = _visible_customer(request, external_id)
    dossiers.dossier_request(customer=customer, reason=DossierReason.REFRESH, actor=request.user)
    if request.htmx:
        return customer_dossier_fragment(request, external_id)
    return redirect("integrations:customer_dossier", external_id=external_id)


# --- Crisis dossier panel and response plan --------------------------------------------------


def _visible_crisis(request, crisis_pk: int):
    crisis = selectors.crisis_visible(request.user, crisis_pk)
    if crisis is None:
        raise Http404
    return crisis


def _panel_context(request, crisis) -> dict:
    dossier, building = integrations_selectors.latest_dossier(crisis_id=crisis.pk)
    plan = selectors.latest_plan(crisis.pk)
    access = selectors.crisis_dossier_access(request.user, crisis)
    waiting_since = selectors.dossier_waiting_since(crisis_id=crisis.pk)
    if waiting_since is None and (dossier is None or plan is None):
        waiting_since = crisis.filed_at
    context = _dossier_context(dossier, building, access, waiting_since=waiting_since)
    plan_pending = plan is None and (
        crisis.customer_id is not None or walk_in_of(crisis) is not None
    )
    stuck = context["stuck"] or (plan_pending and _stuck(waiting_since))
    context.update(
        {
            "crisis": crisis,
            "plan": plan,
            "plan_pending": plan_pending,
            "show_amounts": access.sees_amounts,
            "can_edit_plan": plans.can_edit_plan(request.user, crisis),
            # A crisis without a customer has no plan to wait for.
            "poll": (context["poll"] or plan_pending) and not stuck,
            "stuck": stuck,
        }
    )
    return context


@login_required
def crisis_dossier_panel(request, crisis_pk: int):
    """HTML fragment loaded by the crisis page (htmx); polls itself while sources are loading."""
    crisis = _visible_crisis(request, crisis_pk)
    dossier, building = integrations_selectors.latest_dossier(crisis_id=crisis.pk)
    if dossier is None and not building:
        # No build yet (e.g. the filing event is still in the outbox): ask for one now.
        dossiers.dossier_request(
            crisis_id=crisis.pk, reason=DossierReason.PANEL, actor=request.user
        )
    return render(
        request, "integrations/crisis_dossier_panel.html", _panel_context(request, crisis)
    )


@login_required
def crisis_dossier_page(request, crisis_pk: int):
    crisis = _visible_crisis(request, crisis_pk)
    return render(
        request,
        "integrations/crisis_dossier.html",
        {
            "crisis": crisis,
            "plans": selectors.plan_history(crisis.pk)[:20],
            "history": selectors.dossier_history(crisis_id=crisis.pk)[:10],
        },
    )


@login_required
@require_POST
def crisis_dossier_refresh(request, crisis_pk: int):
    crisis = _visible_crisis(request, crisis_pk)
    dossiers.dossier_request(crisis_id=crisis.pk, reason=DossierReason.REFRESH, actor=request.user)
    if request.htmx:
        return render(
            request, "integrations/crisis_dossier_panel.html", _panel_context(request, crisis)
        )
    return redirect("integrations:crisis_dossier", crisis_pk=crisis.pk)


@login_required
def plan_edit(request, crisis_pk: int):
    crisis = _visible_crisis(request, crisis_pk)
    plan = selectors.latest_plan(crisis.pk)
    if plan is None:
        messages.warning(request, _("There is no response plan yet."))
        return redirect("integrations:crisis_dossier", crisis_pk=crisis.pk)
    if not plans.can_edit_plan(request.user, crisis):
        raise Http404
    form = PlanEditForm(request.POST or None, instance_plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plans.response_plan_edit(crisis_id=crisis.pk, actor=request.user, **form.cleaned_data)
        except KeelError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The response plan was saved as a new version."))
            return redirect("integrations:crisis_dossier", crisis_pk=crisis.pk)
    return render(
        request, "integrations/plan_edit.html", {"crisis": crisis, "plan": plan, "form": form}
    )


@login_required
@require_POST
def plan_share(request, crisis_pk: int):
    crisis = _visible_crisis(request, crisis_pk)
    try:
        plan = plans.response_plan_share(crisis_id=crisis.pk, actor=request.user)
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Response plan v%(version)s is shared.") % {"version": plan.version}
        )
    return redirect("integrations:crisis_dossier", crisis_pk=crisis.pk)


# --- Offboarding / handover ------------------------------------------------------------------


def _require_people_manager(request):
    if not integrations_selectors.can_manage_people(request.user):
        raise Http404


@login_required
def offboarding(request):
    _require_people_manager(request)
    employees = employees_visible_to(request.user).order_by("unit__path", "name_en")
    # Leavers (the HR system deactivated them) who still own customers are handed over too.
    leavers = integrations_selectors.leavers_with_customers()
    if not is_hr_admin(request.user):
        mine = getattr(request.user, "employee", None)
        employees = employees.filter(manager=mine)
        leavers = leavers.filter(manager=mine)
    employees = list(leavers) + list(employees)
    selected = None
    preview = None
    employee_id = parse_id(request.GET.get("employee"))
    if employee_id is not None:
        selected = next((e for e in employees if e.pk == employee_id), None)
        if selected is not None:
            preview = integrations_selectors.offboarding_preview(employee=selected)
    form = None
    if preview is not None:
        form = HandoverForm(
            employee=selected,
            initial={"successor": preview["suggestions"][0].pk if preview["suggestions"] else None},
        )
    return render(
        request,
        "integrations/offboarding.html",
        {
            "employees": employees,
            "selected": selected,
            "preview": preview,
            "form": form,
            "handovers": selectors.handovers_visible_to(request.user)[:20],
        },
    )


@login_required
@require_POST
def handover_execute(request, employee_pk: int):
    _require_people_manager(request)
    employee = get_object_or_404(Employee, pk=employee_pk)
    form = HandoverForm(request.POST, employee=employee)
    if form.is_valid():
        try:
            handovers.handover_execute(
                employee=employee,
                successor=form.cleaned_data["successor"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except KeelError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Handed over. You can revert this within 72 hours."))
    else:
        messages.error(request, _("Choose a successor."))
    return redirect(f"{reverse('integrations:offboarding')}?employee={employee.pk}")


@login_required
@require_POST
def handover_revert(request, pk: int):
    _require_people_manager(request)
    handover = get_object_or_404(selectors.handovers_visible_to(request.user), pk=pk)
    try:
        handovers.handover_revert(handover=handover, actor=request.user)
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The handover was reverted."))
    return redirect("integrations:offboarding")


# --- Commissions -----------------------------------------------------------------------------


@login_required
def commission_list(request):
    return render(
        request,
        "integrations/commissions.html",
        {
            "commissions": selectors.commissions_visible_to(request.user)[:100],
            "is_finance": integrations_selectors.is_finance(request.user),
            "is_hr": is_hr_admin(request.user),
        },
    )


@login_required
@require_POST
def commission_decide(request, pk: int):
    commission = get_object_or_404(selectors.commissions_visible_to(request.user), pk=pk)
    try:
        commissions.commission_approve(
            commission=commission,
            actor=request.user,
            reject=request.POST.get("reject") == "1",
            reason=request.POST.get("reason", ""),
        )
    except KeelError as exc:
        messages.error(request, exc.message)
    return redirect("integrations:commissions")


@login_required
@require_POST
def complaint_outcome(request, pk: int):
    """The owner's supervisor or HR decide a complaint from the person's page."""
    complaint = get_object_or_404(Complaint.objects.filter(employee__isnull=False), pk=pk)
    try:
        complaints.complaint_outcome_record(
            complaint=complaint,
            outcome=request.POST.get("outcome", ""),
            actor=request.user,
            note=request.POST.get("note", ""),
        )
    except KeelError as exc:
        if not person_page_access(request.user, complaint.employee).allowed:
            raise Http404 from exc  # not theirs to see: as if it did not exist
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Outcome recorded."))
    return redirect("hrcore:person", complaint.employee_id)
