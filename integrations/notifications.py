"""Notification kinds of customers, plans, offboarding and complaints
(``hrcore.notification_kinds``): customer and people names in both scripts, codes as labels."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrcore.notification_kinds import Params, local, register, user

_CUSTOMER = {"zh": "上海恒达贸易", "en": "Shanghai Hengda Trading"}

# A complaint's severity code as words (the code never reaches a reader).
SEVERITY_LABELS = {
    "low": gettext_lazy("Low"),
    "medium": gettext_lazy("Medium"),
    "high": gettext_lazy("High"),
    "critical": gettext_lazy("Critical"),
}

register(
    "response_plan_shared",
    subject=lambda p: (
        _("Response plan v%(version)s shared: %(title)s")
        % {"version": p.get("version"), "title": user(p.get("crisis_title"))}
    ),
    example={"version": 2, "crisis_title": "Collectors in the office"},
)

register(
    "handover_received",
    subject=lambda p: (
        _("You took over %(customers)s customers and %(tasks)s tasks from %(name)s")
        % {"customers": p.get("customers"), "tasks": p.get("tasks"), "name": local(p.get("from"))}
    ),
    example={"customers": 3, "tasks": 2, "from": {"zh": "王伟", "en": "Wang Wei"}},
)


def _severity(params: Params) -> str:
    code = params.get("severity") or ""
    return str(SEVERITY_LABELS.get(code, SEVERITY_LABELS["medium"]))


register(
    "complaint",
    subject=lambda p: (
        _("Customer complaint: %(customer)s (%(severity)s)")
        % {"customer": local(p.get("customer")), "severity": _severity(p)}
    ),
    body=lambda p: local(p.get("summary")),
    example={
        "customer": _CUSTOMER,
        "severity": "high",
        "summary": {"zh": "客户投诉催收方式", "en": "The customer complains about the collection"},
    },
)


register(
    "crisis.rollcall",
    subject=lambda p: _("Are you safe? %(title)s") % {"title": user(p.get("crisis_title"))},
    body=lambda p: (
        user(p.get("message")) if p.get("message") else _("Answer: safe / need help / not affected")
    ),
    example={"crisis_title": "Collectors in the office", "message": ""},
)

register(
    "crisis.rollcall_help",
    subject=lambda p: (
        _("%(name)s needs help: %(title)s")
        % {"name": local(p.get("name")), "title": user(p.get("crisis_title"))}
    ),
    example={"name": {"zh": "王伟", "en": "Wang Wei"}, "crisis_title": "Collectors in the office"},
)

register(
    "crisis.rollcall_missing",
    subject=lambda p: (
        _("%(name)s has not answered the roll call: %(title)s")
        % {"name": local(p.get("name")), "title": user(p.get("crisis_title"))}
    ),
    example={"name": {"zh": "王伟", "en": "Wang Wei"}, "crisis_title": "Collectors in the office"},
)

register(
    "crisis.decision_reminder",
    subject=lambda p: (
        _("Please acknowledge the decision: %(text)s") % {"text": user(p.get("decision_text"))}
    ),
    example={"decision_text": "Agree a payment plan; legal attends."},
)

register(
    "hr.employee_left",
    subject=lambda p: (
        _("%(name)s left: hand over %(customers)s customers")
        % {
            "name": local(p.get("name")),
            "customers": p.get("customers"),
        }
    ),
    body=lambda p: (
        _(
            "The HR system reports the departure. %(tasks)s open crisis tasks were handed on by "
            "the maps' rules (%(gaps)s with nobody else in the role: flagged on the crisis). "
            "Choose a successor for the customers on the handover page."
        )
        % {"tasks": p.get("tasks"), "gaps": p.get("gaps")}
    ),
    example={"name": {"zh": "王伟", "en": "Wang Wei"}, "customers": 2, "tasks": 1, "gaps": 0},
)

register(
    "commission.created",
    subject=lambda p: (
        _("Commission %(currency)s %(amount)s on order %(order)s (%(customer)s): pending approval")
        % {
            "currency": p.get("currency"),
            "amount": p.get("amount"),
            "order": p.get("order"),
            "customer": local(p.get("customer")),
        }
    ),
    body=lambda p: (
        _("Rate %(rate)s%% for grade %(grade)s. Finance, then HR approve it; it reaches payroll.")
        % {"rate": p.get("rate_percent"), "grade": p.get("grade")}
    ),
    example={
        "currency": "CNY",
        "amount": "200.00",
        "order": "SO-77",
        "customer": _CUSTOMER,
        "rate_percent": "2.00",
        "grade": 3,
    },
)

register(
    "commission.reversed",
    subject=lambda p: (
        _("Commission on order %(order)s reversed (%(currency)s %(amount)s): the order was %(why)s")
        % {
            "order": p.get("order"),
            "currency": p.get("currency"),
            "amount": p.get("amount"),
            "why": _("refunded") if p.get("reason") == "refunded" else _("cancelled"),
        }
    ),
    example={"order": "SO-77", "currency": "CNY", "amount": "-200.00", "reason": "refunded"},
)

register(
    "commission.rejected",
    subject=lambda p: (
        _("Commission on order %(order)s refused: %(reason)s")
        % {"order": p.get("order"), "reason": user(p.get("reason"))}
    ),
    example={"order": "SO-77", "reason": "Order booked twice"},
)
