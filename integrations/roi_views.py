"""The labour cost and return page: the customers one may see, by customer and by owner, sorted
by a column (highest cost-to-revenue first by default), the highest ratios flagged."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.selectors import customers_visible_to
from hrcore.charts import hbar_chart
from hrcore.errors import ValidationFailed

from . import roi, roi_selectors, roi_sources

CHART_ROWS = 10


@login_required
def roi_table(request):
    sort = request.GET.get("sort", "ratio")
    if sort not in roi.SORTS:
        sort = "ratio"
    descending = request.GET.get("dir", "desc") != "asc"
    period_error = ""
    try:
        period = roi_selectors.period_from_query(request.GET.get("since"), request.GET.get("until"))
    except ValidationFailed as exc:
        period, period_error = roi_selectors.Period.default(), exc.message
    customers = list(customers_visible_to(request.user).order_by("external_id"))
    figures = roi_sources.partner_figures(since=period.since, until=period.until)
    rows = roi_selectors.customer_rois(customers, period=period, figures=figures)
    names = {c.external_id: c for c in customers}
    ranked = roi.ranked(rows.values(), sort, descending)
    top = roi.ranked(rows.values())[:CHART_ROWS]  # the highest cost to revenue
    bars = [
        (
            names[r.customer].name,
            1.0 if r.ratio is None else float(r.ratio),
            _("no revenue") if r.ratio is None else f"{r.ratio * 100:.1f} %",
        )
        for r in top
        if r.cost > 0
    ]
    chart = bars and hbar_chart(
        bars,
        title=_("Labour cost as a share of revenue"),
        width=360,  # narrow: legible on a phone; the card caps it on a wide screen
        warn_at=float(roi.FLAG_RATIO) / 2,
        bad_at=float(roi.FLAG_RATIO),
    )
    return render(
        request,
        "integrations/customer_roi.html",
        {
            "rows": [(names[r.customer], r) for r in ranked],
            "owners": roi_selectors.owner_rois(customers, rows),
            "sort": sort,
            "descending": descending,
            "columns": ["customer", "hours", "cost", "revenue", "margin", "ratio"],
            "flag_ratio_percent": int(roi.FLAG_RATIO * 100),
            "chart": chart,
            "period": period,
            "period_error": period_error,
            "sources": figures.sources(),
            "statuses": {"finance": figures.finance, "attendance": figures.attendance},
            "may_refresh": roi_selectors.may_refresh_roi(request.user),
            "fresh_minutes": roi_sources.cache_seconds() // 60,
        },
        status=400 if period_error else 200,
    )


@require_POST
@login_required
def roi_refresh(request):
    """Ask the partners again now for the period shown (HR admins, finance, executives), then
    show the page; a partner that fails keeps its last figures, marked stale."""
    if not roi_selectors.may_refresh_roi(request.user):
        raise PermissionDenied(_("Only HR admins, finance and executives refresh the figures."))
    try:
        period = roi_selectors.period_from_query(
            request.POST.get("since"), request.POST.get("until")
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("integrations:customer_roi"))
    figures = roi_sources.partner_figures(since=period.since, until=period.until, refresh=True)
    if any(s.state in ("stale", "failed") for s in (figures.finance, figures.attendance)):
        messages.warning(request, _("Not every partner answered: see each source below."))
    else:
        messages.success(request, _("Figures refreshed from the partners."))
    query = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    sort = request.POST.get("sort", "")
    if sort in roi.SORTS:
        query |= {"sort": sort, "dir": "asc" if request.POST.get("dir") == "asc" else "desc"}
    return HttpResponseRedirect(f"{reverse('integrations:customer_roi')}?{urlencode(query)}")
