import pytest

from hrcore.models import Employee
from tests.language_text import foreign_text, product_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_drill_pages_in_one_language(crisis_world, users, client_as, language):
    from crisis.models import Task
    from crisis.services.filing import crisis_file

    drill = crisis_file(
        scenario="debt-collection-emergency",
        title="Drill",
        actor=users["hradmin"],
        drill=True,
        drill_speed=4,
    )
    Task.objects.filter(crisis=drill).update(assignee_gap=True)
    Employee.objects.update(language=language)
    client = client_as("hradmin")
    bad = []
    for url in [
        "/crises/drills/",
        f"/crises/{drill.pk}/",
        f"/crises/{drill.pk}/drill-report/",
        "/crises/",
    ]:
        html = client.get(url).content.decode()
        bad += [(url, t[:120]) for t in foreign_text(product_text(html, language), language)]
    assert not bad, bad
