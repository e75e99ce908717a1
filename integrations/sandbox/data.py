"""The demo data of the sandbox partner systems (finance, legal, CRM), shared with Keel's demo seed
so the two tell the same story. Pure Python: dates are relative to ``today``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
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


def payments_for(external_id: str, today: date) -> list[dict]:
    """Payments received, newest first (one per paid invoice)."""
    rows = []
    for inv in invoices_for(external_id, today):
        if inv["paid_on"]:
            rows.append(
                {
                    "reference": f"PAY-{inv['number'][4:]}",
                    "paid_on": inv["paid_on"],
                    "amount": inv["amount"],
                    "currency": "CNY",
                    "invoice": inv["number"],
                    "method": "bank transfer",
                }
            )
    return sorted(rows, key=lambda r: r["paid_on"], reverse=True)


_EARLIER_CONTACTS = [
    (
        12,
        "visit",
        "季度拜访，确认上一批货款的付款计划。",
        "Quarterly visit; confirmed the payment plan.",
    ),
    (25, "phone", "对账单已发送，对方表示收到。", "Statement sent; they confirmed receipt."),
]


def contacts_for(external_id: str, now: datetime) -> list[dict]:
    customer = CUSTOMERS_BY_ID[external_id]
    last = last_contact(external_id, now)
    rows = [
        {
            "at": last["at"],
            "channel": "phone",
            "by": customer["owner"],
            "note_zh": last["note_zh"],
            "note_en": last["note_en"],
            "risk": last["risk"],
        }
    ]
    for days, channel, zh, en in _EARLIER_CONTACTS:
        at = datetime.combine((now - timedelta(days=days)).date(), time(3, 0), tzinfo=UTC)
        rows.append(
            {
                "at": at.isoformat(),
                "channel": channel,
                "by": customer["owner"],
                "note_zh": zh,
                "note_en": en,
                "risk": False,
            }
        )
    return rows


COMPLAINTS = {
    "CUST-1002": [
        (
            6,
            "high",
            "送货延误三天且未提前告知，客户要求赔偿。",
            "Delivery three days late without notice; the customer asks for compensation.",
        ),
    ],
    "CUST-2002": [
        (
            15,
            "medium",
            "客户经理多次未按约定时间回电。",
            "The account manager repeatedly failed to call back as agreed.",
        ),
    ],
}


def complaints_for(external_id: str, now: datetime) -> list[dict]:
    customer = CUSTOMERS_BY_ID[external_id]
    rows = []
    for n, (days, severity, zh, en) in enumerate(COMPLAINTS.get(external_id, []), start=1):
        at = datetime.combine((now - timedelta(days=days)).date(), time(6, 0), tzinfo=UTC)
        rows.append(
            {
                "id": f"CMP-{external_id[5:]}-{n}",
                "at": at.isoformat(),
                "employee": customer["owner"],
                "severity": severity,
                "summary_zh": zh,
                "summary_en": en,
                "status": "open",
            }
        )
    return rows


def orders_for(external_id: str, today: date) -> list[dict]:
    customer = CUSTOMERS_BY_ID[external_id]
    return [
        {
            "id": f"SO-{inv['number'][4:]}",
            "ordered_on": inv["issued_on"],
            "amount": inv["amount"],
            "currency": "CNY",
            "status": "paid" if inv["status"] == "paid" else "delivered",
            "owner": customer["owner"],
        }
        for inv in invoices_for(external_id, today)
    ]


_DEBT_BASIS = [
    {
        "law_zh": "《中华人民共和国民法典》第五百七十七条",
        "law_en": "Civil Code of the PRC, Article 577",
        "text_zh": "当事人一方不履行合同义务或者履行合同义务不符合约定的，应当承担继续履行、采取补救措施或者赔偿损失等违约责任。",
        "text_en": "A party that fails to perform its contractual obligations shall bear liability "
        "for breach, such as continuing performance, remedial measures or compensation.",
    },
    {
        "law_zh": "《中华人民共和国治安管理处罚法》第二十三条",
        "law_en": "Public Security Administration Punishments Law, Article 23",
        "text_zh": "扰乱机关、团体、企业、事业单位秩序，致使工作不能正常进行的，处警告或者罚款；情节较重的，处拘留。",
        "text_en": "Disturbing the order of an enterprise so that work cannot proceed normally is "
        "punished with a warning or fine, or detention in serious cases.",
    },
    {
        "law_zh": "《中华人民共和国刑法》第二百九十三条之一（催收非法债务罪）",
        "law_en": "Criminal Law of the PRC, Article 293-1 (illegal debt collection)",
        "text_zh": "以暴力、胁迫、限制他人人身自由、侵入他人住宅或恐吓、跟踪、骚扰他人等方式催收债务，情节严重的，构成犯罪。",
        "text_en": "Collecting debts by violence, coercion, restricting freedom, trespass, "
        "intimidation, stalking or harassment is a crime in serious cases.",
    },
]

LEGAL_GUIDES = {
    "debt-collection": {
        "title_zh": "债务纠纷应对话术与法律依据",
        "title_en": "Debt dispute: response script and legal basis",
        "say_zh": [
            "我们重视贵方的诉求，账目以双方书面对账为准。",
            "请到会议室坐下谈，我们已通知财务和法务同步核对。",
            "我们会在今天内给出书面答复。",
        ],
        "say_en": [
            "We take your claim seriously; the accounts are whatever both sides reconcile in writing.",
            "Please sit down in the meeting room; finance and legal are checking the records now.",
            "We will answer in writing today.",
        ],
        "never_say_zh": [
            "不要当场承认欠款金额或承诺付款日期。",
            "不要发表威胁、辱骂或激化情绪的言论。",
            "不要私下签署任何文件或收据。",
        ],
        "never_say_en": [
            "Never admit an amount or promise a payment date on the spot.",
            "Never threaten, insult or escalate.",
            "Never sign any document or receipt on your own.",
        ],
        "steps_zh": [
            "记录来访人员身份与诉求",
            "引导至会议室，行政到场维持秩序",
            "如有扰乱秩序行为，报警",
        ],
        "steps_en": [
            "Record who the visitors are and what they claim",
            "Move to a meeting room; administration keeps order",
            "Call the police if order is disturbed",
        ],
        "legal_basis": _DEBT_BASIS,
    },
    "customer-complaint": {
        "title_zh": "客户投诉应对指引",
        "title_en": "Customer complaint guide",
        "say_zh": ["感谢您的反馈，我们会在10分钟内给出解决方案。"],
        "say_en": ["Thank you for telling us; we will propose a solution within 10 minutes."],
        "never_say_zh": ["不要推卸责任或指责顾客。"],
        "never_say_en": ["Never shift blame or blame the customer."],
        "steps_zh": ["安抚顾客", "同步客服", "记录投诉并关联责任人"],
        "steps_en": [
            "Calm the customer",
            "Involve customer service",
            "Log the complaint against the owner",
        ],
        "legal_basis": [
            {
                "law_zh": "《中华人民共和国消费者权益保护法》第二十四条",
                "law_en": "Consumer Rights Protection Law, Article 24",
                "text_zh": "经营者提供的商品或者服务不符合质量要求的，消费者可以依照约定退货，或者要求经营者履行更换、修理等义务。",
                "text_en": "Where goods or services do not meet quality requirements, consumers may "
                "return them or require replacement or repair.",
            }
        ],
    },
}
LEGAL_GUIDES["debt-collection-emergency"] = {
    **LEGAL_GUIDES["debt-collection"],
    "title_zh": "催收人员到场：紧急应对话术与法律依据",
    "title_en": "Collectors on site: emergency script and legal basis",
}
_GENERIC_GUIDE = {
    "title_zh": "突发事件通用沟通指引",
    "title_en": "General crisis communication guide",
    "say_zh": ["我们已启动应急流程，会及时通报进展。"],
    "say_en": ["We have started our response process and will keep you informed."],
    "never_say_zh": ["不要对外发表未经核实的信息。"],
    "never_say_en": ["Never share unverified information."],
    "steps_zh": ["统一对外口径", "记录所有沟通"],
    "steps_en": ["One voice towards outsiders", "Log every communication"],
    "legal_basis": [],
}


def legal_guide(scenario: str, dispute_type: str = "") -> dict:
    guide = LEGAL_GUIDES.get(scenario, _GENERIC_GUIDE)
    return {"scenario": scenario, "dispute_type": dispute_type or "general", **guide}


# --- Attendance ----------------------------------------------------------------------------
# Today's attendance of the demo group's named accounts (Shanghai time): who is on site when the
# collectors arrive. status: on_site | remote | business_trip | leave | absent (not checked in).
SHANGHAI = timezone(timedelta(hours=8))
ATTENDANCE_STATUSES = ("on_site", "remote", "business_trip", "leave", "absent")
# username: (status, check-in "HH:MM" or None, location zh, location en)
ATTENDANCE = {
    "manager": ("on_site", "08:47", "上海办公室", "Shanghai office"),
    "staff": ("on_site", "08:58", "上海办公室", "Shanghai office"),
    "finance": ("on_site", "08:35", "上海办公室", "Shanghai office"),
    "legal": ("remote", "09:05", "居家办公", "Working from home"),
    "admin": ("on_site", "08:20", "上海办公室前台", "Shanghai office reception"),
    "hradmin": ("on_site", "08:52", "上海办公室", "Shanghai office"),
    "vp": ("business_trip", "09:30", "深圳子公司", "Shenzhen Co."),
    "manager2": ("on_site", "08:55", "深圳办公室", "Shenzhen office"),
    "sh-business-1": ("leave", None, "年假", "Annual leave"),
    "sh-business-2": ("absent", None, "", ""),
}


def attendance_for(username: str, now: datetime) -> dict | None:
    """Today's attendance record of ``username``; other staff of the two subsidiaries
    (``sh-…``/``sz-…``) are on site from 09:00; anyone else is unknown (None)."""
    today = now.astimezone(SHANGHAI).date()
    if username in ATTENDANCE:
        status, at, where_zh, where_en = ATTENDANCE[username]
    elif username.startswith(("sh-", "sz-")):
        office = (
            ("上海办公室", "Shanghai office")
            if username[:2] == "sh"
            else ("深圳办公室", "Shenzhen office")
        )
        status, at, where_zh, where_en = "on_site", "09:00", *office
    else:
        return None
    checked_in = None
    if at:
        hour, minute = map(int, at.split(":"))
        checked_in = datetime.combine(today, time(hour, minute), tzinfo=SHANGHAI).isoformat()
    return {
        "username": username,
        "date": today.isoformat(),
        "status": status,
        "checked_in_at": checked_in,
        "location_zh": where_zh,
        "location_en": where_en,
    }


# --- Performance / OKR ---------------------------------------------------------------------
PERFORMANCE_KINDS = (
    "complaint",
    "commission",
    "crisis_duty",
    "okr",
    "star",
    "drill",
    "simulation",
)
COMPLAINT_POINTS = {"low": -1, "medium": -2, "high": -3, "critical": -5}  # as Keel records them


def performance_events_seed(now: datetime) -> list[dict]:
    """The performance system already holds the CRM's complaints against their account owners."""
    rows = []
    for external_id in sorted(COMPLAINTS):
        for complaint in complaints_for(external_id, now):
            rows.append(
                {
                    "employee": complaint["employee"],
                    "kind": "complaint",
                    "reference": complaint["id"],
                    "points": COMPLAINT_POINTS[complaint["severity"]],
                    "recorded_at": complaint["at"],
                }
            )
    return rows


# Everyone's goals this half-year (progress differs by person) and last half-year's review.
GOALS = (
    ("customers", "回款率达到 95%", "Collect 95 % of receivables on time"),
    ("service", "投诉 48 小时内闭环", "Close every complaint within 48 hours"),
    ("drills", "完成本季度两次应急演练", "Take part in two crisis drills this quarter"),
)
REVIEW_RATINGS = ("A", "B+", "B", "B-")


def _seed_number(username: str) -> int:
    return sum(ord(c) for c in username)


def performance_goals_for(username: str, today: date) -> list[dict]:
    half = f"{today.year}-H{1 if today.month <= 6 else 2}"
    due = date(today.year, 6, 30) if today.month <= 6 else date(today.year, 12, 31)
    n = _seed_number(username)
    return [
        {
            "id": f"G-{username}-{code}",
            "title_zh": zh,
            "title_en": en,
            "period": half,
            "progress": (n * (i + 3)) % 101,
            "status": "on_track" if (n + i) % 3 else "at_risk",
            "due_on": due.isoformat(),
        }
        for i, (code, zh, en) in enumerate(GOALS)
    ]


def performance_reviews_for(username: str, today: date) -> list[dict]:
    year, half = (today.year - 1, 2) if today.month <= 6 else (today.year, 1)
    rating = REVIEW_RATINGS[_seed_number(username) % len(REVIEW_RATINGS)]
    return [
        {
            "id": f"R-{username}-{year}H{half}",
            "period": f"{year}-H{half}",
            "rating": rating,
            "reviewer": "manager" if username != "manager" else "vp",
            "summary_zh": "目标完成情况良好,客户沟通需加强。",
            "summary_en": "Goals mostly met; customer communication to improve.",
            "reviewed_on": (date(year, 12, 28) if half == 2 else date(year, 6, 28)).isoformat(),
        }
    ]


def known_employee(username: str) -> bool:
    return username in ATTENDANCE or username.startswith(("sh-", "sz-"))


# --- Revenue and margin per customer (finance) and customer visits (attendance) -------------
# Finance's gross margin rate per customer (revenue less cost of sales), before Keel's labour.
MARGIN_RATES = {
    "CUST-1001": Decimal("0.18"),
    "CUST-1002": Decimal("0.20"),
    "CUST-1003": Decimal("0.35"),
    "CUST-1004": Decimal("0.28"),
    "CUST-2001": Decimal("0.15"),
    "CUST-2002": Decimal("0.22"),
    "CUST-2003": Decimal("0.30"),
    "CUST-2004": Decimal("0.32"),
}


def revenue_for(external_id: str, since: date, until: date, today: date) -> dict:
    """Finance's revenue (invoiced in ``since``…``until``) and gross margin of one customer."""
    revenue = sum(
        (
            Decimal(i["amount"])
            for i in invoices_for(external_id, today)
            if since <= date.fromisoformat(i["issued_on"]) <= until
        ),
        Decimal("0"),
    )
    margin = (revenue * MARGIN_RATES.get(external_id, Decimal("0.25"))).quantize(Decimal("0.01"))
    return {
        "customer": external_id,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "currency": "CNY",
        "revenue": f"{revenue:.2f}",
        "gross_margin": f"{margin:.2f}",
    }


# Field check-ins (外勤打卡) at customers' sites: customer → [(username or "owner", days ago,
# check-in "HH:MM" Shanghai time, minutes on site)].
CUSTOMER_VISITS = {
    "CUST-1001": [("owner", 2, "14:00", 120), ("finance", 9, "10:00", 90)],
    "CUST-1002": [("owner", 3, "14:00", 150), ("owner", 17, "09:30", 180)],
    "CUST-1003": [("owner", 5, "15:00", 60)],
    "CUST-2001": [("owner", 4, "10:30", 240)],
    "CUST-2002": [("owner", 6, "09:00", 90)],
}


def customer_visits(since: date, until: date, today: date, customer: str = "") -> list[dict]:
    """The attendance system's field check-ins at customers' sites in ``since``…``until``."""
    rows = []
    for external_id, visits in CUSTOMER_VISITS.items():
        if customer and external_id != customer:
            continue
        for who, days_ago, at, minutes in visits:
            day = today - timedelta(days=days_ago)
            if not since <= day <= until:
                continue
            hour, minute = map(int, at.split(":"))
            checked_in = datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)
            rows.append(
                {
                    "username": CUSTOMERS_BY_ID[external_id]["owner"] if who == "owner" else who,
                    "customer": external_id,
                    "checked_in_at": checked_in.isoformat(),
                    "checked_out_at": (checked_in + timedelta(minutes=minutes)).isoformat(),
                }
            )
    return rows
