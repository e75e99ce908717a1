"""Partner adapters: one interface per source kind, a registry, typed records, an HTTP client with
timeouts, retries on transient errors only and a circuit breaker per partner.

Adapters never touch the ORM: services build a :class:`PartnerConfig` from the database and hand it
in, and get typed records (or an :class:`AdapterError`) back.
"""

from .base import (
    AdapterError,
    CircuitOpen,
    MalformedPayload,
    PartnerConfig,
    PartnerWriteRefused,
    PermanentError,
    TransientError,
    adapter_class,
    adapter_for,
    breaker_for,
    partner_writes_refused,
    register,
    registered,
    reset_breakers,
)
from .interfaces import (
    AttendanceAdapter,
    CrmAdapter,
    FinanceAdapter,
    HrAdapter,
    ImAdapter,
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
    HrUnit,
    Invoice,
    LegalBasis,
    LegalGuide,
    Order,
    Payment,
    PerformanceEvent,
    PerformanceGoal,
    PerformanceReview,
)

# Importing the implementations registers them.
from . import im, rest  # noqa: F401  isort: skip
from . import dingtalk, feishu, mail, sms, wecom  # noqa: F401  isort: skip
from .payroll import PayLine, PayrollAdapter, PayrollReceipt  # isort: skip
from .messaging import (
    ChannelAdapter,
    ChannelMessage,
    DeliveryEvent,
    RateLimited,
    SendReceipt,
    parse_callback,
)

__all__ = [
    "AdapterError",
    "AttendanceAdapter",
    "AttendanceRecord",
    "ChannelAdapter",
    "ChannelMessage",
    "CircuitOpen",
    "Complaint",
    "Contact",
    "CreditProfile",
    "CrmAdapter",
    "CrmCustomer",
    "CustomerRevenue",
    "CustomerVisit",
    "DeliveryEvent",
    "FinanceAdapter",
    "HrAdapter",
    "HrEmployee",
    "HrRoster",
    "HrUnit",
    "ImAdapter",
    "Invoice",
    "LegalAdapter",
    "LegalBasis",
    "LegalGuide",
    "MalformedPayload",
    "Order",
    "PartnerConfig",
    "PartnerWriteRefused",
    "PayLine",
    "Payment",
    "PayrollAdapter",
    "PayrollReceipt",
    "PerformanceAdapter",
    "PerformanceEvent",
    "PerformanceGoal",
    "PerformanceReview",
    "PermanentError",
    "RateLimited",
    "SendReceipt",
    "TransientError",
    "adapter_class",
    "adapter_for",
    "breaker_for",
    "parse_callback",
    "partner_writes_refused",
    "register",
    "registered",
    "reset_breakers",
]
