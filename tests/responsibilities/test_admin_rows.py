"""The maps admin writes through ``responsibilities.services.admin_rows`` (issue 9 §3): a draft
deleted or a duty changed in the admin is audited; a published version's duties are refused."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from hrcore.errors import Conflict
from responsibilities.choices import MapStatus
from responsibilities.models import Duty, ResponsibilityMap
from responsibilities.services import admin_rows, maps

pytestmark = pytest.mark.django_db


def _published() -> ResponsibilityMap:
    return ResponsibilityMap.objects.filter(status=MapStatus.PUBLISHED).order_by("pk").first()


def test_a_draft_deleted_in_the_admin_is_audited(seeded_maps, client_as, users):
    draft = maps.responsibility_map_revise(responsibility_map=_published(), actor=users["hradmin"])
    response = client_as("hradmin").post(
        f"/admin/responsibilities/responsibilitymap/{draft.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ResponsibilityMap.objects.filter(pk=draft.pk).exists()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(ResponsibilityMap),
        object_pk=str(draft.pk),
        action=LogEntry.Action.DELETE,
    )
    assert entry.actor == users["hradmin"]


def test_a_duty_of_a_published_version_is_refused(seeded_maps, users):
    duty = Duty.objects.filter(map=_published()).first()
    duty.action_en = "changed in place"
    with pytest.raises(Conflict):
        admin_rows.responsibilities_row_save(row=duty, actor=users["hradmin"], changes={})
    duty.refresh_from_db()
    assert duty.action_en != "changed in place"


def test_a_new_map_made_in_the_admin_is_the_next_draft(seeded_maps, users):
    published = _published()
    new = ResponsibilityMap(
        scenario=published.scenario, scope=published.scope, title_zh="新", title_en="New"
    )
    ResponsibilityMap.objects.filter(scenario=published.scenario, status=MapStatus.DRAFT).delete()
    admin_rows.responsibilities_row_save(row=new, actor=users["hradmin"], changes={})
    assert (new.version, new.status, new.author) == (
        published.version + 1,
        MapStatus.DRAFT,
        users["hradmin"],
    )
    assert LogEntry.objects.get_for_object(new).get().action == LogEntry.Action.CREATE
