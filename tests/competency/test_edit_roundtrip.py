"""Nothing is lost by editing a rubric item of a scenario draft (issue 18, item 1)."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from competency.models import SimRubricItem
from competency.services import authoring
from tests.competency.test_free_text_rubric import _draft_with_free_text
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def test_rubric_item_edit_round_trips(competency_demo, users, client_as):
    version, ask = _draft_with_free_text(users["hradmin"])
    item = authoring.rubric_item_save(
        node=ask,
        kind="key_point",
        label_zh="道歉",
        label_en="Apologise",
        phrases_zh=["抱歉", "对不起"],
        phrases_en=["sorry", "apologies"],
        effects={"customer-empathy": 2},
        feedback_zh="先道歉",
        feedback_en="Apologise first",
        actor=users["hradmin"],
    )
    before = model_to_dict(item)
    hr = client_as("hradmin")
    url = reverse("competency:authoring_edit", args=[version.pk])
    data = form_data(hr.get(f"{url}?edit_item={item.pk}").content.decode(), "rubric-label_en")
    assert data["rubric-label_en"] == ["Apologise"]
    data["action"] = ["save_rubric_item"]
    assert hr.post(url, data).status_code == 302
    assert SimRubricItem.objects.filter(node=ask).count() == 1
    assert model_to_dict(SimRubricItem.objects.get(pk=item.pk)) == before
