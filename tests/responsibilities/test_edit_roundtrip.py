"""Nothing is lost by editing a map draft: open → save unchanged → identical (issue 18, item 1)."""

from __future__ import annotations

import pytest

from responsibilities.models import ResponsibilityMap
from responsibilities.services.maps import map_duty_dicts
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def _content(m: ResponsibilityMap) -> dict:
    m.refresh_from_db()
    return {
        "header": (m.scenario_id, m.scope_id, m.title_zh, m.title_en, m.change_note),
        "duties": map_duty_dicts(m),
    }


def test_map_draft_edit_round_trips(seeded_maps, client_as):
    client = client_as("hradmin")
    v1 = ResponsibilityMap.objects.get(scenario__code="debt-collection-emergency")
    client.post(f"/maps/{v1.pk}/revise/")
    draft = ResponsibilityMap.objects.get(scenario=v1.scenario, version=2)
    # Values the pickers must carry exactly: an odd percentage, days, business hours, a
    # competency outside the framework, an escalation to a position, information items.
    draft.duties.filter(code="finance-records").update(
        warn_ratio=0.333,
        deadline_minutes=2 * 1440,
        business_hours=True,
        competencies=["financial-evidence", "not-in-the-framework"],
        escalation=["position:president", "manager"],
        information_items=["付款记录 / Payment records", "second line"],
        notes_en="Keep the originals.",
    )
    draft.duties.filter(code="legal-support").update(deadline_minutes=95)
    before = _content(draft)
    assert len(before["duties"]) >= 3
    page = client.get(f"/maps/{draft.pk}/edit/")
    data = form_data(page.content.decode(), "title_en")
    assert data["title_en"] == [draft.title_en]
    response = client.post(f"/maps/{draft.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _content(draft) == before
