"""Maps prove their coverage (issue 14 §6): every gap kind, the deputy, the score, the query
count, the snapshots and their sweep, the alert once per drop, and the finance manager leaving
and a new hire restoring the debt-collection emergency map — through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competency.choices import EvidenceKind
from competency.services.evidence import evidence_record
from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.models import Employee, Notification, OrgUnit, Position
from hrcore.services import org
from responsibilities.coverage_selectors import coverage_compute, coverages, covered_units
from responsibilities.models import CoverageSnapshot, ResponsibilityMap, ScenarioCoverage
from responsibilities.selectors import published_map_for
from responsibilities.services import coverage as services
from tests.factories import DutyFactory

pytestmark = pytest.mark.django_db

EMERGENCY = "debt-collection-emergency"
# The Shenzhen holders of the emergency map's duties have no evidence in the demo world.
SZ_SKILLS = {
    "sz-finance-head": ["financial-evidence"],
    "sz-legal-head": ["legal-awareness", "legal-communication"],
    "sz-administration-head": ["on-site-order", "evidence-preservation"],
}


def emergency() -> ResponsibilityMap:
    return published_map_for(scenario=EMERGENCY, unit=OrgUnit.objects.get(code="demo-group"))


def person(username: str) -> Employee:
    return Employee.objects.select_related("user", "unit").get(user__username=username)


def train(employee: Employee, *codes: str, days_ago: int = 1) -> None:
    for code in codes:
        evidence_record(
            employee=employee,
            competency_code=code,
            level=3,
            kind=EvidenceKind.TRAINING,
            actor=None,
            observed_at=timezone.now() - timedelta(days=days_ago),
            push=False,
        )


def rows(view) -> dict[tuple[str, str], dict]:
    return {(r["unit"], r["duty"]): r for r in view.rows}


def now_coverage(m=None, at=None):
    return rows(coverage_compute([m or emergency()], at=at)[0])


@pytest.fixture
def fully_covered(seeded_maps):
    """The emergency map at 100 %: the Shenzhen holders get their training."""
    for username, codes in SZ_SKILLS.items():
        train(person(username), *codes)
    result = coverage_compute([emergency()])[0]
    assert (result.tally.covered, result.tally.total) == (15, 15)
    return result


def test_demo_world_names_shenzhens_untrained_holders(seeded_maps):
    result = coverage_compute([emergency()])[0]
    assert [u.code for u in result.units] == ["demo-group", "sz", "sh"]
    assert (result.tally.covered, result.tally.total) == (12, 15)
    r = rows(result)
    assert all(not r[("sh", d)]["gaps"] for d in ("finance-records", "legal-support"))
    finance = r[("sz", "finance-records")]
    assert finance["gaps"] == ["untrained"]
    assert finance["holder"]["id"] == person("sz-finance-head").pk
    assert finance["holder"]["missing_skills"] == ["financial-evidence"]
    assert finance["holder"]["channels"] == ["email", "mobile", "dingtalk", "wecom", "feishu"]
    assert finance["deputy"]["id"] == person("sz-finance-1").pk  # next in line: untrained too
    assert finance["covered_by"] is None


def test_vacant_when_nobody_holds_the_role(fully_covered):
    Employee.objects.filter(unit__function=DepartmentFunction.LEGAL).update(is_active=False)
    r = now_coverage()
    for unit in ("demo-group", "sz", "sh"):
        assert r[(unit, "legal-support")]["gaps"] == ["vacant"]
        assert r[(unit, "legal-support")]["holder"] is None
        assert r[(unit, "legal-support")]["deputy"] is None
    assert r[("sh", "finance-records")]["gaps"] == []


def test_absent_holder_deputy_fallback_and_absent_gap(fully_covered):
    finance, legal = person("finance"), person("legal")
    now = timezone.now()
    org.absence_record(
        employee=finance,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        delegate=legal,
    )
    r = now_coverage()[("sh", "finance-records")]
    # The delegate stands in but has no evidence for the duty's skill: a gap, named "absent".
    assert (r["holder"]["id"], r["holder"]["issues"]) == (finance.pk, ["absent"])
    assert (r["deputy"]["id"], r["deputy"]["issues"]) == (legal.pk, ["untrained"])
    assert r["gaps"] == ["absent"]
    train(legal, "financial-evidence")
    r = now_coverage()[("sh", "finance-records")]
    assert (r["covered_by"], r["gaps"]) == ("deputy", [])
    # The absence over, the holder is back.
    r = now_coverage(at=now + timedelta(days=4))[("sh", "finance-records")]
    assert (r["covered_by"], r["holder"]["issues"]) == ("holder", [])


def test_absent_holder_without_anyone_to_stand_in(fully_covered):
    vp = person("vp")
    now = timezone.now()
    org.absence_record(employee=vp, starts_at=now, ends_at=now + timedelta(days=1))
    r = now_coverage(at=now + timedelta(minutes=1))[("sh", "vp-decision")]
    assert (r["holder"]["id"], r["deputy"], r["gaps"]) == (vp.pk, None, ["absent"])


def test_unreachable_holder_on_one_channel(fully_covered):
    finance = person("finance")
    Employee.objects.filter(pk=finance.pk).update(
        mobile="", dingtalk_user_id="", wecom_user_id="", feishu_open_id=""
    )
    r = now_coverage()[("sh", "finance-records")]
    assert r["holder"]["channels"] == ["email"]  # in-app does not count
    assert r["gaps"] == ["unreachable"]
    accountant = r["deputy"]["id"]
    assert Employee.objects.get(pk=accountant).unit.code == "sh-finance"
    train(Employee.objects.get(pk=accountant), "financial-evidence")
    r = now_coverage()[("sh", "finance-records")]
    assert (r["covered_by"], r["gaps"]) == ("deputy", [])
    # E-mail and a DingTalk id are two channels.
    Employee.objects.filter(pk=finance.pk).update(dingtalk_user_id="dt-finance")
    assert now_coverage()[("sh", "finance-records")]["covered_by"] == "holder"


def test_untrained_when_evidence_is_older_than_the_practice_cadence(fully_covered):
    # The finance manager's profile asks for practice every 180 days; the demo rating is 20
    # days old.
    later = timezone.now() + timedelta(days=170)
    r = now_coverage(at=later)[("sh", "finance-records")]
    assert r["holder"]["issues"] == ["untrained"]
    assert r["holder"]["missing_skills"] == ["financial-evidence"]
    assert r["gaps"] == ["untrained"]
    assert now_coverage()[("sh", "finance-records")]["gaps"] == []


def test_a_constant_number_of_queries_as_units_and_duties_grow(fully_covered):
    m = emergency()

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            coverage_compute([m])
        return len(ctx.captured_queries)

    before = count()
    group = OrgUnit.objects.get(code="demo-group")
    for i in range(3):
        sub = org.org_unit_save(
            code=f"extra-{i}",
            name_zh=f"新{i}",
            name_en=f"New {i}",
            kind=UnitKind.SUBSIDIARY,
            function="",
            parent_id=group.pk,
        )
        dept = org.org_unit_save(
            code=f"extra-{i}-fin",
            name_zh=f"新{i}财务",
            name_en=f"New {i} Finance",
            kind=UnitKind.DEPARTMENT,
            function="finance",
            parent_id=sub.pk,
        )
        org.employee_create(
            username=f"extra-{i}-fin",
            password=None,
            name_zh=f"财{i}",
            name_en=f"Fin {i}",
            unit=dept,
            position=Position.objects.get(code="accountant"),
            email=f"x{i}@x.cn",
        )
    for i in range(4):
        DutyFactory(map=m, code=f"extra-duty-{i}", assignee_function="legal", competencies=["x"])
    assert len(covered_units([m])[m.pk]) == 6
    assert count() == before
    assert coverage_compute([m])[0].tally.total == 6 * 9


def test_recompute_stores_snapshots_and_the_sweep_runs_when_stale_or_old(fully_covered):
    results = services.coverage_recompute()
    m = emergency()
    snap = CoverageSnapshot.objects.get(map=m)
    assert (snap.covered, snap.total, snap.stale) == (15, 15, False)
    assert CoverageSnapshot.objects.count() == len(results) == 8
    assert ScenarioCoverage.objects.get(scenario=m.scenario).score == 1.0
    assert services.coverage_sweep() == 0  # fresh: nothing to do
    services.coverage_mark_stale()
    assert services.coverage_sweep() == 8
    with time_machine.travel(timezone.now() + timedelta(seconds=50), tick=False):
        assert services.coverage_due()  # within a minute even without a signal
    # Pages read the fresh snapshot without computing.
    with CaptureQueriesContext(connection) as ctx:
        view = coverages([m])[0]
    assert view.score == 1.0 and len(ctx.captured_queries) == 1


def test_hr_changes_mark_the_snapshots_stale_after_commit(
    fully_covered, django_capture_on_commit_callbacks
):
    services.coverage_recompute()
    with django_capture_on_commit_callbacks(execute=True):
        now = timezone.now()
        org.absence_record(employee=person("legal"), starts_at=now, ends_at=now + timedelta(days=1))
    assert not CoverageSnapshot.objects.filter(stale=False).exists()


def alerts(scenario_code: str = EMERGENCY) -> list[Notification]:
    return list(
        Notification.objects.filter(
            kind="responsibility_map.coverage_dropped", data__scenario=scenario_code
        )
    )


def test_hr_admins_are_alerted_once_per_drop_of_a_critical_scenario(seeded_maps, users):
    services.coverage_recompute()  # the demo's 80 %: a drop
    first = alerts()
    assert [n.recipient.username for n in first] == ["hradmin"]
    assert first[0].params["score"] == 80 and first[0].params["count"] == 3
    services.coverage_mark_stale()
    services.coverage_recompute()
    assert len(alerts()) == 1  # not again while it stays below 100 %
    for username, codes in SZ_SKILLS.items():
        train(person(username), *codes)
    services.coverage_recompute()
    assert ScenarioCoverage.objects.get(scenario__code=EMERGENCY).alerted is False
    assert len(alerts()) == 1
    Employee.objects.filter(user__username="finance").update(is_active=False)
    services.coverage_recompute(at=timezone.now() + timedelta(seconds=1))
    assert len(alerts()) == 2  # a new drop after recovery
    # A medium scenario below 100 % alerts nobody.
    assert alerts("customer-complaint") == []


def test_finance_manager_leaving_drops_the_emergency_map_and_a_new_hire_restores_it(
    fully_covered, django_capture_on_commit_callbacks
):
    services.coverage_recompute()
    m = emergency()
    assert CoverageSnapshot.objects.get(map=m).score == 1.0
    finance = person("finance")
    finance.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        org.employee_save(employee=finance)  # what employee.left does
    assert services.coverage_sweep() == 8  # stale: recomputed at the next tick
    snap = CoverageSnapshot.objects.get(map=m)
    assert snap.score < 1.0
    gaps = [r for r in snap.rows if r["gaps"]]
    assert [(g["unit"], g["duty"], g["gaps"]) for g in gaps] == [
        ("sh", "finance-records", ["untrained"])
    ]
    assert gaps[0]["holder"]["unit"] == "sh-finance"  # an accountant inherits it, untrained
    assert gaps[0]["who"] == {"zh": "财务", "en": "Finance"}

    sh_finance = OrgUnit.objects.get(code="sh-finance")
    with django_capture_on_commit_callbacks(execute=True):
        hire = org.employee_create(
            username="new-finance",
            password=None,
            name_zh="林新",
            name_en="Lin Xin",
            unit=sh_finance,
            position=Position.objects.get(code="finance-manager"),
            grade=Position.objects.get(code="finance-manager").grade,
            email="new-finance@demo.keel.local",
        )
        hire.mobile = "+8613900139000"
        org.employee_save(employee=hire)
        org.org_unit_save(unit=sh_finance, head_id=hire.pk)
    services.coverage_sweep()
    row = next(
        r
        for r in CoverageSnapshot.objects.get(map=m).rows
        if r["unit"] == "sh" and r["duty"] == "finance-records"
    )
    assert row["holder"]["id"] == hire.pk
    assert row["gaps"] == ["untrained"]  # hired, not yet trained: still named
    with django_capture_on_commit_callbacks(execute=True):
        train(hire, "financial-evidence", days_ago=0)  # new evidence marks it stale too
    services.coverage_sweep()
    assert CoverageSnapshot.objects.get(map=m).score == 1.0
