"""The statutory obligations library is installed by keel_bootstrap and by the demo seed, once,
never overwriting what HR changed; a closed crisis's clocks breach on the record, quietly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from crisis import demo as crisis_demo
from crisis.models import Crisis, CrisisObligation, Obligation
from crisis.services.closure import crisis_close
from crisis.services.filing import crisis_file
from crisis.services.obligations import obligations_sweep
from hrcore.models import Notification

pytestmark = pytest.mark.django_db


def test_keel_bootstrap_installs_the_obligations_once(crisis_world, monkeypatch):
    Obligation.objects.all().delete()
    monkeypatch.setenv("KEEL_ADMIN_PASSWORD", "Str0ng-first-admin-pass")
    call_command("keel_bootstrap", admin_username="firsthr", no_input=True)
    assert Obligation.objects.count() == 11
    gdpr = Obligation.objects.get(code="gdpr-breach-72h")
    assert list(gdpr.scenarios.values_list("code", flat=True)) == ["data-leak"]
    Obligation.objects.filter(code="consumer-complaint-answer").update(period_value=2)
    call_command("keel_bootstrap", admin_username="firsthr", no_input=True)
    assert Obligation.objects.count() == 11
    assert Obligation.objects.get(code="consumer-complaint-answer").period_value == 2


def test_the_demo_installs_them_after_its_history(crisis_world):
    crisis_demo.seed()
    assert Obligation.objects.count() == 11
    history = Crisis.objects.filter(source="demo").exclude(status="open")
    assert history.exists()
    assert not CrisisObligation.objects.filter(crisis__in=history).exists()
    open_one = Crisis.objects.get(source="demo", status="open")
    assert set(CrisisObligation.objects.filter(crisis=open_one).values_list("code", flat=True)) == {
        "consumer-12315-acceptance",
        "consumer-complaint-answer",
    }


def test_a_closed_crisis_clock_breaches_without_paging_anyone(crisis_world, users):
    crisis_demo.obligations_install()
    crisis = crisis_file(scenario="data-leak", title="Leak", actor=users["manager"])
    crisis_close(crisis=crisis, outcome="Contained", lessons="", actor=users["manager"])
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert obligations_sweep() == {"warning": 0, "breach": 4, "escalation": 4}
    assert set(CrisisObligation.objects.filter(crisis=crisis).values_list("state", flat=True)) == {
        "breached"
    }
    assert not Notification.objects.filter(kind__startswith="crisis.obligation_").exists()
