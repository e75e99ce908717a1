"""Customers' credit profiles: updates from a partner and the periodic pull from finance."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.services.triggers import triggers_evaluate_customer
from hrcore.errors import ValidationFailed

from .. import adapters
from ..choices import (
    PartnerKind,
    credit_status_for,
)
from ..crypto import CredentialUnreadable
from ..models import (
    Customer,
)
from .partners import partner_for

logger = logging.getLogger(__name__)


# --- Customers -----------------------------------------------------------------------------


def _evaluate_triggers(customer: Customer) -> list:
    """Let the crisis engine look at the updated profile; never breaks our own write."""
    try:
        with transaction.atomic():
            return list(triggers_evaluate_customer(customer=customer) or [])
    except Exception:
        logger.exception("crisis triggers failed for customer %s", customer.external_id)
        return []


@transaction.atomic
def customer_credit_update(
    *,
    customer: Customer,
    outstanding_amount: Decimal | str | None = None,
    overdue_days: int | None = None,
    overdue_since: date | str | None = None,
    currency: str | None = None,
    last_contact_at: datetime | None = None,
    last_contact_risk: bool | None = None,
    last_contact_note: str | None = None,
    actor=None,
    evaluate: bool = True,
) -> tuple[Customer, list]:
    """Keep the customer's credit profile current, then run the crisis engine's triggers."""
    errors = {}
    if outstanding_amount is not None:
        try:
            outstanding_amount = Decimal(str(outstanding_amount))
            if outstanding_amount < 0 or not outstanding_amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors["outstanding_amount"] = _("Not a valid amount.")
    if overdue_days is not None and (
        isinstance(overdue_days, bool) or not isinstance(overdue_days, int) or overdue_days < 0
    ):
        errors["overdue_days"] = _("Days overdue must be a whole number ≥ 0.")
    if isinstance(overdue_since, str):
        try:
            overdue_since = date.fromisoformat(overdue_since)
        except ValueError:
            errors["overdue_since"] = _("Not a date (YYYY-MM-DD).")
    if errors:
        raise ValidationFailed(_("The credit profile update is not valid."), errors=errors)
    changed = []
    for name, value in (
        ("outstanding_amount", outstanding_amount),
        ("overdue_days", overdue_days),
        ("currency", currency),
        ("last_contact_at", last_contact_at),
        ("last_contact_risk", last_contact_risk),
        ("last_contact_note", last_contact_note),
    ):
        if value is not None and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if overdue_days is not None:
        since = overdue_since if overdue_days else None
        if since is None and overdue_days:
            since = customer.overdue_since or (timezone.localdate() - timedelta(days=overdue_days))
        if customer.overdue_since != since:
            customer.overdue_since = since
            changed.append("overdue_since")
    status = credit_status_for(customer.overdue_days)
    if customer.credit_status != status:
        customer.credit_status = status
        changed.append("credit_status")
    if changed:
        customer.updated_at = timezone.now()
        customer.save(update_fields=[*set(changed), "updated_at"])
    results = _evaluate_triggers(customer) if evaluate else []
    return customer, results


# --- Periodic pull -------------------------------------------------------------------------


def customers_pull() -> dict:
    """Pull every customer's credit profile from finance (the webhooks' safety net)."""
    partner = partner_for(PartnerKind.FINANCE)
    if partner is None:
        return {"updated": 0, "error": "no finance partner"}
    try:
        profiles = adapters.adapter_for(partner.config()).credit_profiles()
    except CredentialUnreadable as exc:
        return {"updated": 0, "error": str(exc)}
    except adapters.AdapterError as exc:
        logger.warning("customer pull failed: %s", exc.reason)
        return {"updated": 0, "error": exc.reason}
    by_id = {p.external_id: p for p in profiles}
    updated = 0
    for customer in Customer.objects.filter(external_id__in=list(by_id)):
        p = by_id[customer.external_id]
        if (
            customer.outstanding_amount != p.outstanding_amount
            or customer.overdue_days != p.overdue_days
        ):
            customer_credit_update(
                customer=customer,
                outstanding_amount=p.outstanding_amount,
                overdue_days=p.overdue_days,
                overdue_since=p.overdue_since,
            )
            updated += 1
    return {"updated": updated, "error": ""}
