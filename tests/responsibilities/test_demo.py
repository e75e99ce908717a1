"""The seed scenarios and maps ship with the numbers of SPEC §3.2."""

from __future__ import annotations

import pytest

from responsibilities.choices import MapStatus
from responsibilities.models import ResponsibilityMap, Scenario
from responsibilities.selectors import published_map_for

pytestmark = pytest.mark.django_db

SEED_CODES = {
    "debt-collection",
    "debt-collection-emergency",
    "customer-complaint",
    "pr-crisis",
    "supply-chain-disruption",
    "strike",
    "data-leak",
    "workplace-injury",
}


def _duties(m):
    return {
        d.code: (
            d.assignee_function or d.assignee_position.code,
            d.deliverable,
            d.deadline_minutes,
            sorted(d.after),
        )
        for d in m.duties.all()
    }


def test_seed_is_idempotent_and_publishes_every_scenario(seeded_maps):
    seeded_maps.seed()
    assert set(Scenario.objects.values_list("code", flat=True)) == SEED_CODES
    assert ResponsibilityMap.objects.count() == 8
    assert set(ResponsibilityMap.objects.values_list("status", "version")) == {
        (MapStatus.PUBLISHED, 1)
    }


def test_emergency_map_has_the_contract_duties(seeded_maps, demo_org):
    from hrcore.models import OrgUnit

    m = published_map_for(
        scenario="debt-collection-emergency", unit=OrgUnit.objects.get(code="sh-business")
    )
    assert m is not None and m.scope.code == "demo-group"
    assert _duties(m) == {
        "finance-records": ("finance", "document", 30, []),
        "legal-support": ("legal", "document", 60, []),
        "admin-on-site": ("administration", "on_site", 20, []),
        "manager-contact": ("department-manager", "contact_log", 10, []),
        "vp-decision": ("vice-president", "decision", 60, ["finance-records", "legal-support"]),
    }


def test_planning_map_has_the_seed_numbers(seeded_maps, group_unit):
    m = published_map_for(scenario="debt-collection", unit=group_unit)
    duties = _duties(m)
    assert duties["finance-history"] == ("finance", "document", 60, [])
    assert duties["legal-script"] == ("legal", "document", 120, [])
    assert duties["vp-decision"] == (
        "vice-president",
        "decision",
        60,
        ["finance-history", "legal-script"],
    )


def test_complaint_map_contacts_the_customer_within_ten_minutes(seeded_maps, group_unit):
    m = published_map_for(scenario="customer-complaint", unit=group_unit)
    assert _duties(m)["cs-contact"] == ("customer_service", "contact_log", 10, [])


def test_every_seed_map_is_bilingual(seeded_maps):
    for m in ResponsibilityMap.objects.all():
        assert m.title_zh and m.title_en
        for d in m.duties.all():
            assert d.action_zh and d.action_en, d.code


def test_seed_duties_name_competencies_the_competency_app_knows():
    from competency.library import framework_document
    from responsibilities.library import scenario_specs

    known = {c["code"] for group in framework_document()["groups"] for c in group["competencies"]}
    used = {c for s in scenario_specs() for d in s.duties for c in d.get("competencies", [])}
    assert used and used <= known, used - known
