"""Reads for labour cost and return per customer over a period: the work Keel records on each
customer (crisis duties done, complaints handled), the field visits the attendance partner
reports, and the revenue — finance's with its gross margin when finance answered, else Keel's
paid orders — in a fixed number of queries whatever the number of customers; the arithmetic is
``roi.py``, the partner calls ``roi_sources.py``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.choices import TaskStatus
from crisis.models import Task
from hrcore.choices import Role
from hrcore.errors import ValidationFailed
from hrcore.models import Employee
from hrcore.selectors import has_role, is_hr_admin

from . import roi
from .models import Complaint, Order
from .roi_sources import PartnerFigures
from .selectors import is_finance

DEFAULT_PERIOD_DAYS = 365


def may_refresh_roi(user: AbstractBaseUser) -> bool:
    """Who may ask the partners again before the cached figures expire: HR admins, finance and
    executives (the people who act on the table); everyone else reads the cached figures."""
    if not user.is_authenticated:
        return False
    return is_hr_admin(user) or is_finance(user) or has_role(user, Role.EXECUTIVE)


@dataclass(frozen=True)
class Period:
    """The days ``since``…``until`` (both included) the report covers."""

    since: date
    until: date

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(today - timedelta(days=DEFAULT_PERIOD_DAYS), today)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware moments in the current time zone."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.since, time.min, tzinfo=zone),
            datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=zone),
        )


MAX_PERIOD_DAYS = 3 * 366


def period_from_query(since: str | None, until: str | None) -> Period:
    """The period ``?since=&until=`` (ISO dates) names; the last year by default. Bad dates, an
    end before the start or more than three years are refused (400)."""
    default = Period.default()
    try:
        end = date.fromisoformat(until) if until else default.until
        start = date.fromisoformat(since) if since else end - timedelta(days=DEFAULT_PERIOD_DAYS)
    except ValueError as exc:
        raise ValidationFailed(
            _("Give the period as dates, YYYY-MM-DD."),
            errors={"since" if since and not _is_date(since) else "until": _("Not a date.")},
        ) from exc
    if end < start:
        raise ValidationFailed(
            _("The period ends before it starts."), errors={"until": _("Before “since”.")}
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            _("The period is at most three years."), errors={"since": _("Too long a period.")}
        )
    return Period(start, end)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def customer_rois(
    customers, *, period: Period | None = None, figures: PartnerFigures | None = None
) -> dict[str, roi.CustomerRoi]:
    """``roi.CustomerRoi`` by external id for the given customers (a queryset or list) over
    ``period`` (default: the last year); ``figures`` from the finance and attendance partners
    (``roi_sources.partner_figures``) add the visits and finance's revenue and margin."""
    customers = list(customers)
    period = period or Period.default()
    start, end = period.bounds()
    ids = {c.pk: c.external_id for c in customers}
    work: list[roi.Work] = []
    tasks = Task.objects.filter(
        crisis__customer_id__in=ids,
        status=TaskStatus.DONE,
        completed_at__gte=start,
        completed_at__lt=end,
        assignee__isnull=False,
    ).values_list(
        "crisis__customer_id", "assignee__grade", "started_at", "created_at", "completed_at"
    )
    for customer_id, grade, started, created, completed in tasks:
        hours = roi.task_hours(started or created, completed)
        work.append(roi.Work(ids[customer_id], grade, hours, "tasks"))
    complaints = Complaint.objects.filter(
        customer_id__in=ids, employee__isnull=False, received_at__gte=start, received_at__lt=end
    ).values_list("customer_id", "employee__grade", "severity")
    for customer_id, grade, severity in complaints:
        work.append(roi.Work(ids[customer_id], grade, roi.complaint_hours(severity), "complaints"))
    if figures is not None and figures.visits:
        wanted = set(ids.values())
        visits = [v for v in figures.visits if v.customer in wanted]
        grades = dict(
            Employee.objects.filter(user__username__in={v.username for v in visits}).values_list(
                "user__username", "grade"
            )
        )
        for visit in visits:
            if visit.username in grades:  # people Keel does not know cost nothing it can rate
                hours = roi.visit_hours(visit.checked_in_at, visit.checked_out_at)
                work.append(roi.Work(visit.customer, grades[visit.username], hours, "attendance"))
    if figures is not None and figures.revenue is not None:
        return roi.customer_roi(work, figures.revenue, ids.values(), figures.gross_margin)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    paid = (
        Order.objects.filter(
            customer_id__in=ids, status="paid", paid_at__gte=start, paid_at__lt=end
        )
        .values("customer_id")
        .annotate(total=Coalesce(Sum(F("amount")), Decimal(0)))
    )
    for row in paid:
        revenue[ids[row["customer_id"]]] = row["total"]
    return roi.customer_roi(work, revenue, ids.values())


def owner_rois(customers, rows: dict[str, roi.CustomerRoi]) -> list[dict]:
    """The customers' rows summed per account owner, highest cost-to-revenue first (cost without
    revenue on top, as ``roi.ranked``)."""
    per: dict[int | None, dict] = {}
    for customer in customers:
        row = rows[customer.external_id]
        owner = customer.account_owner
        entry = per.setdefault(
            owner.pk if owner else None,
            {"owner": owner, "customers": 0, "flagged": 0, "total": roi.CustomerRoi("")},
        )
        entry["customers"] += 1
        entry["flagged"] += int(row.flagged)
        entry["total"].revenue += row.revenue
        entry["total"].cost += row.cost
        entry["total"].hours += row.hours
        if row.gross_margin is not None:
            entry["total"].gross_margin = (entry["total"].gross_margin or Decimal(0)) + (
                row.gross_margin
            )
    return sorted(per.values(), key=lambda e: roi.SORTS["ratio"](e["total"]), reverse=True)
