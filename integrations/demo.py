"""Demo customers of the Demo Group, matching the sandbox partner systems' data (idempotent)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from hrcore.models import Employee, OrgUnit

from .choices import credit_status_for
from .models import Customer
from .sandbox import data


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


def seed() -> dict[str, int]:
    return {"customers": seed_customers()}
