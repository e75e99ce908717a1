"""Reads for labour cost and return per customer: the work Keel records on each customer (crisis
duties done, complaints handled) and the revenue of its paid orders, in four queries whatever
the number of customers; the arithmetic is ``roi.py``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from crisis.choices import TaskStatus
from crisis.models import Task

from . import roi
from .models import Complaint, Order


def customer_rois(customers) -> dict[str, roi.CustomerRoi]:
    """``roi.CustomerRoi`` by external id for the given customers (a queryset or list)."""
    customers = list(customers)
    ids = {c.pk: c.external_id for c in customers}
    work: list[roi.Work] = []
    tasks = Task.objects.filter(
        crisis__customer_id__in=ids,
        status=TaskStatus.DONE,
        completed_at__isnull=False,
        assignee__isnull=False,
    ).values_list(
        "crisis__customer_id", "assignee__grade", "started_at", "created_at", "completed_at"
    )
    for customer_id, grade, started, created, completed in tasks:
        hours = roi.task_hours(started or created, completed)
        work.append(roi.Work(ids[customer_id], grade, hours, "tasks"))
    complaints = Complaint.objects.filter(customer_id__in=ids, employee__isnull=False).values_list(
        "customer_id", "employee__grade", "severity"
    )
    for customer_id, grade, severity in complaints:
        work.append(roi.Work(ids[customer_id], grade, roi.complaint_hours(severity), "complaints"))
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    paid = (
        Order.objects.filter(customer_id__in=ids, status="paid")
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
    return sorted(per.values(), key=lambda e: roi.SORTS["ratio"](e["total"]), reverse=True)
