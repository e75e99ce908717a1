"""The "keel-rest" protocol: the JSON shapes the Keel sandbox (and partners that follow our
published contract) speak. Instant messaging has no keel-rest form: no messaging service speaks
it; DingTalk and WeCom robots are in im.py."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from .base import register
from .interfaces import (
    AttendanceAdapter,
    CrmAdapter,
    FinanceAdapter,
    HrAdapter,
    LegalAdapter,
    PerformanceAdapter,
)
from .records import (
    AttendanceRecord,
    Complaint,
    Contact,
    CreditProfile,
    CrmCustomer,
    CustomerRevenue,
    CustomerVisit,
    HrEmployee,
    HrRoster,
    Invoice,
    LegalGuide,
    Order,
    Payment,
    PerformanceEvent,
    PerformanceGoal,
    PerformanceReview,
    many,
)

PROTOCOL = "keel-rest"


def _id(external_id: str) -> str:
    return quote(external_id, safe="")


@register("finance", PROTOCOL)
class RestFinanceAdapter(FinanceAdapter):
    def payment_history(self, external_id: str) -> list[Payment]:
        body = self.http.get(f"finance/customers/{_id(external_id)}/payments")
        return many(Payment, body, "payments", "payment history")

    def unpaid_invoices(self, external_id: str) -> list[Invoice]:
        body = self.http.get(f"finance/customers/{_id(external_id)}/invoices", status="unpaid")
        return [i for i in many(Invoice, body, "invoices", "invoices") if i.status == "unpaid"]

    def credit_profile(self, external_id: str) -> CreditProfile:
        return CreditProfile.from_payload(
            self.http.get(f"finance/customers/{_id(external_id)}/credit")
        )

    def credit_profiles(self) -> list[CreditProfile]:
        return many(CreditProfile, self.http.get("finance/credit"), "customers", "credit list")

    def revenue(self, since: date, until: date, customer: str = "") -> list[CustomerRevenue]:
        body = self.http.get(
            "finance/revenue",
            since=since.isoformat(),
            until=until.isoformat(),
            customer=customer or None,
        )
        return many(CustomerRevenue, body, "customers", "revenue")


@register("legal", PROTOCOL)
class RestLegalAdapter(LegalAdapter):
    def guide(self, scenario: str, dispute_type: str = "") -> LegalGuide:
        body = self.http.get("legal/guides", scenario=scenario, dispute_type=dispute_type or None)
        return LegalGuide.from_payload(body)


@register("crm", PROTOCOL)
class RestCrmAdapter(CrmAdapter):
    def customer(self, external_id: str) -> CrmCustomer:
        return CrmCustomer.from_payload(self.http.get(f"crm/customers/{_id(external_id)}"))

    def contacts(self, external_id: str, limit: int = 5) -> list[Contact]:
        body = self.http.get(f"crm/customers/{_id(external_id)}/contacts", limit=limit)
        return many(Contact, body, "contacts", "contacts")[:limit]

    def complaints(self, external_id: str) -> list[Complaint]:
        body = self.http.get(f"crm/customers/{_id(external_id)}/complaints")
        return many(Complaint, body, "complaints", "complaints")

    def orders(self, external_id: str) -> list[Order]:
        body = self.http.get(f"crm/customers/{_id(external_id)}/orders")
        return many(Order, body, "orders", "orders")

    def customers(self) -> list[CrmCustomer]:
        return many(CrmCustomer, self.http.get("crm/customers"), "customers", "customer list")


@register("hr", PROTOCOL)
class RestHrAdapter(HrAdapter):
    def roster(self) -> HrRoster:
        return HrRoster.from_payload(self.http.get("hr/roster"))

    def employee(self, external_id: str) -> HrEmployee:
        return HrEmployee.from_payload(self.http.get(f"hr/employees/{_id(external_id)}"))


@register("performance", PROTOCOL)
class RestPerformanceAdapter(PerformanceAdapter):
    def record_event(
        self, *, employee: str, kind: str, reference: str, points: int
    ) -> PerformanceEvent:
        # The key names the event, so a retry after a timeout or a 5xx (the partner may have
        # recorded it before failing) is answered with the first recording, not a second one.
        body = self.http.request(
            "POST",
            "performance/events",
            json={"employee": employee, "kind": kind, "reference": reference, "points": points},
            headers={"Idempotency-Key": f"keel:{kind}:{reference}:{employee}"},
        )
        return PerformanceEvent.from_payload(body)

    def events(self, employee: str) -> list[PerformanceEvent]:
        body = self.http.get(f"performance/employees/{_id(employee)}/events")
        return many(PerformanceEvent, body, "events", "performance events")

    def goals(self, employee: str) -> list[PerformanceGoal]:
        body = self.http.get(f"performance/employees/{_id(employee)}/goals")
        return many(PerformanceGoal, body, "goals", "performance goals")

    def reviews(self, employee: str) -> list[PerformanceReview]:
        body = self.http.get(f"performance/employees/{_id(employee)}/reviews")
        return many(PerformanceReview, body, "reviews", "performance reviews")


@register("attendance", PROTOCOL)
class RestAttendanceAdapter(AttendanceAdapter):
    def today(self, usernames: list[str]) -> dict[str, AttendanceRecord]:
        if not usernames:
            return {}
        body = self.http.get("attendance/today", users=",".join(usernames))
        records = many(AttendanceRecord, body, "people", "attendance")
        wanted = set(usernames)
        return {r.username: r for r in records if r.username in wanted}

    def customer_visits(self, since: date, until: date, customer: str = "") -> list[CustomerVisit]:
        body = self.http.get(
            "attendance/customer-visits",
            since=since.isoformat(),
            until=until.isoformat(),
            customer=customer or None,
        )
        return many(CustomerVisit, body, "visits", "customer visits")
