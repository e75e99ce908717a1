"""Reads of the integrations app that depend on who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.choices import TASK_OPEN_STATES, DeliverableKind
from crisis.models import Deliverable, WalkInConsumer
from crisis.selectors.access import CrisisAccess, crises_visible_to, crisis_access
from crisis.selectors.people import open_roles_of, open_tasks_of
from crisis.selectors.walk_in import walk_ins_against
from customers.models import Customer
from customers.selectors import customers_visible_to
from hrcore.choices import DeliveryResult, DepartmentFunction, OutboxStatus, Role
from hrcore.models import DeliveryAttempt, Employee
from hrcore.selectors import employee_of, has_role, is_hr_admin

from .choices import (
    SOURCE_ORDER,
    WEBHOOK_CHANNEL,
    ComplaintOutcome,
    DeliveryStatus,
    DossierStatus,
    SourceStatus,
)
from .freshness import FRESH_FOR, aged_out, source_freshness
from .models import (
    Commission,
    Complaint,
    Dossier,
    Handover,
    Order,
    ResponsePlan,
    WebhookSubscription,
)

# Need to know for a customer's own dossier (outside any crisis): what each support department
# works with. Everyone else who sees the customer (executives, HR admins, partner systems, the
# account owner, managers of the customer's unit) sees it all.
SUPPORT_FUNCTION_SOURCES = {
    "finance": frozenset({"credit", "invoices", "payments", "orders"}),
    "legal": frozenset({"credit", "legal_guide", "contacts", "complaints"}),
    "customer_service": frozenset({"contacts", "complaints", "orders"}),
    "administration": frozenset({"contacts"}),
}


def customer_dossier_access(user: AbstractBaseUser, customer: Customer):
    """What of a customer's dossier the user may read (callers check ``customers_visible_to``
    first): all of it, or for support departments the sources of their function — so the
    administration officer sees the customer's contacts, not their payment history."""
    full = CrisisAccess(full=True)
    if user.is_superuser or has_role(user, Role.EXECUTIVE, Role.HR_ADMIN, Role.PARTNER):
        return full
    employee = employee_of(user)
    if employee is None:
        return CrisisAccess(full=False)
    if customer.account_owner_id == employee.pk:
        return full
    if has_role(user, Role.MANAGER) and customer.unit.path.startswith(employee.unit.path):
        return full
    function = employee.unit.function
    if function == DepartmentFunction.EXECUTIVE:
        return full
    return CrisisAccess(
        full=False, dossier_sources=SUPPORT_FUNCTION_SOURCES.get(function, frozenset())
    )


def crisis_dossier_access(user: AbstractBaseUser, crisis):
    """What of a crisis's dossier and plan the user may read (the crisis app decides: see
    ``crisis.selectors.access.crisis_access``)."""
    return crisis_access(user, crisis)


def crisis_visible(user: AbstractBaseUser, crisis_id: int):
    """The crisis if ``user`` may see it (the crisis app decides), else None."""
    return (
        crises_visible_to(user)
        .select_related("scenario", "customer", "unit")
        .filter(pk=crisis_id)
        .first()
    )


@dataclass(frozen=True)
class SourceView:
    """One source of a dossier as people see it: the stored outcome of the pull, with data
    fetched long ago shown as stale (see ``freshness``)."""

    source: str
    partner_slug: str
    status: str
    fetched_at: datetime | None
    error: str
    duration_ms: int
    data: object

    @property
    def status_label(self) -> str:
        return str(SourceStatus(self.status).label) if self.status in SourceStatus.values else ""


def dossier_sources(
    dossier: Dossier | None, *, now: datetime | None = None, access=None
) -> list[SourceView]:
    """The dossier's sources in reading order with the freshness rule applied, for the pages
    and the API alike (the stored rows are not changed). With ``access`` (a crisis dossier:
    ``crisis_access`` of the viewer) only the sources the viewer needs to know."""
    if dossier is None:
        return []
    now = now or timezone.now()
    rank = {code: i for i, code in enumerate(SOURCE_ORDER)}
    rows = sorted(dossier.sources.all(), key=lambda s: (rank.get(s.source, len(rank)), s.pk))
    if access is not None:
        rows = [row for row in rows if access.sees_source(row.source)]
    views = []
    for row in rows:
        error = row.error
        if aged_out(row.status, row.fetched_at, now):
            error = _("fetched more than %(n)d minutes ago; press Refresh") % {
                "n": int(FRESH_FOR.total_seconds() // 60)
            }
        views.append(
            SourceView(
                source=row.source,
                partner_slug=row.partner_slug,
                status=source_freshness(row.status, row.fetched_at, now),
                fetched_at=row.fetched_at,
                error=error,
                duration_ms=row.duration_ms,
                data=row.data,
            )
        )
    return views


def latest_plan(crisis_id: int) -> ResponsePlan | None:
    return ResponsePlan.objects.filter(crisis_id=crisis_id).order_by("-version").first()


def plan_history(crisis_id: int) -> QuerySet[ResponsePlan]:
    return (
        ResponsePlan.objects.filter(crisis_id=crisis_id)
        .select_related("author")
        .order_by("-version")
    )


def dossier_history(*, crisis_id: int | None = None, customer=None) -> QuerySet[Dossier]:
    qs = (
        Dossier.objects.filter(crisis_id=crisis_id)
        if crisis_id
        else Dossier.objects.filter(crisis_id__isnull=True, customer=customer)
    )
    return qs.order_by("-id")


def webhook_subscriptions_visible_to(user: AbstractBaseUser) -> QuerySet[WebhookSubscription]:
    """Webhook subscriptions, for HR admins only (the role that manages partners)."""
    if not has_role(user, Role.HR_ADMIN):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.select_related("partner").order_by("id")


def webhook_subscription_deliveries(
    subscription: WebhookSubscription,
) -> QuerySet[DeliveryAttempt]:
    """The subscription's delivery log, newest attempt first: the outbox's delivery ledger on
    the webhook channel (each outbox row names its subscription)."""
    return (
        DeliveryAttempt.objects.filter(
            channel=WEBHOOK_CHANNEL,
            # Both on the message: what its partial index on the subscription covers.
            message__channel=WEBHOOK_CHANNEL,
            message__payload__subscription_id=subscription.pk,
        )
        .select_related("message")
        .order_by("-started_at", "-id")
    )


def webhook_delivery_status(attempt: DeliveryAttempt) -> str:
    """How the delivery log reports one ledger row (``DeliveryStatus``): a failed attempt is
    ``dead`` when it was the message's last (the outbox gave up), else ``failed``."""
    if attempt.result == DeliveryResult.DELIVERED:
        return DeliveryStatus.DELIVERED
    if attempt.result == DeliveryResult.STARTED:
        return DeliveryStatus.PENDING
    if attempt.result == DeliveryResult.REFUSED:
        return DeliveryStatus.DEAD
    message = attempt.message
    if message.status == OutboxStatus.DEAD and attempt.attempt >= message.attempts:
        return DeliveryStatus.DEAD
    return DeliveryStatus.FAILED


def webhook_delivery_duration_ms(attempt: DeliveryAttempt) -> int:
    if attempt.finished_at is None:
        return 0
    return max(0, int((attempt.finished_at - attempt.started_at).total_seconds() * 1000))


def commissions_visible_to(user: AbstractBaseUser) -> QuerySet[Commission]:
    """Finance and HR admins see every commission; a person their own; a supervisor also their
    team's (direct reports, and for managers everyone of their unit and below)."""
    qs = Commission.objects.select_related("order", "order__customer", "employee", "employee__user")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser or has_role(user, Role.HR_ADMIN) or is_finance(user):
        return qs
    employee = employee_of(user)
    if employee is None:
        return qs.none()
    mine = Q(employee=employee) | Q(employee__manager=employee)
    if has_role(user, Role.MANAGER):
        mine |= Q(employee__unit__path__startswith=employee.unit.path)
    return qs.filter(mine)


def handovers_visible_to(user: AbstractBaseUser) -> QuerySet[Handover]:
    qs = Handover.objects.select_related("employee", "successor", "executed_by")
    if has_role(user, Role.HR_ADMIN):
        return qs
    employee = employee_of(user)
    return qs.filter(employee__manager=employee) if employee else qs.none()


def dossier_waiting_since(*, crisis_id: int | None = None, customer=None) -> datetime | None:
    """When the oldest dossier of a subject still being built was requested (None: none is)."""
    from .choices import DossierStatus
    from .models import Dossier

    qs = (
        Dossier.objects.filter(crisis_id=crisis_id)
        if crisis_id
        else Dossier.objects.filter(crisis_id__isnull=True, customer=customer)
    )
    first = qs.filter(status=DossierStatus.BUILDING).order_by("requested_at").first()
    return first.requested_at if first else None


def latest_dossier(*, crisis_id: int | None = None, customer: Customer | None = None):
    """The newest complete dossier of a subject, and whether a newer one is being built."""
    qs = (
        Dossier.objects.filter(crisis_id=crisis_id)
        if crisis_id
        else Dossier.objects.filter(crisis_id__isnull=True, customer=customer)
    )
    complete = (
        qs.filter(status=DossierStatus.COMPLETE)
        .select_related("snapshot_of")
        .order_by("-id")
        .first()
    )
    building = qs.filter(status=DossierStatus.BUILDING).exists()
    return complete, building


# --- HR ↔ CRM: offboarding and handover ----------------------------------------------------


def successor_suggestions(*, employee: Employee, limit: int = 3) -> list[Employee]:
    """Colleagues in the same unit (then the same subsidiary), least loaded first, similar grade."""
    candidates = Employee.objects.filter(is_active=True).exclude(pk=employee.pk)
    same_unit = candidates.filter(unit=employee.unit)
    pool = (
        same_unit
        if same_unit.exists()
        else candidates.filter(unit__path__startswith=employee.unit.path.rsplit("/", 2)[0] + "/")
    )
    pool = pool.select_related("unit", "position", "user").annotate(
        customer_load=Count("customers", distinct=True),
        task_load=Count(
            "crisis_tasks",
            filter=Q(crisis_tasks__status__in=TASK_OPEN_STATES),
            distinct=True,
        ),
    )
    ranked = sorted(
        pool,
        key=lambda e: (
            e.customer_load + e.task_load,
            abs(e.grade - employee.grade),
            e.pk,
        ),
    )
    return ranked[:limit]


def leavers_with_customers() -> QuerySet[Employee]:
    """Employees who left (deactivated, e.g. by the HR system) and still own customers: their
    handover is pending."""
    return (
        Employee.objects.filter(is_active=False, customers__isnull=False)
        .distinct()
        .select_related("unit", "position", "manager", "user")
        .order_by("unit__path", "name_en")
    )


def offboarding_preview(*, employee: Employee) -> dict:
    """Everything a leaving employee holds, and who could take it over."""
    return {
        "employee": employee,
        "customers": list(Customer.objects.filter(account_owner=employee).select_related("unit")),
        "tasks": list(open_tasks_of(employee)),
        "crisis_roles": open_roles_of(employee),
        "suggestions": successor_suggestions(employee=employee),
    }


def performance_points(employee: Employee) -> int:
    return sum(
        Complaint.objects.filter(employee=employee).values_list("performance_points", flat=True)
    )


def is_finance(user) -> bool:
    employee = getattr(user, "employee", None) if user.is_authenticated else None
    return bool(user.is_superuser or (employee and employee.unit.function == "finance"))


def can_manage_people(user) -> bool:
    return is_hr_admin(user) or has_role(user, Role.MANAGER)


@dataclass
class StatementMonth:
    period: str
    commissions: list
    totals: dict  # status -> Decimal


def can_see_statement(user: AbstractBaseUser, employee: Employee) -> bool:
    """A person their own statement, a supervisor their team's, finance and HR everyone's (as
    ``commissions_visible_to``)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, Role.HR_ADMIN) or is_finance(user):
        return True
    me = employee_of(user)
    if me is None:
        return False
    if me.pk in (employee.pk, employee.manager_id):
        return True
    return has_role(user, Role.MANAGER) and employee.unit.path.startswith(me.unit.path)


def commission_statement(employee: Employee) -> list[StatementMonth]:
    """The person's commissions by month (newest first) with a total per status: pending (incl.
    approved by finance), approved, paid, reversed, rejected. One query."""
    from decimal import Decimal

    months: dict[str, StatementMonth] = {}
    rows = (
        Commission.objects.filter(employee=employee)
        .select_related("order", "order__customer")
        .order_by("-period", "-created_at", "-id")
    )
    for row in rows:
        month = months.setdefault(row.period, StatementMonth(row.period, [], {}))
        month.commissions.append(row)
        key = "pending" if row.status == "finance_approved" else row.status
        month.totals[key] = month.totals.get(key, Decimal("0.00")) + row.amount
    return list(months.values())


# --- A person's page (issue 17 §5): customers owned, complaints, commissions ----------------


@dataclass
class PersonCustomers:
    customers: list[Customer]
    total: int


def customers_owned(user: AbstractBaseUser, employee: Employee, *, limit: int) -> PersonCustomers:
    """The customers ``employee`` owns that ``user`` may see, most overdue first, and their
    number (two queries)."""
    owned = customers_visible_to(user).filter(account_owner=employee)
    rows = list(owned.order_by("-overdue_days", "external_id")[:limit])
    return PersonCustomers(rows, owned.count())


@dataclass
class DecidedComplaint:
    """A decided complaint on a person's page: a company's (``complaint``) or a walk-in
    consumer's (``walk_in``), with the points it counted (taken back when dismissed)."""

    kind: str  # "company" or "walk_in"
    received_at: datetime
    decided_at: datetime | None
    outcome: str
    outcome_label: str
    points: int
    note: str
    complaint: Complaint | None = None
    walk_in: WalkInConsumer | None = None

    @property
    def taken_back(self) -> bool:
        return self.outcome == ComplaintOutcome.DISMISSED


@dataclass
class PersonComplaints:
    complaints: list[Complaint]  # the open company complaints, newest first
    total: int  # every complaint that counts (not dismissed), company and walk-in
    points: int  # their points
    visible_customer_ids: set[int]
    open: int = 0
    walk_ins: list[WalkInConsumer] = field(default_factory=list)  # the open walk-in ones
    visible_crisis_ids: set[int] = field(default_factory=set)
    decided: list[DecidedComplaint] = field(default_factory=list)  # last decided first
    decided_total: int = 0


def complaints_against(
    user: AbstractBaseUser, employee: Employee, *, limit: int
) -> PersonComplaints:
    """The complaints counting on ``employee``'s performance record — about company customers
    and about walk-in consumers (``crisis.selectors.walk_in.walk_ins_against``; drills left
    out): their number and points (all but dismissed ones), the open ones
    (``ComplaintOutcome.OPEN``) newest first, and the ``limit`` last decided ones of either kind
    with their outcome and points; a customer or crisis is linked only where ``user`` may open
    it. Ten queries."""
    rows = Complaint.objects.filter(employee=employee)
    totals = rows.aggregate(
        n=Count("pk", filter=~Q(outcome=ComplaintOutcome.DISMISSED)),
        points=Sum("performance_points", filter=~Q(outcome=ComplaintOutcome.DISMISSED)),
        open=Count("pk", filter=Q(outcome=ComplaintOutcome.OPEN)),
        decided=Count("pk", filter=~Q(outcome=ComplaintOutcome.OPEN)),
    )
    recent = list(
        rows.filter(outcome=ComplaintOutcome.OPEN)
        .select_related("customer")
        .order_by("-received_at", "-pk")[:limit]
    )
    decided_rows = list(
        rows.exclude(outcome=ComplaintOutcome.OPEN)
        .select_related("customer")
        .order_by("-decided_at", "-pk")[:limit]
    )
    visible = set(
        customers_visible_to(user)
        .filter(pk__in={c.customer_id for c in recent + decided_rows})
        .values_list("pk", flat=True)
    )
    walk_ins = walk_ins_against(user, employee, limit=limit)
    decided = [
        DecidedComplaint(
            kind="company",
            received_at=c.received_at,
            decided_at=c.decided_at,
            outcome=c.outcome,
            outcome_label=c.get_outcome_display(),
            points=c.performance_points,
            note=c.outcome_note,
            complaint=c,
        )
        for c in decided_rows
    ] + [
        DecidedComplaint(
            kind="walk_in",
            received_at=w.recorded_at,
            decided_at=w.decided_at,
            outcome=w.outcome,
            outcome_label=w.get_outcome_display(),
            points=w.points,
            note=w.outcome_note,
            walk_in=w,
        )
        for w in walk_ins.decided
    ]
    decided.sort(key=lambda d: d.decided_at or d.received_at, reverse=True)
    return PersonComplaints(
        complaints=recent,
        total=(totals["n"] or 0) + walk_ins.counting,
        points=(totals["points"] or 0) + walk_ins.points,
        visible_customer_ids=visible,
        open=(totals["open"] or 0) + walk_ins.open_count,
        walk_ins=walk_ins.open,
        visible_crisis_ids=walk_ins.visible_crisis_ids,
        decided=decided[:limit],
        decided_total=(totals["decided"] or 0) + walk_ins.decided_count,
    )


@dataclass
class CommissionSummary:
    months: list[StatementMonth]
    recent: list[Commission]


def commission_summary(employee: Employee, *, months: int, limit: int) -> CommissionSummary:
    """The totals per status of ``employee``'s last ``months`` commission months and their
    ``limit`` latest commissions (three queries). Pending includes approved by finance, as on
    the statement."""
    rows = Commission.objects.filter(employee=employee)
    periods = list(
        rows.exclude(period="")
        .values_list("period", flat=True)
        .distinct()
        .order_by("-period")[:months]
    )
    by_month: dict[str, StatementMonth] = {p: StatementMonth(p, [], {}) for p in periods}
    for period, status, amount in (
        rows.filter(period__in=periods)
        .values("period", "status")
        .annotate(amount=Sum("amount"))
        .values_list("period", "status", "amount")
    ):
        key = "pending" if status == "finance_approved" else status
        totals = by_month[period].totals
        totals[key] = totals.get(key, Decimal("0.00")) + amount
    recent = list(
        rows.select_related("order", "order__customer").order_by("-created_at", "-pk")[:limit]
    )
    return CommissionSummary([by_month[p] for p in periods], recent)


# --- One view of a customer (issue 17 §5) ----------------------------------------------------

CUSTOMER_PAGE_ROWS = 10


@dataclass
class OwnerChange:
    at: datetime
    old: str
    new: str
    actor: str
    reason: str


@dataclass
class CustomerRecord:
    """What the customer page lists beside the dossier, each list newest first and cut at
    ``CUSTOMER_PAGE_ROWS``; a list the reader's department does not work with is None."""

    owner_history: list[OwnerChange]
    orders: list | None
    orders_total: int
    payments: list | None
    complaints: list[Complaint] | None
    crises: list
    contact_logs: list | None


def customer_owner_history(customer: Customer, *, limit: int) -> list[OwnerChange]:
    """Every change of the customer's account owner as audited (the CRM's creation and updates,
    handovers), newest first, in one query."""
    entries = (
        LogEntry.objects.get_for_object(customer)
        .filter(changes__has_key="account_owner")
        .select_related("actor")
        .order_by("-timestamp", "-pk")[:limit]
    )
    history = []
    for entry in entries:
        old, new = (entry.changes_dict.get("account_owner") or ["", ""])[:2]
        history.append(
            OwnerChange(
                at=entry.timestamp,
                old="" if old in (None, "None") else str(old),
                new="" if new in (None, "None") else str(new),
                actor=entry.actor.get_username() if entry.actor_id else "",
                reason=str((entry.additional_data or {}).get("reason", "")),
            )
        )
    return history


def customer_record(user: AbstractBaseUser, customer: Customer) -> CustomerRecord:
    """The customer page's lists for ``user`` (who sees the customer; callers check): owner
    history, orders and payments, complaints, the crises they may see and the contacts logged in
    those crises. A fixed number of queries whatever the number of rows."""
    access = customer_dossier_access(user, customer)
    rows = CUSTOMER_PAGE_ROWS
    orders = payments = complaints = contact_logs = None
    orders_total = 0
    if access.sees_source("orders"):
        all_orders = Order.objects.filter(customer=customer)
        orders = list(all_orders.select_related("owner").order_by("-pk")[:rows])
        orders_total = all_orders.count()
    if access.sees_source("payments"):
        payments = list(
            Order.objects.filter(customer=customer, paid_at__isnull=False).order_by(
                "-paid_at", "-pk"
            )[:rows]
        )
    if access.sees_source("complaints"):
        complaints = list(
            customer.complaints.select_related("employee").order_by("-received_at", "-pk")[:rows]
        )
    visible = crises_visible_to(user).filter(customer=customer)
    crises = list(visible.order_by("-filed_at", "-pk")[:rows])
    if access.full:
        contact_logs = list(
            Deliverable.objects.filter(
                kind=DeliverableKind.CONTACT_LOG,
                task__crisis_id__in=visible.values("pk"),
            )
            .select_related("task__crisis", "submitted_by__employee")
            .order_by("-submitted_at", "-pk")[:rows]
        )
    return CustomerRecord(
        owner_history=customer_owner_history(customer, limit=rows),
        orders=orders,
        orders_total=orders_total,
        payments=payments,
        complaints=complaints,
        crises=crises,
        contact_logs=contact_logs,
    )
