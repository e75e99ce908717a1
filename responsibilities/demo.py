"""Seed scenarios and published responsibility maps (SPEC §3.2), scoped to the whole group.

Idempotent: a scenario is created once by code; a map is created and published only when the
scenario has no version yet for the group, so re-running never forks versions.
"""

from __future__ import annotations

from hrcore.models import OrgUnit

from .choices import Severity
from .models import ResponsibilityMap, Scenario
from .services import maps, scenarios

ESC = ["manager", "executive"]
ESC_VP = ["position:president"]


def _d(code, who, zh, en, deliverable, minutes, after=(), **extra) -> dict:
    """Compact duty literal: ``who`` is a department function or ``@position-code``."""
    duty = {
        "code": code,
        "action_zh": zh,
        "action_en": en,
        "deliverable": deliverable,
        "deadline_minutes": minutes,
        "after": list(after),
        "escalation": extra.pop("escalation", ESC),
    }
    if who.startswith("@"):
        duty["assignee_position"] = who[1:]
    else:
        duty["assignee_function"] = who
    duty.update(extra)
    return duty


SCENARIOS = [
    {
        "code": "debt-collection",
        "name_zh": "债务催收（计划应对）",
        "name_en": "Debt collection (planned response)",
        "default_severity": Severity.MEDIUM,
        "description_zh": "客户或其委托的催收方就欠款纠纷找上门或发函。业务经理先联系客户，同时同步财务与法务；"
        "财务和法务分别提供付款历史与法律依据，副总裁在两者到齐后决定处理方案。",
        "description_en": "A customer, or collectors acting for one, presses a payment dispute. "
        "The department manager contacts the customer and syncs finance and legal at once; "
        "finance and legal provide the payment history and the legal basis, and the VP "
        "decides once both have arrived.",
        "trigger_notes_zh": "客户逾期超过 15 天且最近联系存在风险，或经理主动上报。",
        "trigger_notes_en": "Customer more than 15 days overdue with a risky last contact, or "
        "a manager files it.",
        "title_zh": "债务催收 · 计划应对流程",
        "title_en": "Debt collection · planned response",
        "duties": [
            _d(
                "manager-sync",
                "@department-manager",
                "联系客户了解诉求，并立即同步财务与法务。",
                "Contact the customer to understand the claim and sync finance and legal at once.",
                "contact_log",
                30,
                information_items=["客户联系人 / Customer contact", "欠款金额 / Amount in dispute"],
                competencies=["emotional-control", "resource-coordination"],
                notes_zh="经理是第一响应人，但无权谈判，只负责了解情况与同步。",
                notes_en="The manager is the first responder but has no mandate to negotiate; "
                "they listen and sync.",
            ),
            _d(
                "finance-history",
                "finance",
                "提供客户付款历史与未付发票明细。",
                "Provide the customer's payment history and unpaid-invoice details.",
                "document",
                60,
                information_items=["付款记录 / Payment history", "未付发票 / Unpaid invoices"],
                competencies=["financial-evidence"],
            ),
            _d(
                "legal-script",
                "legal",
                "提供《债务纠纷应对话术与法律依据》。",
                "Provide the debt-dispute response script and its legal basis.",
                "document",
                120,
                information_items=["合同条款 / Contract terms", "往来函件 / Correspondence"],
                competencies=["legal-awareness"],
            ),
            _d(
                "vp-decision",
                "@vice-president",
                "收到财务与法务材料后 1 小时内决定处理方案。",
                "Decide how to handle the dispute within 1 hour of receiving both inputs.",
                "decision",
                60,
                after=["finance-history", "legal-script"],
                escalation=ESC_VP,
                competencies=["decision-making"],
            ),
        ],
    },
    {
        "code": "debt-collection-emergency",
        "name_zh": "债务催收（紧急：催收人员到场）",
        "name_en": "Debt collection (emergency: collectors on site)",
        "default_severity": Severity.CRITICAL,
        "description_zh": "催收人员已到办公现场，或客户逾期达 30 天以上。现场秩序优先，财务与法务同时出具材料，"
        "全部汇总给副总裁，由其批示决策并推送给所有参与人。",
        "description_en": "Collectors are in the office, or a customer is 30 days or more "
        "overdue. Order on site comes first; finance and legal produce their material in "
        "parallel; everything is aggregated to the VP, whose decision is pushed to everyone.",
        "trigger_notes_zh": "客户逾期 ≥30 天，或收到“催收人员到场”通知（前台、OA 或 webhook）。",
        "trigger_notes_en": "Customer ≥30 days overdue, or a “collectors on site” alert "
        "(reception, OA or webhook).",
        "title_zh": "债务催收 · 紧急流程",
        "title_en": "Debt collection · emergency flow",
        "duties": [
            _d(
                "finance-records",
                "finance",
                "30 分钟内上传该客户的付款记录与未付发票。",
                "Upload the customer's payment records and unpaid invoices within 30 minutes.",
                "document",
                30,
                information_items=["付款记录 / Payment records", "未付发票 / Unpaid invoices"],
                competencies=["financial-evidence"],
            ),
            _d(
                "legal-support",
                "legal",
                "1 小时内上传法律支持：可说与不可说的内容、是否构成恐吓、报警条件。",
                "Upload legal support within 1 hour: what may be said, whether this is "
                "intimidation, when to call the police.",
                "document",
                60,
                information_items=["合同 / Contract", "现场情况 / Situation on site"],
                competencies=["legal-awareness", "legal-communication"],
            ),
            _d(
                "admin-on-site",
                "administration",
                "20 分钟内到达现场，维持秩序并保障人员安全。",
                "Arrive on site within 20 minutes to keep order and keep people safe.",
                "on_site",
                20,
                competencies=["on-site-order", "evidence-preservation"],
                notes_zh="行政到场前，经理不得把催收人员带入高管办公室。",
                notes_en="Until administration arrives the manager must not take the "
                "collectors into an executive's office.",
            ),
            _d(
                "manager-contact",
                "@department-manager",
                "10 分钟内联系客户并记录沟通内容，不作任何承诺。",
                "Contact the customer within 10 minutes and log the conversation; promise nothing.",
                "contact_log",
                10,
                competencies=["emotional-control", "negotiation-data-law"],
            ),
            _d(
                "vp-decision",
                "@vice-president",
                "汇总财务与法务材料后 1 小时内批示决策，决策推送给所有参与人。",
                "Within 1 hour of finance's and legal's material, annotate the decision; it "
                "is pushed to everyone involved.",
                "decision",
                60,
                after=["finance-records", "legal-support"],
                escalation=ESC_VP,
                competencies=["decision-making"],
            ),
        ],
    },
    {
        "code": "customer-complaint",
        "name_zh": "零售客户投诉",
        "name_en": "Retail customer complaint",
        "default_severity": Severity.MEDIUM,
        "description_zh": "门店现场客诉：店长安抚客户并同步客服，客服 10 分钟内联系客户给出方案；"
        "投诉流转到责任员工及其上级，并与绩效挂钩。",
        "description_en": "An in-store complaint: the store manager calms the customer and "
        "syncs customer service, which contacts the customer within 10 minutes with a "
        "solution; the complaint goes to the responsible employee and their supervisor and "
        "is linked to performance.",
        "trigger_notes_zh": "门店、热线或线上渠道收到投诉。",
        "trigger_notes_en": "A complaint arrives in store, on the hotline or online.",
        "title_zh": "零售客户投诉处理",
        "title_en": "Retail customer complaint",
        "duties": [
            _d(
                "store-calm",
                "business",
                "店长现场安抚客户，记录诉求并同步客服。",
                "The store manager calms the customer, records the complaint and syncs "
                "customer service.",
                "contact_log",
                10,
                competencies=["customer-empathy"],
            ),
            _d(
                "cs-contact",
                "customer_service",
                "10 分钟内联系客户并给出解决方案。",
                "Contact the customer within 10 minutes with a solution.",
                "contact_log",
                10,
                competencies=["customer-empathy"],
            ),
            _d(
                "cs-resolution",
                "@cs-manager",
                "确定补偿或解决方案（超出授权时上报）。",
                "Decide the remedy or compensation (escalate beyond your mandate).",
                "decision",
                30,
                after=["cs-contact"],
                competencies=["decision-making", "service-recovery"],
            ),
            _d(
                "route-responsible",
                "customer_service",
                "将投诉流转给责任员工及其上级。",
                "Route the complaint to the responsible employee and their supervisor.",
                "confirmation",
                60,
                after=["cs-contact"],
            ),
            _d(
                "supervisor-review",
                "@department-manager",
                "上级与责任员工复盘并提交整改说明。",
                "The supervisor reviews the case with the employee and files a corrective note.",
                "document",
                1440,
                after=["route-responsible"],
            ),
            _d(
                "hr-performance",
                "hr",
                "将投诉结果记入责任员工绩效档案。",
                "Link the outcome to the responsible employee's performance record.",
                "confirmation",
                4320,
                after=["supervisor-review"],
                business_hours=True,
                notes_zh="与绩效挂钩（种子 003），但只记录事实，不直接扣分。",
                notes_en="Linked to performance (seed 003); records facts, does not deduct "
                "points by itself.",
            ),
        ],
    },
    {
        "code": "pr-crisis",
        "name_zh": "公关 / 舆情危机",
        "name_en": "PR / public-opinion crisis",
        "default_severity": Severity.HIGH,
        "description_zh": "负面报道或社交媒体事件正在发酵。原则：先核实事实、2 小时内发出经法务审核的"
        "简短声明，对内对外口径一致；客服与业务按同一口径回应客户。",
        "description_en": "A negative story or social-media storm is spreading. The rule: "
        "establish the facts first, issue a short, legally reviewed holding statement within "
        "2 hours, keep inside and outside messages identical; customer service and sales "
        "answer customers from the same script.",
        "trigger_notes_zh": "舆情监测告警、媒体来电或高管转发。",
        "trigger_notes_en": "A media-monitoring alert, a journalist's call, or an executive "
        "forwarding a post.",
        "title_zh": "舆情危机应对",
        "title_en": "PR crisis response",
        "duties": [
            _d(
                "pr-facts",
                "@pr-manager",
                "30 分钟内收集事实、传播范围与原帖，形成事实简报。",
                "Within 30 minutes collect the facts, reach and original posts into a fact sheet.",
                "document",
                30,
                competencies=["crisis-communication"],
                notes_zh="没有事实简报就不发声明：错误的声明比沉默更糟。",
                notes_en="No statement without a fact sheet: a wrong statement is worse than "
                "silence.",
            ),
            _d(
                "holding-statement",
                "@pr-manager",
                "起草对外简短声明（承认关注、说明正在核实、给出下次更新时间）。",
                "Draft a short holding statement (we are aware, we are checking, next "
                "update at …).",
                "document",
                45,
                after=["pr-facts"],
            ),
            _d(
                "legal-review",
                "legal",
                "审核事实简报与声明的法律风险（诽谤、隐私、监管披露）。",
                "Review the fact sheet and statement for legal risk (defamation, privacy, "
                "regulatory disclosure).",
                "document",
                45,
                after=["pr-facts"],
                competencies=["legal-awareness"],
            ),
            _d(
                "exec-approval",
                "@vice-president",
                "批准对外声明与统一口径。",
                "Approve the statement and the single line everyone uses.",
                "decision",
                30,
                after=["holding-statement", "legal-review"],
                escalation=ESC_VP,
                competencies=["decision-making"],
            ),
            _d(
                "cs-script",
                "customer_service",
                "依据批准口径准备客服问答并开始答复客户。",
                "Prepare customer-service Q&A from the approved line and start answering.",
                "document",
                60,
                after=["exec-approval"],
            ),
            _d(
                "hr-internal",
                "hr",
                "向全员发布内部说明：统一口径，员工不得自行对外发言。",
                "Brief all staff: the approved line, and that nobody speaks to the media "
                "on their own.",
                "confirmation",
                120,
                after=["exec-approval"],
            ),
            _d(
                "key-accounts",
                "business",
                "主动联系重点客户说明情况。",
                "Proactively call key accounts and explain the situation.",
                "contact_log",
                240,
                after=["exec-approval"],
            ),
        ],
    },
    {
        "code": "supply-chain-disruption",
        "name_zh": "供应链中断",
        "name_en": "Supply-chain disruption",
        "default_severity": Severity.HIGH,
        "description_zh": "关键供应商停供、物流中断或原料短缺。先弄清影响了哪些订单和客户，再由财务与法务"
        "评估资金敞口和合同责任（不可抗力通知有时限），副总裁据此决定替代采购与订单分配。",
        "description_en": "A key supplier stops, logistics break down or materials run short. "
        "First find out which orders and customers are affected, then finance and legal size "
        "the cash exposure and contractual liability (force-majeure notices have deadlines), "
        "and the VP decides alternative sourcing and allocation on that basis.",
        "trigger_notes_zh": "供应商书面通知、物流异常告警或库存低于安全线。",
        "trigger_notes_en": "A supplier's written notice, a logistics alert or stock below "
        "the safety level.",
        "title_zh": "供应链中断应对",
        "title_en": "Supply-chain disruption response",
        "duties": [
            _d(
                "impact-list",
                "business",
                "1 小时内列出受影响的订单、客户与交期。",
                "Within 1 hour list the affected orders, customers and delivery dates.",
                "document",
                60,
            ),
            _d(
                "cs-notify",
                "customer_service",
                "通知受影响客户预计延误并记录反馈。",
                "Tell affected customers about the expected delay and log their reaction.",
                "contact_log",
                120,
                after=["impact-list"],
                competencies=["customer-empathy"],
            ),
            _d(
                "finance-exposure",
                "finance",
                "测算资金敞口：违约金、预付款、替代采购成本。",
                "Size the cash exposure: penalties, prepayments, cost of alternative sourcing.",
                "document",
                120,
                after=["impact-list"],
                competencies=["financial-evidence"],
            ),
            _d(
                "legal-force-majeure",
                "legal",
                "审查合同责任，必要时在时限内发出不可抗力通知。",
                "Review contractual liability and send force-majeure notices within their "
                "time limits where needed.",
                "document",
                120,
                after=["impact-list"],
                competencies=["legal-awareness"],
            ),
            _d(
                "vp-sourcing-decision",
                "@vice-president",
                "决定替代采购方案与订单优先级。",
                "Decide alternative sourcing and which orders get priority.",
                "decision",
                60,
                after=["finance-exposure", "legal-force-majeure"],
                escalation=ESC_VP,
                competencies=["decision-making"],
            ),
            _d(
                "admin-logistics",
                "administration",
                "落实替代物流与仓储安排。",
                "Put the alternative logistics and storage in place.",
                "confirmation",
                240,
                after=["vp-sourcing-decision"],
            ),
        ],
    },
    {
        "code": "strike",
        "name_zh": "员工停工 / 罢工",
        "name_en": "Work stoppage / strike",
        "default_severity": Severity.CRITICAL,
        "description_zh": "员工集体停工或聚集。先保障现场安全与秩序，人力资源部弄清诉求与人数，法务评估劳动法"
        "风险，经理开启对话但不作承诺，副总裁确定谈判授权；对外口径统一由公关发布。",
        "description_en": "Employees stop work or gather. Safety and order on site first; HR "
        "establishes the demands and headcount, legal assesses labour-law risk, the manager "
        "opens a dialogue without promising anything, and the VP sets the negotiation "
        "mandate; PR alone speaks to the outside.",
        "trigger_notes_zh": "集体停工、聚集或书面集体诉求。",
        "trigger_notes_en": "A collective stoppage, a gathering, or a written collective demand.",
        "title_zh": "停工事件应对",
        "title_en": "Work stoppage response",
        "duties": [
            _d(
                "admin-safety",
                "administration",
                "30 分钟内到场维护秩序与安全，保障通道畅通。",
                "Be on site within 30 minutes for order and safety; keep exits clear.",
                "on_site",
                30,
                competencies=["on-site-order"],
            ),
            _d(
                "hr-facts",
                "hr",
                "1 小时内弄清诉求、参与人数与涉及岗位。",
                "Within 1 hour establish the demands, headcount and positions involved.",
                "document",
                60,
            ),
            _d(
                "manager-dialogue",
                "@department-manager",
                "与员工代表开启对话，记录诉求，不作承诺。",
                "Open a dialogue with the employees' representatives, log the demands, "
                "promise nothing.",
                "contact_log",
                60,
                competencies=["emotional-control", "negotiation-data-law"],
            ),
            _d(
                "legal-labour",
                "legal",
                "评估劳动法风险与合规的应对方式。",
                "Assess labour-law risk and the lawful ways to respond.",
                "document",
                120,
                after=["hr-facts"],
                competencies=["legal-awareness"],
            ),
            _d(
                "pr-statement",
                "@pr-manager",
                "准备对外口径，只有公关对外发声。",
                "Prepare the external line; only PR speaks to the outside.",
                "document",
                120,
                after=["hr-facts"],
            ),
            _d(
                "vp-mandate",
                "@vice-president",
                "确定谈判授权与底线。",
                "Set the negotiation mandate and its limits.",
                "decision",
                60,
                after=["legal-labour", "manager-dialogue"],
                escalation=ESC_VP,
                competencies=["decision-making", "crisis-communication"],
            ),
            _d(
                "hr-agreement",
                "hr",
                "形成书面协议并向全员通报结果。",
                "Put the agreement in writing and inform all staff of the outcome.",
                "document",
                1440,
                after=["vp-mandate"],
                business_hours=True,
            ),
        ],
    },
]


def seed() -> dict[str, int]:
    group = OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()
    if group is None:
        return {"scenarios": 0, "maps": 0}
    for spec in SCENARIOS:
        scenario = Scenario.objects.filter(code=spec["code"]).first()
        if scenario is None:
            scenario = scenarios.scenario_create(
                code=spec["code"],
                name_zh=spec["name_zh"],
                name_en=spec["name_en"],
                description_zh=spec["description_zh"],
                description_en=spec["description_en"],
                default_severity=spec["default_severity"],
                trigger_notes_zh=spec["trigger_notes_zh"],
                trigger_notes_en=spec["trigger_notes_en"],
                actor=None,
            )
        if ResponsibilityMap.objects.filter(scenario=scenario, scope=group).exists():
            continue
        draft = maps.responsibility_map_create(
            scenario=scenario,
            scope=group,
            duties=spec["duties"],
            title_zh=spec["title_zh"],
            title_en=spec["title_en"],
            change_note="演示数据的初始版本 / Initial version from the demo data.",
            actor=None,
        )
        maps.responsibility_map_publish(responsibility_map=draft, actor=None)
    return {"scenarios": Scenario.objects.count(), "maps": ResponsibilityMap.objects.count()}
