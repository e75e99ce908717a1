"""Coverage on the pages (issue 14 §6): the HR admin's maps page names the gaps, the executive
dashboard and the start page list them, one language at a time; the on-demand recompute."""

from __future__ import annotations

import pytest

from hrcore.models import Employee
from hrcore.services.org import user_preferences_update
from responsibilities.models import CoverageSnapshot
from tests.language_text import foreign_text, product_text

pytestmark = pytest.mark.django_db


def section(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_maps_page_scores_and_names_gaps_in_the_readers_language(
    seeded_maps, client_as, users, language
):
    user_preferences_update(user=users["hradmin"], language=language)
    page = client_as("hradmin").get("/maps/").content.decode()
    block = section(page, 'data-scenario="debt-collection-emergency"')
    covered = "覆盖 80 %" if language == "zh-hans" else "80 % covered"
    assert covered in block
    assert block.count('data-unit="sz"') == 3  # finance, legal, administration
    assert "gap-kind-untrained" in block
    name = "何平" if language == "zh-hans" else "He Ping"
    assert name in block  # the Shenzhen finance head, untrained
    assert foreign_text(product_text(page, language), language) == []


def test_maps_page_shows_no_coverage_to_staff(seeded_maps, client_as):
    page = client_as("staff").get("/maps/").content.decode()
    assert 'data-testid="coverage-gaps"' not in page
    assert 'data-testid="map-coverage"' not in page


def test_dashboard_and_start_page_list_the_gaps(seeded_maps, client_as):
    Employee.objects.filter(unit__function="legal").update(is_active=False)
    vp = client_as("vp")
    dashboard = vp.get("/crises/dashboard/").content.decode()
    panel = section(dashboard, 'data-testid="coverage-panel"')
    assert 'data-scenario="debt-collection-emergency"' in panel
    assert "gap-kind-vacant" in panel
    home = vp.get("/").content.decode()
    assert 'data-testid="home-coverage"' in home
    assert 'data-testid="home-drafts"' not in home  # drafts are the HR admin's
    assert 'data-testid="home-coverage"' not in client_as("staff").get("/").content.decode()


def test_recompute_now(seeded_maps, client_as):
    assert client_as("staff").post("/maps/coverage/recompute/").status_code == 403
    response = client_as("hradmin").post("/maps/coverage/recompute/")
    assert response.status_code == 302
    assert CoverageSnapshot.objects.count() == 8
