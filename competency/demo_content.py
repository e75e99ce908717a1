"""The three demo simulations, in both languages (data only; loaded by ``competency.demo``).

Competency codes: EC emotional-control, RC resource-coordination, NG negotiation-data-law,
RA risk-anticipation, CD customer-empathy, SR service-recovery, PC crisis-communication.
"""

EC, RC, NG, RA = (
    "emotional-control",
    "resource-coordination",
    "negotiation-data-law",
    "risk-anticipation",
)
CD, SR, PC = "customer-empathy", "service-recovery", "crisis-communication"


def c(to, label, feedback=("", ""), hint=("", ""), effects=None, state=None, **extra):
    return {
        "to": to,
        "label": label,
        "feedback": feedback,
        "hint": hint,
        "effects": effects or {},
        "state": state or {},
        **extra,
    }


def key_point(label, zh, en, effects, feedback):
    """A rubric key point of a free-text node: phrases are alternatives (see competency.scoring)."""
    return {
        "kind": "key_point",
        "label": label,
        "phrases": (zh, en),
        "effects": effects,
        "feedback": feedback,
    }


def forbidden(label, zh, en, feedback, effects=None):
    """A phrase that must not be said: a critical error if the answer contains it."""
    return {
        "kind": "forbidden",
        "label": label,
        "phrases": (zh, en),
        "effects": effects or {},
        "feedback": feedback,
    }


COLLECTOR = ("催收人员老周", "Collector Zhou")
CUSTOMER = ("顾客李女士", "Ms Li, the customer")
REPORTER = ("记者张先生", "Reporter Zhang")

DEBT = {
    "code": "debt-collectors-office",
    "scenario": "debt-collection-emergency",
    "title": ("催收人员在办公室大声喧哗", "Debt collectors shouting in the office"),
    "description": (
        "三名催收人员闯进办公室要求当场还款。你要稳住现场、叫对人、只说能兑现的话。",
        "Three debt collectors storm into the office demanding payment on the spot. Keep the scene "
        "calm, call the right people, and say only what you can keep.",
    ),
    "counterpart": COLLECTOR,
    "agitation": 70,
    "nodes": [
        {
            "key": "start",
            "kind": "narrative",
            "text": (
                "周一上午十点，三名自称催收公司的人员闯进你的部门办公室。领头的老周大声喊："
                "“你们公司欠我们委托人的钱，今天不给说法谁也别想走！”同事们都停下手里的工作看着你。",
                "Monday, 10 a.m. Three people from a collection agency burst into your department. "
                "Their leader, Zhou, shouts: “Your company owes our client money — nobody leaves "
                "until we get an answer today!” Your team has stopped working and is watching you.",
            ),
            "choices": [c("first-words", ("上前应对", "Step forward"))],
        },
        {
            "key": "first-words",
            "kind": "timed",
            "time_limit": 30,
            "speaker": COLLECTOR,
            "text": (
                "“你就是负责人？说话啊！”老周拍着桌子，离你不到一米。你先说什么？",
                "“You're in charge? Say something!” Zhou bangs the desk, less than a metre from "
                "you. What do you say first?",
            ),
            "choices": [
                c(
                    "ask-details",
                    (
                        "“请大家冷静，我是部门经理王建国。我们去会议室坐下谈，我先听您说。”",
                        "“Let's all calm down. I'm Wang Jianguo, the department manager. Let's "
                        "sit down in the meeting room — I'll hear you out first.”",
                    ),
                    feedback=(
                        "报上身份、把人带离开放办公区，既降温也保护了同事。",
                        "Naming yourself and moving them out of the open office lowers the "
                        "temperature and protects your team.",
                    ),
                    effects={EC: 3, RA: 1},
                    state={"agitation": -15},
                ),
                c(
                    "escalation",
                    (
                        "“这里是办公场所，你们再闹我就报警了！”",
                        "“This is a workplace. Keep this up and I'm calling the police!”",
                    ),
                    feedback=(
                        "明确底线是对的，报警也是正当选项。",
                        "Stating a limit is right, and the police are a legitimate option.",
                    ),
                    hint=(
                        "第一句话就用威胁开场往往让对方更激动：先降温、把人带离公共区域，再明确底线。",
                        "Opening with a threat usually inflames things: calm first, move them out of "
                        "the open area, then state the limit.",
                    ),
                    effects={EC: 1, RA: 1},
                    state={"agitation": 20},
                ),
                c(
                    "promise-trap",
                    (
                        "“我们肯定会还钱的，今天一定给你们一个交代。”",
                        "“We will certainly pay. You'll have an answer today, I promise.”",
                    ),
                    feedback=(
                        "对方确实安静了一些——但你承诺了一件你无权决定、也未核实的事。",
                        "They did quieten down — but you promised something you have neither "
                        "verified nor the authority to decide.",
                    ),
                    hint=(
                        "永远不要在未经财务核实、副总授权前承诺付款或付款时间。可以承诺的是：核实与书面答复的时间。",
                        "Never promise payment or a date before finance has verified it and the "
                        "VP has authorised it. What you can promise: when you will verify and "
                        "answer in writing.",
                    ),
                    effects={NG: -2, EC: 1},
                    state={"agitation": -10},
                    critical=True,
                ),
                c(
                    "escalation",
                    ("（你一时不知道说什么）", "(You freeze and say nothing)"),
                    feedback=(
                        "沉默被对方理解为回避，情绪进一步升级。",
                        "Silence reads as evasion; the situation escalates.",
                    ),
                    hint=(
                        "准备一句开场白：“我是负责人，我们坐下谈，我先听您说。”",
                        "Have an opening line ready: “I'm in charge; let's sit down; I'll hear you "
                        "out first.”",
                    ),
                    effects={EC: -1},
                    state={"agitation": 15},
                    timeout=True,
                ),
            ],
        },
        {
            "key": "promise-trap",
            "kind": "narrative",
            "speaker": COLLECTOR,
            "text": (
                "老周冷笑：“好，那你现在就写个承诺书，签字！”他把纸笔推到你面前。",
                "Zhou sneers: “Fine. Write it down as a promise and sign it — now!” He pushes a "
                "pen and paper at you.",
            ),
            "choices": [c("promise-sign", ("看着那张纸", "Look at the paper"))],
        },
        {
            "key": "promise-sign",
            "kind": "decision",
            "speaker": COLLECTOR,
            "text": (
                "“签啊！刚才不是说得挺痛快吗？”",
                "“Sign it! You were happy enough to say it.”",
            ),
            "choices": [
                c(
                    "call-team",
                    (
                        "“承诺书我不能签。我需要先和财务、法务核实。”",
                        "“I can't sign this. I need to check with finance and legal first.”",
                    ),
                    feedback=(
                        "及时止损：收回了无法兑现的承诺，虽然对方更不满。",
                        "You stopped the damage and withdrew a promise you could not keep, even "
                        "though they are angrier now.",
                    ),
                    effects={NG: 2, RA: 2},
                    state={"agitation": 10},
                ),
                c(
                    "ending-bad-promise",
                    ("签下承诺书，先把人送走", "Sign it to get them out"),
                    feedback=(
                        "一张签字的承诺书会成为对方的证据。",
                        "A signed promise becomes their evidence.",
                    ),
                    hint=(
                        "签字前问自己：我有权签吗？金额核实了吗？法务看过吗？",
                        "Before signing ask: am I authorised? Is the amount verified? Has legal "
                        "seen it?",
                    ),
                    effects={NG: -3, RA: -3},
                    critical=True,
                ),
                c(
                    "verify-docs",
                    (
                        "“刚才我说得太急了。具体怎么处理，要以公司核实后的结果为准。请先给我看看你们的材料。”",
                        "“I spoke too fast. How this is settled depends on what the company "
                        "verifies. Please show me your documents first.”",
                    ),
                    feedback=(
                        "对方情绪已经缓和，你借机把话题转回事实。",
                        "They had calmed enough for you to steer back to the facts.",
                    ),
                    effects={NG: 2, EC: 1},
                    condition={"var": "agitation", "op": "lt", "value": 60},
                ),
            ],
        },
        {
            "key": "escalation",
            "kind": "decision",
            "speaker": COLLECTOR,
            "text": (
                "对方更激动了：一人拿手机对着你的同事拍摄，另一人堵在门口，不让人进出。",
                "They get louder: one films your colleagues on his phone, another blocks the door.",
            ),
            "choices": [
                c(
                    "call-team",
                    (
                        "请行政主管孙强过来维持秩序，并让同事们先去另一间会议室",
                        "Ask Sun Qiang (administration) to come and keep order; send your team to "
                        "another room",
                    ),
                    feedback=(
                        "保护员工、让专业的人处理秩序。",
                        "You protect your team and bring in the people whose job order is.",
                    ),
                    effects={RC: 3, RA: 3},
                    state={"agitation": -5},
                ),
                c(
                    "police",
                    ("直接拨打110报警", "Call the police (110)"),
                    feedback=(
                        "堵门、拍摄员工已影响办公秩序，报警是正当的。",
                        "Blocking the door and filming staff disrupts the workplace; calling the "
                        "police is legitimate.",
                    ),
                    hint=(
                        "报警只能恢复秩序，解决不了债务争议：同时要叫财务、法务。",
                        "The police restore order; they do not settle the debt. Call finance and "
                        "legal as well.",
                    ),
                    effects={RA: 2, EC: 1},
                    state={"agitation": 10},
                ),
                c(
                    "ending-conflict",
                    ("上前抢下对方的手机", "Grab the phone out of his hand"),
                    feedback=(
                        "肢体接触让你从受害方变成了冲突的一方。",
                        "Physical contact makes you a party to a fight.",
                    ),
                    hint=(
                        "无论多愤怒都不要有肢体接触；要求停止拍摄，并由行政留存证据。",
                        "However angry you are, no physical contact; ask them to stop filming and "
                        "let administration preserve evidence.",
                    ),
                    effects={EC: -3, RA: -2},
                    state={"agitation": 30},
                    critical=True,
                ),
            ],
        },
        {
            "key": "ask-details",
            "kind": "decision",
            "speaker": COLLECTOR,
            "text": (
                "会议室里，老周把一份《催款函》拍在桌上：“贵司欠我方委托人货款86万，逾期45天了！”",
                "In the meeting room Zhou slaps a demand letter on the table: “Your company owes "
                "our client 860,000 yuan, 45 days overdue!”",
            ),
            "choices": [
                c(
                    "verify-docs",
                    (
                        "“请给我看一下委托书和对账单，我需要核对金额。”",
                        "“Please show me your mandate and the statement of account; I need to "
                        "check the amount.”",
                    ),
                    feedback=(
                        "先核验对方资格和数据。",
                        "Check their standing and their numbers first.",
                    ),
                    effects={NG: 3, RA: 1},
                    state={"agitation": 5},
                ),
                c(
                    "number-dispute",
                    (
                        "“这个数字不对吧，我们明明只欠四十多万。”",
                        "“That can't be right — we only owe about four hundred thousand.”",
                    ),
                    feedback=(
                        "你想纠正对方，却报出了一个未经核实的内部数字。",
                        "You wanted to correct them but gave out an unverified internal figure.",
                    ),
                    hint=(
                        "未经财务核实就报数字，会被对方当作承认债务。说“金额以财务核对为准”。",
                        "An unverified figure will be taken as admitting the debt. Say “the amount "
                        "is whatever finance confirms.”",
                    ),
                    effects={NG: -1},
                    state={"agitation": 15},
                ),
                c(
                    "call-team",
                    (
                        "“我先请财务和法务过来一起看。”",
                        "“Let me get finance and legal in to look at this.”",
                    ),
                    feedback=(
                        "对的人很快会带着事实到场。",
                        "The right people will soon be here with facts.",
                    ),
                    hint=(
                        "叫人之前，先问清对方的委托关系和诉求，叫人时才能说清需要什么材料。",
                        "Before calling, get their mandate and demand clear so you can say what "
                        "material you need.",
                    ),
                    effects={RC: 3, NG: 1},
                    state={"agitation": 5},
                ),
            ],
        },
        {
            "key": "number-dispute",
            "kind": "decision",
            "speaker": COLLECTOR,
            "text": (
                "老周立刻抓住：“你承认欠钱了？四十多万也是钱，今天先付四十万！”",
                "Zhou pounces: “So you admit it! Four hundred thousand is still money — pay that "
                "today!”",
            ),
            "choices": [
                c(
                    "call-team",
                    (
                        "“我说的数字需要财务核实，不代表任何确认。请提供对账单，我们书面回复。”",
                        "“My figure needs verifying by finance and confirms nothing. Send the "
                        "statement and we'll reply in writing.”",
                    ),
                    feedback=(
                        "你把话收了回来，并把对话拉回书面流程。",
                        "You took it back and moved to a written process.",
                    ),
                    effects={NG: 2, RA: 1},
                ),
                c(
                    "ending-bad-promise",
                    ("“那我们先付一部分表示诚意？”", "“Shall we pay part of it as a gesture?”"),
                    feedback=(
                        "你在现场开始谈付款。",
                        "You started negotiating a payment on the spot.",
                    ),
                    hint=(
                        "付款是副总的决策，需要财务数据和法务意见；现场只谈流程和时间。",
                        "Payment is the VP's decision, made on finance data and legal advice; on "
                        "site you only discuss process and timing.",
                    ),
                    effects={NG: -3},
                    critical=True,
                ),
                c(
                    "vp-call",
                    (
                        "不再回答，离开会议室给副总打电话",
                        "Stop answering and leave the room to phone the VP",
                    ),
                    feedback=(
                        "升级给决策人，但对方被晾在会议室里。",
                        "You escalated, but left them alone in the room.",
                    ),
                    effects={RC: 1},
                    state={"agitation": 10},
                ),
            ],
        },
        {
            "key": "verify-docs",
            "kind": "free_text",
            "speaker": COLLECTOR,
            "text": (
                "对方出示的委托书没有盖章，对账单上的金额与你印象中的不同。"
                "老周催促：“看完了吧？说话！”请写下你此刻会对他说的话。",
                "Their mandate is unstamped and the statement doesn't match what you remember. "
                "Zhou presses: “Done reading? Say something!” Write what you would say now.",
            ),
            "choices": [
                c(
                    "legal-line",
                    ("提交回答", "Submit answer"),
                    feedback=(
                        "参考说法：“委托手续不完整，我们只能与债权人本人或有效授权的代理人沟通。"
                        "请补齐材料，我们的法务会在三个工作日内联系你们。今天我们不会做任何付款承诺。”",
                        "Model answer: “The mandate is incomplete; we can only deal with the "
                        "creditor or a duly authorised agent. Please complete it; our legal team "
                        "will contact you within three working days. We will make no payment "
                        "commitment today.”",
                    ),
                    state={"agitation": 5},
                ),
            ],
            "rubric": [
                key_point(
                    ("承认对方的情绪", "Acknowledge the emotion"),
                    ["理解", "明白您", "明白你们", "着急", "体谅", "辛苦"],
                    ["understand", "i hear you", "frustrat*", "appreciate", "upset"],
                    {EC: 2},
                    (
                        "先接住对方的情绪（“我理解您着急”），他才听得进后面的话",
                        "Acknowledge the emotion first (“I understand you're frustrated”) so he "
                        "can hear the rest",
                    ),
                ),
                key_point(
                    ("说明财务正在调取付款记录", "Say finance is pulling the payment records"),
                    ["财务", "付款记录", "付款明细", "对账", "核对账", "调取记录"],
                    ["finance", "payment record*", "payment history", "reconcil*", "the accounts"],
                    {RC: 2, NG: 1},
                    (
                        "说明财务正在调取付款记录、以核实过的数字为准，把争论从嗓门拉回事实",
                        "Say finance is pulling the payment records and that verified figures "
                        "count — it moves the argument from volume to facts",
                    ),
                ),
                key_point(
                    ("表明法律立场", "State the legal position"),
                    ["委托", "授权", "盖章", "手续", "法务", "合同", "债权人", "法律"],
                    [
                        "mandate",
                        "authori*",
                        "power of attorney",
                        "stamp*",
                        "legal",
                        "contract",
                        "creditor",
                    ],
                    {NG: 3},
                    (
                        "用法律立场说话：委托手续不完整，只与债权人或有效授权的代理人沟通，由法务跟进",
                        "Speak from the legal position: the mandate is incomplete, you deal only "
                        "with the creditor or a duly authorised agent, and legal follows up",
                    ),
                ),
                key_point(
                    ("给出可兑现的下一步", "Give a next step you can keep"),
                    ["工作日", "书面", "联系你们", "联系您", "回复你们", "答复"],
                    ["working day*", "in writing", "written", "get back to you", "contact you"],
                    {RA: 1},
                    (
                        "给出能兑现的下一步（几个工作日内书面答复、由法务联系），对方才有理由离开",
                        "Offer a next step you can keep (a written answer within a few working "
                        "days, legal will call) so they have a reason to leave",
                    ),
                ),
                forbidden(
                    ("当场承诺付款", "Promising payment on the spot"),
                    [
                        "今天就付",
                        "今天就还",
                        "今天付款",
                        "今天给钱",
                        "当场付",
                        "马上付",
                        "马上还",
                        "马上打款",
                        "马上转账",
                        "现在就付",
                        "立刻付",
                        "立即付",
                        "保证付",
                        "保证还",
                        "先付一部分",
                    ],
                    [
                        "pay today",
                        "pay you today",
                        "pay now",
                        "pay right now",
                        "pay immediately",
                        "pay on the spot",
                        "payment today",
                        "promise to pay",
                        "promise payment",
                        "transfer the money today",
                    ],
                    (
                        "未经核实、没有授权的付款承诺一出口就成了公司的承诺，还会引来更多人上门",
                        "An unverified, unauthorised promise to pay becomes the company's promise "
                        "the moment it is said, and brings more people to the door",
                    ),
                    effects={NG: -3, RA: -2},
                ),
                forbidden(
                    ("威胁催收人员", "Threatening the collectors"),
                    [
                        "报警抓",
                        "告你们",
                        "你们等着",
                        "滚出去",
                        "给我出去",
                        "后果自负",
                        "别怪我不客气",
                        "对你们不客气",
                        "让你们好看",
                    ],
                    [
                        "get out",
                        "you'll regret",
                        "we'll sue",
                        "i'll sue",
                        "or else",
                        "throw you out",
                        "watch yourself",
                    ],
                    (
                        "威胁只会让冲突升级，还可能让你和公司承担责任；需要时平静说明会请保安或报警维持秩序",
                        "Threats escalate the conflict and can make you and the company liable; "
                        "if needed, say calmly that security or the police will keep order",
                    ),
                    effects={EC: -3},
                ),
            ],
        },
        {
            "key": "call-team",
            "kind": "timed",
            "time_limit": 45,
            "text": (
                "你要在对方不耐烦之前把人叫齐。先联系谁？",
                "You need your people before their patience runs out. Whom do you contact?",
            ),
            "choices": [
                c(
                    "team-arrives",
                    (
                        "在群里同时通知财务陈静、法务赵敏、行政孙强：说明现场情况和需要的材料",
                        "Message finance (Chen Jing), legal (Zhao Min) and administration (Sun "
                        "Qiang) at once: what is happening and what you need",
                    ),
                    feedback=(
                        "并行调动、信息完整：这正是应急地图里的分工。",
                        "Parallel, complete — exactly the map's split of duties.",
                    ),
                    effects={RC: 4, RA: 2},
                    state={"agitation": -5},
                ),
                c(
                    "finance-only",
                    ("只叫财务带账目过来", "Call only finance, with the accounts"),
                    feedback=(
                        "事实很重要，但现场秩序和法律立场没人负责。",
                        "Facts matter, but nobody owns order or the legal position.",
                    ),
                    hint=(
                        "债务上门要同时叫三方：财务（记录）、法务（依据）、行政（现场）。",
                        "Collectors on site need three at once: finance (records), legal "
                        "(grounds), administration (the scene).",
                    ),
                    effects={RC: 1, NG: 1},
                ),
                c(
                    "vp-call",
                    ("给副总打电话请他来处理", "Phone the VP and ask him to come"),
                    feedback=(
                        "升级没有错，但副总需要的是事实，而不是一个求助电话。",
                        "Escalating is fine, but the VP needs facts, not a plea.",
                    ),
                    hint=(
                        "先让财务和法务在30–60分钟内准备好材料，再请副总基于材料决策。",
                        "Get finance and legal to prepare material within 30–60 minutes, then let "
                        "the VP decide on it.",
                    ),
                    effects={RC: 1, EC: -1},
                ),
                c(
                    "police",
                    ("（你还在犹豫）", "(You are still hesitating)"),
                    feedback=(
                        "对方在走廊里大喊，有同事报了警。",
                        "They start shouting in the corridor; a colleague calls the police.",
                    ),
                    hint=(
                        "把财务、法务、行政的联系方式放在手边，危机时一条消息同时发给三人。",
                        "Keep finance, legal and administration contacts at hand; one message to all "
                        "three in a crisis.",
                    ),
                    effects={RC: -1},
                    state={"agitation": 15},
                    timeout=True,
                ),
            ],
        },
        {
            "key": "police",
            "kind": "decision",
            "text": (
                "民警十分钟后到场，要求双方冷静。对方暂时收敛，但放话：“明天还来！”",
                "The police arrive ten minutes later and tell everyone to calm down. The "
                "collectors back off but say: “We'll be back tomorrow!”",
            ),
            "choices": [
                c(
                    "team-arrives",
                    (
                        "请民警留下出警记录，随后召集财务、法务、行政开会",
                        "Ask the officers for the incident record, then gather finance, legal and "
                        "administration",
                    ),
                    feedback=(
                        "留存证据，并把争议本身交给对的人。",
                        "Evidence kept; the dispute itself goes to the right people.",
                    ),
                    effects={RA: 2, RC: 2},
                    state={"agitation": -10},
                ),
                c(
                    "ending-return",
                    ("“警察来了，事情就结束了。”", "“The police came; that's the end of it.”"),
                    feedback=("现场平息了，争议还在。", "The scene is calm; the dispute is not."),
                    hint=(
                        "出警只能平息现场，要在当天启动对账和法律评估，否则对方一定会再来。",
                        "The police only calm the scene; start reconciliation and a legal review "
                        "the same day or they will be back.",
                    ),
                    effects={RA: -2},
                ),
            ],
        },
        {
            "key": "finance-only",
            "kind": "decision",
            "speaker": ("财务经理陈静", "Chen Jing, finance manager"),
            "text": (
                "陈静带着付款记录来了：对方所说的86万中，有31万已于上月支付。老周坚持“没收到”。",
                "Chen Jing arrives with the payment records: 310,000 of the 860,000 was paid last "
                "month. Zhou insists “we never got it.”",
            ),
            "choices": [
                c(
                    "legal-line",
                    (
                        "出示付款凭证复印件（隐去银行账号），提出以书面对账为准",
                        "Show a copy of the payment voucher (bank account redacted) and propose a "
                        "written reconciliation",
                    ),
                    feedback=(
                        "以事实说话，同时保护敏感信息。",
                        "Facts, with sensitive data protected.",
                    ),
                    effects={NG: 3, RA: 1},
                ),
                c(
                    "payment-talk",
                    ("把完整的银行流水给对方看", "Show them the full bank statement"),
                    feedback=(
                        "对方看到了付款——也看到了你们所有的往来。",
                        "They saw the payment — and every other transaction.",
                    ),
                    hint=(
                        "完整银行流水含敏感信息，应经法务确认后提供脱敏版本。",
                        "A full bank statement is sensitive; give a redacted copy after legal "
                        "has approved it.",
                    ),
                    effects={NG: 1, RA: -2},
                ),
                c(
                    "team-arrives",
                    (
                        "请行政孙强到场维持秩序，再继续谈",
                        "Get Sun Qiang (administration) in before going on",
                    ),
                    feedback=(
                        "对方情绪很高，先稳住现场。",
                        "They are heated; secure the scene first.",
                    ),
                    effects={RC: 2, RA: 1},
                    condition={"var": "agitation", "op": "gt", "value": 60},
                ),
            ],
        },
        {
            "key": "vp-call",
            "kind": "decision",
            "speaker": ("副总裁钱志远", "Qian Zhiyuan, vice-president"),
            "text": (
                "副总在电话里问：“现在到底欠多少？法律上我们有什么风险？”",
                "The VP asks on the phone: “How much do we actually owe? What is our legal "
                "exposure?”",
            ),
            "choices": [
                c(
                    "team-arrives",
                    (
                        "“我还没核实。财务30分钟内给您付款记录，法务60分钟内给您法律意见。”",
                        "“Not verified yet. Finance will send payment records within 30 minutes, "
                        "legal an opinion within 60.”",
                    ),
                    feedback=(
                        "你给了决策人清晰的时间表。",
                        "You gave the decision maker a clear timetable.",
                    ),
                    effects={RC: 3, NG: 1, RA: 1},
                ),
                c(
                    "payment-talk",
                    (
                        "“他们说86万，看样子得先付一部分。”",
                        "“They say 860,000; looks like we should pay something.”",
                    ),
                    feedback=(
                        "你转述了对方的说法，而不是事实。",
                        "You passed on their claim, not facts.",
                    ),
                    hint=(
                        "给决策人的必须是核实过的数据和法律意见，而不是对方的说法。",
                        "Give decision makers verified data and legal advice, never the other "
                        "side's claims.",
                    ),
                    effects={NG: -2, RA: -1},
                ),
            ],
        },
        {
            "key": "team-arrives",
            "kind": "decision",
            "speaker": ("法务经理赵敏", "Zhao Min, legal counsel"),
            "text": (
                "财务、法务、行政都到了。赵敏低声说：“合同约定争议先走书面对账，对方的滞纳金条款我们有异议。”",
                "Finance, legal and administration are here. Zhao Min says quietly: “The contract "
                "says disputes go to written reconciliation first, and we contest their late fee.”",
            ),
            "choices": [
                c(
                    "ending-good",
                    (
                        "由你主谈、法务把关：承诺三个工作日内书面对账，明确今天不做付款承诺，行政记录来访",
                        "You lead, legal checks: written reconciliation within three working days, "
                        "no payment promise today, administration logs the visit",
                    ),
                    feedback=(
                        "职责清楚、承诺可兑现、证据完整。",
                        "Clear roles, promises you can keep, evidence kept.",
                    ),
                    effects={NG: 4, RA: 3, RC: 2},
                    state={"agitation": -20},
                ),
                c(
                    "ending-mixed",
                    (
                        "让法务直接跟对方谈，自己回去工作",
                        "Let legal talk to them and go back to work",
                    ),
                    feedback=(
                        "法务能谈，但客户关系的第一责任人是你。",
                        "Legal can talk, but you own the relationship.",
                    ),
                    hint=(
                        "法务是支持，不是替代：你要在场主谈，确保对外口径一致。",
                        "Legal supports, it does not replace you: stay and lead so the message is "
                        "consistent.",
                    ),
                    effects={RC: -1},
                ),
                c(
                    "legal-line",
                    (
                        "先请对方喝杯茶休息十分钟，再由你和法务一起谈",
                        "Offer them tea and ten minutes' break, then talk with legal at your side",
                    ),
                    feedback=(
                        "情绪太高时，先降温再谈判。",
                        "When tempers run this high, cool down first.",
                    ),
                    effects={EC: 3},
                    state={"agitation": -20},
                    condition={"var": "agitation", "op": "gte", "value": 70},
                ),
            ],
        },
        {
            "key": "legal-line",
            "kind": "decision",
            "speaker": COLLECTOR,
            "text": (
                "老周：“少拿法律吓唬人！我们有的是时间，天天来！”",
                "Zhou: “Don't threaten us with the law! We've got time — we'll come every day!”",
            ),
            "choices": [
                c(
                    "ending-good",
                    (
                        "“我理解您的委托人着急，我们也希望尽快解决。今天给您对账联系人，三个工作日内书面回复。"
                        "但请不要再影响办公秩序，否则我们只能报警。”",
                        "“I understand your client is anxious; we want this settled too. Today you "
                        "get a reconciliation contact and a written reply within three working days. "
                        "But please don't disrupt the office again, or we will call the police.”",
                    ),
                    feedback=(
                        "共情、给出可兑现的下一步、同时划清底线。",
                        "Empathy, a next step you can keep, and a clear limit.",
                    ),
                    effects={EC: 3, NG: 3, RA: 2},
                    state={"agitation": -15},
                ),
                c(
                    "ending-return",
                    ("“随便，你们爱来就来。”", "“Suit yourselves. Come whenever you like.”"),
                    feedback=(
                        "你赢了一句嘴，却保证了明天的麻烦。",
                        "You won the exchange and guaranteed tomorrow's trouble.",
                    ),
                    hint=(
                        "不要与对方斗气；给出明确的下一步，让对方有理由不再上门。",
                        "Don't spar; give a concrete next step so they have a reason not to come "
                        "back.",
                    ),
                    effects={EC: -2},
                    state={"agitation": 20},
                ),
                c(
                    "ending-bad-promise",
                    (
                        "“那你们说怎么办吧，你们说多少就多少。”",
                        "“Then tell us what you want. Whatever you say.”",
                    ),
                    feedback=(
                        "你放弃了依据数据和法律谈判的立场。",
                        "You gave up negotiating on data and law.",
                    ),
                    hint=(
                        "金额以书面对账为准，这是底线，不能在现场让步。",
                        "The amount is whatever the written reconciliation shows — that line does "
                        "not move on site.",
                    ),
                    effects={NG: -4},
                    critical=True,
                ),
            ],
        },
        {
            "key": "payment-talk",
            "kind": "decision",
            "speaker": COLLECTOR,
            "text": (
                "“那就先打20万到我们账上，今天就要。”",
                "“Then wire 200,000 to our account. Today.”",
            ),
            "choices": [
                c(
                    "ending-mixed",
                    (
                        "“付款需要副总审批和法务审核，今天不可能。核对后我们给您书面方案。”",
                        "“Payment needs the VP's approval and legal review; not today. We'll "
                        "send a written proposal after reconciliation.”",
                    ),
                    feedback=("守住了流程。", "You held to the process."),
                    effects={NG: 2, RA: 1},
                ),
                c(
                    "ending-bad-promise",
                    ("“好吧，我让财务先转20万。”", "“All right, I'll have finance wire 200,000.”"),
                    feedback=(
                        "越权付款、付给第三方账户：风险叠加。",
                        "An unauthorised payment to a third-party account: risk on risk.",
                    ),
                    hint=(
                        "永远不要承诺当场付款，更不要付到催收公司的账户。",
                        "Never promise payment on the spot, least of all into a collector's "
                        "account.",
                    ),
                    effects={NG: -4, RA: -3},
                    critical=True,
                ),
                c(
                    "ending-mixed",
                    (
                        "“如果核实后确需付款，我们只会付给债权人本人的账户。”",
                        "“If payment proves due, we pay only into the creditor's own account.”",
                    ),
                    feedback=("你守住了付款对象的底线。", "You held the line on who gets paid."),
                    effects={NG: 3, RA: 3},
                ),
            ],
        },
        {
            "key": "ending-conflict",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "冲突升级为推搡。民警到场后双方都被带去做笔录，现场视频在网上流传。",
                "It turns into a scuffle. The police take statements from both sides; the video "
                "spreads online.",
            ),
        },
        {
            "key": "ending-bad-promise",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "你做出了无权做出的承诺。第二天对方拿着你的话要求兑现，公司陷入被动。",
                "You made a promise you had no authority to make. The next day they hold you to "
                "it and the company is on the back foot.",
            ),
        },
        {
            "key": "ending-return",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "对方离开了，但第二天又来了，还多带了几个人。争议本身没有任何进展。",
                "They leave, and come back the next day with more people. Nothing about the "
                "dispute has moved.",
            ),
        },
        {
            "key": "ending-mixed",
            "kind": "ending",
            "tone": "mixed",
            "text": (
                "对方同意等待书面回复后离开，但事实核实和授权上仍有缺口，后续谈判会更难。",
                "They agree to wait for a written answer, but gaps in facts and authority will make "
                "the follow-up harder.",
            ),
        },
        {
            "key": "ending-good",
            "kind": "ending",
            "tone": "good",
            "text": (
                "对方同意以书面对账为准，留下联系方式离开。财务、法务按时完成了各自任务，副总收到了核实后的材料。",
                "They accept a written reconciliation and leave their contact details. Finance "
                "and legal deliver on time; the VP receives verified material.",
            ),
        },
    ],
}

STORE = {
    "code": "angry-customer-store",
    "scenario": "customer-complaint",
    "title": ("门店里的愤怒顾客（十分钟规则）", "An angry customer in the store (10-minute rule)"),
    "description": (
        "顾客在收银台前大声指责产品有问题。十分钟规则：十分钟内把顾客带离公共区域，并给出方案或升级。",
        "A customer shouts at the till about a faulty product. The 10-minute rule: within ten "
        "minutes move the customer somewhere quiet and give a plan or escalate.",
    ),
    "counterpart": CUSTOMER,
    "agitation": 65,
    "nodes": [
        {
            "key": "start",
            "kind": "narrative",
            "text": (
                "周六下午，一位顾客拿着两天前买的电水壶冲进门店，在收银台前大声说：“你们卖的什么破东西！”"
                "排队的顾客开始拿出手机拍视频。",
                "Saturday afternoon. A customer storms in with a kettle bought two days ago and "
                "shouts at the till: “What kind of junk do you sell!” People in the queue start "
                "filming.",
            ),
            "choices": [c("first-response", ("走向收银台", "Walk to the till"))],
        },
        {
            "key": "first-response",
            "kind": "timed",
            "time_limit": 30,
            "speaker": CUSTOMER,
            "text": ("“谁是负责人？！”", "“Who's in charge here?!”"),
            "choices": [
                c(
                    "listen",
                    (
                        "走出柜台：“您好，我是店长。很抱歉让您遇到这种情况，这边人多，我们到休息区坐下，我马上帮您看。”",
                        "Come round the counter: “I'm the store manager. I'm sorry this happened. "
                        "It's crowded here — let's sit in the lounge and I'll look at it right "
                        "away.”",
                    ),
                    feedback=(
                        "先处理情绪、离开公共区域：十分钟规则的第一步。",
                        "Feelings first, away from the crowd: step one of the 10-minute rule.",
                    ),
                    effects={EC: 3, CD: 3},
                    state={"agitation": -15},
                ),
                c(
                    "louder",
                    ("“请您先排队，收银这边正忙。”", "“Please join the queue, the till is busy.”"),
                    feedback=(
                        "按流程办事，但顾客感到被无视。",
                        "By the book — and the customer feels ignored.",
                    ),
                    hint=(
                        "情绪激动的顾客优先处理，并尽快带离收银区。",
                        "An upset customer comes first and should be moved away from the till "
                        "quickly.",
                    ),
                    effects={CD: -2},
                    state={"agitation": 20},
                ),
                c(
                    "defend",
                    (
                        "“我们卖的都是正品，不可能有问题。”",
                        "“Everything we sell is genuine; it can't be faulty.”",
                    ),
                    feedback=(
                        "维护了门店，却否定了顾客的经历。",
                        "You defended the store and dismissed the customer's experience.",
                    ),
                    hint=(
                        "先共情再查事实：“我们一起看看是什么问题。”",
                        "Empathise, then check facts: “Let's see what went wrong together.”",
                    ),
                    effects={CD: -1},
                    state={"agitation": 15},
                ),
                c(
                    "louder",
                    ("（你还在处理别的事）", "(You are busy with something else)"),
                    feedback=(
                        "没人回应，顾客更大声了。",
                        "Nobody answers and the customer gets louder.",
                    ),
                    effects={CD: -1},
                    state={"agitation": 15},
                    timeout=True,
                ),
            ],
        },
        {
            "key": "louder",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": (
                "“我要投诉到12315！还要发到网上！”",
                "“I'm reporting you to the consumer hotline! And posting it online!”",
            ),
            "choices": [
                c(
                    "listen",
                    (
                        "走过去道歉，把顾客请到休息区",
                        "Go over, apologise and invite her to the lounge",
                    ),
                    feedback=(
                        "虽然晚了一步，你还是把顾客带离了公共区域。",
                        "A step late, but you moved her away from the crowd.",
                    ),
                    effects={CD: 2, EC: 2},
                    state={"agitation": -10},
                ),
                c(
                    "ending-viral",
                    ("“您随便投诉。”", "“Complain all you like.”"),
                    feedback=(
                        "这句话被完整地拍了下来。",
                        "That line was caught on camera in full.",
                    ),
                    hint=(
                        "任何情况下都不要激化矛盾，更不要在镜头前。",
                        "Never provoke — least of all on camera.",
                    ),
                    effects={EC: -3, CD: -3},
                    state={"agitation": 30},
                    critical=True,
                ),
                c(
                    "cs-call",
                    (
                        "让店员先应付，自己去给客服经理打电话",
                        "Let a clerk handle her while you phone the CS manager",
                    ),
                    feedback=(
                        "你在求援，顾客却被晾在原地。",
                        "You seek help while the customer is left standing.",
                    ),
                    hint=(
                        "先安抚、再升级：升级时要能说清情况。",
                        "Calm first, escalate second — with the facts ready.",
                    ),
                    effects={SR: 1, CD: -1},
                ),
            ],
        },
        {
            "key": "defend",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": ("“那你的意思是我在撒谎？”", "“So you're saying I'm lying?”"),
            "choices": [
                c(
                    "listen",
                    (
                        "“不是这个意思，对不起，是我说得太急了。我们一起看看水壶的问题。”",
                        "“Not at all — I'm sorry, I spoke too fast. Let's look at the kettle "
                        "together.”",
                    ),
                    feedback=(
                        "及时承认失言，重新建立对话。",
                        "You owned the slip and reopened the conversation.",
                    ),
                    effects={EC: 2, CD: 2},
                    state={"agitation": -10},
                ),
                c(
                    "louder",
                    (
                        "“我们有进货凭证，可以证明。”",
                        "“We have the supplier invoices to prove it.”",
                    ),
                    feedback=("证据没错，时机不对。", "Right evidence, wrong moment."),
                    hint=(
                        "顾客在意的是被认真对待，而不是你的进货凭证。",
                        "She wants to be taken seriously, not to see your invoices.",
                    ),
                    effects={CD: -1},
                    state={"agitation": 10},
                ),
            ],
        },
        {
            "key": "cs-call",
            "kind": "decision",
            "speaker": ("客服经理", "Customer service manager"),
            "text": (
                "客服经理在电话里问：“顾客现在情况怎样？问题是什么？”",
                "The CS manager asks: “How is the customer? What's the problem?”",
            ),
            "choices": [
                c(
                    "listen",
                    (
                        "“我还没来得及了解，我马上回去先安抚顾客，十分钟内再向您汇报。”",
                        "“I don't know yet — I'll go back and calm her first, and report within ten minutes.”",
                    ),
                    feedback=("诚实，并回到正确的顺序。", "Honest, and back in the right order."),
                    effects={CD: 1, RC: 1},
                ),
                c(
                    "ten-minutes",
                    ("“您快来吧，我搞不定。”", "“Please come, I can't handle this.”"),
                    feedback=("升级没有附带任何信息。", "An escalation with no information."),
                    hint=(
                        "升级时说清：人在哪、情绪如何、什么问题、已做了什么。",
                        "When escalating say where she is, her mood, the problem and what you did.",
                    ),
                    effects={EC: -1, RC: -1},
                ),
            ],
        },
        {
            "key": "listen",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": (
                "在休息区，顾客说这是给生病的母亲买的，第一次用就漏电跳闸了。",
                "In the lounge she explains it was for her sick mother; the first time it was "
                "used it leaked current and tripped the breaker.",
            ),
            "choices": [
                c(
                    "inspect",
                    (
                        "“漏电很危险，幸好您和家人没事。我先登记，我们认真查。”",
                        "“Leaking current is dangerous — I'm glad you're both safe. Let me log this "
                        "and we'll check it properly.”",
                    ),
                    feedback=("共情、重视安全、开始记录。", "Empathy, safety first, and a record."),
                    effects={CD: 3, SR: 1, RA: 2},
                    state={"agitation": -10},
                ),
                c(
                    "defensive-check",
                    (
                        "“您确定是按说明书使用的吗？”",
                        "“Are you sure it was used as the manual says?”",
                    ),
                    feedback=(
                        "合理的问题，但此刻听起来像在推卸。",
                        "A fair question that sounds like blame right now.",
                    ),
                    hint=(
                        "使用方式的问题留给检测，不要在共情之前问。",
                        "Leave usage questions to the inspection; never before empathy.",
                    ),
                    effects={CD: -1},
                    state={"agitation": 10},
                ),
                c(
                    "quick-refund",
                    ("“我马上给您退款。”", "“I'll refund you right now.”"),
                    feedback=(
                        "快速，但漏电是安全问题，不只是退款问题。",
                        "Fast — but a leaking kettle is a safety issue, not only a refund.",
                    ),
                    hint=(
                        "漏电涉及安全，须登记批次并上报质量部门，以免其他顾客受伤。",
                        "Electrical leaks are safety issues: log the batch and report to quality "
                        "so no other customer gets hurt.",
                    ),
                    effects={SR: 1, RA: -1},
                    state={"agitation": -5},
                ),
            ],
        },
        {
            "key": "defensive-check",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": ("“你是说我不会用水壶？”", "“So I don't know how to use a kettle?”"),
            "choices": [
                c(
                    "inspect",
                    (
                        "道歉，请同事拿同款水壶当场检测",
                        "Apologise and have a colleague test the same model on the spot",
                    ),
                    feedback=("用检测代替争论。", "A test instead of an argument."),
                    effects={CD: 1, RA: 1},
                ),
                c(
                    "ten-minutes",
                    ("坚持先看购买凭证", "Insist on seeing the receipt first"),
                    feedback=(
                        "流程没错，但时间在流逝。",
                        "Correct procedure, but the clock is running.",
                    ),
                    effects={CD: -1},
                    state={"agitation": 10},
                ),
            ],
        },
        {
            "key": "quick-refund",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": (
                "“退款就完了？要是我妈出事了呢？我要一个说法！”",
                "“A refund and that's it? What if my mother had been hurt? I want an answer!”",
            ),
            "choices": [
                c(
                    "escalate-ok",
                    (
                        "退款同时登记批次、上报质量部门，承诺48小时内告知检测结果",
                        "Refund, log the batch, report to quality and promise test results "
                        "within 48 hours",
                    ),
                    feedback=(
                        "把个案变成了安全处理。",
                        "You turned a refund into a safety response.",
                    ),
                    effects={SR: 3, RA: 2},
                    state={"agitation": -10},
                ),
                c(
                    "compensation",
                    ("“再送您一张200元购物卡吧。”", "“Let me add a 200-yuan gift card.”"),
                    feedback=(
                        "补偿缓和了情绪，但安全问题还没处理。",
                        "Compensation eases things, but the safety issue is untouched.",
                    ),
                    hint=(
                        "补偿可以，但先把安全问题记录上报。",
                        "Compensate by all means — after logging the safety issue.",
                    ),
                    effects={SR: 1, CD: 1},
                    state={"agitation": -5},
                ),
            ],
        },
        {
            "key": "inspect",
            "kind": "decision",
            "text": (
                "检测确认该批次水壶存在漏电隐患。距离顾客进店已经过去8分钟。",
                "The test confirms this batch can leak current. Eight minutes have passed since "
                "she walked in.",
            ),
            "choices": [
                c(
                    "explain-plan",
                    (
                        "按十分钟规则当场给出方案（退货+补偿+检测报告），上报客服经理和质量部门，下架同批产品",
                        "Per the 10-minute rule: a plan now (refund + compensation + test report), "
                        "report to the CS manager and quality, pull the batch",
                    ),
                    feedback=(
                        "方案、升级、预防一次到位。",
                        "Plan, escalation and prevention in one go.",
                    ),
                    effects={SR: 3, RA: 3, RC: 2},
                    state={"agitation": -15},
                ),
                c(
                    "ending-repeat",
                    ("先给顾客换一台同款新水壶", "Swap it for a new one of the same model"),
                    feedback=(
                        "你把同一批次的隐患又交到了顾客手里。",
                        "You handed her the same hazard again.",
                    ),
                    hint=(
                        "已确认的安全隐患：同批次不得再销售或更换。",
                        "A confirmed hazard: the batch must not be sold or swapped.",
                    ),
                    effects={RA: -3, SR: -1},
                    critical=True,
                ),
                c(
                    "ten-minutes",
                    (
                        "告诉顾客要等总部回复，三天后再联系",
                        "Tell her head office will reply in three days",
                    ),
                    feedback=(
                        "顾客没有得到任何当场的答复。",
                        "She leaves the lounge with nothing.",
                    ),
                    hint=(
                        "十分钟内必须给出方案或升级到有权限的人。",
                        "Within ten minutes: a plan, or escalate to someone who can decide.",
                    ),
                    effects={CD: -2, SR: -1},
                    state={"agitation": 15},
                ),
            ],
        },
        {
            "key": "explain-plan",
            "kind": "free_text",
            "speaker": CUSTOMER,
            "text": (
                "顾客盯着你：“你们到底打算怎么处理？”请写下你此刻对她说的话。",
                "She looks straight at you: “So what exactly are you going to do?” Write what "
                "you say to her now.",
            ),
            "choices": [
                c(
                    "escalate-ok",
                    ("提交回答", "Submit answer"),
                    feedback=(
                        "参考说法：“非常抱歉让您和家人受惊了，安全最要紧。检测确认这批水壶有漏电隐患，"
                        "我们给您全额退款并补偿，同批产品马上下架并上报质量部门，检测报告出来后我书面通知您。”",
                        "Model answer: “I'm so sorry you and your mother had that scare — safety "
                        "comes first. The test confirms this batch can leak current, so you get a "
                        "full refund plus compensation; we are pulling the batch and reporting it "
                        "to quality, and I'll send you the test report in writing.”",
                    ),
                    state={"agitation": -5},
                ),
            ],
            "rubric": [
                key_point(
                    ("道歉并承认她受了惊吓", "Apologise and acknowledge the scare"),
                    ["抱歉", "对不起", "道歉", "受惊", "让您担心"],
                    ["sorry", "apologi*", "scare*", "i understand"],
                    {CD: 2},
                    (
                        "先道歉、承认她和家人受了惊吓，再谈方案",
                        "Apologise and acknowledge the scare before talking about remedies",
                    ),
                ),
                key_point(
                    ("把安全放在第一位", "Put safety first"),
                    ["安全", "漏电", "隐患"],
                    ["safe*", "leak*", "hazard*", "danger*"],
                    {RA: 2},
                    (
                        "明确说出这是安全问题（漏电隐患），而不只是退换货",
                        "Say plainly that this is a safety issue (a current leak), not just a return",
                    ),
                ),
                key_point(
                    ("当场给出补救方案", "Offer the remedy on the spot"),
                    ["退款", "退货", "补偿", "赔偿"],
                    ["refund*", "compensat*", "money back"],
                    {SR: 3},
                    (
                        "十分钟内给出门店权限内的具体方案：退款、补偿",
                        "Within ten minutes, a concrete remedy within store authority: refund and "
                        "compensation",
                    ),
                ),
                key_point(
                    ("上报并下架同批产品", "Report it and pull the batch"),
                    ["下架", "同批", "质量部门", "上报", "召回"],
                    ["batch", "quality", "withdraw*", "recall*", "pull*"],
                    {RA: 1, RC: 1},
                    (
                        "说明已上报质量部门并下架同批产品，防止别的顾客受伤",
                        "Say the batch is being pulled and reported to quality so nobody else "
                        "gets hurt",
                    ),
                ),
                key_point(
                    ("承诺书面跟进", "Promise a written follow-up"),
                    ["书面", "处理单", "检测报告", "联系方式", "通知您"],
                    ["in writing", "written", "test report", "contact you", "let you know"],
                    {SR: 1},
                    (
                        "承诺把处理结果和检测报告书面告知，并留下联系方式",
                        "Promise the outcome and the test report in writing and take her details",
                    ),
                ),
                forbidden(
                    ("把责任推给顾客", "Blaming the customer"),
                    [
                        "使用不当",
                        "操作不当",
                        "你用错",
                        "您用错",
                        "你自己用",
                        "您自己用",
                        "没看说明书",
                    ],
                    [
                        "your fault",
                        "you used it wrong",
                        "misuse*",
                        "didn't read the manual",
                        "didn't follow the manual",
                    ],
                    (
                        "在检测之前暗示顾客用错，会把投诉变成对立，而检测已证明是产品问题",
                        "Hinting she misused it turns a complaint into a fight — and the test "
                        "shows the product is at fault",
                    ),
                    effects={CD: -3},
                ),
                forbidden(
                    ("换一台同批次的同款", "Swapping for the same model"),
                    ["换一台同款", "换一个同款", "换台新的", "换个新的", "同款新"],
                    [
                        "same model",
                        "swap it",
                        "another one of the same",
                        "replace it with a new one",
                    ],
                    (
                        "已确认的安全隐患：同批次产品不得再销售或更换给顾客",
                        "A confirmed hazard: the batch must not be sold or handed out as a "
                        "replacement",
                    ),
                    effects={RA: -3},
                ),
            ],
        },
        {
            "key": "compensation",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": (
                "顾客接过购物卡，语气缓和了些：“那这个水壶怎么办？”",
                "She takes the card, calmer: “And what about this kettle?”",
            ),
            "choices": [
                c(
                    "escalate-ok",
                    (
                        "登记批次、上报并下架同批产品，告知顾客检测进度",
                        "Log the batch, report, pull it and keep her informed",
                    ),
                    feedback=("补上了安全这一环。", "You closed the safety gap."),
                    effects={RA: 3, SR: 1},
                ),
                c(
                    "ending-repeat",
                    ("“水壶您就扔了吧。”", "“Just throw the kettle away.”"),
                    feedback=(
                        "证据和隐患一起被扔掉了。",
                        "The evidence and the hazard went in the bin together.",
                    ),
                    effects={RA: -2},
                ),
            ],
        },
        {
            "key": "ten-minutes",
            "kind": "timed",
            "time_limit": 20,
            "speaker": CUSTOMER,
            "text": (
                "十分钟过去了，顾客还没有得到答复，开始拨打媒体热线。",
                "Ten minutes have passed without an answer. She starts calling a newspaper's "
                "hotline.",
            ),
            "choices": [
                c(
                    "escalate-ok",
                    (
                        "立即请客服经理接入电话，由你当场给出可执行的方案",
                        "Get the CS manager on the phone now and give a workable plan on the spot",
                    ),
                    feedback=("虽超时，但及时补救。", "Late, but recovered."),
                    effects={RC: 2, SR: 1},
                ),
                c(
                    "ending-viral",
                    ("继续向顾客解释公司政策", "Keep explaining company policy"),
                    feedback=("政策解释不是方案。", "Explaining policy is not a plan."),
                    effects={CD: -2},
                ),
                c(
                    "ending-viral",
                    ("（你没有反应）", "(You don't react)"),
                    feedback=("电话接通了。", "The call goes through."),
                    effects={CD: -2},
                    timeout=True,
                ),
            ],
        },
        {
            "key": "escalate-ok",
            "kind": "decision",
            "speaker": CUSTOMER,
            "text": (
                "方案已经给出，顾客还在犹豫：“你写下来。”",
                "The plan is on the table; she hesitates: “Put it in writing.”",
            ),
            "choices": [
                c(
                    "ending-good",
                    (
                        "出具书面处理单（退货、补偿、检测结果告知时间和联系人），留下顾客联系方式",
                        "Give a written resolution (refund, compensation, when results come and who to call) and take her details",
                    ),
                    feedback=(
                        "书面化让承诺可追踪。",
                        "Writing it down makes the promise trackable.",
                    ),
                    effects={SR: 3, RA: 1},
                ),
                c(
                    "ending-mixed",
                    (
                        "“口头说清楚就行了，书面的要总部批。”",
                        "“Verbal is enough; anything written needs head office.”",
                    ),
                    feedback=("顾客带着疑虑离开。", "She leaves with doubts."),
                    hint=(
                        "门店权限内的处理方案应当场书面化。",
                        "A remedy within store authority should be written on the spot.",
                    ),
                    effects={SR: -1},
                ),
                c(
                    "ending-good",
                    (
                        "书面处理单，并邀请顾客参加新品安全体验",
                        "A written resolution plus an invitation to a product-safety session",
                    ),
                    feedback=("把不满转化为信任。", "You turned anger into trust."),
                    effects={SR: 2, CD: 2},
                    condition={"var": "agitation", "op": "lt", "value": 40},
                ),
            ],
        },
        {
            "key": "ending-good",
            "kind": "ending",
            "tone": "good",
            "text": (
                "顾客满意离开，还在评论区说门店处理得当；同批产品已下架。",
                "She leaves satisfied and later praises the store online; the batch is pulled.",
            ),
        },
        {
            "key": "ending-mixed",
            "kind": "ending",
            "tone": "mixed",
            "text": (
                "顾客离开了，但对处理结果仍有疑虑。",
                "She leaves, still doubtful about the outcome.",
            ),
        },
        {
            "key": "ending-viral",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "视频在网上传播，标题是“门店店长怼顾客”。",
                "The video goes viral: “Store manager snaps at customer.”",
            ),
        },
        {
            "key": "ending-repeat",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "一周后，另一位顾客遇到同样的漏电，事件升级为产品安全事故。",
                "A week later another customer gets the same shock; it becomes a product-safety incident.",
            ),
        },
    ],
}

PRESS = {
    "code": "journalist-rumour",
    "scenario": "pr-crisis",
    "title": ("记者来电询问传闻", "A journalist calls about a rumour"),
    "description": (
        "晚上七点，记者来电询问网传“拖欠货款、资金链断裂”。你要争取时间、核实事实、统一口径。",
        "7 p.m.: a reporter calls about an online rumour of unpaid suppliers and a cash crunch. Buy "
        "time, verify, speak with one voice.",
    ),
    "counterpart": REPORTER,
    "agitation": 55,
    "nodes": [
        {
            "key": "start",
            "kind": "narrative",
            "speaker": REPORTER,
            "text": (
                "晚上七点，你接到陌生电话：“我是《城市晚报》记者。网上有人说贵公司拖欠供应商货款、资金链断裂，"
                "催收人员都上门了，您怎么回应？”",
                "7 p.m., an unknown number: “I'm a reporter with the City Evening News. People "
                "online say your company isn't paying its suppliers, that you're out of cash and "
                "debt collectors came to your office. Your response?”",
            ),
            "choices": [c("first-reply", ("接话", "Answer"))],
        },
        {
            "key": "first-reply",
            "kind": "timed",
            "time_limit": 30,
            "speaker": REPORTER,
            "text": ("“您能回应一下吗？”", "“Can you comment?”"),
            "choices": [
                c(
                    "identify",
                    (
                        "“感谢关注。请问您怎么称呼、哪家媒体、截稿时间？我们核实后由公司统一回复。”",
                        "“Thank you for asking. May I have your name, outlet and deadline? We'll "
                        "verify and the company will reply.”",
                    ),
                    feedback=(
                        "争取时间，掌握信息，不即兴表态。",
                        "You buy time and gather facts without improvising.",
                    ),
                    effects={PC: 3, EC: 2, RA: 2},
                    state={"agitation": -10},
                ),
                c(
                    "denial",
                    ("“纯属谣言！我们公司好得很！”", "“Pure rumour! The company is doing fine!”"),
                    feedback=(
                        "坚定，但你还不知道事实。",
                        "Firm — but you don't know the facts yet.",
                    ),
                    hint=(
                        "事实未核实前不做绝对化否认。",
                        "No absolute denials before the facts are verified.",
                    ),
                    effects={PC: -1, RA: -1},
                    state={"agitation": 10},
                ),
                c(
                    "no-comment",
                    ("“这事我不方便说。”", "“I can't comment on that.”"),
                    feedback=(
                        "没有说错话，但也没有争取到任何东西。",
                        "Nothing wrong said, nothing gained.",
                    ),
                    effects={RA: 1},
                ),
                c(
                    "no-comment",
                    ("（你一时语塞）", "(You're lost for words)"),
                    feedback=("沉默也是一种回答。", "Silence is an answer too."),
                    effects={EC: -1},
                    state={"agitation": 10},
                    timeout=True,
                ),
            ],
        },
        {
            "key": "denial",
            "kind": "decision",
            "speaker": REPORTER,
            "text": (
                "“可是我们有视频。您确定是谣言吗？”",
                "“But we have a video. Are you sure it's a rumour?”",
            ),
            "choices": [
                c(
                    "report-up",
                    (
                        "“抱歉，我说得太绝对了。我需要核实，稍后由公司统一回复。”",
                        "“Sorry, I overstated that. I need to verify; the company will reply shortly.”",
                    ),
                    feedback=("及时修正。", "A timely correction."),
                    effects={PC: 2, EC: 1},
                ),
                c(
                    "ending-headline",
                    ("“视频肯定是P的。”", "“The video must be fake.”"),
                    feedback=("一个无法证实的指控。", "An accusation you cannot back."),
                    hint=("对外说的每一句都必须可证实。", "Every public word must be verifiable."),
                    effects={PC: -3, RA: -2},
                    critical=True,
                ),
            ],
        },
        {
            "key": "no-comment",
            "kind": "decision",
            "speaker": REPORTER,
            "text": (
                "“那我们就写‘公司拒绝置评’了。”",
                "“Then we'll write ‘the company declined to comment’.”",
            ),
            "choices": [
                c(
                    "identify",
                    (
                        "“不是拒绝，请给我们时间核实。您的截稿时间是？”",
                        "“We're not declining — give us time to verify. What's your deadline?”",
                    ),
                    feedback=(
                        "把“拒绝置评”变成了“正在核实”。",
                        "You turned “no comment” into “verifying”.",
                    ),
                    effects={PC: 2},
                ),
                c(
                    "ending-headline",
                    ("“随你。”", "“Whatever.”"),
                    feedback=(
                        "“拒绝置评”成了报道里最刺眼的一句。",
                        "“Declined to comment” became the story's sharpest line.",
                    ),
                    effects={PC: -2},
                ),
            ],
        },
        {
            "key": "identify",
            "kind": "decision",
            "speaker": REPORTER,
            "text": (
                "“我姓张，截稿时间今晚十点。我们手上有一段催收人员在贵公司办公室的视频。”",
                "“Zhang. Deadline 10 tonight. We have a video of debt collectors in your office.”",
            ),
            "choices": [
                c(
                    "report-up",
                    (
                        "“请把视频和问题发到我邮箱，九点前由授权发言人回复您。”",
                        "“Please e-mail the video and your questions; an authorised spokesperson will reply by nine.”",
                    ),
                    feedback=("有时限、有渠道、有授权。", "A deadline, a channel and authority."),
                    effects={RA: 3, RC: 2, PC: 1},
                ),
                c(
                    "off-record",
                    (
                        "“那个视频是断章取义，当时只是普通的业务沟通。”",
                        "“That video is out of context; it was a routine business discussion.”",
                    ),
                    feedback=(
                        "你在没有授权的情况下开始解释。",
                        "You started explaining without authority.",
                    ),
                    hint=(
                        "未经授权不要对事件定性。",
                        "Don't characterise the event without authority.",
                    ),
                    effects={PC: -2},
                ),
                c(
                    "ending-bribe",
                    (
                        "“能不能先别发？我们可以谈谈广告合作。”",
                        "“Could you hold it? We could talk about advertising.”",
                    ),
                    feedback=("这句话本身成了新闻。", "That sentence is now the news."),
                    hint=(
                        "绝不以任何利益换取撤稿或延迟发稿。",
                        "Never trade anything for a story being dropped or delayed.",
                    ),
                    effects={PC: -4, RA: -3},
                    critical=True,
                ),
            ],
        },
        {
            "key": "off-record",
            "kind": "decision",
            "speaker": REPORTER,
            "text": (
                "“那您私下说说，公司到底欠没欠钱？我不写您的名字。”",
                "“Off the record then — does the company owe money or not? I won't name you.”",
            ),
            "choices": [
                c(
                    "report-up",
                    (
                        "“没有‘私下’，我说的每一句都可能被引用。请以公司书面回复为准。”",
                        "“There's no off the record; anything I say may be quoted. Please rely on the written reply.”",
                    ),
                    feedback=("守住了边界。", "You held the line."),
                    effects={PC: 3, RA: 2},
                ),
                c(
                    "ending-headline",
                    (
                        "“私下说，确实有点紧张，但问题不大。”",
                        "“Between us, things are a bit tight, but it's fine.”",
                    ),
                    feedback=("“知情人士透露：资金紧张”。", "“An insider says cash is tight.”"),
                    hint=("对记者不存在“私下”。", "With a reporter nothing is off the record."),
                    effects={PC: -3, RA: -2},
                    critical=True,
                ),
            ],
        },
        {
            "key": "report-up",
            "kind": "decision",
            "text": ("你挂断电话。现在先做什么？", "You hang up. What first?"),
            "choices": [
                c(
                    "fact-check",
                    (
                        "立即通知公关经理和副总，同时请财务确认与该供应商的真实往来",
                        "Alert the PR manager and the VP at once and ask finance to confirm the dealings with that supplier",
                    ),
                    feedback=(
                        "并行：口径、决策、事实同时启动。",
                        "In parallel: message, decision and facts.",
                    ),
                    effects={RC: 3, RA: 2},
                ),
                c(
                    "slow-escalation",
                    ("只告诉自己的上级，等他决定", "Tell only your own boss and wait"),
                    feedback=(
                        "层级清楚，但截稿时间不等人。",
                        "Proper channels — but the deadline won't wait.",
                    ),
                    hint=(
                        "涉及媒体时，直接通知公关和有决策权的人，并说明截稿时间。",
                        "With media involved, tell PR and the decision maker directly, with the deadline.",
                    ),
                    effects={RC: 1},
                ),
                c(
                    "ending-headline",
                    ("自己写一段声明发到朋友圈澄清", "Post your own clarification on social media"),
                    feedback=(
                        "未经授权的个人声明被媒体引用为“公司回应”。",
                        "Your personal post is quoted as the company's response.",
                    ),
                    hint=(
                        "对外声明只能由授权发言人发布。",
                        "Only an authorised spokesperson speaks for the company.",
                    ),
                    effects={RA: -3, PC: -2},
                    critical=True,
                ),
            ],
        },
        {
            "key": "slow-escalation",
            "kind": "decision",
            "speaker": REPORTER,
            "text": (
                "一小时过去，上级还没回复，记者又打来电话催问。",
                "An hour later your boss hasn't answered and the reporter calls again.",
            ),
            "choices": [
                c(
                    "fact-check",
                    (
                        "直接联系公关经理，说明截稿时间",
                        "Call the PR manager directly and give the deadline",
                    ),
                    feedback=("为了时限越级是对的。", "Going round for the deadline was right."),
                    effects={RC: 2, RA: 1},
                ),
                c(
                    "ending-headline",
                    ("继续等待", "Keep waiting"),
                    feedback=("截稿时间到了。", "The deadline passed."),
                    effects={RA: -2},
                ),
            ],
        },
        {
            "key": "fact-check",
            "kind": "decision",
            "speaker": ("财务经理陈静", "Chen Jing, finance manager"),
            "text": (
                "财务确认：与该供应商确有一笔86万的争议款项，其中31万已支付，其余在对账中；上午确有催收人员到访，已按流程处理。",
                "Finance confirms: there is a disputed 860,000 with that supplier, 310,000 paid, "
                "the rest under reconciliation; collectors did visit this morning and were "
                "handled by procedure.",
            ),
            "choices": [
                c(
                    "draft-statement",
                    (
                        "建议声明如实说明：存在商业争议、正在依合同对账、公司经营正常，并附联系人",
                        "Propose a truthful statement: a commercial dispute, reconciliation per contract, normal operations, a contact",
                    ),
                    feedback=("如实、可核实、有后续。", "True, verifiable, with a follow-up."),
                    effects={PC: 3, NG: 2},
                ),
                c(
                    "weak-statement",
                    (
                        "建议声明只说“经营正常，网传不实”",
                        "Propose just “operations normal, rumours untrue”",
                    ),
                    feedback=("简短，但与事实有出入。", "Short, but not quite true."),
                    effects={PC: -1, RA: -1},
                ),
                c(
                    "statement",
                    (
                        "先给记者回电，告知声明将在九点前发出",
                        "Call the reporter back first: the statement comes before nine",
                    ),
                    feedback=(
                        "对方很焦虑，先稳住关系。",
                        "The reporter is anxious; keep the relationship steady.",
                    ),
                    effects={EC: 2, PC: 1},
                    state={"agitation": -20},
                    condition={"var": "agitation", "op": "gte", "value": 60},
                ),
            ],
        },
        {
            "key": "draft-statement",
            "kind": "free_text",
            "speaker": ("副总", "The VP"),
            "text": (
                "副总：“好，你先把声明的核心两三句写出来，我转给法务审。”请写下声明的内容。",
                "The VP: “Fine — write the two or three core sentences and I'll pass them to "
                "legal.” Write the statement.",
            ),
            "choices": [
                c(
                    "statement",
                    ("提交回答", "Submit answer"),
                    feedback=(
                        "参考声明：“我司与一家供应商存在商业争议，双方正依合同对账，部分款项已支付。"
                        "公司经营正常。媒体垂询请联系品牌部王女士。”",
                        "Model statement: “We have a commercial dispute with one supplier; both "
                        "sides are reconciling the account under the contract and part has been "
                        "paid. The company is operating normally. Media enquiries: Ms Wang, "
                        "brand department.”",
                    ),
                ),
            ],
            "rubric": [
                key_point(
                    ("如实承认存在争议", "Acknowledge the dispute truthfully"),
                    ["争议", "分歧", "纠纷"],
                    ["dispute*", "disagreement"],
                    {PC: 2},
                    (
                        "如实说明存在商业争议——催收来过是事实，否认只会被戳穿",
                        "Say truthfully that there is a commercial dispute — the visit happened, "
                        "and a denial will be exposed",
                    ),
                ),
                key_point(
                    ("说明依合同对账的进展", "Say the account is being reconciled per contract"),
                    ["对账", "合同", "已支付", "已付"],
                    ["reconcil*", "contract", "already paid", "part has been paid"],
                    {NG: 2},
                    (
                        "用可核实的事实说话：依合同对账、部分款项已支付",
                        "Use verifiable facts: reconciliation under the contract, part already paid",
                    ),
                ),
                key_point(
                    ("表明经营正常", "State that operations are normal"),
                    ["经营正常", "运营正常", "正常经营", "正常运营", "生产经营"],
                    [
                        "operating normally",
                        "operations are normal",
                        "normal operations",
                        "business as usual",
                    ],
                    {PC: 1},
                    (
                        "回应传闻的核心关切：公司经营正常",
                        "Answer the rumour's real worry: the company operates normally",
                    ),
                ),
                key_point(
                    ("留下对外联系人", "Give a media contact"),
                    ["联系人", "联系方式", "垂询", "咨询", "联系"],
                    ["contact", "enquir*", "inquir*", "spokes*"],
                    {PC: 1, RA: 1},
                    (
                        "附上统一的对外联系人，让后续问询只有一个出口",
                        "Name one media contact so every follow-up goes through one voice",
                    ),
                ),
                forbidden(
                    ("一概否认", "A blanket denial"),
                    ["网传不实", "纯属谣言", "完全不实", "毫无根据", "不存在任何争议"],
                    [
                        "rumours are untrue",
                        "rumors are untrue",
                        "completely false",
                        "totally untrue",
                        "baseless",
                        "there is no dispute",
                    ],
                    (
                        "争议和催收都是事实，一概否认的声明会被戳穿并失去公信力",
                        "The dispute and the visit are facts; a blanket denial will be exposed "
                        "and cost you credibility",
                    ),
                    effects={PC: -2},
                ),
                forbidden(
                    ("披露内部财务数据", "Disclosing internal financials"),
                    ["财务报表", "银行流水", "账户余额", "现金余额"],
                    [
                        "financial statements",
                        "bank statement*",
                        "account balance",
                        "cash balance",
                        "internal figures",
                    ],
                    (
                        "内部财务数据属于保密信息，声明里不能出现，只能由授权部门按规定披露",
                        "Internal financials are confidential and stay out of a statement; only "
                        "the authorised function discloses them",
                    ),
                    effects={RA: -3},
                ),
            ],
        },
        {
            "key": "weak-statement",
            "kind": "decision",
            "speaker": ("公关经理", "PR manager"),
            "text": (
                "公关经理问：“‘网传不实’——可是催收确实来过，这句站得住吗？”",
                "The PR manager asks: “‘Untrue’ — but the collectors did come. Does that line hold?”",
            ),
            "choices": [
                c(
                    "statement",
                    (
                        "修改为如实说明争议和对账进展",
                        "Change it to state the dispute and reconciliation truthfully",
                    ),
                    feedback=(
                        "接受了质疑，改正了口径。",
                        "You took the challenge and fixed the line.",
                    ),
                    effects={PC: 2},
                ),
                c(
                    "ending-doubt",
                    ("坚持原稿", "Keep the draft"),
                    feedback=(
                        "口径与事实不符，迟早会被戳穿。",
                        "A line at odds with the facts will be exposed.",
                    ),
                    effects={PC: -2},
                ),
            ],
        },
        {
            "key": "statement",
            "kind": "decision",
            "speaker": REPORTER,
            "text": (
                "声明已由法务和副总审定。记者追问：“贵公司资金链是否紧张？”",
                "Legal and the VP have approved the statement. The reporter follows up: “Is your "
                "company short of cash?”",
            ),
            "choices": [
                c(
                    "ending-good",
                    (
                        "按声明口径回答，并提供可核实的信息（对账进展、已向供应商提供付款记录）",
                        "Answer on the statement line with verifiable facts (reconciliation progress, payment records sent to the supplier)",
                    ),
                    feedback=("一致、可信。", "Consistent and credible."),
                    effects={PC: 3, NG: 2},
                ),
                c(
                    "ending-doubt",
                    ("“这个我不清楚，你问财务吧。”", "“No idea, ask finance.”"),
                    feedback=(
                        "把记者推给了没有授权发言的人。",
                        "You sent the reporter to someone not authorised to speak.",
                    ),
                    effects={PC: -1},
                ),
                c(
                    "ending-leak",
                    (
                        "提供内部财务报表证明资金充足",
                        "Send internal financial statements to prove you have cash",
                    ),
                    feedback=(
                        "内部数据一旦发出就收不回来。",
                        "Internal data cannot be recalled once sent.",
                    ),
                    hint=(
                        "内部财务数据属于保密信息，只能由授权部门按规定披露。",
                        "Internal financials are confidential; only the authorised function discloses them.",
                    ),
                    effects={RA: -3, PC: -2},
                    critical=True,
                ),
            ],
        },
        {
            "key": "ending-good",
            "kind": "ending",
            "tone": "good",
            "text": (
                "报道客观呈现了争议与公司的处理，谣言没有扩散。",
                "The report presents the dispute and the company's handling fairly; the rumour dies down.",
            ),
        },
        {
            "key": "ending-headline",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "第二天的标题是“某公司回应含糊，被曝拖欠货款”，转发破万。",
                "Next day's headline: “Company evasive on unpaid suppliers” — shared ten thousand times.",
            ),
        },
        {
            "key": "ending-doubt",
            "kind": "ending",
            "tone": "mixed",
            "text": (
                "报道基本客观，但读者对公司的回应存疑。",
                "The report is mostly fair, but readers doubt the company's answer.",
            ),
        },
        {
            "key": "ending-bribe",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "报道写道：“该公司试图以广告合作换取撤稿”。",
                "The story reads: “The company tried to trade advertising for silence.”",
            ),
        },
        {
            "key": "ending-leak",
            "kind": "ending",
            "tone": "bad",
            "text": (
                "内部财务数据被公开，引发供应商和银行的连锁反应。",
                "The internal figures are published, setting off suppliers and banks.",
            ),
        },
    ],
}

SIMULATIONS = [DEBT, STORE, PRESS]
