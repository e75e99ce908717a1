"""Issue 17 §6: the dossier and response plan of a walk-in consumer's complaint never show a
company's credit or debt — not even when a company customer of the same name owes money."""

from __future__ import annotations

from datetime import date

import pytest

from integrations.models import Dossier, ResponsePlan
from integrations.plan import compose
from integrations.services import dossiers, plans

DEBT = {
    "credit": {"outstanding_amount": "1280000.00", "currency": "CNY", "overdue_days": 35},
    "invoices": [
        {
            "number": "A",
            "due_on": "2026-10-18",
            "amount": "780000.00",
            "currency": "CNY",
            "status": "unpaid",
        }
    ],
    "payments": [{"paid_on": "2026-09-25", "amount": "450000.00", "invoice": "P2"}],
}


def _all_text(plan: dict) -> str:
    return " ".join(str(v) for v in plan.values())


def test_a_consumer_plan_has_no_amounts_even_when_sources_carry_a_debt():
    customer = {"name_zh": "上海恒达贸易", "name_en": "Shanghai Hengda Trading"}
    company = compose(sources=DEBT, tasks=[], customer=customer, today=date(2026, 11, 22))
    assert company["amounts"]["outstanding"] == "1280000.00"  # the company plan does show it
    consumer = compose(
        sources=DEBT, tasks=[], customer=customer, today=date(2026, 11, 22), consumer=True
    )
    assert consumer["amounts"] == {}
    text = _all_text(consumer)
    assert "1280000" not in text and "780000" not in text
    assert "outstanding" not in consumer["say_en"] and "未结清" not in consumer["say_zh"]
    assert "Apologise to the consumer" in consumer["say_en"]


@pytest.mark.django_db
def test_walk_in_complaint_plan_never_shows_the_same_named_companys_debt(
    partners, customers, users, django_capture_on_commit_callbacks
):
    from crisis.services.walk_in import walk_in_complaint_file

    debtor = customers["CUST-1001"]
    assert debtor.overdue_days > 0  # a company that owes money …
    with django_capture_on_commit_callbacks(execute=True):
        crisis = walk_in_complaint_file(
            title="顾客在门店投诉",
            consumer_name=debtor.name_zh,  # … with the very name the consumer gives
            consumer_phone="13800138000",
            consumer_purchase="电水壶",
            responsible="staff",
            actor=users["manager"],
        )
    assert crisis.customer is None
    dossier = dossiers.dossier_request(crisis_id=crisis.pk, dedupe_seconds=0)
    dossiers.dossier_assemble(dossier_id=dossier.pk)
    sources = set(
        Dossier.objects.filter(crisis_id=crisis.pk).values_list("sources__source", flat=True)
    )
    assert not sources & {"credit", "invoices", "payments", "contacts", "orders"}
    assert "legal_guide" in sources
    plan = ResponsePlan.objects.filter(crisis_id=crisis.pk).order_by("-version").first()
    assert plan is not None and plan.amounts == {}
    text = " ".join([plan.say_zh, plan.say_en, plan.never_say_zh, plan.never_say_en])
    assert "1280000" not in text and debtor.name_en not in text

    # Even a dossier that did read a company's finance data makes no debt appear in the plan.
    dossier.sources.update_or_create(
        source="credit", defaults={"status": "fresh", "data": DEBT["credit"]}
    )
    plans.response_plan_generate(crisis_id=crisis.pk, dossier=dossier, force=True)
    plan = ResponsePlan.objects.filter(crisis_id=crisis.pk).order_by("-version").first()
    assert plan.amounts == {} and "1280000" not in plan.say_en


@pytest.mark.django_db
def test_walk_in_crisis_panel_shows_no_amounts(
    partners, users, client_as, django_capture_on_commit_callbacks
):
    from crisis.services.walk_in import walk_in_complaint_file

    with django_capture_on_commit_callbacks(execute=True):
        crisis = walk_in_complaint_file(
            title="顾客在门店投诉",
            consumer_name="李娜",
            consumer_phone="13800138000",
            consumer_purchase="电水壶",
            responsible="staff",
            actor=users["manager"],
        )
    body = client_as("manager").get(f"/integrations/crises/{crisis.pk}/panel/").content.decode()
    assert 'data-testid="response-plan"' in body
    assert 'data-testid="plan-amounts"' not in body and 'data-testid="no-plan"' not in body
