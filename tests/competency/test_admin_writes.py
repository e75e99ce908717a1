"""The competency admin writes through ``competency.services.configuration`` (issue 9 §3): a
form and its inline rows are saved by the service, which audits them; a framework that is no
longer a draft is not edited in place."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from competency.models import BehaviouralAnchor, Competency, RatingScale, ScaleLevel
from competency.services import configuration
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


def test_a_refusal_of_one_inline_row_undoes_the_whole_admin_save(client_as, monkeypatch):
    """The form's row was saved (and audited) by the service, then the service refuses an
    inline row: the admin's request is undone as a whole and the refusal is its only message —
    no "added successfully" beside it, no row, no log entry."""
    from competency.admin import RatingScaleAdmin

    def refusing(*, row, actor, changes=None):
        if isinstance(row, ScaleLevel):
            raise Conflict("This level is refused.")
        return configuration.competency_config_save(row=row, actor=actor, changes=changes)

    monkeypatch.setattr(RatingScaleAdmin, "save_row", staticmethod(refusing))
    client = client_as("hradmin")
    url = "/admin/competency/ratingscale/add/"
    response = client.post(
        url,
        {
            "code": "half-made",
            "name_zh": "量表",
            "name_en": "Scale",
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "0",
            "levels-0-value": "1",
            "levels-0-label_zh": "了解",
            "levels-0-label_en": "Aware",
        },
    )
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert "This level is refused." in page
    assert "successfully" not in page and "成功" not in page
    assert not RatingScale.objects.filter(code="half-made").exists()
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RatingScale)
    ).exists()
