"""Demo data of the crisis engine: business calendars for both subsidiaries, the library's
default trigger rules (``crisis.library``), a few closed crises over the last three months (for the dashboard's metrics) and one open
crisis in Shenzhen. Idempotent: nothing is added when demo crises exist.

The closed crises are played through the real services with the clock set back (the timeline,
metrics and stars are then exactly what the engine would have produced at the time).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hrcore.choices import Role
from hrcore.errors import KeelError
from hrcore.models import BusinessCalendar, Notification, OrgUnit, OutboxMessage
from hrcore.selectors import has_role
from hrcore.services.calendars import business_calendar_save

from .choices import TASK_ACTIVE_STATES, CrisisSource, DeliverableKind
from .library import obligations_install, trigger_rules_install
from .models import Crisis
from .services.closure import crisis_close
from .services.decisions import decision_make
from .services.filing import crisis_file
from .services.sweep import sla_sweep
from .services.tasks import task_acknowledge, task_complete

User = get_user_model()

# Mainland China public holidays and make-up working days (调休) around the demo period.
HOLIDAYS_CN = [
    (date(2026, 10, 1), "国庆节", "National Day", False),
    (date(2026, 10, 2), "国庆节", "National Day", False),
    (date(2026, 10, 5), "国庆节", "National Day", False),
    (date(2026, 10, 6), "国庆节", "National Day", False),
    (date(2026, 10, 7), "国庆节", "National Day", False),
    (date(2026, 10, 10), "国庆调休上班", "National Day make-up working day", True),
    (date(2027, 1, 1), "元旦", "New Year's Day", False),
    (date(2027, 2, 5), "春节", "Spring Festival", False),
    (date(2027, 2, 8), "春节", "Spring Festival", False),
    (date(2027, 2, 9), "春节", "Spring Festival", False),
    (date(2027, 2, 10), "春节", "Spring Festival", False),
    (date(2027, 2, 11), "春节", "Spring Festival", False),
    (date(2027, 2, 20), "春节调休上班", "Spring Festival make-up working day", True),
]

# (days ago, scenario, filer, title zh, title en, share of each allowance used, late duty)
HISTORY = [
    (
        80,
        "debt-collection-emergency",
        "manager",
        "催收人员到访上海办公室",
        "Collectors at the Shanghai office",
        0.9,
        "legal-support",
    ),
    (
        62,
        "customer-complaint",
        "manager2",
        "门店客户投诉退款",
        "Store customer demands a refund",
        0.5,
        None,
    ),
    (
        45,
        "debt-collection",
        "manager",
        "长期欠款客户协商",
        "Negotiating with a long-overdue customer",
        0.7,
        None,
    ),
    (
        30,
        "debt-collection-emergency",
        "manager2",
        "深圳办公室催收事件",
        "Collectors at the Shenzhen office",
        0.4,
        "admin-on-site",
    ),
    (
        18,
        "customer-complaint",
        "manager",
        "客户投诉配送延误",
        "Complaint about a late delivery",
        0.3,
        None,
    ),
    (
        6,
        "debt-collection-emergency",
        "manager",
        "客户逾期 35 天，催收人员到场",
        "35 days overdue, collectors on site",
        0.25,
        None,
    ),
]


class _Clock:
    """The demo's replay clock: every reader of the time (``timezone.now`` and the rest) sees
    ``now``, which only moves forward when the replay sets it."""

    def __init__(self, traveller, start: datetime) -> None:
        self._traveller = traveller
        self._now = start

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        self._now = value
        self._traveller.move_to(value)


@contextmanager
def _clock(start: datetime):
    """Replay history at ``start`` (time-machine: a frozen clock for the whole process, the
    library the tests use as well)."""
    with time_machine.travel(start, tick=False) as traveller:
        yield _Clock(traveller, start)


def _play(crisis: Crisis, clock: _Clock, *, share: float, late_duty: str | None) -> None:
    """Work every task as its assignee would, in dependency order, sweeping timers as we go."""
    for _round in range(20):
        active = list(
            crisis.tasks.filter(status__in=TASK_ACTIVE_STATES).select_related("assignee__user")
        )
        if not active:
            break
        for task in sorted(active, key=lambda t: (t.due_at, t.pk)):
            used = 1.4 if task.duty_code == late_duty else share
            target = task.started_at + timedelta(minutes=task.deadline_minutes * used)
            clock.now = max(clock.now, target)
            sla_sweep()
            user = task.assignee.user if task.assignee else None
            if user is None:
                continue
            if task.deliverable_kind == DeliverableKind.DECISION and has_role(user, Role.EXECUTIVE):
                decision_make(
                    crisis=crisis,
                    text="同意按付款计划协商，法务陪同；Agree a payment plan, legal attends.",
                    option="negotiate",
                    actor=user,
                )
            else:
                task_acknowledge(task=task, actor=user)
                task_complete(
                    task=task,
                    actor=user,
                    note="已完成 / Done",
                    location="现场 / On site" if task.deliverable_kind == "on_site" else "",
                )
            clock.now += timedelta(minutes=1)


def seed_calendars() -> int:
    made = 0
    for code, name in (("sh", "上海子公司工作日历"), ("sz", "深圳子公司工作日历")):
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None or BusinessCalendar.objects.filter(unit=unit).exists():
            continue
        business_calendar_save(
            unit=unit, time_zone="Asia/Shanghai", holidays=HOLIDAYS_CN, name=name
        )
        made += 1
    return made


def seed() -> dict[str, int]:
    calendars = seed_calendars()
    trigger_rules_install()
    if Crisis.objects.filter(source=CrisisSource.DEMO).exists():
        obligations_install()
        return {"calendars": calendars, "demo_crises": 0}
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "manager2"])}
    if len(users) < 2:
        return {"calendars": calendars, "demo_crises": 0}
    made = 0
    real_now = timezone.now()
    # Rows written while history replays carry its (past) times: they are found by id.
    last_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    last_outbox = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    for days_ago, scenario, filer, zh, en, share, late in HISTORY:
        try:
            with transaction.atomic(), _clock(real_now - timedelta(days=days_ago)) as clock:
                crisis = crisis_file(
                    scenario=scenario,
                    title=f"{zh} / {en}",
                    description="演示数据 / Demo data",
                    actor=users[filer],
                    source=CrisisSource.DEMO,
                    idempotency_key=f"history-{days_ago}",
                )
                _play(crisis, clock, share=share, late_duty=late)
                clock.now += timedelta(minutes=10)
                crisis_close(
                    crisis=crisis,
                    outcome="已妥善处理 / Resolved",
                    lessons="提前准备付款记录 / Keep payment records ready",
                    actor=users[filer],
                )
                made += 1
        except KeelError:
            continue  # a scenario without a published map: skip that story
    # Historical crises must not flood today's inboxes, mail or partner webhooks.
    Notification.objects.filter(pk__gt=last_notification or 0, kind__startswith="crisis.").delete()
    OutboxMessage.objects.filter(pk__gt=last_outbox or 0).delete()
    # After the history: its closed crises run no statutory clock; the open one does.
    obligations_install()
    try:
        crisis_file(
            scenario="customer-complaint",
            title="门店顾客现场投诉 / Customer complaint in the Shenzhen store",
            description="顾客要求退款并拍摄视频 / The customer demands a refund and is filming.",
            actor=users["manager2"],
            source=CrisisSource.DEMO,
            idempotency_key="open-1",
        )
        made += 1
    except KeelError:
        pass
    return {"calendars": calendars, "demo_crises": made}
