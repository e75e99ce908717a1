"""No duplicate crises from people (issue 11, item 9): the filing form carries a one-time token;
a second submit of the same page (double-click, Back-then-submit) shows the first crisis."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from crisis.models import Crisis, CrisisParticipant, Task, TimelineEvent
from hrcore.models import Notification, OutboxMessage
from hrcore.services.org import user_preferences_update

pytestmark = pytest.mark.django_db
SCENARIO = "debt-collection-emergency"


@pytest.fixture
def english(users):
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    responsibilities_demo.seed()
    integrations_demo.seed()
    for user in users.values():
        user_preferences_update(user=user, language="en")
    return users


def counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (Crisis, Task, TimelineEvent, CrisisParticipant, Notification, OutboxMessage)
    )


def rendered_token(client) -> str:
    html = client.get(reverse("crisis:file")).content.decode()
    match = re.search(r'<input type="hidden" name="form_token" value="([0-9a-f-]{36})"', html)
    assert match, "the filing form carries no one-time token"
    return match.group(1)


def form(english, token: str, **overrides) -> dict:
    return {
        "scenario": SCENARIO,
        "title": "Collectors on site",
        "description": "Shouting in the lobby",
        "unit": english["manager"].employee.unit.code,
        "customer": "",
        "severity": "high",
        "form_token": token,
        **overrides,
    }


def test_each_rendering_of_the_form_issues_a_new_token(client_as, english):
    client = client_as("manager")
    first, second = rendered_token(client), rendered_token(client)
    assert first != second
    assert uuid.UUID(first) and uuid.UUID(second)
    page = client.get(reverse("crisis:file")).content.decode()
    assert "crisis/submit-once.js" in page and "data-submit-once" in page
    assert "onclick" not in page and "onsubmit" not in page  # CSP: no inline handlers


def test_submitting_the_same_form_twice_files_one_crisis_and_shows_it(client_as, english):
    client = client_as("manager")
    token = rendered_token(client)
    first = client.post(reverse("crisis:file"), form(english, token))
    assert first.status_code == 302
    crisis = Crisis.objects.get()
    assert first["Location"] == reverse("crisis:detail", args=[crisis.pk])
    after_first = counts()

    # Double-click / Back-then-submit: the same page's token again (even with an edited title).
    second = client.post(reverse("crisis:file"), form(english, token, title="Edited"), follow=True)
    assert second.redirect_chain == [(reverse("crisis:detail", args=[crisis.pk]), 302)]
    assert counts() == after_first  # no second crisis, no second round of notifications
    assert Crisis.objects.get().title == "Collectors on site"
    shown = [str(m) for m in second.context["messages"]]
    assert shown[-1] == "This form was already submitted: here is the crisis it filed."

    # A freshly rendered form files a new crisis.
    third = client.post(reverse("crisis:file"), form(english, rendered_token(client)))
    assert third.status_code == 302
    assert Crisis.objects.count() == 2


def test_the_token_is_per_user(client_as, english):
    token = rendered_token(client_as("manager"))
    assert (
        client_as("manager").post(reverse("crisis:file"), form(english, token)).status_code == 302
    )
    # Another filer sending the same token files their own crisis (no collision across users).
    other = client_as("hradmin").post(reverse("crisis:file"), form(english, token))
    assert other.status_code == 302
    assert Crisis.objects.count() == 2
    assert set(Crisis.objects.values_list("filed_by__username", flat=True)) == {
        "manager",
        "hradmin",
    }


def test_a_refused_filing_keeps_the_token_for_the_corrected_submit(client_as, english):
    client = client_as("manager")
    token = rendered_token(client)
    refused = client.post(reverse("crisis:file"), form(english, token, customer="NO-SUCH"))
    assert refused.status_code == 400 and Crisis.objects.count() == 0
    assert f'name="form_token" value="{token}"' in refused.content.decode()
    assert client.post(reverse("crisis:file"), form(english, token)).status_code == 302
    assert client.post(reverse("crisis:file"), form(english, token)).status_code == 302
    assert Crisis.objects.count() == 1


def test_a_malformed_token_is_a_form_error_and_files_nothing(client_as, english):
    response = client_as("manager").post(reverse("crisis:file"), form(english, "not-a-uuid"))
    assert response.status_code == 200
    assert "form_token" in response.context["form"].errors
    assert Crisis.objects.count() == 0
