"""Issue 15 §2 on the pages: the decision form with follow-up rows (no script needed), the
ledger with lineage and follow-through, the dashboard's lights and the one-page brief."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from crisis.models import Decision, Task
from crisis.services.decisions import decision_make
from crisis.services.filing import crisis_file
from crisis.services.tasks import task_complete
from hrcore.models import Employee
from hrcore.services.org import user_preferences_update

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def english(users):
    for user in users.values():
        user_preferences_update(user=user, language="en")
    return users


@pytest.fixture
def leak(crisis_world, english):
    return crisis_file(
        scenario="data-leak",
        title="Customer list sent to a wrong address",
        description="A sales rep e-mailed 300 customers' phone numbers outside.",
        actor=english["manager"],
    )


def test_the_form_offers_the_maps_options_and_records_follow_ups(client_as, leak):
    client = client_as("vp")
    page = client.get(reverse("crisis:detail", args=[leak.pk]))
    form = page.context["decision_form"]
    assert [c for c, _label in form.fields["option"].choices] == [
        "",
        "disclose",
        "notify-regulator",
        "contain-only",
        "offer-protection",
        "other",
    ]
    html = page.content.decode()
    assert 'name="fu-0-action"' in html and "Notify the regulator" in html
    foreseen = page.context["decision_foreseen"]
    assert foreseen["notify-regulator"][0]["deadline"] == 60
    assert foreseen["notify-regulator"][0]["assignee"] == "legal"
    r = client.post(
        reverse("crisis:decide", args=[leak.pk]),
        {
            "option": "notify-regulator",
            "text": "Report to the CAC now",
            "situation": "300 phone numbers left the company",
            "rationale": "Personal information of 300 people: a report is due",
            "fu-0-action": "File the report",
            "fu-0-assignee": "legal",
            "fu-0-deadline": "45",
        },
    )
    assert r.status_code == 302
    decision = Decision.objects.get(crisis=leak)
    assert decision.option_labels["en"] == "Notify the regulator"
    assert decision.situation == "300 phone numbers left the company"
    follow = Task.objects.get(follow_up_of=decision)
    assert (follow.action, follow.assignee.user.username, follow.deadline_minutes) == (
        "File the report",
        "legal",
        45,
    )
    live = client_as("manager").get(reverse("crisis:detail_live", args=[leak.pk])).content
    assert "0 of 1 follow-up done" in live.decode()
    assert "Notify the regulator" in live.decode()


def test_a_bad_follow_up_row_on_the_page_names_the_row_and_writes_nothing(client_as, leak):
    client = client_as("vp")
    r = client.post(
        reverse("crisis:decide", args=[leak.pk]),
        {
            "option": "disclose",
            "text": "Tell them",
            "fu-0-action": "Call the customers",
            "fu-0-assignee": "legal",
            "fu-0-deadline": "30",
            "fu-1-action": "Write the notice",
            "fu-1-assignee": "nobody-here",
            "fu-1-deadline": "30",
        },
        follow=True,
    )
    text = r.content.decode()
    assert "Follow-up 2" in text and "follow-up 2, assignee" in text
    assert not Decision.objects.filter(crisis=leak).exists()
    assert not Task.objects.filter(crisis=leak, kind="follow_up").exists()


def test_a_foreign_option_on_the_page_is_refused(client_as, leak):
    r = client_as("vp").post(
        reverse("crisis:decide", args=[leak.pk]),
        {"option": "negotiate", "text": "Pay"},
        follow=True,
    )
    assert "negotiate" in r.content.decode()
    assert not Decision.objects.filter(crisis=leak).exists()


def test_the_dashboard_lights_follow_ups_yellow_then_red(client_as, leak, english):
    legal = Employee.objects.get(user__username="legal")
    with time_machine.travel(T0, tick=False) as clock:
        decision_make(
            crisis=leak,
            text="Report",
            option="notify-regulator",
            actor=english["vp"],
            follow_ups=[{"action": "File the report", "assignee": legal, "deadline_minutes": 10}],
        )
        client = client_as("vp")

        def light() -> str:
            board = client.get(reverse("crisis:dashboard_live"))
            row = next(r for r in board.context["rows"] if r["crisis"].pk == leak.pk)
            return row["follow_through"].light

        assert light() == "green"
        clock.move_to(T0 + timedelta(minutes=9))
        assert light() == "yellow"
        clock.move_to(T0 + timedelta(minutes=11))
        assert light() == "red"
        board = client.get(reverse("crisis:dashboard_live")).content.decode()
        assert 'data-testid="board-follow-ups" data-light="red"' in board
        assert "0 of 1 follow-up done</strong>" in board
        assert '<span class="late">1 late</span>' in board


def test_the_brief_shows_situation_lineage_follow_ups_and_clocks(client_as, leak, english):
    legal = Employee.objects.get(user__username="legal")
    first = decision_make(
        crisis=leak,
        text="Contain first",
        option="contain-only",
        situation="Scope unknown",
        actor=english["vp"],
    )
    second = decision_make(
        crisis=leak,
        text="Tell the customers",
        option="disclose",
        situation="300 customers, phone numbers only",
        supersedes=first.pk,
        actor=english["vp"],
        follow_ups=[
            {"action": "Call the customers", "assignee": legal, "deadline_minutes": 60},
            {"action": "Write the notice", "assignee": legal, "deadline_minutes": 30},
        ],
    )
    task_complete(
        task=Task.objects.get(follow_up_of=second, action="Write the notice"),
        actor=english["legal"],
        note="Done",
    )
    r = client_as("vp").get(reverse("crisis:brief", args=[leak.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "300 customers, phone numbers only" in html  # the current decision's situation
    assert f"superseded by #{second.pk}" in html and f"supersedes #{first.pk}" in html
    assert html.count('data-testid="brief-decision"') == 2
    assert "1 of 2 follow-ups done" in html
    assert (
        "Call the customers" in html
        and "Write the notice" not in html.split("brief-clocks")[0].split("brief-follow-ups")[1]
    )
    assert 'data-testid="brief-clocks"' in html
    assert "@media print" not in html  # print rules live in the stylesheet
    assert r.context["clocks"] and all(c["task"].due_at for c in r.context["clocks"])
    # someone who does not see the crisis does not see its brief
    assert client_as("manager2").get(reverse("crisis:brief", args=[leak.pk])).status_code == 404


def test_the_brief_reads_in_constant_queries(
    client_as, leak, english, django_assert_max_num_queries
):
    legal = Employee.objects.get(user__username="legal")
    client = client_as("vp")
    client.get(reverse("crisis:brief", args=[leak.pk]))
    for i in range(4):
        decision_make(
            crisis=leak,
            text=f"D{i}",
            actor=english["vp"],
            follow_ups=[{"action": f"A{i}", "assignee": legal, "deadline_minutes": 30}],
        )
    with django_assert_max_num_queries(25):
        assert client.get(reverse("crisis:brief", args=[leak.pk])).status_code == 200
