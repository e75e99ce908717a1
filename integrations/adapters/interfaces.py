"""One interface per source kind. Implementations are registered per protocol (see rest.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date

from .base import HttpClient, PartnerConfig
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
)


class Adapter(ABC):  # noqa: B024  (a base for the kind interfaces)
    kind = ""
    protocol = ""

    def __init__(self, config: PartnerConfig):
        self.config = config
        self.http = HttpClient(config)

    def ping(self) -> bool:
        """True when the partner answers its health check (used by the admin's test button)."""
        self.http.get("healthz")
        return True


class FinanceAdapter(Adapter):
    """Payment history, unpaid invoices, credit profile and payment events."""

    @abstractmethod
    def payment_history(self, external_id: str) -> list[Payment]: ...

    @abstractmethod
    def unpaid_invoices(self, external_id: str) -> list[Invoice]: ...

    @abstractmethod
    def credit_profile(self, external_id: str) -> CreditProfile: ...

    @abstractmethod
    def credit_profiles(self) -> list[CreditProfile]:
        """Every customer's profile, for the periodic pull."""

    @abstractmethod
    def revenue(self, since: date, until: date, customer: str = "") -> list[CustomerRevenue]:
        """Revenue and gross margin per customer over ``since``…``until`` (one customer when
        ``customer`` is given), for labour cost and return per customer."""


class LegalAdapter(Adapter):
    """Response guides and legal basis by scenario and dispute type."""

    @abstractmethod
    def guide(self, scenario: str, dispute_type: str = "") -> LegalGuide: ...


class CrmAdapter(Adapter):
    """Customers, account owners, last contacts, complaints and orders."""

    @abstractmethod
    def customer(self, external_id: str) -> CrmCustomer: ...

    @abstractmethod
    def contacts(self, external_id: str, limit: int = 5) -> list[Contact]: ...

    @abstractmethod
    def complaints(self, external_id: str) -> list[Complaint]: ...

    @abstractmethod
    def orders(self, external_id: str) -> list[Order]: ...

    @abstractmethod
    def customers(self) -> list[CrmCustomer]:
        """Every customer with its owner and last contact, for the periodic pull."""


class HrAdapter(Adapter):
    """The HR system of record: the roster (people and units) and one person."""

    @abstractmethod
    def roster(self) -> HrRoster: ...

    @abstractmethod
    def employee(self, external_id: str) -> HrEmployee: ...


class PerformanceAdapter(Adapter):
    """Performance / OKR systems: record an event against an employee (complaints, commissions)
    and read an employee's events back."""

    @abstractmethod
    def record_event(
        self, *, employee: str, kind: str, reference: str, points: int
    ) -> PerformanceEvent:
        """Record once: retrying the same (employee, kind, reference, points) must not record it
        twice."""

    @abstractmethod
    def events(self, employee: str) -> list[PerformanceEvent]: ...

    @abstractmethod
    def goals(self, employee: str) -> list[PerformanceGoal]:
        """The employee's goals (OKRs) with their progress."""

    @abstractmethod
    def reviews(self, employee: str) -> list[PerformanceReview]:
        """The employee's performance reviews."""


class AttendanceAdapter(Adapter):
    """Attendance systems: who is on site / working today."""

    @abstractmethod
    def today(self, usernames: list[str]) -> dict[str, AttendanceRecord]:
        """Today's records by user name; users the system does not know are absent from it."""

    @abstractmethod
    def customer_visits(self, since: date, until: date, customer: str = "") -> list[CustomerVisit]:
        """Field check-ins at customers' sites over ``since``…``until`` (one customer when
        ``customer`` is given): the hours people spent at each customer."""

    def on_site(self, usernames: list[str]) -> list[str]:
        """The given users who are physically at a workplace today, in the given order."""
        records = self.today(usernames)
        return [u for u in usernames if u in records and records[u].on_site]

    def on_duty(self, usernames: list[str]) -> dict[str, bool]:
        """Whether each user works today (on site, remote or travelling); unknown users do not."""
        records = self.today(usernames)
        return {u: u in records and records[u].working for u in usernames}


class ImAdapter(Adapter):
    """Instant messaging (DingTalk / WeCom group robots): push a message into the group the
    robot belongs to, mentioning a person. See im.py."""

    @abstractmethod
    def send(self, *, to: str, title: str, text: str, link: str = "") -> None: ...
