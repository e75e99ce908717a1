"""The competency admin writes through ``competency.services.configuration`` (issue 9 §3): a
form and its inline rows are saved by the service, which audits them; a framework that is no
longer a draft is not edited in place."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from competency.models import BehaviouralAnchor, Competency, RatingScale, ScaleLevel
from competency.services.configuration import competency_config_save
from hrcore.errors import Conflict

pytestmark = pytest.mark.django_db


def _entries(model, pk) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
        )
    )


def test_a_scale_and_its_inline_level_saved_in_the_admin_are_audited(client_as, users):
    response = client_as("hradmin").post(
        "/admin/competency/ratingscale/add/",
        {
            "code": "admin-made",
            "name_zh": "量表",
            "name_en": "Scale",
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "0",
            "levels-0-value": "1",
            "levels-0-label_zh": "了解",
            "levels-0-label_en": "Aware",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    scale = RatingScale.objects.get(code="admin-made")
    level = ScaleLevel.objects.get(scale=scale)
    (scale_entry,) = _entries(RatingScale, scale.pk)
    (level_entry,) = _entries(ScaleLevel, level.pk)
    assert scale_entry.action == level_entry.action == LogEntry.Action.CREATE
    assert scale_entry.actor == level_entry.actor == users["hradmin"]
    assert scale_entry.changes_dict["code"] == ["", "admin-made"]
    assert level_entry.changes_dict["label_en"] == ["", "Aware"]


def test_deleting_a_scale_level_in_the_admin_is_audited(client_as, users):
    scale = RatingScale.objects.create(code="to-prune", name_zh="量", name_en="S")
    level = ScaleLevel.objects.create(scale=scale, value=1, label_zh="一", label_en="One")
    response = client_as("hradmin").post(
        f"/admin/competency/ratingscale/{scale.pk}/change/",
        {
            "code": "to-prune",
            "name_zh": "量",
            "name_en": "S",
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "1",
            "levels-0-id": str(level.pk),
            "levels-0-scale": str(scale.pk),
            "levels-0-value": "1",
            "levels-0-label_zh": "一",
            "levels-0-label_en": "One",
            "levels-0-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert not ScaleLevel.objects.filter(pk=level.pk).exists()
    (entry,) = _entries(ScaleLevel, level.pk)
    assert (entry.action, entry.actor) == (LogEntry.Action.DELETE, users["hradmin"])


def test_an_anchor_of_a_published_framework_is_not_edited_in_place(users):
    competency = Competency.objects.filter(framework__status="published").first()
    assert competency is not None  # the demo's framework is published
    anchor = BehaviouralAnchor(competency=competency, level=1, text_zh="新", text_en="new")
    with pytest.raises(Conflict):
        competency_config_save(row=anchor, actor=users["hradmin"], changes={})
    assert anchor.pk is None
