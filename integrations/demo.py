"""Demo customers of the Demo Group, matching the sandbox partner systems' data (idempotent)."""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.choices import credit_status_for
from customers.models import Customer
from hrcore.choices import Role
from hrcore.models import Employee, OrgUnit
from hrcore.search_keys import search_key

from .choices import PartnerKind
from .models import Partner
from .sandbox import data
from .sandbox.app import DEFAULT_TOKEN, partner_secret
from .sandbox.hr import DEMO_EXTERNAL_IDS
from .services import partners

User = get_user_model()
DEMO_WEBHOOK_SECRET = "sandbox-webhook-secret"


def seed_customers() -> int:
    now = timezone.now()
    today = timezone.localdate()
    units = {
        u.code: u for u in OrgUnit.objects.filter(code__in={c["unit"] for c in data.CUSTOMERS})
    }
    owners = {
        e.user.username: e
        for e in Employee.objects.filter(
            user__username__in={c["owner"] for c in data.CUSTOMERS}
        ).select_related("user")
    }
    for row in data.CUSTOMERS:
        if row["unit"] not in units:
            continue
        profile = data.credit_profile(row["external_id"], today)
        contact = data.last_contact(row["external_id"], now)
        Customer.objects.update_or_create(
            external_id=row["external_id"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "search_key": search_key(row["name_zh"]),
                "unit": units[row["unit"]],
                "account_owner": owners.get(row["owner"]),
                "overdue_days": profile["overdue_days"],
                "overdue_since": date.fromisoformat(profile["overdue_since"])
                if profile["overdue_since"]
                else None,
                "outstanding_amount": Decimal(profile["outstanding_amount"]),
                "currency": profile["currency"],
                "credit_status": credit_status_for(profile["overdue_days"]),
                "last_contact_at": datetime.fromisoformat(contact["at"]),
                "last_contact_risk": contact["risk"],
                "last_contact_note": f"{contact['note_zh']}\n{contact['note_en']}",
                "updated_at": now,
            },
        )
    return Customer.objects.count()


SANDBOX_PARTNERS = [
    ("sandbox-finance", "沙箱财务系统 / Sandbox finance", PartnerKind.FINANCE),
    ("sandbox-legal", "沙箱法务系统 / Sandbox legal", PartnerKind.LEGAL),
    ("sandbox-crm", "沙箱 CRM / Sandbox CRM", PartnerKind.CRM),
    ("sandbox-attendance", "沙箱考勤系统 / Sandbox attendance", PartnerKind.ATTENDANCE),
    ("sandbox-performance", "沙箱绩效系统 / Sandbox performance", PartnerKind.PERFORMANCE),
    ("sandbox-hr", "沙箱人事系统 / Sandbox HR", PartnerKind.HR),
    ("sandbox-payroll", "沙箱薪资系统 / Sandbox payroll", PartnerKind.PAYROLL),
]


def sandbox_url() -> str:
    return os.environ.get("KEEL_SANDBOX_URL", "http://127.0.0.1:8765").rstrip("/")


def seed_partners() -> int:
    """Partner rows pointing at the sandbox (KEEL_SANDBOX_URL, default port 8765)."""
    user, _created = User.objects.get_or_create(
        username="sandbox-partner", defaults={"first_name": "Sandbox partner"}
    )
    if _created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=Role.PARTNER)[0])
    token = os.environ.get("KEEL_SANDBOX_TOKEN", DEFAULT_TOKEN)
    # Each partner signs with its own secret (the sandbox derives the same one when it sends).
    base_secret = os.environ.get("KEEL_SANDBOX_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET)
    for slug, name, kind in SANDBOX_PARTNERS:
        partner = Partner.objects.filter(slug=slug).first()
        partners.partner_save(
            partner=partner,
            slug=slug,
            name=name,
            kind=kind,
            base_url=sandbox_url(),
            token=token,
            webhook_secret=partner_secret(base_secret, slug),
            timeout_seconds=5.0,
            max_attempts=3,
            enabled=True,
            service_user=user,
        )
    return Partner.objects.count()


def seed_hr_links() -> int:
    """The named demo people carry their id in the sandbox HR system (its roster), so the
    reconciliation pull finds them instead of hiring them twice."""
    linked = 0
    for username, external_id in DEMO_EXTERNAL_IDS.items():
        linked += Employee.objects.filter(user__username=username, external_id="").update(
            external_id=external_id
        )
    return linked


def seed() -> dict[str, int]:
    return {
        "customers": seed_customers(),
        "partners": seed_partners(),
        "hr_links": seed_hr_links(),
    }
