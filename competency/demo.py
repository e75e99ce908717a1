"""Demo content: the crisis-capability framework, position profiles, three bilingual simulations,
the demo manager's history (resilience 60 → 85) and an assignment in ``manager``'s inbox.

Idempotent: rows are looked up by code / source key first.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hrcore.models import Employee, Position

from . import selectors
from .choices import AssignmentReason, EvidenceKind, FrameworkStatus
from .demo_content import SIMULATIONS
from .models import (
    BehaviouralAnchor,
    Competency,
    Evidence,
    Framework,
    PositionProfile,
    ProfileRequirement,
    RatingScale,
    ScaleLevel,
    SimRubricItem,
    Simulation,
)
from .services import assignments, authoring, recognition
from .services import evidence as evidence_services

LEVELS = [
    (1, "了解", "Aware", False),
    (2, "发展中", "Developing", False),
    (3, "熟练", "Proficient", True),
    (4, "专家", "Expert", False),
]

# group code, zh, en, [(code, zh, en, [anchor zh 1..4], [anchor en 1..4])]
COMPETENCY_TREE = [
    (
        "crisis-response",
        "危机应对（管理者）",
        "Crisis response (managers)",
        [
            (
                "emotional-control",
                "情绪控制",
                "Emotional control",
                [
                    "知道在冲突中应保持冷静，但被激怒时语气会失控。",
                    "多数情况下能控制语气，对方升级时偶尔反击。",
                    "对方喊叫时仍能平稳表明身份、降低音量、把人带离公共区域。",
                    "能主动调节现场情绪，并帮助同事稳定下来。",
                ],
                [
                    "Knows to stay calm in a conflict but loses tone when provoked.",
                    "Mostly controls tone; occasionally hits back when the other side escalates.",
                    "Stays level while shouted at: names themself, lowers the voice, moves people "
                    "away from the open office.",
                    "Actively calms the scene and helps colleagues steady themselves.",
                ],
            ),
            (
                "resource-coordination",
                "资源协调",
                "Resource coordination",
                [
                    "知道应找财务、法务、行政，但不清楚何时找谁。",
                    "能联系到相关部门，但信息不完整、顺序混乱。",
                    "几分钟内同时调动财务、法务、行政，说明现场情况和所需材料。",
                    "预先建立联络机制，危机中各方按职责并行推进。",
                ],
                [
                    "Knows finance, legal and administration exist but not when to call whom.",
                    "Reaches the right departments but with incomplete information, in a muddle.",
                    "Within minutes mobilises finance, legal and administration in parallel, "
                    "saying what happened and what is needed.",
                    "Has the contact routine in place before; in a crisis everyone moves in "
                    "parallel on their own duty.",
                ],
            ),
            (
                "negotiation-data-law",
                "依据数据与法律谈判",
                "Negotiation with data and law",
                [
                    "凭印象回应对方的金额和要求。",
                    "会要求核对，但容易被对方带节奏。",
                    "以核实过的付款记录和合同条款为依据，不做未经授权的承诺。",
                    "用数据和法律依据主导谈判节奏，并为公司争取书面、可执行的结果。",
                ],
                [
                    "Answers amounts and demands from memory.",
                    "Asks to verify but lets the other side set the pace.",
                    "Argues from verified payment records and the contract; promises nothing "
                    "without authority.",
                    "Leads the negotiation with data and legal grounds and secures a written, "
                    "workable outcome.",
                ],
            ),
            (
                "risk-anticipation",
                "风险预判",
                "Risk anticipation",
                [
                    "只处理眼前的问题。",
                    "能想到明显的后果（如报警、投诉）。",
                    "能预判舆情、法律和安全风险并提前留存证据。",
                    "在风险显现前就发现信号并推动预防措施。",
                ],
                [
                    "Deals only with what is in front of them.",
                    "Sees the obvious consequences (police, complaints).",
                    "Anticipates media, legal and safety risks and preserves evidence early.",
                    "Spots the signals before the risk shows and drives prevention.",
                ],
            ),
        ],
    ),
    (
        "finance-crisis",
        "财务支持",
        "Finance support",
        [
            (
                "financial-evidence",
                "记录调取",
                "Records readiness",
                [
                    "能找到账目。",
                    "能在一小时内整理付款记录。",
                    "30分钟内提供准确的付款与未付清单。",
                    "记录随时可用并主动核对差异。",
                ],
                [
                    "Can find the accounts.",
                    "Compiles payment records within an hour.",
                    "Delivers accurate paid/unpaid lists within 30 minutes.",
                    "Records are always ready; differences are reconciled proactively.",
                ],
            ),
            (
                "data-disclosure",
                "信息披露边界",
                "Disclosure discipline",
                [
                    "不清楚哪些信息可以对外。",
                    "知道敏感信息但偶尔疏忽。",
                    "对外只提供脱敏、经授权的数据。",
                    "为一线制定披露口径。",
                ],
                [
                    "Unsure what may be shown outside.",
                    "Knows what is sensitive but slips at times.",
                    "Gives outsiders only redacted, authorised data.",
                    "Writes the disclosure lines for the front line.",
                ],
            ),
        ],
    ),
    (
        "legal-crisis",
        "法务支持",
        "Legal support",
        [
            (
                "legal-awareness",
                "法律风险研判",
                "Legal assessment",
                [
                    "能找到合同。",
                    "能指出主要条款。",
                    "一小时内给出法律依据和应对指引。",
                    "预判诉讼与合规风险并给出备选方案。",
                ],
                [
                    "Can find the contract.",
                    "Points out the main clauses.",
                    "Gives the legal basis and a response guide within the hour.",
                    "Anticipates litigation and compliance risk with alternatives.",
                ],
            ),
            (
                "legal-communication",
                "法律沟通",
                "Legal communication",
                [
                    "只用法律术语。",
                    "能向同事解释要点。",
                    "能在现场用通俗语言向对方说明法律立场。",
                    "能把法律立场转化为谈判优势。",
                ],
                [
                    "Speaks only in legal terms.",
                    "Explains the points to colleagues.",
                    "States the legal position plainly to the other side on site.",
                    "Turns the legal position into negotiating strength.",
                ],
            ),
        ],
    ),
    (
        "admin-crisis",
        "行政保障",
        "Administrative support",
        [
            (
                "on-site-order",
                "现场安全管控",
                "On-site safety",
                [
                    "知道报警电话。",
                    "能疏散人员。",
                    "20分钟内到场控制秩序、保护员工。",
                    "预先制定并演练现场预案。",
                ],
                [
                    "Knows the emergency number.",
                    "Can move people away.",
                    "On site within 20 minutes, keeps order and protects staff.",
                    "Has drilled on-site plans in advance.",
                ],
            ),
            (
                "evidence-preservation",
                "证据留存",
                "Evidence preservation",
                [
                    "事后回忆经过。",
                    "会拍照记录。",
                    "完整记录时间、人员、视频和出警信息。",
                    "证据可直接用于法律程序。",
                ],
                [
                    "Recalls events afterwards.",
                    "Takes photos.",
                    "Records times, people, video and police reference completely.",
                    "Evidence is ready for legal proceedings.",
                ],
            ),
        ],
    ),
    (
        "service-crisis",
        "客户服务",
        "Customer service",
        [
            (
                "customer-empathy",
                "客户共情与降温",
                "Customer empathy and de-escalation",
                [
                    "按流程回复。",
                    "会道歉但缺乏共情。",
                    "先处理情绪再处理事实，十分钟内给出方案或升级。",
                    "把投诉转化为信任。",
                ],
                [
                    "Replies by the script.",
                    "Apologises without empathy.",
                    "Handles feelings before facts; a plan or escalation within ten minutes.",
                    "Turns complaints into trust.",
                ],
            ),
            (
                "service-recovery",
                "服务补救",
                "Service recovery",
                [
                    "只能退换货。",
                    "会给补偿。",
                    "补救方案书面化并跟进闭环，同时上报质量问题。",
                    "推动流程改进防止再发生。",
                ],
                [
                    "Can only refund or exchange.",
                    "Offers compensation.",
                    "Puts the remedy in writing, follows it through and reports quality issues.",
                    "Drives process changes so it does not happen again.",
                ],
            ),
        ],
    ),
    (
        "executive-crisis",
        "决策与发声",
        "Decision and voice",
        [
            (
                "decision-making",
                "压力下决策",
                "Decision under pressure",
                [
                    "等待更多信息。",
                    "能在提醒下做决定。",
                    "基于核实的事实在时限内决策并说明理由。",
                    "在信息不全时做出可调整的决策。",
                ],
                [
                    "Waits for more information.",
                    "Decides when reminded.",
                    "Decides within the deadline on verified facts, with reasons.",
                    "Makes adjustable decisions on incomplete information.",
                ],
            ),
            (
                "crisis-communication",
                "危机沟通",
                "Crisis communication",
                [
                    "回避媒体。",
                    "能照稿回应。",
                    "以统一口径如实回应，不做绝对化表态。",
                    "主动设置议题，修复声誉。",
                ],
                [
                    "Avoids the media.",
                    "Reads out a prepared line.",
                    "Answers truthfully on the agreed line, no absolute claims.",
                    "Sets the agenda and repairs reputation.",
                ],
            ),
        ],
    ),
]

CRISIS_SET = [
    ("emotional-control", 3, 3),
    ("resource-coordination", 3, 2),
    ("negotiation-data-law", 3, 2),
    ("risk-anticipation", 3, 2),
]
# position code → (requirements [(code, required, weight)], cadence days, scenarios)
PROFILES = {
    "department-manager": (
        CRISIS_SET,
        90,
        ["debt-collection", "debt-collection-emergency", "customer-complaint", "pr-crisis"],
    ),
    "store-manager": (
        [
            ("emotional-control", 3, 2),
            ("customer-empathy", 3, 3),
            ("service-recovery", 3, 2),
            ("risk-anticipation", 2, 1),
        ],
        60,
        ["customer-complaint"],
    ),
    "finance-manager": (
        [
            ("financial-evidence", 3, 3),
            ("data-disclosure", 3, 2),
            ("emotional-control", 2, 1),
        ],
        180,
        ["debt-collection-emergency"],
    ),
    "legal-counsel": (
        [("legal-awareness", 3, 3), ("legal-communication", 3, 2)],
        180,
        ["debt-collection-emergency", "pr-crisis"],
    ),
    "admin-officer": (
        [
            ("on-site-order", 3, 3),
            ("evidence-preservation", 3, 2),
            ("emotional-control", 2, 1),
        ],
        180,
        ["debt-collection-emergency"],
    ),
    "cs-manager": (
        [
            ("customer-empathy", 3, 3),
            ("service-recovery", 3, 2),
            ("emotional-control", 3, 2),
        ],
        90,
        ["customer-complaint"],
    ),
    "cs-agent": (
        [("customer-empathy", 2, 2), ("emotional-control", 2, 1)],
        90,
        ["customer-complaint"],
    ),
    "vice-president": (
        [
            ("decision-making", 4, 3),
            ("crisis-communication", 3, 2),
            ("risk-anticipation", 3, 2),
        ],
        180,
        ["pr-crisis", "debt-collection-emergency"],
    ),
    "general-manager": (
        [
            ("decision-making", 3, 3),
            ("crisis-communication", 3, 2),
            ("risk-anticipation", 3, 2),
        ],
        180,
        ["pr-crisis"],
    ),
    "pr-manager": (
        [("crisis-communication", 4, 3), ("risk-anticipation", 3, 2)],
        90,
        ["pr-crisis"],
    ),
}
# The demo manager's track record: score per month back (oldest first) → resilience 60 → 85.
MANAGER_HISTORY = [(6, 60), (5, 64), (4, 70), (3, 74), (2, 80), (1, 85)]
HISTORY_KINDS = [
    EvidenceKind.MANAGER_RATING,
    EvidenceKind.TRAINING,
    EvidenceKind.SIMULATION,
    EvidenceKind.MANAGER_RATING,
    EvidenceKind.TRAINING,
    EvidenceKind.SIMULATION,
]
# Other cast members' current levels (for readiness and gaps).
CAST_LEVELS = {
    "finance": [("financial-evidence", 3), ("data-disclosure", 2), ("emotional-control", 3)],
    "legal": [("legal-awareness", 4), ("legal-communication", 3)],
    "admin": [("on-site-order", 2), ("evidence-preservation", 3), ("emotional-control", 2)],
    "manager": [("crisis-communication", 3)],
    "manager2": [
        ("emotional-control", 2),
        ("resource-coordination", 3),
        ("negotiation-data-law", 2),
        ("risk-anticipation", 3),
    ],
    "vp": [("decision-making", 4), ("crisis-communication", 3), ("risk-anticipation", 4)],
}


def _framework() -> Framework:
    scale, _ = RatingScale.objects.get_or_create(
        code="proficiency-4",
        defaults={"name_zh": "四级熟练度", "name_en": "Four-level proficiency"},
    )
    for value, zh, en, proficient in LEVELS:
        ScaleLevel.objects.get_or_create(
            scale=scale,
            value=value,
            defaults={"label_zh": zh, "label_en": en, "is_proficient": proficient},
        )
    framework = Framework.objects.filter(code="crisis-capability").order_by("-version").first()
    if framework is not None:
        return framework
    framework = Framework.objects.create(
        code="crisis-capability",
        version=1,
        name_zh="危机应对能力模型",
        name_en="Crisis capability model",
        description_zh="各岗位在突发事件中需要的能力与行为标准。",
        description_en="What each position needs to handle a crisis, with behaviours per level.",
        scale=scale,
        status=FrameworkStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    for group_order, (group_code, gzh, gen, children) in enumerate(COMPETENCY_TREE):
        group = Competency.objects.create(
            framework=framework,
            code=group_code,
            name_zh=gzh,
            name_en=gen,
            order=group_order * 10,
        )
        for order, (code, zh, en, anchors_zh, anchors_en) in enumerate(children):
            competency = Competency.objects.create(
                framework=framework,
                code=code,
                parent=group,
                name_zh=zh,
                name_en=en,
                order=group_order * 10 + order + 1,
            )
            BehaviouralAnchor.objects.bulk_create(
                BehaviouralAnchor(competency=competency, level=i + 1, text_zh=z, text_en=e)
                for i, (z, e) in enumerate(zip(anchors_zh, anchors_en, strict=True))
            )
    return framework


def _profiles(framework: Framework) -> None:
    competencies = {c.code: c for c in framework.competencies.all()}
    for position_code, (requirements, cadence, scenarios) in PROFILES.items():
        position = Position.objects.filter(code=position_code).first()
        if position is None:
            continue
        profile, created = PositionProfile.objects.get_or_create(
            position=position,
            is_active=True,
            defaults={"framework": framework, "cadence_days": cadence, "scenario_codes": scenarios},
        )
        if not created:
            continue
        for code, level, weight in requirements:
            ProfileRequirement.objects.create(
                profile=profile, competency=competencies[code], required_level=level, weight=weight
            )


def _simulations(author) -> dict[str, Simulation]:
    result = {}
    for spec in SIMULATIONS:
        simulation = Simulation.objects.filter(code=spec["code"]).first()
        published = selectors.published_version(simulation) if simulation else None
        if published is not None and not _lacks_rubric(published):
            result[spec["code"]] = simulation
            continue
        # A demo published before free-text answers were scored gets a new version with rubrics.
        version = (
            authoring.version_new_draft(simulation=simulation, actor=author)
            if simulation
            else authoring.simulation_create(
                code=spec["code"],
                title_zh=spec["title"][0],
                title_en=spec["title"][1],
                description_zh=spec["description"][0],
                description_en=spec["description"][1],
                scenario_code=spec["scenario"],
                pass_mark=spec.get("pass_mark", 60),
                initial_state={"agitation": spec.get("agitation", 60)},
                counterpart_zh=spec["counterpart"][0],
                counterpart_en=spec["counterpart"][1],
                actor=author,
            )
        )
        version.nodes.all().delete()
        nodes = {}
        for order, node in enumerate(spec["nodes"]):
            speaker = node.get("speaker", ("", ""))
            nodes[node["key"]] = authoring.node_save(
                version=version,
                key=node["key"],
                kind=node["kind"],
                text_zh=node["text"][0],
                text_en=node["text"][1],
                speaker_zh=speaker[0],
                speaker_en=speaker[1],
                time_limit_seconds=node.get("time_limit"),
                ending_tone=node.get("tone", ""),
                order=order,
                actor=author,
            )
        version.refresh_from_db()
        version.start_node = nodes[spec["nodes"][0]["key"]]
        version.save(update_fields=["start_node"])
        for node in spec["nodes"]:
            for order, choice in enumerate(node.get("choices", [])):
                authoring.choice_save(
                    node=nodes[node["key"]],
                    next_node=nodes[choice["to"]],
                    label_zh=choice["label"][0],
                    label_en=choice["label"][1],
                    feedback_zh=choice.get("feedback", ("", ""))[0],
                    feedback_en=choice.get("feedback", ("", ""))[1],
                    hint_zh=choice.get("hint", ("", ""))[0],
                    hint_en=choice.get("hint", ("", ""))[1],
                    effects=choice.get("effects", {}),
                    state_changes=choice.get("state", {}),
                    condition=choice.get("condition"),
                    is_critical=choice.get("critical", False),
                    is_timeout=choice.get("timeout", False),
                    order=order,
                    actor=author,
                )
        for node in spec["nodes"]:
            for order, item in enumerate(node.get("rubric", [])):
                authoring.rubric_item_save(
                    node=nodes[node["key"]],
                    kind=item["kind"],
                    label_zh=item["label"][0],
                    label_en=item["label"][1],
                    phrases_zh=item["phrases"][0],
                    phrases_en=item["phrases"][1],
                    effects=item["effects"],
                    feedback_zh=item["feedback"][0],
                    feedback_en=item["feedback"][1],
                    order=order,
                    actor=author,
                )
        authoring.version_publish(version=version, actor=author)
        result[spec["code"]] = version.simulation
    return result


def _lacks_rubric(version) -> bool:
    """A published demo version from before free-text rubrics existed."""
    return not SimRubricItem.objects.filter(node__version=version).exists()


def _history(framework: Framework, now) -> int:
    created = 0
    manager = Employee.objects.filter(user__username="manager").first()
    if manager is not None:
        for index, (months_back, score) in enumerate(MANAGER_HISTORY):
            at = now - timedelta(days=30 * months_back)
            for offset, (code, _req, _w) in enumerate(CRISIS_SET):
                # small per-competency spread around the month's score, same weighted mean
                spread = [0, 2, -2, 0][offset] if 60 < score < 85 else 0
                value = score + spread
                _row, was_new = evidence_services.evidence_record(
                    employee=manager,
                    competency_code=code,
                    level=_level_for(value),
                    score=value,
                    kind=HISTORY_KINDS[index],
                    source="demo history",
                    source_key=f"demo:manager:{code}:{months_back}",
                    observed_at=at,
                    actor=None,
                    push=False,
                )
                created += int(was_new)
    for username, levels in CAST_LEVELS.items():
        employee = Employee.objects.filter(user__username=username).first()
        if employee is None:
            continue
        for code, level in levels:
            _row, was_new = evidence_services.evidence_record(
                employee=employee,
                competency_code=code,
                level=level,
                kind=EvidenceKind.MANAGER_RATING,
                source="demo rating",
                source_key=f"demo:{username}:{code}",
                observed_at=now - timedelta(days=20),
                actor=None,
                push=False,
            )
            created += int(was_new)
    return created


def _replay_crisis_reviews(actor) -> int:
    """The crisis demo closes crises before this app's framework exists (seed order), so their
    review findings were refused then; record them now (idempotent per crisis/person/code)."""
    try:
        from crisis.models import Crisis
    except ImportError:  # pragma: no cover - crisis app absent
        return 0
    recorded = 0
    for crisis in Crisis.objects.filter(closed_at__isnull=False):
        findings = [
            {
                "employee_id": task.assignee_id,
                "competency": code,
                "note": f"{task.duty.code}: deadline missed in crisis #{crisis.pk}",
            }
            for task in crisis.tasks.exclude(breached_at=None)
            .exclude(assignee=None)
            .select_related("duty")
            for code in task.duty.competencies or []
        ]
        for finding in findings:
            if selectors.competency_for_code(finding["competency"]) is None:
                continue
            recorded += recognition.crisis_review_record(
                crisis_id=crisis.pk, findings=[finding], actor=actor
            )
    return recorded


def _level_for(score: float) -> int:
    from .scoring import level_from_percent

    return level_from_percent(score, [1, 2, 3, 4])


@transaction.atomic
def seed() -> dict[str, int]:
    now = timezone.now()
    User = get_user_model()
    author = User.objects.filter(username="hradmin").first()
    if author is None:
        return {"simulations": 0}
    framework = _framework()
    _profiles(framework)
    simulations = _simulations(author)
    evidence = _history(framework, now)
    evidence += _replay_crisis_reviews(author)
    manager = Employee.objects.filter(user__username="manager").select_related("user").first()
    if manager is not None and "debt-collectors-office" in simulations:
        assignments.assignment_create(
            employee=manager,
            simulation=simulations["debt-collectors-office"],
            reason=AssignmentReason.MANUAL,
            source_key="demo:manager:debt-collectors-office",
            actor=author,
            due_at=now + timedelta(days=7),
            note="演示 / demo",
        )
    return {
        "simulations": len(simulations),
        "evidence": Evidence.objects.count(),
        "new_evidence": evidence,
    }
