"""The HR adapter and the periodic reconciliation pull against the sandbox's HR system and CRM
over real HTTP (issue 14 §4–5): typed records, errors, the roster diffed with Keel and every
difference applied or recorded."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from django.core.management import call_command

from customers.models import Customer
from hrcore.models import Employee
from integrations import adapters, demo
from integrations.models import MasterDataEvent
from integrations.sandbox.hr import contact_channels
from integrations.services import reconciliation

from .conftest import SANDBOX_TOKEN, config
from .master_data_helpers import hr_partner_save, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_adapter(sandbox):
    return adapters.adapter_for(config(sandbox.url, "hr"))


def roster_change(sandbox, **body):
    response = httpx.post(
        f"{sandbox.url}/_admin/hr/roster",
        json=body,
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
        timeout=5,
    )
    response.raise_for_status()


# --- the adapter -----------------------------------------------------------------------------


def test_the_roster_comes_back_typed(hr_adapter):
    roster = hr_adapter.roster()
    by_id = {p.external_id: p for p in roster.employees}
    assert len(by_id) == 9
    finance = by_id["HR-0102"]
    assert (finance.name_en, finance.unit, finance.position, finance.manager) == (
        "Chen Jing",
        "sh-finance",
        "finance-manager",
        None,  # the HR system does not state it: Keel's stays
    )
    assert finance.mobile == contact_channels("finance")["mobile"]
    assert (finance.dingtalk_id, finance.wecom_id) == ("dt-finance", "wc-finance")
    assert by_id["HR-0105"].manager == "HR-0101"
    assert by_id["HR-0001"].manager == ""
    assert {u.code for u in roster.units} >= {"demo-group", "sh-finance"}
    assert hr_adapter.employee("HR-0103").name_zh == "赵敏"


def test_adapter_errors_are_classified(sandbox, hr_adapter):
    with pytest.raises(adapters.PermanentError) as missing:
        hr_adapter.employee("HR-404")
    assert missing.value.status == 404
    sandbox.knobs(hr={"mode": "malformed"})
    with pytest.raises(adapters.MalformedPayload):
        hr_adapter.roster()
    sandbox.knobs(hr={"mode": "error"})
    before = sandbox.requests
    with pytest.raises(adapters.TransientError):
        hr_adapter.roster()
    assert sandbox.requests - before == 3  # retried: max_attempts
    flaky = adapters.adapter_for(config(sandbox.url, "hr", slug="hr-breaker", breaker_fail_max=2))
    for _ in range(2):
        with pytest.raises(adapters.TransientError):
            flaky.roster()
    with pytest.raises(adapters.CircuitOpen):
        flaky.roster()


def test_crm_customers_carry_owner_and_last_contact(sandbox):
    crm = adapters.adapter_for(config(sandbox.url, "crm"))
    customers = {c.external_id: c for c in crm.customers()}
    first = customers["CUST-1001"]
    assert (first.owner, first.unit) == ("manager", "sh-business")
    assert first.last_contact.risk is True and "finance director" in first.last_contact.note_en


# --- the HR reconciliation ---------------------------------------------------------------------


@pytest.fixture
def linked(sandbox, demo_org, users):
    hr_partner_save(sandbox.url, service_user=users["hradmin"])
    demo.seed_hr_links()


def test_a_roster_that_matches_changes_nothing(linked):
    assert reconciliation.hr_reconcile() == {"applied": 0, "rejected": 0, "error": ""}
    assert not MasterDataEvent.objects.exists()


def test_differences_are_applied_and_recorded(sandbox, linked):
    roster_change(
        sandbox,
        upsert=[
            person("HR-3001", manager="HR-0102", unit="sh-finance", position="accountant"),
            person("HR-3002", position="chief-astronaut", name_en="Zhang Wei"),
            {"external_id": "HR-0103", "mobile": "+8613711112222"},
        ],
        leave=["HR-0105"],
        units=[{"code": "sh-finance", "name_en": "Shanghai Finance & Treasury"}],
    )
    result = reconciliation.hr_reconcile()
    assert result == {"applied": 4, "rejected": 1, "error": ""}
    hired = Employee.objects.get(external_id="HR-3001")
    assert hired.manager.user.username == "finance" and hired.position.code == "accountant"
    assert Employee.objects.get(external_id="HR-0103").mobile == "+8613711112222"
    assert not Employee.objects.get(external_id="HR-0105").is_active
    assert not Employee.objects.filter(external_id="HR-3002").exists()
    rows = {
        (r.event, r.subject): r for r in MasterDataEvent.objects.filter(origin="reconciliation")
    }
    assert {k: r.status for k, r in rows.items()} == {
        ("org_unit.changed", "sh-finance"): "applied",
        ("employee.hired", "HR-3001"): "applied",
        ("employee.hired", "HR-3002"): "rejected",
        ("employee.transferred", "HR-0103"): "applied",
        ("employee.left", "HR-0105"): "applied",
    }
    assert rows[("employee.hired", "HR-3002")].reason_code == "unknown_position"
    assert "chief-astronaut" in rows[("employee.hired", "HR-3002")].reason_zh
    assert rows[("employee.left", "HR-0105")].result["customers_to_hand_over"] == 1
    # The next pull: nothing left to apply; the standing rejection is not recorded twice.
    assert reconciliation.hr_reconcile() == {"applied": 0, "rejected": 1, "error": ""}
    assert MasterDataEvent.objects.count() == 5


def test_people_missing_from_the_roster_are_flagged_not_deactivated(linked):
    Employee.objects.filter(user__username="sh-legal-1").update(external_id="HR-0999")
    Employee.objects.filter(user__username="admin").update(external_id="")  # to be linked
    result = reconciliation.hr_reconcile()
    assert result == {"applied": 1, "rejected": 1, "error": ""}
    assert Employee.objects.get(user__username="sh-legal-1").is_active
    missing = MasterDataEvent.objects.get(subject="HR-0999")
    assert (missing.event, missing.status, missing.reason_code) == (
        "employee.missing",
        "rejected",
        "missing_from_roster",
    )
    assert Employee.objects.get(user__username="admin").external_id == "HR-0104"
    assert MasterDataEvent.objects.get(event="employee.linked").result["linked"] == "admin"


def test_an_hr_system_that_is_down_changes_nothing(sandbox, linked):
    sandbox.knobs(hr={"mode": "error"})
    result = reconciliation.hr_reconcile()
    assert result["applied"] == 0 and "HTTP 500" in result["error"]
    assert not MasterDataEvent.objects.exists()


# --- the CRM reconciliation and the command ------------------------------------------------------


def test_the_crm_pull_restores_owner_and_names(partners, users):
    customer = Customer.objects.get(external_id="CUST-1004")
    Customer.objects.filter(pk=customer.pk).update(
        name_en="Renamed in Keel", account_owner=Employee.objects.get(user__username="staff")
    )
    result = reconciliation.crm_reconcile()
    assert result == {"applied": 1, "rejected": 0, "error": ""}
    customer.refresh_from_db()
    assert customer.name_en == "Yangtze Delta Electronics Technology Co."
    assert customer.account_owner.user.username == "manager"
    row = MasterDataEvent.objects.get(subject="CUST-1004")
    assert sorted(row.result["changed"]) == ["account_owner", "name_en"]


def test_the_command_reconciles_and_prints_the_counts(partners, linked):
    out, err = io.StringIO(), io.StringIO()
    call_command("reconcile_master_data", stdout=out, stderr=err)
    assert json.loads(out.getvalue()) == {
        "crm": {"applied": 0, "rejected": 0, "error": ""},
        "hr": {"applied": 0, "rejected": 0, "error": ""},
    }
    assert err.getvalue() == ""


def test_the_sandbox_roster_follows_the_events_it_sends():
    from integrations.sandbox.hr import HrSystem

    system = HrSystem()
    system.follow({"event": "employee.hired", "employee": person("HR-4001")})
    system.follow({"event": "employee.left", "employee": {"external_id": "HR-0102"}})
    system.follow({"event": "org_unit.changed", "unit": {"code": "sh-finance", "name_en": "SF"}})
    roster = system.roster()
    people = {p["external_id"]: p for p in roster["employees"]}
    assert people["HR-4001"]["status"] == "active" and people["HR-0102"]["status"] == "left"
    assert {u["code"]: u for u in roster["units"]}["sh-finance"]["name_en"] == "SF"
    system.reset()
    assert "HR-4001" not in {p["external_id"] for p in system.roster()["employees"]}
