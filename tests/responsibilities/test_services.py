"""Drafts, the publish validation matrix, versions, archive, diff and dry-run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import OrgUnit
from responsibilities.choices import MapStatus
from responsibilities.models import Duty, ResponsibilityMap, Scenario
from responsibilities.selectors import published_map_for
from responsibilities.services import dry_run, maps

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(no_seed_maps):
    return Scenario.objects.create(code="flood", name_zh="洪水", name_en="Flood")


def duty(code, who="finance", minutes=30, after=(), **extra):
    out = {
        "code": code,
        "action_en": f"Do {code}",
        "action_zh": f"执行 {code}",
        "deliverable": extra.pop("deliverable", "document"),
        "deadline_minutes": minutes,
        "after": list(after),
    }
    if who.startswith("@"):
        out["assignee_position"] = who[1:]
    else:
        out["assignee_function"] = who
    out.update(extra)
    return out


GOOD = [
    duty("finance-records", "finance", 30),
    duty("legal-support", "legal", 60),
    duty(
        "vp-decision",
        "@vice-president",
        60,
        ["finance-records", "legal-support"],
        deliverable="decision",
    ),
]


def create(scenario, group_unit, users, duties, **kw):
    return maps.responsibility_map_create(
        scenario=scenario,
        scope=group_unit,
        duties=duties,
        title_en="Flood",
        actor=users["hradmin"],
        **kw,
    )


def test_create_and_publish_a_map(scenario, group_unit, users):
    m = create(scenario, group_unit, users, GOOD)
    assert (m.version, m.status, m.author) == (1, MapStatus.DRAFT, users["hradmin"])
    assert list(m.duties.values_list("code", "order")) == [
        ("finance-records", 0),
        ("legal-support", 1),
        ("vp-decision", 2),
    ]
    assert published_map_for(scenario="flood", unit=group_unit) is None
    maps.responsibility_map_publish(responsibility_map=m, actor=users["hradmin"])
    m.refresh_from_db()
    assert m.status == MapStatus.PUBLISHED and m.published_at is not None
    sh = OrgUnit.objects.get(code="sh-finance")
    assert published_map_for(scenario=scenario, unit=sh) == m


# --- The validation matrix: each bad map is refused with a message naming the problem, and
# nothing is written.

BAD = [
    (
        "cycle",
        [duty("a", after=["b"]), duty("b", after=["a"]), duty("c")],
        "duties",
        "a → b → a",
    ),
    ("no-start", [duty("a", after=["b"]), duty("b", after=["a"])], "duties", "crisis start"),
    ("self-wait", [duty("a", after=["a"])], "duties[0].after", "cannot wait for itself"),
    ("unknown-after", [duty("a", after=["ghost"])], "duties[0].after", "ghost"),
    ("unknown-function", [duty("a", "marketing")], "duties[0].assignee_function", "marketing"),
    ("unknown-position", [duty("a", "@astronaut")], "duties[0].assignee_position", "astronaut"),
    (
        "both-assignees",
        [{**duty("a"), "assignee_position": "vice-president"}],
        "duties[0].assignee_function",
        "not both",
    ),
    (
        "no-assignee",
        [{**duty("a"), "assignee_function": ""}],
        "duties[0].assignee_function",
        "not both",
    ),
    ("zero-deadline", [duty("a", minutes=0)], "duties[0].deadline_minutes", "more than 0"),
    ("negative-deadline", [duty("a", minutes=-5)], "duties[0].deadline_minutes", "more than 0"),
    ("absurd-deadline", [duty("a", minutes=10**7)], "duties[0].deadline_minutes", "maximum"),
    ("text-deadline", [duty("a", minutes="soon")], "duties[0].deadline_minutes", "whole number"),
    ("duplicate-code", [duty("a"), duty("a")], "duties[1].code", "used twice"),
    ("bad-code", [duty("a b")], "duties[0].code", "a b"),
    ("bad-deliverable", [duty("a", deliverable="poem")], "duties[0].deliverable", "poem"),
    ("bad-escalation", [duty("a", escalation=["ceo"])], "duties[0].escalation", "ceo"),
    ("no-action", [{**duty("a"), "action_en": "", "action_zh": ""}], "duties[0].action", "a"),
    (
        "long-text",
        [duty("a", action_zh="长" * 5000)],
        "duties[0].action_zh",
        "5000",
    ),
    ("warn-ratio", [duty("a", warn_ratio=1.5)], "duties[0].warn_ratio", "between 0 and 1"),
]


@pytest.mark.parametrize("name,duties,field,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_drafts_are_refused(scenario, group_unit, users, name, duties, field, needle):
    with pytest.raises(ValidationFailed) as exc:
        create(scenario, group_unit, users, duties)
    assert field in exc.value.errors
    assert needle in exc.value.errors[field]
    # The message names the problem in words; the key stays in ``errors`` (for programs).
    assert "duties[" not in exc.value.message
    assert ResponsibilityMap.objects.count() == 0
    assert Duty.objects.count() == 0


def _publish_error(m, users):
    before = ResponsibilityMap.objects.get(pk=m.pk)
    with pytest.raises(ValidationFailed) as exc:
        maps.responsibility_map_publish(responsibility_map=m, actor=users["hradmin"])
    after = ResponsibilityMap.objects.get(pk=m.pk)
    assert (
        (after.status, after.published_at)
        == (MapStatus.DRAFT, None)
        == (
            before.status,
            before.published_at,
        )
    )
    return exc.value


def test_publishing_an_empty_map_is_refused(scenario, group_unit, users):
    m = create(scenario, group_unit, users, [])
    err = _publish_error(m, users)
    assert err.errors == {"duties": "An empty map cannot be published: add at least one duty."}


def test_publishing_without_a_start_duty_is_refused(scenario, group_unit, users):
    m = create(scenario, group_unit, users, [duty("a")])
    # A cycle-free map where every duty waits is impossible through the service; write it
    # directly, as an admin edit could.
    Duty.objects.filter(map=m, code="a").update(after=["b"])
    Duty.objects.create(
        map=m, code="b", assignee_function="legal", deadline_minutes=5, after=["c"], order=1
    )
    Duty.objects.create(
        map=m, code="c", assignee_function="legal", deadline_minutes=5, after=["b"], order=2
    )
    err = _publish_error(m, users)
    assert err.errors["duties"] == (
        "At least one duty must start at crisis start (have an empty “after” list)."
    )


def test_publishing_with_a_deleted_prerequisite_is_refused(scenario, group_unit, users):
    # A prerequisite deleted behind the service's back (e.g. in the admin).
    m = create(scenario, group_unit, users, [duty("a"), duty("b", after=["a"])])
    Duty.objects.filter(map=m, code="a").delete()
    err = _publish_error(m, users)
    assert "unknown duty code" in err.errors["duties[0].after"]


def test_unresolvable_assignee_is_refused_at_publish(scenario, group_unit, users):
    # Nobody holds the store-manager position in the demo group.
    m = create(scenario, group_unit, users, [duty("calm", "@store-manager", 10)])
    err = _publish_error(m, users)
    assert "Nobody holds" in err.errors["duties[0].assignee"]
    assert "calm" in err.message


def test_unresolvable_escalation_position_is_refused(scenario, group_unit, users):
    m = create(
        scenario, group_unit, users, [duty("a", escalation=["manager", "position:store-manager"])]
    )
    err = _publish_error(m, users)
    assert "position:store-manager" in err.errors["duties[0].escalation"]


def test_unicode_and_long_titles(scenario, group_unit, users):
    m = create(scenario, group_unit, users, [duty("a", action_zh="催收人员到场 🚨 ‘引号’")])
    assert m.duties.get().action_zh == "催收人员到场 🚨 ‘引号’"
    with pytest.raises(ValidationFailed) as exc:
        maps.responsibility_map_update(
            responsibility_map=m, title_zh="长" * 201, actor=users["hradmin"]
        )
    assert "title_zh" in exc.value.errors
    m.refresh_from_db()
    assert m.title_zh == ""


# --- Versions ---------------------------------------------------------------------------


def test_published_versions_are_frozen_and_revising_creates_the_next_draft(
    scenario, group_unit, users
):
    v1 = create(scenario, group_unit, users, GOOD)
    maps.responsibility_map_publish(responsibility_map=v1, actor=users["hradmin"])
    with pytest.raises(Conflict):
        maps.responsibility_map_update(
            responsibility_map=v1, duties=[duty("x")], actor=users["hradmin"]
        )
    assert sorted(v1.duties.values_list("code", flat=True)) == sorted(d["code"] for d in GOOD)
    v2 = maps.responsibility_map_revise(responsibility_map=v1, actor=users["hradmin"])
    assert (v2.version, v2.status) == (2, MapStatus.DRAFT)
    assert list(v2.duties.values_list("code", flat=True)) == [d["code"] for d in GOOD]
    # Revising again returns the same draft instead of forking.
    assert maps.responsibility_map_revise(responsibility_map=v1, actor=users["hradmin"]) == v2
    maps.responsibility_map_update(
        responsibility_map=v2,
        duties=[*GOOD[:2], {**GOOD[2], "deadline_minutes": 90}, duty("admin", "administration")],
        actor=users["hradmin"],
    )
    diff = maps.responsibility_map_diff(old=v1, new=v2)
    assert diff.added == ["admin"] and diff.removed == []
    assert [(c.code, c.field, c.old, c.new) for c in diff.changed] == [
        ("vp-decision", "deadline_minutes", 60, 90)
    ]
    assert published_map_for(scenario=scenario, unit=group_unit) == v1
    maps.responsibility_map_publish(responsibility_map=v2, actor=users["hradmin"])
    v1.refresh_from_db()
    assert v1.status == MapStatus.ARCHIVED
    assert published_map_for(scenario=scenario, unit=group_unit) == v2
    with pytest.raises(Conflict):
        maps.responsibility_map_publish(responsibility_map=v2, actor=users["hradmin"])


def test_archive(scenario, group_unit, users):
    m = create(scenario, group_unit, users, GOOD)
    maps.responsibility_map_publish(responsibility_map=m, actor=users["hradmin"])
    maps.responsibility_map_archive(responsibility_map=m, actor=users["hradmin"])
    assert published_map_for(scenario=scenario, unit=group_unit) is None
    with pytest.raises(Conflict):
        maps.responsibility_map_archive(responsibility_map=m, actor=users["hradmin"])


def test_a_second_draft_is_a_conflict(scenario, group_unit, users):
    create(scenario, group_unit, users, GOOD)
    with pytest.raises(Conflict):
        create(scenario, group_unit, users, GOOD)
    assert ResponsibilityMap.objects.count() == 1


def test_subsidiary_map_wins_over_the_group_map(scenario, group_unit, users):
    group_map = create(scenario, group_unit, users, GOOD)
    maps.responsibility_map_publish(responsibility_map=group_map, actor=users["hradmin"])
    sh = OrgUnit.objects.get(code="sh")
    sh_map = maps.responsibility_map_create(
        scenario=scenario, scope=sh, duties=GOOD[:1], actor=users["hradmin"]
    )
    maps.responsibility_map_publish(responsibility_map=sh_map, actor=users["hradmin"])
    assert published_map_for(scenario="flood", unit=OrgUnit.objects.get(code="sh-legal")) == sh_map
    assert published_map_for(scenario="flood", unit=OrgUnit.objects.get(code="sz-legal")) == (
        group_map
    )
    assert published_map_for(scenario="nope", unit=sh) is None


def test_department_scope_is_refused(scenario, users):
    with pytest.raises(ValidationFailed) as exc:
        maps.responsibility_map_create(
            scenario=scenario,
            scope=OrgUnit.objects.get(code="sh-finance"),
            duties=GOOD,
            actor=users["hradmin"],
        )
    assert "scope" in exc.value.errors
    assert ResponsibilityMap.objects.count() == 0


@pytest.mark.parametrize("username", ["manager", "finance", "vp", "staff"])
def test_only_hr_admins_write(scenario, group_unit, users, username):
    with pytest.raises(PermissionDenied):
        maps.responsibility_map_create(
            scenario=scenario, scope=group_unit, duties=GOOD, actor=users[username]
        )
    m = create(scenario, group_unit, users, GOOD)
    with pytest.raises(PermissionDenied):
        maps.responsibility_map_publish(responsibility_map=m, actor=users[username])
    m.refresh_from_db()
    assert m.status == MapStatus.DRAFT
    assert ResponsibilityMap.objects.count() == 1


# --- Dry run -----------------------------------------------------------------------------


def test_dry_run_of_the_emergency_map(seeded_maps, group_unit, users):
    m = published_map_for(scenario="debt-collection-emergency", unit=group_unit)
    start = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    run = dry_run.responsibility_map_dry_run(
        responsibility_map=m, unit=OrgUnit.objects.get(code="sh-business"), start=start
    )
    rows = {r.duty.code: r for r in run.rows}
    assert {c: r.resolution.employee.user.username for c, r in rows.items()} == {
        "finance-records": "finance",
        "legal-support": "legal",
        "admin-on-site": "admin",
        "manager-contact": "manager",
        "vp-decision": "vp",
    }
    assert rows["finance-records"].due_at == start + timedelta(minutes=30)
    assert rows["admin-on-site"].due_at == start + timedelta(minutes=20)
    assert rows["vp-decision"].starts_at == start + timedelta(minutes=60)
    assert rows["vp-decision"].due_at == start + timedelta(minutes=120)
    assert rows["finance-records"].warn_at == start + timedelta(minutes=24)
    assert run.critical_path == ["legal-support", "vp-decision"]
    assert run.total_minutes == 120
    assert run.ends_at == start + timedelta(minutes=120)
    assert run.problems == []


def test_dry_run_in_the_other_subsidiary_picks_its_people(seeded_maps, group_unit, users):
    m = published_map_for(scenario="debt-collection-emergency", unit=group_unit)
    run = dry_run.responsibility_map_dry_run(
        responsibility_map=m, unit=OrgUnit.objects.get(code="sz-business")
    )
    rows = {r.duty.code: r for r in run.rows}
    assert rows["manager-contact"].resolution.employee.user.username == "manager2"
    assert rows["finance-records"].resolution.employee.unit.code == "sz-finance"


def test_dry_run_resolves_every_duty_in_one_pass_as_one_by_one(seeded_maps, group_unit, users):
    """The dry run asks the resolver for all its duties at once: the holders are those
    ``resolve_assignee`` names duty by duty, and the queries do not grow with the duties."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hrcore.selectors import resolve_assignee

    counts = {}
    for m in ResponsibilityMap.objects.filter(status=MapStatus.PUBLISHED).prefetch_related(
        "duties__assignee_position"
    ):
        with CaptureQueriesContext(connection) as ctx:
            run = dry_run.responsibility_map_dry_run(responsibility_map=m)
        calendar = any(row.duty.business_hours for row in run.rows)  # the unit's calendar: 1 more
        counts[len(run.rows)] = len(ctx.captured_queries) - calendar
        for row in run.rows:
            function, position = row.duty.assignee_key
            one = resolve_assignee(unit=m.scope, function=function, position=position)
            assert row.resolution.employee == one.employee, row.duty.code
    assert len(counts) > 1 and len(set(counts.values())) == 1, counts


def test_dry_run_reports_unresolvable_duties_in_drafts(scenario, group_unit, users):
    m = create(scenario, group_unit, users, [duty("calm", "@store-manager", 10)])
    run = dry_run.responsibility_map_dry_run(responsibility_map=m)
    assert run.rows[0].resolution is None
    assert "Nobody holds" in run.rows[0].problem


def test_dry_run_respects_business_hours_like_the_crisis_engine(scenario, group_unit, users):
    from zoneinfo import ZoneInfo

    m = create(
        scenario,
        group_unit,
        users,
        [
            duty("on-call", "administration", 30),
            duty("paperwork", "hr", 60, ["on-call"], business_hours=True),
        ],
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 11, 20, 17, 0, tzinfo=shanghai)  # a Friday, 17:00
    run = dry_run.responsibility_map_dry_run(responsibility_map=m, start=start)
    rows = {r.duty.code: r for r in run.rows}
    assert rows["on-call"].due_at == datetime(2026, 11, 20, 17, 30, tzinfo=shanghai)
    # 30 business minutes left on Friday, the other 30 on Monday morning.
    assert rows["paperwork"].starts_at == datetime(2026, 11, 20, 17, 30, tzinfo=shanghai)
    assert rows["paperwork"].due_at == datetime(2026, 11, 23, 9, 30, tzinfo=shanghai)
    assert rows["paperwork"].warn_at == datetime(2026, 11, 23, 9, 18, tzinfo=shanghai)
    assert run.ends_at == rows["paperwork"].due_at
    assert run.total_minutes == 90  # the plan itself counts allowance minutes


def test_publishing_notifies_exactly_the_people_whose_duties_changed(seeded_maps, users):
    from hrcore.models import Notification

    # Seeding publishes as the system: nobody is paged.
    assert not Notification.objects.filter(kind="responsibility_map.published").exists()
    v1 = ResponsibilityMap.objects.get(scenario__code="debt-collection-emergency")
    v2 = maps.responsibility_map_revise(responsibility_map=v1, actor=users["hradmin"])
    duties = maps.map_duty_dicts(v2)
    duties[0]["deadline_minutes"] = 25  # finance-records (a finance function duty)
    duties[4]["deadline_minutes"] = 45  # vp-decision (the vice-president position)
    maps.responsibility_map_update(responsibility_map=v2, duties=duties, actor=users["hradmin"])
    maps.responsibility_map_publish(responsibility_map=v2, actor=users["hradmin"])
    notified = set(
        Notification.objects.filter(kind="responsibility_map.published").values_list(
            "recipient__username", flat=True
        )
    )
    # The heads of both subsidiaries' finance departments and the VP; nobody else.
    assert notified == {"finance", "sz-finance-head", "vp"}
    note = Notification.objects.get(recipient=users["vp"], kind="responsibility_map.published")
    assert note.link == f"/maps/{v2.pk}/"
    assert note.data == {"map_id": v2.pk, "duties": ["finance-records", "vp-decision"]}
