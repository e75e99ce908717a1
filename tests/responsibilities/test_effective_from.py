"""``effective_from`` is honoured (issue 14 §6): a version published for a future date waits
while the current one stays in force — for filing and for coverage — and takes over at that
date."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crisis.services.filing import crisis_file
from hrcore.models import OrgUnit
from responsibilities.choices import MapStatus
from responsibilities.models import CoverageSnapshot, ResponsibilityMap
from responsibilities.selectors import maps_in_force, published_map_for
from responsibilities.services import coverage, maps

pytestmark = pytest.mark.django_db

EMERGENCY = "debt-collection-emergency"


def in_force_for(unit_code: str) -> ResponsibilityMap:
    return published_map_for(scenario=EMERGENCY, unit=OrgUnit.objects.get(code=unit_code))


def test_a_version_published_for_a_future_date_takes_over_at_that_date(seeded_maps, users):
    hradmin = users["hradmin"]
    v1 = in_force_for("sh")
    starts = timezone.now() + timedelta(days=2)
    draft = maps.responsibility_map_revise(responsibility_map=v1, actor=hradmin)
    maps.responsibility_map_update(
        responsibility_map=draft, title_en="Emergency, version 2", actor=hradmin
    )
    v2 = maps.responsibility_map_publish(
        responsibility_map=draft, actor=hradmin, effective_from=starts
    )
    v1.refresh_from_db()
    assert (v1.status, v2.status, v2.effective_from) == (
        MapStatus.PUBLISHED,
        MapStatus.PUBLISHED,
        starts,
    )
    # Until then the current version is the one crises are filed under and covered by.
    assert in_force_for("sh").pk == v1.pk
    crisis = crisis_file(scenario=EMERGENCY, title="before", actor=users["manager"])
    assert crisis.map_id == v1.pk
    coverage.coverage_recompute()
    assert set(CoverageSnapshot.objects.values_list("map_id", flat=True)) == {
        m.pk for m in maps_in_force()
    }
    assert not CoverageSnapshot.objects.filter(map=v2).exists()

    with time_machine.travel(starts + timedelta(minutes=1), tick=False):
        assert in_force_for("sh").pk == v2.pk
        crisis = crisis_file(scenario=EMERGENCY, title="after", actor=users["manager"])
        assert crisis.map_id == v2.pk
        assert coverage.coverage_due()  # the new version has no snapshot yet
        coverage.coverage_sweep()
        v1.refresh_from_db()
        assert v1.status == MapStatus.ARCHIVED  # taken over
        assert CoverageSnapshot.objects.filter(map=v2).exists()
        assert not CoverageSnapshot.objects.filter(map=v1).exists()


def test_a_second_future_version_replaces_the_waiting_one(seeded_maps, users):
    hradmin = users["hradmin"]
    v1 = in_force_for("sh")
    now = timezone.now()
    first = maps.responsibility_map_publish(
        responsibility_map=maps.responsibility_map_revise(responsibility_map=v1, actor=hradmin),
        actor=hradmin,
        effective_from=now + timedelta(days=5),
    )
    second = maps.responsibility_map_publish(
        responsibility_map=maps.responsibility_map_revise(responsibility_map=first, actor=hradmin),
        actor=hradmin,
        effective_from=now + timedelta(days=3),
    )
    statuses = dict(
        ResponsibilityMap.objects.filter(pk__in=[v1.pk, first.pk, second.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        v1.pk: MapStatus.PUBLISHED,
        first.pk: MapStatus.ARCHIVED,
        second.pk: MapStatus.PUBLISHED,
    }
    assert in_force_for("sh").pk == v1.pk
    # Published with no date (or a past one): in force at once, the others archived.
    third = maps.responsibility_map_publish(
        responsibility_map=maps.responsibility_map_revise(responsibility_map=second, actor=hradmin),
        actor=hradmin,
    )
    assert in_force_for("sh").pk == third.pk
    assert (
        ResponsibilityMap.objects.filter(
            scenario__code=EMERGENCY, status=MapStatus.PUBLISHED
        ).count()
        == 1
    )


def test_the_publish_page_takes_a_future_date(seeded_maps, users, client_as):
    hradmin = users["hradmin"]
    v1 = in_force_for("sh")
    draft = maps.responsibility_map_revise(responsibility_map=v1, actor=hradmin)
    client = client_as("hradmin")
    page = client.get(f"/maps/{draft.pk}/publish/").content.decode()
    assert 'name="effective_from"' in page
    client.post(f"/maps/{draft.pk}/publish/", {"effective_from": "next tuesday"})
    draft.refresh_from_db()
    assert draft.status == MapStatus.DRAFT  # refused, nothing written
    later = timezone.localtime(timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    client.post(f"/maps/{draft.pk}/publish/", {"effective_from": later.strftime("%Y-%m-%dT%H:%M")})
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, draft.effective_from, v1.status) == (
        MapStatus.PUBLISHED,
        later,
        MapStatus.PUBLISHED,
    )
    assert in_force_for("sh").pk == v1.pk


def test_a_first_version_published_ahead_already_answers(seeded_maps, users):
    """A scope with only a future-dated version is not left without a map; a second one
    published for an earlier date replaces it."""
    hradmin = users["hradmin"]
    v1 = in_force_for("sh")
    maps.responsibility_map_archive(responsibility_map=v1, actor=hradmin)
    now = timezone.now()
    ahead = maps.responsibility_map_publish(
        responsibility_map=maps.responsibility_map_revise(responsibility_map=v1, actor=hradmin),
        actor=hradmin,
        effective_from=now + timedelta(days=10),
    )
    assert in_force_for("sh").pk == ahead.pk
    sooner = maps.responsibility_map_publish(
        responsibility_map=maps.responsibility_map_revise(responsibility_map=ahead, actor=hradmin),
        actor=hradmin,
        effective_from=now + timedelta(days=5),
    )
    ahead.refresh_from_db()
    assert ahead.status == MapStatus.ARCHIVED
    assert in_force_for("sh").pk == sooner.pk
