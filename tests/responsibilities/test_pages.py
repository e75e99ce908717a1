"""Pages: list, the drawn map and its dry run, the builder, versions, generated documents."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hrcore.models import OrgUnit
from responsibilities.choices import MapStatus
from responsibilities.models import Duty, ResponsibilityMap, Scenario
from responsibilities.services import maps
from tests.factories import DutyFactory, ResponsibilityMapFactory

pytestmark = pytest.mark.django_db


def emergency():
    return ResponsibilityMap.objects.get(scenario__code="debt-collection-emergency")


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- List ----------------------------------------------------------------------------------


def test_list_shows_published_maps_to_everyone_and_drafts_to_hr_admins(
    seeded_maps, client_as, users
):
    group = OrgUnit.objects.get(code="demo-group")
    scenario = Scenario.objects.create(code="flood", name_en="Flood", name_zh="洪水")
    draft = ResponsibilityMap.objects.create(scenario=scenario, scope=group, title_en="Flood v1")
    staff_page = html(client_as("staff").get("/maps/"))
    assert staff_page.count("data-map=") == 8
    assert f'data-map="{draft.pk}"' not in staff_page
    admin_page = html(client_as("hradmin").get("/maps/"))
    assert admin_page.count("data-map=") == 9
    assert f'data-map="{draft.pk}"' in admin_page
    assert "/maps/new/" in admin_page and "/maps/new/" not in staff_page


def _page_queries(client) -> int:
    client.get("/maps/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/maps/").status_code == 200
    return len(ctx.captured_queries)


def test_list_page_query_count_is_constant(no_seed_maps, client_as, users):
    group = OrgUnit.objects.get(code="demo-group")

    def add(n, start):
        for i in range(start, start + n):
            m = ResponsibilityMapFactory(
                scenario__code=f"s{i}", scope=group, author=users["hradmin"]
            )
            DutyFactory(map=m, code="a", assignee_function="legal", deadline_minutes=5)

    client = client_as("staff")
    add(1, 0)
    one = _page_queries(client)
    add(24, 1)
    many = _page_queries(client)
    assert html(client.get("/maps/")).count("data-map=") == 25
    assert one == many


# --- The drawn map -------------------------------------------------------------------------


def test_map_page_draws_the_critical_path_and_the_dry_run(seeded_maps, client_as):
    m = emergency()
    page = html(
        client_as("manager").get(
            f"/maps/{m.pk}/",
            {"unit": OrgUnit.objects.get(code="sz-business").pk, "start": "2026-11-22T10:00"},
        )
    )
    assert 'data-testid="map-drawing"' in page
    bars = dict(re.findall(r'data-testid="bar-([\w-]+)" data-critical="(\w+)"', page))
    assert bars == {
        "finance-records": "false",
        "legal-support": "true",
        "admin-on-site": "false",
        "manager-contact": "false",
        "vp-decision": "true",
    }
    arrows = re.findall(
        r'class="arrow( critical)?"[^>]*data-from="([\w-]+)" data-to="([\w-]+)"', page
    )
    assert sorted(arrows) == [
        ("", "finance-records", "vp-decision"),
        (" critical", "legal-support", "vp-decision"),
    ]
    # Dry run in the Shenzhen subsidiary: its department manager, times from 10:00 Shanghai.
    rows = re.findall(r'<tr class="(critical)?" data-duty="([\w-]+)">', page)
    assert [r[1] for r in rows] == [
        "finance-records",
        "legal-support",
        "admin-on-site",
        "manager-contact",
        "vp-decision",
    ]
    assert "刘晓梅" in page  # manager2 answers for the Shenzhen business unit
    assert "11-22 12:00" in page  # the VP's decision, 2 h after start


def test_draft_map_is_hidden_from_non_admins(seeded_maps, client_as, users):
    m = emergency()
    draft = ResponsibilityMap.objects.create(
        scenario=m.scenario, scope=m.scope, version=2, title_en="next"
    )
    assert client_as("staff").get(f"/maps/{draft.pk}/").status_code == 404
    page = html(client_as("hradmin").get(f"/maps/{draft.pk}/"))
    problems = re.search(r'data-testid="problems">(.*?)</div>', page, re.S).group(1)
    assert problems.count("<li>") == 1


# --- Builder and actions -------------------------------------------------------------------


def _row_data(row: dict) -> dict:
    """A duty row as the editor's pickers submit it (lists as repeated values)."""
    if row.get("assignee_position"):
        who = f"position:{row['assignee_position']}"
    else:
        who = f"function:{row.get('assignee_function', '')}" if row.get("assignee_function") else ""
    after = row.get("after", "")
    escalation = row.get("escalation", "manager, executive")
    steps = [s.strip() for s in escalation.split(",") if s.strip()] if escalation else []
    data = {
        "code": row.get("code", ""),
        "assignee": who,
        "action_zh": row.get("action_zh", ""),
        "action_en": row.get("action_en", ""),
        "deliverable": row.get("deliverable", "document"),
        "deadline": row.get("deadline_minutes", ""),
        "deadline_unit": "minutes",
        "warn_percent": row.get("warn_percent", "80"),
        "after": [a.strip() for a in after.split(",") if a.strip()],
        "information_items": "",
        "competencies": [],
        "notes_zh": "",
        "notes_en": "",
    }
    for i in range(5):
        data[f"escalation_{i}"] = steps[i] if i < len(steps) else ""
    return data


def _formset(rows: list[dict], extra_blank: int = 1) -> dict:
    data = {
        "duties-TOTAL_FORMS": str(len(rows) + extra_blank),
        "duties-INITIAL_FORMS": "0",
        "duties-MIN_NUM_FORMS": "0",
        "duties-MAX_NUM_FORMS": "100",
    }
    for i, row in enumerate(rows):
        for key, value in _row_data(row).items():
            data[f"duties-{i}-{key}"] = value
    for i in range(len(rows), len(rows) + extra_blank):
        for key, value in _row_data({}).items():
            data[f"duties-{i}-{key}"] = value
        data[f"duties-{i}-deadline_unit"] = "hours"  # a new row's default
        data[f"duties-{i}-escalation_0"] = "manager"
        data[f"duties-{i}-escalation_1"] = "executive"
    return data


def _builder_post(scenario, rows):
    group = OrgUnit.objects.get(code="demo-group")
    return {
        "scenario": scenario.pk,
        "scope": group.pk,
        "title_zh": "数据泄露",
        "title_en": "Data breach",
        "change_note": "",
        **_formset(rows),
    }


ROWS = [
    {
        "code": "it-contain",
        "assignee_function": "administration",
        "action_en": "Contain the breach",
        "action_zh": "控制泄露",
        "deadline_minutes": "30",
    },
    {
        "code": "legal-notify",
        "assignee_function": "legal",
        "action_en": "Assess notification duties",
        "deadline_minutes": "120",
        "after": "it-contain",
    },
    {
        "code": "vp-go",
        "assignee_position": "vice-president",
        "action_en": "Decide public disclosure",
        "deliverable": "decision",
        "deadline_minutes": "60",
        "after": "legal-notify",
        "escalation": "position:president",
    },
]


def test_hr_admin_builds_publishes_and_finds_the_duty_in_the_job_description(demo_org, client_as):
    client = client_as("hradmin")
    r = client.post(
        "/maps/scenarios/new/",
        {
            "code": "data-breach",
            "name_zh": "数据泄露",
            "name_en": "Data breach",
            "default_severity": "high",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/maps/new/?scenario=data-breach"
    scenario = Scenario.objects.get(code="data-breach")
    r = client.post("/maps/new/", _builder_post(scenario, ROWS))
    assert r.status_code == 302, r.content.decode()[:3000]
    m = ResponsibilityMap.objects.get(scenario=scenario)
    assert r["Location"] == f"/maps/{m.pk}/"
    assert list(m.duties.values_list("code", "after", "deadline_minutes")) == [
        ("it-contain", [], 30),
        ("legal-notify", ["it-contain"], 120),
        ("vp-go", ["legal-notify"], 60),
    ]
    assert m.duties.get(code="vp-go").escalation == ["position:president"]
    page = html(client.get(f"/maps/{m.pk}/"))
    assert "距最终决策 3 小时 30 分钟" in page  # critical path total to the decision
    # Not published yet: the VP's job description does not list it.
    assert "data-breach/vp-go" not in html(client.get("/maps/positions/vice-president/"))
    r = client.post(f"/maps/{m.pk}/publish/")
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.status == MapStatus.PUBLISHED
    assert "data-breach/vp-go" in html(client.get("/maps/positions/vice-president/"))
    assert "data-breach/vp-go" in html(client.get("/org/positions/vice-president/"))


def test_builder_shows_service_errors_on_the_row_and_saves_nothing(no_seed_maps, client_as, users):
    from hrcore.services.org import user_preferences_update

    user_preferences_update(user=users["hradmin"], language="en")
    scenario = Scenario.objects.create(code="flood", name_en="Flood", name_zh="洪水")
    calm = {"code": "calm", "assignee_function": "hr", "action_en": "Calm", "deadline_minutes": "9"}
    rows = [dict(ROWS[0], after="vp-go"), ROWS[1], ROWS[2], calm]
    r = client_as("hradmin").post("/maps/new/", _builder_post(scenario, rows))
    page = html(r)
    errors = re.search(r'data-testid="map-errors">(.*?)</div>', page, re.S).group(1)
    assert "it-contain → legal-notify → vp-go → it-contain" in errors.replace("&gt;", ">")
    assert "duties[" not in page
    rows = [dict(ROWS[0], deadline_minutes="0")]
    page = html(client_as("hradmin").post("/maps/new/", _builder_post(scenario, rows)))
    deadline = re.search(r'data-errors-for="deadline">(.*?)</div>', page, re.S).group(1)
    assert "The deadline must be more than 0." in deadline  # beside the row's deadline
    assert "duties[" not in page  # never the service's field keys
    assert ResponsibilityMap.objects.count() == 0 and Duty.objects.count() == 0


@pytest.mark.parametrize("username", ["staff", "manager", "vp"])
def test_non_admins_cannot_build_or_publish(seeded_maps, client_as, username):
    m = emergency()
    client = client_as(username)
    assert client.get("/maps/new/").status_code == 403
    assert client.get("/maps/scenarios/new/").status_code == 403
    assert client.post(f"/maps/{m.pk}/archive/").status_code == 403
    assert client.post(f"/maps/{m.pk}/revise/").status_code == 403
    draft = maps.responsibility_map_revise(responsibility_map=m, actor=None)
    assert client.get(f"/maps/{draft.pk}/edit/").status_code == 403
    assert client.get(f"/maps/{draft.pk}/publish/").status_code == 403
    assert client.post(f"/maps/{draft.pk}/publish/").status_code == 403
    preview = _formset([ROWS[0]], extra_blank=0)
    assert client.post("/maps/editor/preview/", preview).status_code == 403
    draft.refresh_from_db()
    assert draft.status == MapStatus.DRAFT
    draft.delete()
    m.refresh_from_db()
    assert m.status == MapStatus.PUBLISHED
    assert ResponsibilityMap.objects.count() == 8


def test_revise_edit_publish_and_see_the_diff(seeded_maps, client_as):
    client = client_as("hradmin")
    v1 = emergency()
    r = client.post(f"/maps/{v1.pk}/revise/")
    v2 = ResponsibilityMap.objects.get(scenario=v1.scenario, version=2)
    assert r["Location"] == f"/maps/{v2.pk}/edit/"
    page = html(client.get(f"/maps/{v2.pk}/edit/"))
    assert 'value="finance-records"' in page
    # The edit form round-trips the duties; change one deadline.
    from tests.html_forms import form_data

    data = form_data(page, "title_en")
    assert data["duties-0-code"] == ["finance-records"]
    data["duties-0-deadline"] = ["25"]
    data["duties-0-deadline_unit"] = ["minutes"]
    r = client.post(f"/maps/{v2.pk}/edit/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    # Publishing asks first, on a page showing what changes against version 1, in words.
    confirm = html(client.get(f"/maps/{v2.pk}/publish/"))
    changed = re.search(
        r'data-testid="diff-changed" data-duty="finance-records">(.*?)</div>', confirm, re.S
    )
    assert changed, confirm
    assert "时限: <del>30 分钟</del> → <ins>25 分钟</ins>" in changed.group(1)
    assert 'data-testid="diff-added"' not in confirm and 'data-testid="diff-removed"' not in confirm
    v2.refresh_from_db()
    assert v2.status == MapStatus.DRAFT  # looking at the diff publishes nothing
    assert client.post(f"/maps/{v2.pk}/publish/").status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (MapStatus.ARCHIVED, MapStatus.PUBLISHED)
    page = html(client.get(f"/maps/{v2.pk}/versions/"))
    assert "finance-records</span> · 时限（分钟）" in page  # the code marked as a code
    assert "<del>30</del> → <ins>25</ins>" in page


# --- Generated documents -------------------------------------------------------------------


def _listed(page: str) -> set[str]:
    return set(re.findall(r'data-duty="([\w/-]+)"', page))


def test_job_descriptions_list_exactly_the_positions_duties(seeded_maps, client_as):
    client = client_as("staff")
    assert _listed(html(client.get("/maps/positions/vice-president/"))) == {
        "debt-collection/vp-decision",
        "debt-collection-emergency/vp-decision",
        "pr-crisis/exec-approval",
        "supply-chain-disruption/vp-sourcing-decision",
        "strike/vp-mandate",
        "data-leak/vp-decision",
        "workplace-injury/vp-aftercare",
    }
    # Finance duties go to the heads of the finance departments.
    assert _listed(html(client.get("/maps/positions/finance-manager/"))) == {
        "debt-collection/finance-history",
        "debt-collection-emergency/finance-records",
        "supply-chain-disruption/finance-exposure",
    }
    assert _listed(html(client.get("/maps/positions/department-manager/"))) == {
        "debt-collection/manager-sync",
        "debt-collection-emergency/manager-contact",
        "customer-complaint/store-calm",
        "customer-complaint/supervisor-review",
        "supply-chain-disruption/impact-list",
        "pr-crisis/key-accounts",
        "strike/manager-dialogue",
        "data-leak/leak-report",
        "workplace-injury/injury-report",
    }
    assert _listed(html(client.get("/maps/positions/sales-rep/"))) == set()
    assert client.get("/maps/positions/nope/").status_code == 404


def test_archived_and_draft_duties_are_not_in_job_descriptions(seeded_maps, client_as, users):

    maps.responsibility_map_archive(responsibility_map=emergency(), actor=users["hradmin"])
    listed = _listed(html(client_as("staff").get("/maps/positions/vice-president/")))
    assert "debt-collection-emergency/vp-decision" not in listed
    assert len(listed) == 6


def test_process_manual_lists_the_steps_in_order(seeded_maps, client_as):
    page = html(client_as("staff").get("/maps/scenarios/debt-collection-emergency/manual/"))
    assert re.findall(r'class="manual-step" data-duty="([\w-]+)"', page) == [
        "manager-contact",
        "admin-on-site",
        "finance-records",
        "legal-support",
        "vp-decision",
    ]
    assert "data-print" in page
    assert client_as("staff").get("/maps/scenarios/nope/manual/").status_code == 404


def test_pages_in_english(seeded_maps, client_as, users):
    from hrcore.services.org import user_preferences_update

    user_preferences_update(user=users["staff"], language="en")
    page = html(client_as("staff").get(f"/maps/{emergency().pk}/"))
    assert "Debt collection · emergency flow" in page
    assert "Critical path" in page


def test_admin_edits_drafts_inline_and_freezes_published_versions(seeded_maps, client_as):
    client = client_as("hradmin")
    m = emergency()
    page = html(client.get(f"/admin/responsibilities/responsibilitymap/{m.pk}/change/"))
    assert 'name="duties-0-code"' not in page  # read-only inline for a published version
    r = client.post(f"/admin/responsibilities/responsibilitymap/{m.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    assert ResponsibilityMap.objects.filter(pk=m.pk).exists()
    r = client.post(
        "/admin/responsibilities/responsibilitymap/",
        {"action": "revise_maps", "_selected_action": [m.pk]},
    )
    assert r.status_code == 302
    draft = ResponsibilityMap.objects.get(scenario=m.scenario, version=2)
    page = html(client.get(f"/admin/responsibilities/responsibilitymap/{draft.pk}/change/"))
    assert 'name="duties-0-code"' in page
    r = client.post(
        "/admin/responsibilities/responsibilitymap/",
        {"action": "publish_maps", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    m.refresh_from_db()
    assert (m.status, draft.status) == (MapStatus.ARCHIVED, MapStatus.PUBLISHED)


def test_the_editor_preview_draws_and_names_problems_by_row_and_field(no_seed_maps, client_as):
    client = client_as("hradmin")
    calm = {"code": "calm", "assignee_function": "hr", "action_en": "Calm", "deadline_minutes": ""}
    r = client.post("/maps/editor/preview/", _formset([*ROWS, calm], extra_blank=1))
    assert r.status_code == 200
    data = r.json()
    assert data["map"] == []
    assert data["rows"] == {"3": {"deadline": "此项为必填项。"}}  # beside row 4's deadline
    assert data["drawing"].count('class="bar') == 3 and "bar-vp-go" in data["drawing"]
    cycle = [dict(ROWS[0], after="vp-go"), ROWS[1], ROWS[2], dict(calm, deadline_minutes="5")]
    data = client.post("/maps/editor/preview/", _formset(cycle)).json()
    assert data["map"] == ["职责之间存在循环等待：it-contain → legal-notify → vp-go → it-contain。"]
    assert 'data-testid="drawing-cycle"' in data["drawing"]
    assert ResponsibilityMap.objects.count() == 0 and Duty.objects.count() == 0
