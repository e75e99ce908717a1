"""Automatic triggers over customers: default rules, evaluating a customer and the periodic sweep."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from hrcore.errors import KeelError
from hrcore.models import Employee
from hrcore.selectors import resolve_assignee
from hrcore.services.notifications import notification_send
from hrcore.text import single_line

from ..choices import (
    CrisisSource,
    TriggerAction,
    TriggerKind,
)
from ..models import (
    TriggerAlert,
    TriggerRule,
)
from .common import crisis_link
from .filing import crisis_file

logger = logging.getLogger(__name__)


def trigger_rules_ensure_defaults() -> list[TriggerRule]:
    """The library's default rules (crisis/fixtures_library/trigger_rules.yaml, SPEC §3.3:
    ≥30 days overdue → debt-crisis alert; >15 days with a risky last contact → early warning),
    created once when their scenarios exist; returns them."""
    from ..library import trigger_rules_install

    return trigger_rules_install()["rules"]


def _episode(customer) -> str:
    """The overdue episode: the day the customer became overdue (a payment ends it)."""
    if customer.overdue_since:
        return customer.overdue_since.isoformat()
    return (timezone.localdate() - timedelta(days=max(customer.overdue_days, 0))).isoformat()


def _rule_matches(rule: TriggerRule, customer) -> bool:
    if customer.overdue_days < rule.min_overdue_days:
        return False
    return not (rule.requires_risky_contact and not customer.last_contact_risk)


def _manager_of_owner(customer) -> Employee | None:
    owner = customer.account_owner
    if owner is not None and owner.manager_id:
        return Employee.objects.select_related("user").get(pk=owner.manager_id)
    try:
        return resolve_assignee(unit=customer.unit, position="department-manager").employee
    except KeelError:
        return None


@transaction.atomic
def triggers_evaluate_customer(*, customer) -> list[TriggerAlert]:
    """Apply the active trigger rules to one customer; each rule fires at most once per customer
    and overdue episode. Returns the alerts created now (empty when nothing new)."""
    if customer.overdue_days <= 0:
        return []
    created: list[TriggerAlert] = []
    episode = _episode(customer)
    rules = sorted(
        TriggerRule.objects.filter(is_active=True).select_related("scenario"),
        key=lambda r: (r.kind != TriggerKind.OVERDUE, -r.min_overdue_days, r.pk),
    )
    # Only the strongest matching rule of each kind fires (ordered by threshold, descending),
    # and an early warning is moot once the customer is in a debt crisis.
    seen_kinds: set[str] = set()
    for rule in rules:
        if rule.kind in seen_kinds or not _rule_matches(rule, customer):
            continue
        seen_kinds.add(rule.kind)
        if rule.kind == TriggerKind.EARLY_WARNING and TriggerKind.OVERDUE in seen_kinds:
            continue
        try:
            with transaction.atomic():
                alert = TriggerAlert.objects.create(
                    rule=rule,
                    customer=customer,
                    episode=episode,
                    kind=rule.kind,
                    overdue_days=customer.overdue_days,
                )
        except IntegrityError:
            continue  # this episode already fired
        _trigger_fire(alert, rule, customer)
        created.append(alert)
    return created


def _trigger_fire(alert: TriggerAlert, rule: TriggerRule, customer) -> None:
    owner = customer.account_owner
    manager = _manager_of_owner(customer)
    name_zh, name_en = customer.name_zh, customer.name_en
    days = customer.overdue_days
    # Stored as parameters, rendered for each reader; the crisis it may file gets the English
    # text as its description, as before.
    params: dict = {"customer": {"zh": name_zh, "en": name_en}, "days": days}
    if rule.kind == TriggerKind.EARLY_WARNING:
        recipients = [manager]
        params["last_contact_note"] = customer.last_contact_note
        description = f"The last contact shows risk: {customer.last_contact_note}"
    else:
        recipients = [owner, manager]
        params["amount"] = str(customer.outstanding_amount)
        params["currency"] = customer.currency
        description = f"Outstanding {customer.outstanding_amount} {customer.currency}."
    if rule.action == TriggerAction.FILE_CRISIS:
        try:
            with transaction.atomic():
                alert.crisis = crisis_file(
                    scenario=rule.scenario.code,
                    title=single_line(f"{name_zh} / {name_en}: {days}d overdue"),
                    description=description,
                    unit=customer.unit,
                    customer_external_id=customer.external_id,
                    severity=rule.severity,
                    actor=None,
                    source=CrisisSource.TRIGGER,
                    idempotency_key=f"{customer.external_id}:{alert.episode}:{rule.pk}",
                )
        except KeelError as exc:
            logger.warning("trigger could not file a crisis for %s: %s", customer.pk, exc)
    sent = []
    for employee in recipients:
        if employee is None or employee.pk in sent:
            continue
        notification_send(
            recipient=employee.user,
            kind=f"crisis.trigger.{rule.kind}",
            params=params,
            link=crisis_link(alert.crisis_id) if alert.crisis_id else "",
            data={"customer": customer.external_id, "alert_id": alert.pk},
            dedupe_key=f"crisis:trigger:{alert.pk}:{employee.pk}",
        )
        sent.append(employee.pk)
    alert.recipients = sent
    alert.save(update_fields=["crisis", "recipients"])


def triggers_sweep() -> int:
    """Periodic pass over overdue customers (the backstop for partners that push nothing)."""

    min_days = min(
        TriggerRule.objects.filter(is_active=True).values_list("min_overdue_days", flat=True),
        default=None,
    )
    if min_days is None:
        return 0
    fired = 0
    for customer in Customer.objects.filter(overdue_days__gte=min_days).select_related(
        "unit", "account_owner"
    ):
        fired += len(triggers_evaluate_customer(customer=customer))
    return fired
