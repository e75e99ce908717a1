"""Nothing is lost by editing the response plan: the form opens with the current plan, and
saving it unchanged stores a version with identical content (issue 18, item 1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import ResponsePlan
from integrations.services.plans import PLAN_TEXT_FIELDS
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def _latest(crisis_pk: int) -> ResponsePlan:
    return ResponsePlan.objects.filter(crisis_id=crisis_pk).order_by("-version").first()


def test_plan_edit_opens_with_the_plan_and_round_trips(file_crisis, client_as):
    crisis = file_crisis()
    before = _latest(crisis.pk)
    assert before.never_say_en and before.legal_basis_zh  # the generated plan has content
    client = client_as("manager")
    url = reverse("integrations:plan_edit", args=[crisis.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode(), "never_say_en")
    for field in PLAN_TEXT_FIELDS:
        assert data[field] == [getattr(before, field)], field  # opens with the current content
    response = client.post(url, data)
    assert response.status_code == 302
    after = _latest(crisis.pk)
    assert {f: getattr(after, f) for f in PLAN_TEXT_FIELDS} == {
        f: getattr(before, f) for f in PLAN_TEXT_FIELDS
    }


def test_saving_one_line_keeps_never_say_and_legal_basis(file_crisis, client_as):
    crisis = file_crisis()
    before = _latest(crisis.pk)
    client = client_as("manager")
    url = reverse("integrations:plan_edit", args=[crisis.pk])
    data = form_data(client.get(url).content.decode(), "say_en")
    data["say_en"] = ["Please take a seat, tea is coming."]
    assert client.post(url, data).status_code == 302
    after = _latest(crisis.pk)
    assert after.say_en == "Please take a seat, tea is coming."
    assert (after.never_say_zh, after.never_say_en, after.legal_basis_zh, after.legal_basis_en) == (
        before.never_say_zh,
        before.never_say_en,
        before.legal_basis_zh,
        before.legal_basis_en,
    )
