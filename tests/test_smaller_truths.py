"""Smaller truths (issue 18, item 7): the decision banner on every participant's page, people
pickers that tell namesakes apart, filters that say when a value does not exist, a dossier or
plan that stops "generating…" when stuck, and a readiness page that does not contradict itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_org):
    from crisis import demo as crisis_demo
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    responsibilities_demo.seed()
    integrations_demo.seed_customers()
    crisis_demo.seed_calendars()


@pytest.fixture
def crisis(world, users):
    from crisis.services.filing import crisis_file

    return crisis_file(
        scenario="debt-collection-emergency",
        title="Collectors in the office",
        actor=users["manager"],
    )


def test_a_decision_is_a_banner_on_every_participants_page(crisis, users, client_as):
    from crisis.models import Task

    page = client_as("finance").get(reverse("crisis:detail", args=[crisis.pk])).content.decode()
    assert 'data-testid="decision-banner"' not in page
    vp = client_as("vp")
    r = vp.post(
        reverse("crisis:decide", args=[crisis.pk]),
        {"option": "negotiate", "text": "Offer a plan; legal present"},
    )
    assert r.status_code == 302
    participants = {t.assignee.user.username for t in Task.objects.filter(crisis=crisis)}
    for username in sorted(participants | {"manager"}):
        client = client_as(username)
        page = client.get(reverse("crisis:detail", args=[crisis.pk])).content.decode()
        banner = page.index('data-testid="decision-banner"')
        assert banner < page.index('class="crisis-grid"'), username  # above the cards
        assert "Offer a plan; legal present" in page[banner : banner + 800]
        # An open page learns of it with the next poll: the live partial swaps the banner in.
        live = client.get(reverse("crisis:detail_live", args=[crisis.pk]), HTTP_HX_REQUEST="true")
        html = live.content.decode()
        assert 'id="decision-banner" hx-swap-oob="true"' in html
        assert "Offer a plan; legal present" in html


def test_people_pickers_tell_namesakes_apart(crisis, users, client_as):
    from hrcore.models import Employee

    finance = Employee.objects.get(user=users["finance"])
    legal = Employee.objects.get(user=users["legal"])
    Employee.objects.filter(pk=legal.pk).update(name_zh=finance.name_zh, name_en=finance.name_en)
    legal.refresh_from_db()
    page = client_as("manager").get(reverse("crisis:detail", args=[crisis.pk])).content.decode()
    for person in (finance, legal):
        assert person.picker_label in page
        assert person.unit.name in person.picker_label
    assert finance.picker_label != legal.picker_label


def test_an_invalid_filter_says_so_instead_of_listing_everything(crisis, client_as):
    client = client_as("manager")
    listed = client.get("/crises/?status=open").content.decode()
    assert f'href="/crises/{crisis.pk}/"' in listed
    page = client.get("/crises/?scenario=no-such-scenario").content.decode()
    assert 'data-testid="invalid-filter"' in page
    table = page[page.index('class="crisis-table"') :]
    assert f'href="/crises/{crisis.pk}/"' not in table
    customers = client.get("/integrations/customers/?overdue_days_min=lots").content.decode()
    assert 'data-testid="invalid-filter"' in customers and "CUST-1001" not in customers
    assert "CUST-1001" in client.get("/integrations/customers/").content.decode()
    readiness = client.get("/training/readiness/?unit=no-such-unit").content.decode()
    assert 'data-testid="invalid-filter"' in readiness


def test_a_stuck_dossier_stops_generating_and_says_so(world, users, client_as):
    from crisis.services.filing import crisis_file
    from integrations.models import Dossier

    crisis = crisis_file(
        scenario="debt-collection",
        title="Collectors",
        customer_external_id="CUST-1001",
        actor=users["manager"],
    )  # no worker runs here: the dossier stays "building", the plan never comes
    client = client_as("manager")
    url = reverse("integrations:crisis_dossier_panel", args=[crisis.pk])
    fresh = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in fresh and 'data-testid="plan-stuck"' not in fresh
    assert Dossier.objects.filter(crisis_id=crisis.pk, status="building").exists()
    long_ago = timezone.now() - timedelta(minutes=10)
    Dossier.objects.filter(crisis_id=crisis.pk).update(requested_at=long_ago)
    stuck = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' not in stuck  # polling stops
    assert 'data-testid="dossier-stuck"' in stuck and 'data-testid="plan-stuck"' in stuck
    assert "Refreshing from the partner systems" not in stuck


def test_a_crisis_without_customer_does_not_wait_for_a_plan(crisis, client_as):
    url = reverse("integrations:crisis_dossier_panel", args=[crisis.pk])
    page = client_as("manager").get(url).content.decode()
    assert 'data-testid="no-plan"' in page
    assert "The response plan is generated as soon as" not in page


def test_readiness_names_whose_levels_are_shown_when_someone_acts(world, users, client_as):
    from hrcore.models import Absence, Employee

    finance = Employee.objects.get(user=users["finance"])
    delegate = Employee.objects.filter(unit=finance.unit).exclude(pk=finance.pk).first()
    if delegate is None:
        pytest.skip("the demo finance department has one person")
    Absence.objects.create(
        employee=finance,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=1),
        delegate=delegate,
    )
    page = client_as("hradmin").get(
        f"/training/readiness/?unit={finance.unit.code}&scenario=debt-collection"
    )
    html = page.content.decode()
    if "finance-records" in html:
        row = html[html.index("finance-records") :]
        row = row[: row.index("</tr>")]
        assert finance.name in row and delegate.name in row


def test_readiness_lists_below_the_table_every_gap_the_table_marks_red(world, users, client_as):
    from competency import demo as competency_demo
    from hrcore.models import Employee

    competency_demo.seed()
    manager = Employee.objects.get(user=users["manager"])
    client = client_as("hradmin")
    html = client.get(
        f"/training/readiness/?unit={manager.unit.code}&scenario=debt-collection-emergency"
    ).content.decode()
    table = html[html.index('data-testid="readiness"') : html.index('data-testid="unit-gaps"')]
    below = html[html.index('data-testid="unit-gaps"') :]
    red = table.count('class="tag tag-bad"') - table.count(">absent<") - table.count(">yes<")
    assert red > 0  # the demo has levels below what the duties need
    assert 'data-testid="unit-gaps"' in html and "<table" in below


def test_decision_notifications_show_the_option_in_each_language_not_its_code(crisis, client_as):
    from hrcore.models import Notification

    client_as("vp").post(
        reverse("crisis:decide", args=[crisis.pk]), {"option": "negotiate", "text": "Go"}
    )
    notes = list(Notification.objects.filter(kind="crisis.decision"))
    assert notes
    for note in notes:
        zh, en = note.rendered("zh-hans").body, note.rendered("en").body
        assert "negotiate" not in zh and "negotiate" not in en
        assert "Negotiate a payment plan" in en


def test_a_language_chosen_on_the_login_page_is_kept_after_logging_in(users, client):
    from django.conf import settings

    from hrcore.models import Employee

    Employee.objects.filter(user=users["manager"]).update(language="zh-hans")
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    r = client.post("/accounts/login/", {"login": "manager", "password": "keel-demo"})
    assert r.status_code == 302
    assert Employee.objects.get(user=users["manager"]).language == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page


def test_the_django_admin_link_is_not_labelled_as_the_administration_department(client_as):
    page = client_as("hradmin").get("/").content.decode()
    assert "系统管理" in page
    nav = page[page.index('class="mainnav"') : page.index("</nav>")]
    assert ">行政<" not in nav
