"""The demo organisation: Demo Group, two subsidiaries, every department function, ≥ 40 people.

Idempotent: every row is looked up by its code or user name first.
"""

from __future__ import annotations

import functools

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from .choices import DepartmentFunction, Role, UnitKind
from .models import Employee, OrgUnit, Position
from .services import org

DEMO_PASSWORD = "keel-demo"
User = get_user_model()

POSITIONS = [
    # code, zh, en, grade, managerial, description zh, description en
    (
        "president",
        "总裁",
        "President",
        10,
        True,
        "对集团经营负全面责任。",
        "Overall responsibility for the group.",
    ),
    (
        "vice-president",
        "副总裁",
        "Vice-president",
        9,
        True,
        "分管集团运营与风险，重大突发事件的最终决策人。",
        "Runs operations and risk; final decision maker in crises.",
    ),
    (
        "general-manager",
        "总经理",
        "General manager",
        8,
        True,
        "负责子公司经营。",
        "Runs a subsidiary.",
    ),
    (
        "department-manager",
        "部门经理",
        "Department manager",
        6,
        True,
        "负责部门目标、团队与客户关系，突发事件的第一响应人。",
        "Owns the department's targets, team and customer relationships; first responder in a crisis.",
    ),
    (
        "store-manager",
        "门店店长",
        "Store manager",
        5,
        True,
        "负责门店运营与现场客诉。",
        "Runs a store and handles on-site complaints.",
    ),
    (
        "finance-manager",
        "财务经理",
        "Finance manager",
        6,
        True,
        "负责账务、回款与付款记录。",
        "Accounts, collections and payment records.",
    ),
    (
        "accountant",
        "会计",
        "Accountant",
        3,
        False,
        "记账与对账。",
        "Bookkeeping and reconciliation.",
    ),
    (
        "legal-counsel",
        "法务经理",
        "Legal counsel",
        6,
        True,
        "负责合同、纠纷与合规。",
        "Contracts, disputes and compliance.",
    ),
    ("paralegal", "法务专员", "Paralegal", 3, False, "协助法务工作。", "Supports legal work."),
    (
        "admin-officer",
        "行政主管",
        "Administration officer",
        5,
        True,
        "负责办公秩序、安保与后勤。",
        "Office order, security and logistics.",
    ),
    (
        "security-guard",
        "安保专员",
        "Security officer",
        2,
        False,
        "现场秩序与安全。",
        "On-site order and safety.",
    ),
    (
        "hr-manager",
        "人力资源经理",
        "HR manager",
        6,
        True,
        "负责组织、人员与培训。",
        "Organisation, people and training.",
    ),
    (
        "hr-specialist",
        "人力资源专员",
        "HR specialist",
        3,
        False,
        "招聘、考勤与培训执行。",
        "Recruiting, attendance and training.",
    ),
    (
        "cs-manager",
        "客服经理",
        "Customer service manager",
        5,
        True,
        "负责客户服务与投诉处理。",
        "Customer service and complaints.",
    ),
    (
        "cs-agent",
        "客服专员",
        "Customer service agent",
        2,
        False,
        "接待客户咨询与投诉。",
        "Handles customer enquiries and complaints.",
    ),
    (
        "pr-manager",
        "公关经理",
        "PR manager",
        6,
        True,
        "负责媒体关系与舆情。",
        "Media relations and public opinion.",
    ),
    (
        "sales-rep",
        "客户经理",
        "Account manager",
        3,
        False,
        "维护客户关系，跟进回款。",
        "Looks after customers and follows up payments.",
    ),
]

FUNCTION_NAMES = {
    DepartmentFunction.BUSINESS: ("业务部", "Sales"),
    DepartmentFunction.FINANCE: ("财务部", "Finance"),
    DepartmentFunction.LEGAL: ("法务部", "Legal"),
    DepartmentFunction.ADMINISTRATION: ("行政部", "Administration"),
    DepartmentFunction.HR: ("人力资源部", "Human Resources"),
    DepartmentFunction.CUSTOMER_SERVICE: ("客服部", "Customer Service"),
    DepartmentFunction.EXECUTIVE: ("总经办", "Executive Office"),
}
HEAD_POSITION = {
    DepartmentFunction.BUSINESS: "department-manager",
    DepartmentFunction.FINANCE: "finance-manager",
    DepartmentFunction.LEGAL: "legal-counsel",
    DepartmentFunction.ADMINISTRATION: "admin-officer",
    DepartmentFunction.HR: "hr-manager",
    DepartmentFunction.CUSTOMER_SERVICE: "cs-manager",
    DepartmentFunction.EXECUTIVE: "general-manager",
}
MEMBER_POSITION = {
    DepartmentFunction.BUSINESS: "sales-rep",
    DepartmentFunction.FINANCE: "accountant",
    DepartmentFunction.LEGAL: "paralegal",
    DepartmentFunction.ADMINISTRATION: "security-guard",
    DepartmentFunction.HR: "hr-specialist",
    DepartmentFunction.CUSTOMER_SERVICE: "cs-agent",
    DepartmentFunction.EXECUTIVE: "pr-manager",
}
SUBSIDIARIES = [("sh", "上海子公司", "Shanghai Co."), ("sz", "深圳子公司", "Shenzhen Co.")]

# Named demo accounts: (username, zh, en, subsidiary, function, position, roles)
ACCOUNTS = [
    (
        "manager",
        "王建国",
        "Wang Jianguo",
        "sh",
        DepartmentFunction.BUSINESS,
        "department-manager",
        [Role.MANAGER],
    ),
    (
        "manager2",
        "刘晓梅",
        "Liu Xiaomei",
        "sz",
        DepartmentFunction.BUSINESS,
        "department-manager",
        [Role.MANAGER],
    ),
    (
        "finance",
        "陈静",
        "Chen Jing",
        "sh",
        DepartmentFunction.FINANCE,
        "finance-manager",
        [Role.STAFF],
    ),
    ("legal", "赵敏", "Zhao Min", "sh", DepartmentFunction.LEGAL, "legal-counsel", [Role.STAFF]),
    (
        "admin",
        "孙强",
        "Sun Qiang",
        "sh",
        DepartmentFunction.ADMINISTRATION,
        "admin-officer",
        [Role.STAFF],
    ),
    ("staff", "周婷", "Zhou Ting", "sh", DepartmentFunction.BUSINESS, "sales-rep", [Role.STAFF]),
]
SURNAMES = [
    ("李", "Li"),
    ("张", "Zhang"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("吴", "Wu"),
    ("徐", "Xu"),
    ("马", "Ma"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("林", "Lin"),
    ("何", "He"),
    ("高", "Gao"),
]
GIVEN = [
    ("伟", "Wei"),
    ("芳", "Fang"),
    ("娜", "Na"),
    ("磊", "Lei"),
    ("洋", "Yang"),
    ("艳", "Yan"),
    ("勇", "Yong"),
    ("军", "Jun"),
    ("杰", "Jie"),
    ("娟", "Juan"),
    ("涛", "Tao"),
    ("超", "Chao"),
    ("明", "Ming"),
    ("霞", "Xia"),
    ("平", "Ping"),
    ("刚", "Gang"),
]


def _unit(
    code: str, zh: str, en: str, kind: str, parent: OrgUnit | None, function: str = ""
) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is not None:
        return unit
    return org.org_unit_save(
        code=code,
        name_zh=zh,
        name_en=en,
        kind=kind,
        function=function,
        parent_id=parent.pk if parent else None,
    )


def _person(
    username: str, zh: str, en: str, unit: OrgUnit, position: str, roles, manager=None
) -> Employee:
    existing = Employee.objects.filter(user__username=username).first()
    if existing is not None:
        return existing
    employee = org.employee_create(
        username=username,
        password=None,
        name_zh=zh,
        name_en=en,
        unit=unit,
        position=Position.objects.get(code=position),
        manager=manager,
        grade=Position.objects.get(code=position).grade,
        email=f"{username}@demo.keel.local",
        roles=[str(r) for r in roles],
        language="zh-hans",
    )
    # One hash for every demo account: PBKDF2 per user would make seeding take seconds each.
    employee.user.password = _demo_password_hash()
    employee.user.save(update_fields=["password"])
    return employee


@functools.cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _enrol_totp(user) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())


def seed() -> dict[str, int]:
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    for code, zh, en, grade, managerial, dzh, den in POSITIONS:
        Position.objects.update_or_create(
            code=code,
            defaults={
                "title_zh": zh,
                "title_en": en,
                "grade": grade,
                "is_managerial": managerial,
                "description_zh": dzh,
                "description_en": den,
            },
        )
    group = _unit("demo-group", "演示集团", "Demo Group", UnitKind.GROUP, None)
    group_exec = _unit(
        "group-exec",
        "集团总裁办",
        "Group Executive Office",
        UnitKind.DEPARTMENT,
        group,
        DepartmentFunction.EXECUTIVE,
    )
    group_hr = _unit(
        "group-hr",
        "集团人力资源部",
        "Group Human Resources",
        UnitKind.DEPARTMENT,
        group,
        DepartmentFunction.HR,
    )
    president = _person(
        "president", "郑国华", "Zheng Guohua", group_exec, "president", [Role.EXECUTIVE]
    )
    vp = _person(
        "vp",
        "钱志远",
        "Qian Zhiyuan",
        group_exec,
        "vice-president",
        [Role.EXECUTIVE],
        manager=president,
    )
    hradmin = _person(
        "hradmin", "吴丽华", "Wu Lihua", group_hr, "hr-manager", [Role.HR_ADMIN], manager=vp
    )
    for unit, head in ((group_exec, president), (group_hr, hradmin)):
        if unit.head_id is None:
            org.org_unit_save(unit=unit, head_id=head.pk)

    counter = 0
    for sub_code, sub_zh, sub_en in SUBSIDIARIES:
        sub = _unit(f"{sub_code}", sub_zh, sub_en, UnitKind.SUBSIDIARY, group)
        departments = {
            function: _unit(
                f"{sub_code}-{function.replace('_', '-')}",
                sub_zh[:2] + zh,
                f"{sub_en.split()[0]} {en}",
                UnitKind.DEPARTMENT,
                sub,
                function,
            )
            for function, (zh, en) in FUNCTION_NAMES.items()
        }
        gm = None
        for function in [
            DepartmentFunction.EXECUTIVE,
            *[f for f in FUNCTION_NAMES if f != DepartmentFunction.EXECUTIVE],
        ]:
            dept = departments[function]
            account = next(
                (
                    a
                    for a in ACCOUNTS
                    if a[3] == sub_code and a[4] == function and a[5] == HEAD_POSITION[function]
                ),
                None,
            )
            if account:
                username, zh, en = account[0], account[1], account[2]
                roles = account[6]
            else:
                s_zh, s_en = SURNAMES[counter % len(SURNAMES)]
                g_zh, g_en = GIVEN[(counter * 5) % len(GIVEN)]
                username, zh, en = (
                    f"{sub_code}-{function.replace('_', '-')}-head",
                    s_zh + g_zh,
                    f"{s_en} {g_en}",
                )
                roles = (
                    [Role.EXECUTIVE] if function == DepartmentFunction.EXECUTIVE else [Role.MANAGER]
                )
                counter += 1
            head = _person(username, zh, en, dept, HEAD_POSITION[function], roles, manager=gm or vp)
            if function == DepartmentFunction.EXECUTIVE:
                gm = head
            if dept.head_id is None:
                org.org_unit_save(unit=dept, head_id=head.pk)
            members = [
                a for a in ACCOUNTS if a[3] == sub_code and a[4] == function and a[0] != username
            ]
            for m in members:
                _person(m[0], m[1], m[2], dept, m[5], m[6], manager=head)
            for i in range(2):
                s_zh, s_en = SURNAMES[(counter + 3) % len(SURNAMES)]
                g_zh, g_en = GIVEN[(counter * 3 + 1) % len(GIVEN)]
                counter += 1
                _person(
                    f"{sub_code}-{function.replace('_', '-')}-{i + 1}",
                    s_zh + g_zh,
                    f"{s_en} {g_en}",
                    dept,
                    MEMBER_POSITION[function],
                    [Role.STAFF],
                    manager=head,
                )
    for username in ("vp", "hradmin"):
        _enrol_totp(User.objects.get(username=username))
    User.objects.filter(username="hradmin").update(is_staff=True)
    grant_hr_admin_permissions()
    return {"units": OrgUnit.objects.count(), "employees": Employee.objects.count()}


KEEL_APPS = ("hrcore", "responsibilities", "crisis", "competency", "integrations", "auditlog")


def grant_hr_admin_permissions() -> None:
    """HR admins configure everything Keel owns in the admin (called again after every app seeds)."""
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=Role.HR_ADMIN)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=KEEL_APPS))
