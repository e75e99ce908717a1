"""The demo data of the sandbox partner systems (finance, legal, CRM), shared with Keel's demo seed
so the two tell the same story. Pure Python: dates are relative to ``today``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

# external_id, name_zh, name_en, unit code, owner username, invoices, last contact
# invoices: (number suffix, issued days ago, due days ago, amount, paid days ago or None)
# last contact: (days ago, risky, note zh, note en)
CUSTOMERS: list[dict] = [
    {
        "external_id": "CUST-1001",
        "name_zh": "华东建材有限公司",
        "name_en": "East China Building Materials Co., Ltd.",
        "unit": "sh-business",
        "owner": "manager",
        "invoices": [
            ("01", 125, 95, "600000.00", 92),
            ("02", 95, 65, "450000.00", 58),
            ("03", 65, 35, "780000.00", None),
            ("04", 35, 5, "500000.00", None),
        ],
        "contact": (
            2,
            True,
            "对方财务总监对对账单有异议，拒绝确认欠款，并称将派人来公司“讨说法”。",
            "Their finance director disputes the statement, refuses to confirm the debt and said "
            "they would send people to our office “to get an explanation”.",
        ),
    },
    {
        "external_id": "CUST-1002",
        "name_zh": "申城物流集团",
        "name_en": "Shencheng Logistics Group",
        "unit": "sh-business",
        "owner": "staff",
        "invoices": [
            ("01", 80, 50, "210000.00", 47),
            ("02", 48, 18, "356800.00", None),
        ],
        "contact": (
            4,
            True,
            "采购负责人已离职，新负责人拒绝确认前任签收的货款。",
            "The purchasing head left; the successor refuses to confirm deliveries signed by the "
            "predecessor.",
        ),
    },
    {
        "external_id": "CUST-1003",
        "name_zh": "浦江餐饮管理有限公司",
        "name_en": "Pujiang Catering Management Co.",
        "unit": "sh-business",
        "owner": "sh-business-1",
        "invoices": [
            ("01", 60, 30, "52000.00", 29),
            ("02", 35, 5, "48200.00", None),
        ],
        "contact": (
            1,
            False,
            "对方确认本周五前付款。",
            "They confirmed payment by Friday.",
        ),
    },
    {
        "external_id": "CUST-1004",
        "name_zh": "长三角电子科技有限公司",
        "name_en": "Yangtze Delta Electronics Technology Co.",
        "unit": "sh-business",
        "owner": "manager",
        "invoices": [
            ("01", 70, 40, "320000.00", 41),
            ("02", 40, 10, "275000.00", 12),
        ],
        "contact": (
            6,
            False,
            "季度回访，客户满意，计划下月追加订单。",
            "Quarterly visit; the customer is satisfied and plans a further order next month.",
        ),
    },
    {
        "external_id": "CUST-2001",
        "name_zh": "鹏城贸易有限公司",
        "name_en": "Pengcheng Trading Co., Ltd.",
        "unit": "sz-business",
        "owner": "manager2",
        "invoices": [
            ("01", 130, 100, "900000.00", 96),
            ("02", 72, 42, "1350000.00", None),
            ("03", 40, 10, "800000.00", None),
        ],
        "contact": (
            3,
            True,
            "对方律师发函称将申请财产保全，并暗示会找人上门催讨。",
            "Their lawyer wrote that they will apply for asset preservation and hinted that people "
            "would come to collect in person.",
        ),
    },
    {
        "external_id": "CUST-2002",
        "name_zh": "南山智能制造有限公司",
        "name_en": "Nanshan Smart Manufacturing Co.",
        "unit": "sz-business",
        "owner": "sz-business-1",
        "invoices": [
            ("01", 90, 60, "300000.00", 55),
            ("02", 51, 21, "520000.00", None),
        ],
        "contact": (
            5,
            True,
            "三次承诺付款均未兑现，对方老板电话不接。",
            "Three payment promises broken; their owner no longer answers the phone.",
        ),
    },
    {
        "external_id": "CUST-2003",
        "name_zh": "前海供应链服务有限公司",
        "name_en": "Qianhai Supply Chain Services Co.",
        "unit": "sz-business",
        "owner": "manager2",
        "invoices": [
            ("01", 46, 16, "98000.00", None),
        ],
        "contact": (
            2,
            False,
            "对方称付款审批流程延误，预计下周付款。",
            "They say their payment approval is delayed; payment expected next week.",
        ),
    },
    {
        "external_id": "CUST-2004",
        "name_zh": "福田零售连锁有限公司",
        "name_en": "Futian Retail Chain Co.",
        "unit": "sz-business",
        "owner": "sz-business-2",
        "invoices": [
            ("01", 50, 20, "150000.00", 21),
        ],
        "contact": (
            8,
            False,
            "门店续约谈判顺利。",
            "Store contract renewal going well.",
        ),
    },
]

CUSTOMERS_BY_ID = {c["external_id"]: c for c in CUSTOMERS}


def _days_ago(today: date, days: int) -> date:
    return today - timedelta(days=days)


def invoices_for(external_id: str, today: date) -> list[dict]:
    """All invoices of a customer, newest first, with their paid state."""
    customer = CUSTOMERS_BY_ID[external_id]
    rows = []
    for suffix, issued, due, amount, paid in customer["invoices"]:
        rows.append(
            {
                "number": f"INV-{external_id[5:]}-{suffix}",
                "issued_on": _days_ago(today, issued).isoformat(),
                "due_on": _days_ago(today, due).isoformat(),
                "amount": amount,
                "currency": "CNY",
                "paid_on": _days_ago(today, paid).isoformat() if paid is not None else None,
                "status": "paid" if paid is not None else "unpaid",
            }
        )
    return sorted(rows, key=lambda r: r["issued_on"], reverse=True)


def credit_profile(external_id: str, today: date) -> dict:
    """Outstanding amount and days overdue implied by the unpaid invoices."""
    unpaid = [i for i in invoices_for(external_id, today) if i["status"] == "unpaid"]
    outstanding = sum((Decimal(i["amount"]) for i in unpaid), Decimal("0"))
    overdue_due = [
        date.fromisoformat(i["due_on"]) for i in unpaid if i["due_on"] < today.isoformat()
    ]
    oldest = min(overdue_due) if overdue_due else None
    return {
        "outstanding_amount": f"{outstanding:.2f}",
        "currency": "CNY",
        "overdue_since": oldest.isoformat() if oldest else None,
        "overdue_days": (today - oldest).days if oldest else 0,
    }


def last_contact(external_id: str, now: datetime) -> dict:
    days, risky, zh, en = CUSTOMERS_BY_ID[external_id]["contact"]
    at = datetime.combine((now - timedelta(days=days)).date(), time(2, 30), tzinfo=UTC)
    return {"at": at.isoformat(), "risk": risky, "note_zh": zh, "note_en": en}
