"""Crisis pages: filing, the live crisis page and its partials, task actions, list, dashboard,
decisions, closure — allowed and denied (denied changes nothing), and constant query counts."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisis.models import Crisis, Decision, Deliverable, Task, TaskComment, TimelineEvent
from crisis.selectors import dashboard as dashboard_selectors
from crisis.selectors.dashboard import BoardKey
from crisis.services import closure as closure_services
from crisis.services.board import crisis_board_flags_refresh
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from crisis.services.tasks import task_acknowledge, task_comment, task_complete
from hrcore.services.org import user_preferences_update
from tests.clock import page_query_count

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


@pytest.fixture
def english(users):
    """The demo partners (maps and customers are in the demo world), and every cast member
    reading English (exact strings)."""
    from integrations import demo as integrations_demo

    integrations_demo.seed_partners()
    for user in users.values():
        user_preferences_update(user=user, language="en")
    return users


@pytest.fixture
def crisis(english):
    return crisis_file(
        scenario=SCENARIO,
        title="Collectors in the office",
        description="Two collectors are shouting at reception.",
        actor=english["manager"],
    )


def task_of(crisis, code) -> Task:
    return Task.objects.get(crisis=crisis, duty_code=code)


# --- Filing ------------------------------------------------------------------------------


def test_filing_page_defaults_to_the_filers_unit(client_as, english):
    response = client_as("manager").get(reverse("crisis:file"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["unit"] == english["manager"].employee.unit.code
    assert SCENARIO in dict(form.fields["scenario"].choices)


def test_manager_files_and_lands_on_the_crisis_page_with_the_checklist(client_as, english):
    client = client_as("manager")
    response = client.post(
        reverse("crisis:file"),
        {
            "scenario": SCENARIO,
            "title": "Collectors on site",
            "description": "Shouting in the lobby",
            "unit": english["manager"].employee.unit.code,
            "customer": "",
            "severity": "high",
        },
    )
    crisis = Crisis.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crisis:detail", args=[crisis.pk])
    assert (crisis.title, crisis.severity, crisis.source) == ("Collectors on site", "high", "web")
    assert crisis.filed_by == english["manager"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    items = [i["text"] for i in page.context["checklist"]]
    assert items[0].endswith("have been involved.")
    assert "Finance" in items[0] and "Legal" in items[0]
    finance = task_of(crisis, "finance-records")
    assert finance.due_at is not None
    shanghai = ZoneInfo("Asia/Shanghai")
    local_due = finance.due_at.astimezone(shanghai)
    # "by 10:30" today; "by 12-03 00:16" when the 30 minutes cross midnight in Shanghai.
    same_day = local_due.date() == timezone.now().astimezone(shanghai).date()
    due = local_due.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    person = finance.assignee.name_en
    assert f'Finance ({person}) owes "{finance.duty.action_en.rstrip(".")}" by {due}.' in items
    assert 'hx-trigger="every 3s"' in html
    assert reverse("crisis:detail_live", args=[crisis.pk]) in html


def test_filing_with_unknown_scenario_shows_the_error_and_files_nothing(client_as, english):
    response = client_as("manager").post(
        reverse("crisis:file"),
        {"scenario": "no-such", "title": "x", "unit": english["manager"].employee.unit.code},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Crisis.objects.count() == 0


def test_filing_with_unknown_customer_shows_the_error_and_files_nothing(client_as, english):
    response = client_as("manager").post(
        reverse("crisis:file"),
        {
            "scenario": SCENARIO,
            "title": "x",
            "unit": english["manager"].employee.unit.code,
            "customer": "NO-SUCH-CUSTOMER",
        },
    )
    assert response.status_code == 400  # a refused filing is a 4xx, as in the API
    assert response.context["form"].non_field_errors()
    assert Crisis.objects.count() == 0


def test_filing_requires_login(client):
    response = client.post(reverse("crisis:file"), {"scenario": SCENARIO, "title": "x"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert Crisis.objects.count() == 0


# --- Crisis page visibility -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("manager", 200),
        ("finance", 200),
        ("legal", 200),
        ("vp", 200),
        ("hradmin", 200),
        ("staff", 404),
        ("manager2", 404),
    ],
)
def test_crisis_page_and_partials_visibility(client_as, crisis, username, status):
    client = client_as(username)
    for name in ("crisis:detail", "crisis:detail_live", "crisis:detail_timeline"):
        assert client.get(reverse(name, args=[crisis.pk])).status_code == status, name


def test_live_partial_shows_every_departments_task_with_state(client_as, crisis):
    response = client_as("manager").get(reverse("crisis:detail_live", args=[crisis.pk]))
    html = response.content.decode()
    states = {r["task"].duty_code: r["state"] for r in response.context["rows"]}
    assert states == {
        "finance-records": "ok",
        "legal-support": "ok",
        "admin-on-site": "ok",
        "manager-contact": "ok",
        "vp-decision": "waiting",
    }
    assert 'data-testid="task-finance-records"' in html
    assert "<html" not in html  # a fragment, not a page


def test_timeline_partial_lists_the_filing(client_as, crisis, english):
    response = client_as("finance").get(reverse("crisis:detail_timeline", args=[crisis.pk]))
    texts = [e["text"] for e in response.context["events"]]
    assert texts[-1] == f"{english['manager'].employee.name_en} filed the crisis."


# --- Task actions ---------------------------------------------------------------------------


def test_finance_acknowledges_uploads_and_manager_downloads(client_as, crisis):
    finance = client_as("finance")
    task = task_of(crisis, "finance-records")
    page = finance.get(reverse("crisis:detail", args=[crisis.pk]))
    assert [r["task"].pk for r in page.context["my_rows"]] == [task.pk]
    r = finance.post(reverse("crisis:task_acknowledge", args=[task.pk]))
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.status == "acknowledged"
    upload = SimpleUploadedFile("payments.pdf", b"%PDF-1.4 payment records", "application/pdf")
    r = finance.post(
        reverse("crisis:task_complete", args=[task.pk]),
        {f"t{task.pk}-file": upload, f"t{task.pk}-note": "All invoices since March"},
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    deliverable = Deliverable.objects.get(task=task)
    assert (deliverable.file_name, deliverable.note) == ("payments.pdf", "All invoices since March")
    download = client_as("manager").get(reverse("crisis:deliverable", args=[deliverable.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 payment records"
    assert "attachment" in download["Content-Disposition"]
    assert (
        client_as("staff").get(reverse("crisis:deliverable", args=[deliverable.pk])).status_code
        == 404
    )
    assert (
        client_as("manager2").get(reverse("crisis:deliverable", args=[deliverable.pk])).status_code
        == 404
    )


def test_completing_someone_elses_task_is_refused_and_changes_nothing(client_as, crisis):
    task = task_of(crisis, "finance-records")
    events_before = TimelineEvent.objects.filter(crisis=crisis).count()
    r = client_as("legal").post(
        reverse("crisis:task_complete", args=[task.pk]), {f"t{task.pk}-note": "not mine"}
    )
    assert r.status_code == 403  # the page refuses as the API does, with the service's reason
    assert "Only the assignee" in r.content.decode() or "只有" in r.content.decode()
    task.refresh_from_db()
    assert task.status == "open"
    assert Deliverable.objects.count() == 0
    assert TimelineEvent.objects.filter(crisis=crisis).count() == events_before
    r = client_as("staff").post(reverse("crisis:task_complete", args=[task.pk]), {})
    assert r.status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_wrong_upload_type_is_refused_with_a_message(client_as, crisis):
    task = task_of(crisis, "finance-records")
    upload = SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")
    r = client_as("finance").post(
        reverse("crisis:task_complete", args=[task.pk]), {f"t{task.pk}-file": upload}, follow=True
    )
    assert r.status_code == 200
    messages = [str(m) for m in r.context["messages"]]
    assert any("not accepted" in m for m in messages)
    task.refresh_from_db()
    assert task.status == "open"
    assert Deliverable.objects.count() == 0


def test_on_site_check_in_and_contact_log(client_as, crisis, english):
    admin_task = task_of(crisis, "admin-on-site")
    client = client_as(admin_task.assignee.user.username)
    client.post(
        reverse("crisis:task_complete", args=[admin_task.pk]),
        {f"t{admin_task.pk}-location": "Reception, 3rd floor"},
    )
    admin_task.refresh_from_db()
    assert admin_task.status == "done"
    assert Deliverable.objects.get(task=admin_task).location == "Reception, 3rd floor"
    contact = task_of(crisis, "manager-contact")
    client = client_as(contact.assignee.user.username)
    # a contact log without whom/what is refused by the form
    client.post(
        reverse("crisis:task_complete", args=[contact.pk]),
        {f"t{contact.pk}-contact_person": "Mr Zhao"},
    )
    contact.refresh_from_db()
    assert contact.status == "open"
    client.post(
        reverse("crisis:task_complete", args=[contact.pk]),
        {
            f"t{contact.pk}-contact_person": "Mr Zhao",
            f"t{contact.pk}-contact_channel": "phone",
            f"t{contact.pk}-contact_outcome": "Pays half on Friday",
        },
    )
    contact.refresh_from_db()
    assert contact.status == "done"
    # Stored as structure (a channel code), not as text in the submitter's language ...
    deliverable = Deliverable.objects.get(task=contact)
    assert deliverable.fields == {
        "contact_person": "Mr Zhao",
        "contact_channel": "phone",
        "contact_outcome": "Pays half on Friday",
    }
    assert deliverable.note == ""
    # ... and shown in each reader's language.
    from hrcore.models import Employee

    for language, how in (("zh-hans", "方式：电话"), ("en", "How: By phone")):
        Employee.objects.filter(user__username="manager").update(language=language)
        live = client_as("manager").get(reverse("crisis:detail_live", args=[crisis.pk]))
        assert how in live.content.decode()


def test_comment_and_reassign(client_as, crisis, english):
    task = task_of(crisis, "legal-support")
    client = client_as("legal")
    client.post(
        reverse("crisis:task_comment", args=[task.pk]), {f"c{task.pk}-body": "On it, 20 min"}
    )
    assert TaskComment.objects.get(task=task).body == "On it, 20 min"
    live = client_as("manager").get(reverse("crisis:detail_live", args=[crisis.pk]))
    assert "On it, 20 min" in live.content.decode()
    other = english["staff"].employee
    r = client_as("manager").post(
        reverse("crisis:task_reassign", args=[task.pk]),
        {"mode": "reassign", "assignee": str(other.pk), "reason": "Legal is in court"},
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.assignee_id == other.pk


def test_a_manager_delegating_someone_elses_task_is_told_to_reassign(client_as, crisis, english):
    task = task_of(crisis, "legal-support")
    before = task.assignee_id
    client = client_as("manager")
    page = client.get(reverse("crisis:detail", args=[crisis.pk])).content.decode()
    assert '<option value="reassign" selected>' in page  # the manager's form starts on reassign
    r = client.post(
        reverse("crisis:task_reassign", args=[task.pk]),
        {"mode": "delegate", "assignee": str(english["staff"].employee.pk)},
        follow=True,
    )
    assert r.status_code == 200
    assert "Only the assignee can delegate this task. Choose “Reassign” to hand it over." in (
        r.content.decode()
    )
    task.refresh_from_db()
    assert task.assignee_id == before


def test_reassign_by_staff_is_denied_and_changes_nothing(client_as, crisis, english):
    task = task_of(crisis, "legal-support")
    before = task.assignee_id
    r = client_as("staff").post(
        reverse("crisis:task_reassign", args=[task.pk]),
        {"mode": "reassign", "assignee": str(english["staff"].employee.pk)},
    )
    assert r.status_code == 404
    task.refresh_from_db()
    assert task.assignee_id == before


def test_pause_and_resume_all_clocks(client_as, crisis):
    client = client_as("manager")
    r = client.post(
        reverse("crisis:pause", args=[crisis.pk]), {"reason": "waiting for the customer"}
    )
    assert r.status_code == 302
    states = set(Task.objects.filter(crisis=crisis).values_list("timer_state", flat=True))
    assert states == {"paused", "idle"}
    live = client.get(reverse("crisis:detail_live", args=[crisis.pk]))
    assert {r["state"] for r in live.context["rows"]} == {"paused", "waiting"}
    client.post(reverse("crisis:resume", args=[crisis.pk]))
    states = set(Task.objects.filter(crisis=crisis).values_list("timer_state", flat=True))
    assert states == {"running", "idle"}


def test_pause_and_resume_pages_say_why_nothing_happened(client_as, crisis):
    client = client_as("manager")
    r = client.post(reverse("crisis:resume", args=[crisis.pk]), follow=True)
    assert [str(m) for m in r.context["messages"]] == [
        "No clock is paused in this crisis: nothing to resume."
    ]
    r = client_as("finance").post(
        reverse("crisis:pause", args=[crisis.pk]), {"reason": "lunch"}, follow=True
    )
    assert r.status_code == 403  # a refusal is a 403 with the reason, as in the API
    assert (
        "Only the crisis owner, managers and executives can pause or resume all clocks."
        in r.content.decode()
    )
    assert not Task.objects.filter(crisis=crisis, timer_state="paused").exists()
    r = client.post(reverse("crisis:pause", args=[crisis.pk]), {"reason": "customer"}, follow=True)
    assert [str(m) for m in r.context["messages"]] == ["Clocks paused. Paused time does not count."]
    r = client.post(reverse("crisis:pause", args=[crisis.pk]), {"reason": "again"}, follow=True)
    assert [str(m) for m in r.context["messages"]] == [
        "No clock is running in this crisis: nothing to pause."
    ]


def test_pause_by_staff_changes_nothing(client_as, crisis):
    r = client_as("staff").post(reverse("crisis:pause", args=[crisis.pk]), {"reason": "x"})
    assert r.status_code == 404
    assert not Task.objects.filter(crisis=crisis, timer_state="paused").exists()


# --- Decisions and dashboard ----------------------------------------------------------------


def test_dashboard_is_for_executives(client_as, crisis):
    assert client_as("vp").get(reverse("crisis:dashboard")).status_code == 200
    assert client_as("hradmin").get(reverse("crisis:dashboard")).status_code == 200
    for username in ("manager", "finance", "staff"):
        assert client_as(username).get(reverse("crisis:dashboard")).status_code == 403
        assert client_as(username).get(reverse("crisis:dashboard_live")).status_code == 403


def test_dashboard_lists_open_crises_with_pending_decisions_first(client_as, crisis, english):
    other = crisis_file(scenario=SCENARIO, title="Second", actor=english["manager"])
    for code in ("finance-records", "legal-support"):
        task = task_of(other, code)
        task_complete(task=task, actor=task.assignee.user, note="done")
    response = client_as("vp").get(reverse("crisis:dashboard"))
    rows = response.context["rows"]
    assert [r["crisis"].pk for r in rows] == [other.pk, crisis.pk]
    assert [r["decision_pending"] for r in rows] == [True, False]
    filtered = client_as("vp").get(reverse("crisis:dashboard"), {"severity": "low"})
    assert filtered.context["rows"] == []


def _board(english, now):
    """Five open crises, one per board category, filed in the reverse of the expected order."""
    from datetime import timedelta

    def file(title, minutes_ago):
        made = crisis_file(scenario=SCENARIO, title=title, actor=english["manager"])
        Crisis.objects.filter(pk=made.pk).update(filed_at=now - timedelta(minutes=minutes_ago))
        return made

    quiet_old = file("On track, filed first", 50)
    paused = file("Late but paused", 40)
    warned = file("Warning", 30)
    breached = file("Breached", 20)
    deciding = file("Awaiting the VP", 10)
    past = now - timedelta(minutes=1)
    Task.objects.filter(crisis=paused, duty_code="admin-on-site").update(
        timer_state="paused", paused_at=past, due_at=past
    )
    Task.objects.filter(crisis=warned, duty_code="legal-support").update(warn_at=past)
    Task.objects.filter(crisis=breached, duty_code="finance-records").update(
        timer_state="breached", breached_at=past, due_at=past
    )
    for code in ("finance-records", "legal-support"):
        task = task_of(deciding, code)
        task_complete(task=task, actor=task.assignee.user, note="done")
    # The rows were changed behind the services' back: refresh the board flags as the sweep
    # does when a timer fires.
    crisis_board_flags_refresh([paused.pk, warned.pk, breached.pk])
    return deciding, breached, warned, quiet_old, paused


def test_dashboard_orders_in_the_database_and_pages_with_totals(client_as, english, monkeypatch):
    from django.utils import timezone

    deciding, breached, warned, quiet_old, paused = _board(english, timezone.now())
    monkeypatch.setattr(dashboard_selectors, "DASHBOARD_PAGE_SIZE", 2)
    vp = client_as("vp")
    url = reverse("crisis:dashboard")
    pages = [vp.get(url, {"severity": "critical"})]
    while pages[-1].context["next_url"]:  # keyset pages: follow "Next"
        pages.append(vp.get(pages[-1].context["next_url"]))
    assert [[r["crisis"].pk for r in p.context["rows"]] for p in pages] == [
        [deciding.pk, breached.pk],
        [warned.pk, quiet_old.pk],
        [paused.pk],
    ]
    assert [r["worst"] for p in pages for r in p.context["rows"]] == [
        "ok",
        "breached",
        "warning",
        "ok",
        "ok",
    ]
    for page in pages:  # totals cover the whole filtered set, not the page
        assert page.context["totals"] == {"open": 5, "breached": 1, "awaiting_decision": 1}
    html = pages[1].content.decode()
    assert 'data-testid="total-open"' in html and "3–4 of 5" in html
    # the links keep the filters and the metrics period and carry a row's cursor, no offset
    key = BoardKey.of(Crisis.objects.get(pk=breached.pk))
    assert pages[0].context["next_url"] == f"{url}?severity=critical&days=30&after={key.token}&n=3"
    assert pages[1].context["first_url"] == f"{url}?severity=critical&days=30"
    back = vp.get(pages[2].context["previous_url"])
    assert [r["crisis"].pk for r in back.context["rows"]] == [warned.pk, quiet_old.pk]
    assert (back.context["page_start"], back.context["page_end"]) == (3, 4)
    assert [r["crisis"].pk for r in vp.get(back.context["previous_url"]).context["rows"]] == [
        deciding.pk,
        breached.pk,
    ]
    # garbage cursors land on the first page
    for junk in ("x", "1.0.abc.5", "9.9.9.9", "1.0.99999999999999999999.1", "-1.0.0.1"):
        assert vp.get(url, {"after": junk}).context["page_start"] == 1
        assert vp.get(url, {"before": junk}).context["rows"][0]["crisis"].pk == deciding.pk


def test_dashboard_partial_polls_the_same_page_and_filters(client_as, english, monkeypatch):
    from django.utils import timezone

    _deciding, _breached, warned, quiet_old, _paused = _board(english, timezone.now())
    monkeypatch.setattr(dashboard_selectors, "DASHBOARD_PAGE_SIZE", 2)
    live_url = reverse("crisis:dashboard_live")
    vp = client_as("vp")
    first = vp.get(reverse("crisis:dashboard"), {"severity": "critical", "days": "90"})
    second = vp.get(first.context["next_url"])
    at = BoardKey.of(Crisis.objects.get(pk=warned.pk)).token
    assert second.context["board_query"] == f"severity=critical&days=90&at={at}&n=3"
    board = vp.get(f"{live_url}?{second.context['board_query']}")
    assert [r["crisis"].pk for r in board.context["rows"]] == [warned.pk, quiet_old.pk]
    html = board.content.decode()
    assert f'hx-get="{live_url}?severity=critical&amp;days=90&amp;at={at}&amp;n=3"' in html
    after = BoardKey.of(Crisis.objects.get(pk=quiet_old.pk)).token
    assert (
        f'href="{reverse("crisis:dashboard")}?severity=critical&amp;days=90&amp;after={after}&amp;n=5"'
        in html
    )
    assert board.context["totals"]["open"] == 5
    other = client_as("vp").get(live_url, {"severity": "low"})
    assert other.context["totals"] == {"open": 0, "breached": 0, "awaiting_decision": 0}
    assert other.context["rows"] == [] and 'data-testid="board-pages"' not in other.content.decode()


def test_vp_decides_from_the_dashboard(client_as, crisis, english):
    r = client_as("vp").post(
        reverse("crisis:decide", args=[crisis.pk]),
        {
            "option": "negotiate",
            "text": "Offer a plan; legal present",
            "next": reverse("crisis:dashboard"),
        },
    )
    assert r.status_code == 302 and r["Location"] == reverse("crisis:dashboard")
    decision = Decision.objects.get()
    assert (decision.option, decision.text, decision.made_by) == (
        "negotiate",
        "Offer a plan; legal present",
        english["vp"],
    )
    live = client_as("manager").get(reverse("crisis:detail_live", args=[crisis.pk]))
    assert "Offer a plan; legal present" in live.content.decode()
    assert (
        live.context["decisions"][0].option_label
        == "Negotiate a payment plan with the data and legal basis at hand"
    )


def test_decision_by_a_manager_is_refused_and_records_nothing(client_as, crisis):
    events_before = TimelineEvent.objects.filter(crisis=crisis).count()
    r = client_as("manager").post(
        reverse("crisis:decide", args=[crisis.pk]), {"option": "pay", "text": "Pay it"}, follow=True
    )
    assert r.status_code == 403
    assert Decision.objects.count() == 0
    assert TimelineEvent.objects.filter(crisis=crisis).count() == events_before


def test_dashboard_metrics_and_svg_charts(client_as, crisis):
    task = task_of(crisis, "finance-records")
    task_acknowledge(task=task, actor=task.assignee.user)
    response = client_as("vp").get(reverse("crisis:dashboard"), {"days": "90"})
    metrics = response.context["metrics"]
    assert metrics["period"].days == 90 and metrics["period"].crises == 1
    assert metrics["kpis"][0]["count"] == 1
    html = response.content.decode()
    assert html.count('<svg class="chart') == 3 - (0 if metrics["period"].breach_rates else 1)
    assert '<a href="?days=90" class="active">' in html


# --- Closure --------------------------------------------------------------------------------


def test_manager_closes_with_outcome_and_lessons(client_as, crisis):
    client = client_as("manager")
    page = client.get(reverse("crisis:close", args=[crisis.pk]))
    assert page.status_code == 200
    # nobody has delivered yet: the filer is the one pre-ticked for a star
    form = page.context["form"]
    assert form.initial["credited"] == [str(english_manager_pk(crisis))]
    r = client.post(
        reverse("crisis:close", args=[crisis.pk]),
        {"outcome": "Customer agreed a plan", "lessons": "Call legal earlier"},
    )
    assert r.status_code == 302
    crisis.refresh_from_db()
    assert (crisis.status, crisis.outcome, crisis.lessons) == (
        "resolved",
        "Customer agreed a plan",
        "Call legal earlier",
    )
    live = client.get(reverse("crisis:detail_live", args=[crisis.pk]))
    assert "hx-trigger" not in live.content.decode()  # closed: polling stops


def english_manager_pk(crisis) -> int:
    return crisis.filed_by.employee.pk


def test_closing_page_credits_the_chosen_people_and_records_a_weakness(client_as, crisis, english):
    from competency.models import Evidence, RecognitionEntry

    finance, admin = english["finance"].employee, english["admin"].employee
    client = client_as("manager")
    page = client.get(reverse("crisis:close", args=[crisis.pk]))
    assert str(finance.pk) in dict(page.context["form"].fields["credited"].choices)
    assert "on-site-order" in dict(page.context["form"].fields["weakness_competency"].choices)
    r = client.post(
        reverse("crisis:close", args=[crisis.pk]),
        {
            "outcome": "Plan agreed",
            "credited": [str(finance.pk)],
            "weakness_employee": str(admin.pk),
            "weakness_competency": "on-site-order",
            "weakness_note": "Came after the collectors had left",
        },
    )
    assert r.status_code == 302
    starred = RecognitionEntry.objects.filter(source_key=f"crisis:{crisis.pk}")
    assert list(starred.values_list("employee_id", flat=True)) == [finance.pk]
    evidence = Evidence.objects.get(source_key=f"crisis:{crisis.pk}:{admin.pk}:on-site-order")
    assert evidence.note == "Came after the collectors had left"


def test_closing_page_shows_the_services_refusal_on_the_field(
    client_as, crisis, english, monkeypatch
):
    from hrcore.errors import ValidationFailed

    def refuse(**kwargs):
        raise ValidationFailed(
            "The crisis cannot be closed.",
            errors={"findings[0].competency": ["Unknown competency “x”."]},
        )

    monkeypatch.setattr(closure_services, "crisis_close", refuse)
    r = client_as("manager").post(
        reverse("crisis:close", args=[crisis.pk]),
        {"outcome": "Plan agreed"},
    )
    assert r.status_code == 200
    form = r.context["form"]
    assert form.errors["weakness_competency"] == ["Unknown competency “x”."]
    assert form.non_field_errors() == ["The crisis cannot be closed."]
    crisis.refresh_from_db()
    assert crisis.status == "open"


def test_closing_page_refuses_a_person_who_took_no_part_and_writes_nothing(
    client_as, crisis, english
):
    from competency.models import RecognitionEntry

    outsider = english["manager2"].employee
    r = client_as("manager").post(
        reverse("crisis:close", args=[crisis.pk]),
        {"outcome": "Plan agreed", "credited": [str(outsider.pk)]},
    )
    assert r.status_code == 200 and "credited" in r.context["form"].errors
    crisis.refresh_from_db()
    assert crisis.status == "open"
    assert not RecognitionEntry.objects.exists()


def test_close_by_finance_is_denied_and_changes_nothing(client_as, crisis):
    r = client_as("finance").post(reverse("crisis:close", args=[crisis.pk]), {"outcome": "x"})
    assert r.status_code == 403
    crisis.refresh_from_db()
    assert crisis.status == "open" and crisis.outcome == ""


# --- List and my tasks ----------------------------------------------------------------------


def test_list_shows_my_tasks_and_filters(client_as, crisis):
    response = client_as("finance").get(reverse("crisis:list"))
    assert [i["task"].duty_code for i in response.context["my_tasks"]] == ["finance-records"]
    assert [r["crisis"].pk for r in response.context["rows"]] == [crisis.pk]
    none = client_as("finance").get(reverse("crisis:list"), {"status": "resolved"})
    assert none.context["rows"] == []
    staff = client_as("staff").get(reverse("crisis:list"))
    assert staff.context["rows"] == [] and staff.context["my_tasks"] == []


_count = page_query_count  # warm-up and count within one minute (tests/clock.py)


def test_the_list_works_out_the_viewers_visibility_once_for_its_rows_and_its_count(
    client_as, crisis
):
    """A manager's visibility is two queries (the units of their subtree, the crises they take
    part in); the list page's rows and its page count share them."""
    manager = client_as("manager")
    manager.get(reverse("crisis:list"))
    with CaptureQueriesContext(connection) as ctx:
        assert manager.get(reverse("crisis:list")).status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    personal = [sql for sql in sqls if "UNION" in sql and "crisis_crisisparticipant" in sql]
    units = [
        sql
        for sql in sqls
        if 'SELECT "hrcore_orgunit"."id" AS "pk", "hrcore_orgunit"."path"' in sql
    ]
    assert (len(personal), len(units)) == (1, 1), sqls


def test_list_and_dashboard_query_counts_do_not_grow_with_crises(client_as, crisis, english):
    manager, vp = client_as("manager"), client_as("vp")
    list_url, dash_url = reverse("crisis:list"), reverse("crisis:dashboard")
    board_url = reverse("crisis:dashboard_live")
    one = (_count(manager, list_url), _count(vp, dash_url), _count(vp, board_url))
    for i in range(24):
        crisis_file(scenario=SCENARIO, title=f"Crisis {i}", actor=english["manager"])
    assert Crisis.objects.count() == 25
    many = (_count(manager, list_url), _count(vp, dash_url), _count(vp, board_url))
    assert many == one
    # More than a page: the board shows 25, the totals all 30, in the same number of queries
    # on every page (and with a filter, one query more: the unit lookup).
    for i in range(5):
        crisis_file(scenario=SCENARIO, title=f"More {i}", actor=english["manager"])
    assert _count(vp, dash_url) == one[1] and _count(vp, board_url) == one[2]
    first = vp.get(dash_url)
    after = first.context["next_url"].split("?")[1]
    assert _count(vp, dash_url + "?" + after) == one[1]
    assert _count(vp, board_url + "?" + after + "&severity=critical") == one[2]
    assert _count(vp, board_url + "?" + after + "&unit=sh-business") == one[2] + 1
    second = vp.get(dash_url + "?" + after)
    assert (len(first.context["rows"]), len(second.context["rows"])) == (25, 5)
    assert first.context["totals"]["open"] == 30
    seen = {r["crisis"].pk for r in first.context["rows"] + second.context["rows"]}
    assert len(seen) == 30


def test_crisis_page_query_count_does_not_grow_with_activity(client_as, crisis, english):
    url = reverse("crisis:detail", args=[crisis.pk])
    manager = client_as("manager")
    before = _count(manager, url)
    for code in ("finance-records", "legal-support", "admin-on-site"):
        task = task_of(crisis, code)
        task_comment(task=task, body=f"{code} on it", actor=task.assignee.user)
        task_complete(
            task=task, actor=task.assignee.user, note=f"{code} delivered", location="Lobby"
        )
    decision_make(crisis=crisis, text="Negotiate", option="negotiate", actor=english["vp"])
    decision_make(crisis=crisis, text="Also call security", actor=english["vp"])
    assert TimelineEvent.objects.filter(crisis=crisis).count() > 15
    assert _count(manager, url) == before


def test_a_minute_turning_between_two_requests_is_what_the_counts_hold_still(client_as, crisis):
    """Why ``_count`` holds the clock (tests/clock.py): the board's totals and cards are cached
    per minute, so the same request one minute on counts the totals and reads the cards' tasks
    again (two queries more); within the minute, or with the clock held, the count is the same."""
    vp, url = client_as("vp"), reverse("crisis:dashboard_live")
    end_of_minute = timezone.now().replace(second=59, microsecond=900_000)
    counts = []
    for moment in (end_of_minute, end_of_minute, end_of_minute + timedelta(seconds=0.2)):
        with (
            time_machine.travel(moment, tick=False),
            CaptureQueriesContext(connection) as ctx,
        ):
            assert vp.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    warm, same_minute, next_minute = counts
    assert same_minute < warm and next_minute == same_minute + 2
    assert _count(vp, url) == same_minute
