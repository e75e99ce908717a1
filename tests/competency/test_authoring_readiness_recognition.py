"""Authoring in the browser forms, readiness per unit and scenario, monthly recognition."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from competency.models import Assignment, RecognitionEntry, Simulation, SimulationVersion
from competency.services import recognition

pytestmark = pytest.mark.django_db


def _node(client, url, key, kind, **extra):
    data = {
        "action": "add_node",
        "node-key": key,
        "node-kind": kind,
        "node-text_zh": f"{key} 文本",
        "node-text_en": f"{key} text",
        **{f"node-{k}": v for k, v in extra.items()},
    }
    return client.post(url, data)


def _choice(client, url, version, src, dst, **extra):
    nodes = {n.key: n.pk for n in version.nodes.all()}
    data = {
        "action": "add_choice",
        "choice-node": nodes[src],
        "choice-next_node": nodes[dst],
        "choice-label_zh": f"{src}→{dst}",
        "choice-label_en": f"{src}→{dst}",
        **{f"choice-{k}": v for k, v in extra.items()},
    }
    return client.post(url, data)


def test_hr_admin_authors_publishes_and_assigns_a_branching_scenario(
    competency_demo, users, client_as
):
    hr = client_as("hradmin")
    response = hr.post(
        reverse("competency:authoring_list"),
        {
            "code": "late-delivery",
            "title_zh": "延迟交货",
            "title_en": "Late delivery",
            "pass_mark": 60,
            "competency_minimum": 50,
            "agitation": 50,
        },
    )
    version = SimulationVersion.objects.get(simulation__code="late-delivery")
    url = reverse("competency:authoring_edit", args=[version.pk])
    assert response.status_code == 302 and response["Location"] == url
    for key, kind in (
        ("open", "narrative"),
        ("ask", "decision"),
        ("good", "ending"),
        ("bad", "ending"),
    ):
        assert _node(hr, url, key, kind).status_code == 302
    _choice(hr, url, version, "open", "ask")
    _choice(
        hr,
        url,
        version,
        "ask",
        "good",
        effects="emotional-control=2",
        state_changes="agitation=-10",
    )
    # a bad effects string is a form error, nothing written
    bad = _choice(hr, url, version, "ask", "bad", effects="emotional-control=lots")
    assert bad.status_code == 200
    assert version.nodes.get(key="ask").choices.count() == 1
    # publishing with an unreachable ending is refused with a message; still a draft
    page = hr.post(url, {"action": "publish"})
    assert page.status_code == 200
    assert "bad" in page.content.decode()
    version.refresh_from_db()
    assert version.status == "draft"
    _choice(hr, url, version, "ask", "bad", effects="emotional-control=-1", is_critical="on")
    page = hr.get(url)
    assert page.content.decode().count('class="simnode"') == 4
    assert hr.post(url, {"action": "publish"}).status_code == 302
    version.refresh_from_db()
    assert version.status == "published"
    # a published version is immutable
    assert _node(hr, url, "late", "ending").status_code == 200
    assert version.nodes.count() == 4
    due = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    staff = users["staff"].employee
    assert (
        hr.post(
            url, {"action": "assign", "assign-employees": [staff.pk], "assign-due_at": due}
        ).status_code
        == 302
    )
    assert Assignment.objects.filter(employee=staff, simulation__code="late-delivery").count() == 1
    # the same assignment posted twice the same day does not double
    hr.post(url, {"action": "assign", "assign-employees": [staff.pk], "assign-due_at": due})
    assert Assignment.objects.filter(employee=staff, simulation__code="late-delivery").count() == 1
    # non-HR cannot reach authoring
    assert client_as("manager").get(url).status_code == 404
    assert client_as("manager").post(url, {"action": "publish"}).status_code == 404


def test_readiness_shows_holders_levels_absence_and_single_points_of_failure(
    competency_demo, users
):
    from competency.selectors import readiness
    from hrcore.services.org import absence_record

    unit = users["manager"].employee.unit
    data = readiness(unit=unit, scenario_code="debt-collection-emergency")
    rows = {r["duty"].code: r for r in data["rows"]}
    assert rows["finance-records"]["holder"].user.username == "finance"
    assert rows["finance-records"]["levels"][0]["code"] == "financial-evidence"
    assert rows["finance-records"]["levels"][0]["current"] == 3
    assert rows["admin-on-site"]["levels"][0] == {
        "code": "on-site-order",
        "name": "现场安全管控",
        "current": 2,
        "required": 3,
        "ok": False,
    }
    assert rows["manager-contact"]["spof"] is True  # the only department manager of the unit
    assert rows["finance-records"]["spof"] is False  # an accountant can step in
    now = timezone.now()
    absence_record(
        employee=users["finance"].employee,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=1),
    )
    rows = {
        r["duty"].code: r
        for r in readiness(unit=unit, scenario_code="debt-collection-emergency")["rows"]
    }
    assert rows["finance-records"]["absent"] is True
    assert rows["finance-records"]["acting"].user.username != "finance"
    assert readiness(unit=unit, scenario_code="no-such-scenario") == {
        "map": None,
        "rows": [],
        "currency": {"current": 0, "total": 0, "percent": 100},
    }


def test_recognition_month_page_counts_each_source_once(competency_demo, users, client_as):
    for _ in range(2):
        recognition.recognition_award(
            employee=users["finance"].employee,
            kind="crisis",
            source_key="crisis:41",
            stars=2,
            reason=("按时", "On time"),
        )
    recognition.recognition_award(
        employee=users["legal"].employee,
        kind="training",
        source_key="training:pass:x",
        reason=("通过", "Passed"),
    )
    assert RecognitionEntry.objects.filter(employee=users["finance"].employee).count() == 1
    page = client_as("staff").get(reverse("competency:recognition")).content.decode()
    assert page.index("陈静") < page.index("赵敏")  # 2 stars before 1
    assert "2 ★" in page
    last_year = (
        client_as("staff")
        .get(reverse("competency:recognition") + "?month=2020-01")
        .content.decode()
    )
    assert "陈静" not in last_year


def test_training_home_query_count_does_not_grow_with_rows(competency_demo, users, client_as):
    manager = users["manager"].employee
    simulation = Simulation.objects.get(code="journalist-rumour")
    client = client_as("manager")

    def count(n):
        Assignment.objects.filter(employee=manager).delete()
        for i in range(n):
            Assignment.objects.create(
                employee=manager,
                simulation=simulation,
                reason="manual",
                source_key=f"qc:{n}:{i}",
                due_at=timezone.now() + dt.timedelta(days=i + 1),
            )
        client.get(reverse("competency:home"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("competency:home")).status_code == 200
        return len(ctx)

    assert count(1) == count(25)


def test_unit_gaps_are_shown_only_to_the_person_their_manager_hr_and_executives(
    competency_demo, users, client_as
):
    url = reverse("competency:readiness") + "?unit=sz-business&scenario=none"

    def gaps_section(username):
        page = client_as(username).get(url).content.decode()
        return page[page.index('data-testid="unit-gaps"') :]

    assert "刘晓梅" in gaps_section("manager2")
    assert "刘晓梅" not in gaps_section("manager")
    assert "刘晓梅" in gaps_section("hradmin")
    # staff hold roles in the maps too: they see readiness (issue 16 §6), not others' gaps
    assert "刘晓梅" not in gaps_section("staff")


def test_readiness_reads_the_same_queries_for_a_map_of_any_size(competency_demo, users):
    """Readiness resolves every role of the map in one pass and reads the pools, heads,
    evidence, profiles and competency names once: more duties, no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from competency.selectors import readiness
    from responsibilities.models import Duty
    from responsibilities.selectors import published_map_for

    unit = users["manager"].employee.unit
    scenario = "debt-collection-emergency"

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            rows = readiness(unit=unit, scenario_code=scenario)["rows"]
        return len(ctx.captured_queries), len(rows)

    before, duties = queries()
    rmap = published_map_for(scenario=scenario, unit=unit)
    executive = users["vp"].employee.position
    functions = ["finance", "legal", "administration", "hr", "customer_service", "nobody"]
    for i, function in enumerate(functions):
        Duty.objects.create(
            map=rmap,
            order=100 + i,
            code=f"extra-{i}",
            assignee_function="" if function == "nobody" else function,
            assignee_position=executive if function == "nobody" else None,
            deadline_minutes=60,
            escalation=["manager"],
            competencies=["on-site-order", "financial-evidence"],
            action_zh=f"额外 {i}",
            action_en=f"extra {i}",
        )
    after, more = queries()
    assert more == duties + len(functions)
    assert after == before, (before, after)
    assert before <= 20, before
