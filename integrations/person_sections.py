"""The integrations sections of a person's page (``hrcore.person_page``): the customers they
own, the complaints recorded against their performance and — for the person, their supervisor
chain, HR and finance only — their commissions."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.models import Employee
from hrcore.performance_models import VARIANT_LABELS
from hrcore.person_page import register_section
from hrcore.selectors import PersonPageAccess

from . import selectors
from .choices import ComplaintOutcome

ROWS = 10
COMMISSION_MONTHS = 3


def customers_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict:
    owned = selectors.customers_owned(user, person, limit=ROWS)
    return {"customers": owned.customers, "more": owned.total - len(owned.customers)}


def complaints_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict:
    found = selectors.complaints_against(user, person, limit=ROWS)
    for complaint in found.complaints:  # "High", "高" — the severity in the reader's words
        complaint.severity_label = VARIANT_LABELS.get(complaint.severity, complaint.severity)
    return {
        "complaints": found.complaints,
        "walk_ins": found.walk_ins,
        "decided": found.decided,
        "decided_total": found.decided_total,
        "decided_more": found.decided_total - len(found.decided),
        "total": found.total,
        "points": found.points,
        "open": found.open,
        "linked": found.visible_customer_ids,
        "linked_crises": found.visible_crisis_ids,
        # The owner's supervisor chain and HR decide the outcome (complaint_outcome_record,
        # walk_in_complaint_outcome_record: the same rule for both kinds).
        "may_decide": access.decides_complaints,
        "outcomes": [c for c in ComplaintOutcome.choices if c[0] != ComplaintOutcome.OPEN],
    }


def commissions_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict:
    summary = selectors.commission_summary(person, months=COMMISSION_MONTHS, limit=ROWS)
    return {
        "months": summary.months,
        "recent": summary.recent,
        "statement": selectors.can_see_statement(user, person),
    }


def register() -> None:
    register_section(
        "customers_owned",
        customers_section,
        30,
        template="integrations/person/_customers.html",
    )
    register_section(
        "complaints", complaints_section, 40, template="integrations/person/_complaints.html"
    )
    register_section(
        "commissions",
        commissions_section,
        50,
        template="integrations/person/_commissions.html",
        sensitive=True,
    )
