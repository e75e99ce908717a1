"""Automatic triggers over customer records: debt-crisis alert at ≥30 days overdue, early warning
at >15 days with a risky last contact, once per customer and overdue episode."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from crisis.choices import CrisisSource, TriggerAction, TriggerKind
from crisis.models import Crisis, TriggerAlert, TriggerRule
from crisis.services.triggers import (
    trigger_rules_ensure_defaults,
    triggers_evaluate_customer,
    triggers_sweep,
)
from hrcore.models import Employee, Notification
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(crisis_world):
    return {r.kind: r for r in trigger_rules_ensure_defaults()}


def customer(external_id="T-1", days=0, risky=False, owner="staff", since=None):
    today = timezone.localdate()
    return CustomerFactory(
        external_id=external_id,
        account_owner=Employee.objects.get(user__username=owner) if owner else None,
        overdue_days=days,
        overdue_since=since or (today - timedelta(days=days) if days else None),
        last_contact_risk=risky,
        last_contact_note="Refused to talk" if risky else "Promised to pay",
    )


def notes(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def test_default_rules(rules):
    assert rules[TriggerKind.OVERDUE].min_overdue_days == 30
    assert rules[TriggerKind.OVERDUE].scenario.code == "debt-collection-emergency"
    assert rules[TriggerKind.EARLY_WARNING].min_overdue_days == 16  # "more than 15 days"
    assert rules[TriggerKind.EARLY_WARNING].requires_risky_contact is True
    assert len(trigger_rules_ensure_defaults()) == 2
    assert TriggerRule.objects.count() == 2


def test_thirty_days_overdue_alerts_owner_and_manager_once_per_episode(rules):
    c = customer(days=30)
    alerts = triggers_evaluate_customer(customer=c)
    assert [a.kind for a in alerts] == [TriggerKind.OVERDUE]
    assert alerts[0].episode == c.overdue_since.isoformat()
    # staff's manager is the head of sh-business: the demo account `manager`.
    assert notes("crisis.trigger.overdue") == ["manager", "staff"]
    assert triggers_evaluate_customer(customer=c) == []
    c.overdue_days = 45
    c.save()
    assert triggers_evaluate_customer(customer=c) == []
    assert TriggerAlert.objects.count() == 1
    # Paid, then overdue again: a new episode alerts again.
    c.overdue_days, c.overdue_since = 31, date(2030, 1, 1)
    c.save()
    assert len(triggers_evaluate_customer(customer=c)) == 1
    assert TriggerAlert.objects.count() == 2
    assert Crisis.objects.count() == 0  # default action is an alert, not a filing


@pytest.mark.parametrize(
    ("days", "risky", "fires"),
    [(16, True, True), (15, True, False), (20, False, False), (29, True, True), (0, True, False)],
)
def test_early_warning_needs_more_than_15_days_and_a_risky_contact(rules, days, risky, fires):
    c = customer(days=days, risky=risky)
    alerts = triggers_evaluate_customer(customer=c)
    assert [a.kind for a in alerts] == ([TriggerKind.EARLY_WARNING] if fires else [])
    assert notes("crisis.trigger.early_warning") == (["manager"] if fires else [])


def test_a_debt_crisis_supersedes_the_early_warning(rules):
    c = customer(days=35, risky=True)
    assert [a.kind for a in triggers_evaluate_customer(customer=c)] == [TriggerKind.OVERDUE]


def test_rule_configured_to_file_the_emergency_crisis(rules, users):
    rule = rules[TriggerKind.OVERDUE]
    rule.action = TriggerAction.FILE_CRISIS
    rule.save()
    c = customer(days=40, owner="staff")
    (alert,) = triggers_evaluate_customer(customer=c)
    crisis = alert.crisis
    assert crisis is not None
    assert crisis.source == CrisisSource.TRIGGER
    assert crisis.customer == c
    assert crisis.scenario.code == "debt-collection-emergency"
    assert crisis.unit.code == "sh-business"
    assert crisis.filed_by is None
    assert crisis.tasks.count() == 5
    assert triggers_evaluate_customer(customer=c) == []
    assert Crisis.objects.count() == 1


def test_inactive_rules_and_sweep(rules):
    from integrations.models import Customer

    Customer.objects.all().delete()  # only this test's customers
    customer("A", days=31)
    customer("B", days=17, risky=True)
    customer("C", days=3)
    assert triggers_sweep() == 2
    assert triggers_sweep() == 0
    TriggerRule.objects.update(is_active=False)
    customer("D", days=60)
    assert triggers_sweep() == 0


def test_customer_without_owner_alerts_the_unit_manager(rules):
    c = customer(days=30, owner=None)
    triggers_evaluate_customer(customer=c)
    assert notes("crisis.trigger.overdue") == ["manager"]
