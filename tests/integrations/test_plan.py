"""Response plan: content from known data, regeneration on change, manager edits as versions,
the crisis dossier panel's visibility per role."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from integrations.models import ResponsePlan
from integrations.plan import compose
from integrations.services import dossiers, plans

GUIDE = {
    "say_zh": ["账目以书面对账为准。"],
    "say_en": ["The accounts are whatever both sides reconcile in writing."],
    "never_say_zh": ["不要当场承认欠款金额。"],
    "never_say_en": ["Never admit an amount on the spot."],
    "steps_zh": ["报警"],
    "steps_en": ["Call the police"],
    "legal_basis": [
        {
            "law_zh": "民法典第577条",
            "law_en": "Civil Code Art. 577",
            "text_zh": "违约责任",
            "text_en": "Liability",
        }
    ],
}


def test_compose_from_known_data():
    sources = {
        "legal_guide": GUIDE,
        "credit": {"outstanding_amount": "1280000.00", "currency": "CNY", "overdue_days": 35},
        "invoices": [
            {
                "number": "A",
                "due_on": "2026-10-18",
                "amount": "780000.00",
                "currency": "CNY",
                "status": "unpaid",
            },
            {
                "number": "B",
                "due_on": "2026-11-17",
                "amount": "500000.00",
                "currency": "CNY",
                "status": "unpaid",
            },
            {
                "number": "C",
                "due_on": "2026-12-30",
                "amount": "1.00",
                "currency": "CNY",
                "status": "unpaid",
            },
        ],
        "payments": [
            {"paid_on": "2026-09-25", "amount": "450000.00", "invoice": "P2"},
            {"paid_on": "2026-08-22", "amount": "600000.00", "invoice": "P1"},
        ],
        "contacts": [{"at": "2026-11-20T02:30:00+00:00", "risk": True}],
    }
    tasks = [
        {
            "action_zh": "上传付款记录",
            "action_en": "Upload payment records",
            "assignee_zh": "陈静",
            "assignee_en": "Chen Jing",
            "due_at": "2026-11-22T10:30:00+00:00",
            "status": "open",
        },
        {
            "action_zh": "已完成",
            "action_en": "Done already",
            "assignee_zh": "某人",
            "assignee_en": "X",
            "due_at": None,
            "status": "done",
        },
    ]
    plan = compose(
        sources=sources,
        tasks=tasks,
        customer={"name_zh": "华东建材", "name_en": "East China"},
        today=date(2026, 11, 22),
    )
    assert plan["amounts"]["outstanding"] == "1280000.00"
    assert plan["amounts"]["overdue_total"] == "1280000.00"  # C is not due yet
    assert [i["number"] for i in plan["amounts"]["overdue_invoices"]] == ["A", "B"]
    assert plan["amounts"]["overdue_invoices"][0]["days_overdue"] == 35
    assert plan["amounts"]["last_payment"] == {
        "on": "2026-09-25",
        "amount": "450000.00",
        "invoice": "P2",
    }
    assert plan["say_en"].splitlines() == [
        "The accounts are whatever both sides reconcile in writing.",
        "Our finance records show CNY 1280000.00 outstanding for East China; we will settle "
        "according to the written reconciliation.",
    ]
    assert plan["never_say_en"].splitlines()[0] == "Never admit an amount on the spot."
    assert "last contacts show risk" in plan["never_say_en"]
    assert plan["legal_basis_en"] == "Civil Code Art. 577: Liability"
    assert plan["legal_basis_zh"] == "民法典第577条：违约责任"
    assert plan["next_steps"] == [
        {
            "action_zh": "上传付款记录",
            "action_en": "Upload payment records",
            "owner_zh": "陈静",
            "owner_en": "Chen Jing",
            "due_at": "2026-11-22T10:30:00+00:00",
            "status": "open",
        },
        {
            "action_zh": "报警",
            "action_en": "Call the police",
            "due_at": None,
            "status": "",
        },
    ]


def test_compose_without_legal_guide_warns():
    plan = compose(sources={}, tasks=[], customer=None, today=date(2026, 11, 22))
    assert plan["never_say_en"] == (
        "The legal guide is not available: make no commitment until legal confirms."
    )
    assert plan["amounts"]["outstanding"] is None


@pytest.fixture
def crisis(file_crisis):
    return file_crisis(title="Collectors in the Shanghai office")


@pytest.mark.django_db
def test_plan_generated_on_filing_with_tasks_as_next_steps(crisis):
    plan = ResponsePlan.objects.get(crisis_id=crisis.pk)
    assert plan.origin == "generated" and plan.version == 1
    owners = [(s["owner_zh"], s["owner_en"]) for s in plan.next_steps if s.get("owner_en")]
    assert ("陈静", "Chen Jing") in owners  # the crisis's tasks with their resolved assignees
    assert plan.amounts["outstanding"] == "1280000.00"
    assert "Civil Code of the PRC, Article 577" in plan.legal_basis_en


def _record_payment(sandbox, customer="CUST-1001"):
    import httpx

    from .conftest import SANDBOX_TOKEN

    httpx.post(
        f"{sandbox.url}/finance/customers/{customer}/payments",
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
        timeout=5,
    ).raise_for_status()


def _refresh(crisis_id):
    dossier = dossiers.dossier_request(crisis_id=crisis_id, dedupe_seconds=0)
    dossiers.dossier_assemble(dossier_id=dossier.pk)


@pytest.mark.django_db
def test_plan_regenerates_only_when_its_content_changes(crisis, sandbox):
    assert plans.response_plan_generate(crisis_id=crisis.pk) is None  # nothing new
    sandbox.knobs(legal={"mode": "error"})  # legal fails: the stale guide is kept …
    _refresh(crisis.pk)
    assert ResponsePlan.objects.filter(crisis_id=crisis.pk).count() == 1  # … so no new version
    sandbox.knobs(legal={"mode": "ok"})
    _record_payment(sandbox)  # finance records payment of the oldest invoice (780 000)
    _refresh(crisis.pk)
    latest = ResponsePlan.objects.filter(crisis_id=crisis.pk).order_by("-version").first()
    assert latest.version == 2
    assert latest.amounts["outstanding"] == "500000.00"
    assert "CNY 500000.00 outstanding" in latest.say_en


@pytest.mark.django_db
def test_regeneration_keeps_the_managers_wording(crisis, sandbox, users):
    plans.response_plan_edit(
        crisis_id=crisis.pk, actor=users["manager"], say_en="Please take a seat, tea is coming."
    )
    _record_payment(sandbox)
    _refresh(crisis.pk)
    latest = ResponsePlan.objects.filter(crisis_id=crisis.pk).order_by("-version").first()
    assert latest.version == 3
    assert latest.say_en == "Please take a seat, tea is coming."  # edited wording kept
    assert latest.amounts["outstanding"] == "500000.00"  # new facts in
    assert "CNY 500000.00" in latest.say_zh  # unedited fields follow the new facts


@pytest.mark.django_db
def test_plans_follow_task_progress(crisis, users):
    from crisis.models import Task

    task = Task.objects.filter(crisis=crisis, status="open").order_by("id").first()
    Task.objects.filter(pk=task.pk).update(status="done")
    assert plans.response_plans_refresh() == 1
    latest = ResponsePlan.objects.filter(crisis_id=crisis.pk).order_by("-version").first()
    assert latest.version == 2
    first = ResponsePlan.objects.get(crisis_id=crisis.pk, version=1)
    assert len(latest.next_steps) == len(first.next_steps) - 1  # the done task left the list
    assert plans.response_plans_refresh() == 0


@pytest.mark.django_db
def test_manager_edits_create_versions_and_share(crisis, users):
    plan = plans.response_plan_edit(
        crisis_id=crisis.pk, actor=users["manager"], say_en="Please take a seat."
    )
    assert (plan.version, plan.origin, plan.say_en) == (2, "edited", "Please take a seat.")
    assert (
        plan.never_say_en == ResponsePlan.objects.get(crisis_id=crisis.pk, version=1).never_say_en
    )
    shared = plans.response_plan_share(crisis_id=crisis.pk, actor=users["manager"])
    assert shared.pk == plan.pk and shared.shared_at is not None


@pytest.mark.django_db
def test_staff_cannot_edit_the_plan(crisis, users):
    from hrcore.errors import NotFound, PermissionDenied

    with pytest.raises((PermissionDenied, NotFound)):
        plans.response_plan_edit(crisis_id=crisis.pk, actor=users["staff"], say_en="x")
    assert ResponsePlan.objects.filter(crisis_id=crisis.pk).count() == 1


@pytest.mark.django_db
def test_dossier_panel_visibility_per_role(crisis, client_as):
    url = f"/integrations/crises/{crisis.pk}/panel/"
    for username in ("manager", "vp"):
        response = client_as(username).get(url)
        assert response.status_code == 200, username
        body = response.content.decode()
        assert 'data-testid="response-plan"' in body
        assert "INV-1001-03" in body  # the unpaid invoice from finance
    for username in ("manager2", "staff"):
        assert client_as(username).get(url).status_code == 404, username
    api = client_as("manager2").get(f"/api/v1/integrations/crises/{crisis.pk}/dossier/")
    assert api.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Response plan", "What to say", "Unpaid invoices"]),
        ("zh-hans", ["应对方案", "应该说", "未付发票"]),
    ],
)
def test_dossier_panel_in_both_languages(crisis, client_as, users, language, expected):
    employee = users["manager"].employee
    employee.language = language
    employee.save(update_fields=["language"])
    body = client_as("manager").get(f"/integrations/crises/{crisis.pk}/panel/").content.decode()
    for text in expected:
        assert text in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "owner", "status"), [("en", "Chen Jing", "Open"), ("zh-hans", "陈静", "进行中")]
)
def test_plan_steps_show_owner_state_and_due_time_as_the_viewer_reads_them(
    crisis, client_as, users, language, owner, status
):
    from django.utils import timezone

    employee = users["manager"].employee
    employee.language, employee.time_zone = language, "America/New_York"
    employee.save(update_fields=["language", "time_zone"])
    task = crisis.tasks.get(assignee__name_en="Chen Jing")
    local_due = timezone.localtime(task.due_at, timezone=ZoneInfo("America/New_York"))
    body = client_as("manager").get(f"/integrations/crises/{crisis.pk}/panel/").content.decode()
    plan_part = body[body.index('<table class="stack-on-phone"><tbody>') :]
    row = next(r for r in plan_part.split("<tr>") if owner in r)
    assert local_due.strftime("%H:%M") in row
    assert re.search(rf'<td class="muted" data-label="[^"]+">{status}</td>', row), row


@pytest.mark.django_db
def test_failed_sources_of_open_crises_are_retried_with_backoff(crisis, sandbox):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from integrations.models import Dossier

    sandbox.knobs(crm={"mode": "error"})
    _refresh(crisis.pk)  # contacts/complaints/orders now stale (the first pull had them)
    assert Dossier.objects.filter(crisis_id=crisis.pk).count() == 2
    assert dossiers.dossier_retry_failed() == 0  # inside the 30 s backoff
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert dossiers.dossier_retry_failed() == 1
        retry = Dossier.objects.filter(crisis_id=crisis.pk).order_by("-id").first()
        assert retry.reason == "retry" and retry.status == "building"
    sandbox.knobs(crm={"mode": "ok"})
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):  # breaker reset elapsed
        dossiers.dossier_assemble(dossier_id=retry.pk)
    assert set(retry.sources.values_list("status", flat=True)) == {"fresh"}
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert dossiers.dossier_retry_failed() == 0  # all fresh: nothing to retry
