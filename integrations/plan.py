"""Compose a response plan from a dossier's data and the crisis's tasks (pure: no ORM).

Input is plain dicts (the dossier sources' JSON and task summaries), output a dict with the plan's
fields in both languages, so the composition is testable from known data alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Sources that speak of a company's money: never part of a walk-in consumer's plan.
FINANCE_SOURCES = ("credit", "invoices", "payments")


def _lines(items: list[str]) -> str:
    return "\n".join(i for i in items if i)


def amounts_at_stake(sources: dict, today: date) -> dict:
    """Outstanding amount, overdue invoices and the last payment, from the finance sources."""
    credit = sources.get("credit") or {}
    invoices = sources.get("invoices") or []
    payments = sources.get("payments") or []
    overdue = [
        i for i in invoices if i.get("status") == "unpaid" and i["due_on"] < today.isoformat()
    ]
    overdue_total = sum((Decimal(i["amount"]) for i in overdue), Decimal("0"))
    unpaid_total = sum(
        (Decimal(i["amount"]) for i in invoices if i.get("status") == "unpaid"), Decimal("0")
    )
    last_payment = max(payments, key=lambda p: p["paid_on"]) if payments else None
    result = {
        "currency": credit.get("currency") or (invoices[0]["currency"] if invoices else "CNY"),
        "outstanding": credit.get("outstanding_amount")
        or (f"{unpaid_total:.2f}" if invoices else None),
        "overdue_total": f"{overdue_total:.2f}" if invoices else None,
        "overdue_invoices": [
            {
                "number": i["number"],
                "amount": i["amount"],
                "due_on": i["due_on"],
                "days_overdue": (today - date.fromisoformat(i["due_on"])).days,
            }
            for i in sorted(overdue, key=lambda i: i["due_on"])
        ],
        "overdue_days": credit.get("overdue_days"),
        "last_payment": (
            {
                "on": last_payment["paid_on"],
                "amount": last_payment["amount"],
                "invoice": last_payment.get("invoice", ""),
            }
            if last_payment
            else None
        ),
    }
    return result


def compose(
    *,
    sources: dict,
    tasks: list[dict],
    customer: dict | None,
    today: date,
    consumer: bool = False,
) -> dict:
    """The plan's fields. ``sources`` maps source code → data (None when missing or failed);
    ``tasks`` are ``{"action_zh", "action_en", "assignee", "due_at", "status"}`` dicts.

    ``consumer``: the complaint of a walk-in consumer (issue 17 §6) — a person, not a company:
    the plan has no amounts at stake and never mentions a debt or a company's records, whatever
    the sources hold (a company of the same name may well owe money)."""
    guide = sources.get("legal_guide") or {}
    if consumer:
        customer = None
        sources = {k: v for k, v in sources.items() if k not in FINANCE_SOURCES}
    amounts = {} if consumer else amounts_at_stake(sources, today)
    say_zh = list(guide.get("say_zh", []))
    say_en = list(guide.get("say_en", []))
    never_zh = list(guide.get("never_say_zh", []))
    never_en = list(guide.get("never_say_en", []))
    if consumer:
        say_zh.append("向顾客致歉，核对其所购商品与诉求，并说明客服将尽快联系并给出方案。")
        say_en.append(
            "Apologise to the consumer, confirm what they bought and what they ask for, and say "
            "customer service will call them shortly with a solution."
        )
        never_zh.append("不要当众讨论顾客的个人信息（姓名、电话）。")
        never_en.append("Never discuss the consumer's personal details (name, phone) in public.")
    if customer and amounts["outstanding"]:
        say_zh.append(
            f"据我方财务记录，{customer['name_zh']}目前未结清金额为 {amounts['currency']} "
            f"{amounts['outstanding']}，我们愿意按书面对账结果处理。"
        )
        say_en.append(
            f"Our finance records show {amounts['currency']} {amounts['outstanding']} outstanding "
            f"for {customer['name_en']}; we will settle according to the written reconciliation."
        )
    contacts = sources.get("contacts") or []
    if any(c.get("risk") for c in contacts):
        never_zh.append(
            "不要提及客户经理与对方的私下承诺；以书面记录为准（最近联系记录显示风险）。"
        )
        never_en.append(
            "Never refer to private promises between the account owner and the customer; only "
            "written records count (the last contacts show risk)."
        )
    if not guide:
        never_zh.append("法务指引暂不可用：在法务确认前不要作出任何承诺。")
        never_en.append(
            "The legal guide is not available: make no commitment until legal confirms."
        )
    basis = guide.get("legal_basis", [])
    legal_zh = _lines([f"{b['law_zh']}：{b['text_zh']}" for b in basis])
    legal_en = _lines([f"{b['law_en']}: {b['text_en']}" for b in basis])
    steps = [
        {
            "action_zh": t.get("action_zh", ""),
            "action_en": t.get("action_en", ""),
            "owner_zh": t.get("assignee_zh") or "",
            "owner_en": t.get("assignee_en") or "",
            "due_at": t.get("due_at"),
            "status": t.get("status", ""),
        }
        for t in tasks
        if t.get("status") not in ("done", "cancelled")
    ]
    for zh, en in zip(guide.get("steps_zh", []), guide.get("steps_en", []), strict=False):
        steps.append({"action_zh": zh, "action_en": en, "due_at": None, "status": ""})
    return {
        "say_zh": _lines(say_zh),
        "say_en": _lines(say_en),
        "never_say_zh": _lines(never_zh),
        "never_say_en": _lines(never_en),
        "legal_basis_zh": legal_zh,
        "legal_basis_en": legal_en,
        "amounts": amounts,
        "next_steps": steps,
    }
