"""Writes of customer master data as the CRM reports it (issue 14 §5): the customer, its
account owner and its last contact. The credit profile is kept by finance's events
(``integrations.services.credit``); the crisis triggers read both on their next sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrcore.audit import AuditAction, audit
from hrcore.errors import Conflict, ValidationFailed
from hrcore.i18n import keel_error
from hrcore.models import Employee
from hrcore.search_keys import search_key
from hrcore.services.master_data import unit_required

from .models import Customer


@dataclass(frozen=True)
class LastContact:
    at: datetime
    risk: bool
    note_zh: str = ""
    note_en: str = ""

    @property
    def note(self) -> str:
        return "\n".join(n for n in (self.note_zh, self.note_en) if n)


def account_owner_for(reference: str) -> Employee | None:
    """The account owner a CRM names: an HR id, else a Keel user name ("" = nobody). An unknown
    or departed owner is refused with the reason."""
    if not reference:
        return None
    owner = (
        Employee.objects.select_related("user").filter(external_id=reference).first()
        or Employee.objects.select_related("user").filter(user__username=reference).first()
    )
    if owner is None:
        raise keel_error(
            ValidationFailed,
            gettext_lazy(
                "Unknown account owner “%(owner)s”: no employee has this HR id or user name."
            ),
            errors={"owner": _("Unknown owner.")},
            code="unknown_owner",
            owner=reference,
        )
    if not owner.is_active:
        raise keel_error(
            ValidationFailed,
            gettext_lazy("The account owner “%(owner)s” has left the company."),
            errors={"owner": _("Not employed.")},
            code="owner_left",
            owner=reference,
        )
    return owner


@transaction.atomic
def customer_from_crm(
    *,
    external_id: str,
    name_zh: str | None = None,
    name_en: str | None = None,
    unit: str | None = None,
    owner: str | None = None,
    last_contact: LastContact | None = None,
    create: bool | None = None,
    actor=None,
    reason: str = "CRM",
) -> tuple[Customer, bool, dict[str, list[str]]]:
    """Create (``create=True``), update (``False``) or upsert (``None``) a customer from the CRM.
    Returns (customer, created, changes ``{field: [old, new]}``). A newer last contact replaces
    the stored one (an older one, e.g. a late event, is ignored)."""
    customer = Customer.objects.select_for_update().filter(external_id=external_id).first()
    if create is True and customer is not None:
        raise keel_error(
            Conflict,
            gettext_lazy("The customer “%(id)s” already exists; send customer.updated."),
            code="already_exists",
            id=external_id,
        )
    if create is False and customer is None:
        raise keel_error(
            Conflict,
            gettext_lazy("Unknown customer “%(id)s”: send customer.created first."),
            code="unknown_customer",
            id=external_id,
        )
    created = customer is None
    if created:
        missing = {
            name: _("Required.")
            for name, value in (("name_zh", name_zh), ("name_en", name_en), ("unit", unit))
            if not value
        }
        if missing:
            raise keel_error(
                ValidationFailed,
                gettext_lazy("A new customer needs its names and unit."),
                errors=missing,
                code="invalid",
            )
        customer = Customer(external_id=external_id)
    values: dict = {}
    for name, value in (("name_zh", name_zh), ("name_en", name_en)):
        if value is not None:
            values[name] = value.strip()[:200]
    if unit is not None:
        values["unit"] = unit_required(unit)
    if owner is not None:
        values["account_owner"] = account_owner_for(owner)
    if last_contact is not None and (
        customer.last_contact_at is None or last_contact.at >= customer.last_contact_at
    ):
        values.update(
            last_contact_at=last_contact.at,
            last_contact_risk=last_contact.risk,
            last_contact_note=last_contact.note,
        )
    changes: dict[str, list[str]] = {}
    for name, value in values.items():
        old = getattr(customer, name, None) if not created else None
        if created or old != value:
            changes[name] = ["" if old is None else str(old), "" if value is None else str(value)]
            setattr(customer, name, value)
    if changes:
        customer.search_key = search_key(customer.name_zh)
        customer.updated_at = timezone.now()
        customer.save()
        audit(
            customer,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            changes=changes,
            actor=actor,
            data={"reason": reason},
        )
    return customer, created, changes
