"""Issue 12 §2: the executive board pages by keyset — rows filed or closed while someone pages
neither repeat a row nor skip one (an OFFSET would), in the same number of queries on every page;
the dashboard, its board and the API list in the same number of queries at 10 and 200 crises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisis.models import Crisis
from crisis.selectors import dashboard as dashboard_selectors
from crisis.selectors.dashboard import BoardKey, board_page
from crisis.services.filing import crisis_file
from tests.clock import still_clock

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


@pytest.fixture
def nine(crisis_world, users):
    now = timezone.now()
    made = [
        crisis_file(scenario=SCENARIO, title=f"Board {i}", actor=users["manager"]) for i in range(9)
    ]
    for i, crisis in enumerate(made):  # distinct filing times, the oldest first in the order
        Crisis.objects.filter(pk=crisis.pk).update(filed_at=now - timedelta(hours=20 - i))
    return [c.pk for c in made]


def _ids(response) -> list[int]:
    return [r["crisis"].pk for r in response.context["rows"]]


def test_pages_neither_repeat_nor_skip_while_rows_change(client_as, users, nine, monkeypatch):
    monkeypatch.setattr(dashboard_selectors, "DASHBOARD_PAGE_SIZE", 3)
    vp = client_as("vp")
    first = vp.get(reverse("crisis:dashboard"))
    order = list(
        dashboard_selectors.dashboard_board(users["vp"], filters={}, now=timezone.now())[
            1
        ].values_list("pk", flat=True)
    )
    assert sorted(order) == sorted(nine) and _ids(first) == order[:3]
    # While the VP reads page 1: two crises of page 1 close, one filed now sorts first
    # (the oldest filing of all), and one on a later page closes.
    Crisis.objects.filter(pk__in=order[:2]).update(status="closed")
    Crisis.objects.filter(pk=order[7]).update(status="closed")
    newcomer = crisis_file(scenario=SCENARIO, title="Newcomer", actor=users["manager"])
    Crisis.objects.filter(pk=newcomer.pk).update(filed_at=timezone.now() - timedelta(days=2))
    seen, url = list(_ids(first)), first.context["next_url"]
    while url:
        page = vp.get(url)
        seen += _ids(page)
        url = page.context["next_url"]
    # every crisis after page 1 that stayed open, once each, in order; nothing of page 1 again
    assert seen == order[:3] + [pk for pk in order[3:] if pk != order[7]]
    # an offset would have skipped two rows: page 2 by OFFSET 3 of the new order starts later
    now_order = list(
        dashboard_selectors.dashboard_board(users["vp"], filters={}, now=timezone.now())[
            1
        ].values_list("pk", flat=True)
    )
    assert now_order[3:6] != order[3:6]


def test_previous_page_and_numbers(client_as, nine, monkeypatch):
    monkeypatch.setattr(dashboard_selectors, "DASHBOARD_PAGE_SIZE", 4)
    vp = client_as("vp")
    p1 = vp.get(reverse("crisis:dashboard"))
    p2 = vp.get(p1.context["next_url"])
    p3 = vp.get(p2.context["next_url"])
    assert [len(_ids(p)) for p in (p1, p2, p3)] == [4, 4, 1]
    assert [(p.context["page_start"], p.context["page_end"]) for p in (p1, p2, p3)] == [
        (1, 4),
        (5, 8),
        (9, 9),
    ]
    assert not p1.context["previous_url"] and not p3.context["next_url"]
    back = vp.get(p3.context["previous_url"])
    assert _ids(back) == _ids(p2) and back.context["page_start"] == 5
    assert "9–9" in p3.content.decode() and 'data-testid="board-pages"' in p3.content.decode()


def test_every_page_costs_the_same_queries(client_as, nine, monkeypatch):
    monkeypatch.setattr(dashboard_selectors, "DASHBOARD_PAGE_SIZE", 3)
    vp = client_as("vp")
    urls = [reverse("crisis:dashboard_live")]
    for _ in range(2):
        urls.append(
            vp.get(urls[-1]).context["next_url"].replace("/dashboard/?", "/dashboard/board/?")
        )
    # Each page drawn afresh (its cards not in the cache), then again (its cards cached: no
    # tasks to load): the same count on every page either way.
    cold, warm = [], []
    for url in urls:
        cache.clear()
        with still_clock():  # cold and warm in one minute: the cache keys hold it (tests/clock.py)
            for counts in (cold, warm):
                with CaptureQueriesContext(connection) as ctx:
                    assert vp.get(url).status_code == 200
                counts.append(len(ctx.captured_queries))
                assert not any("OFFSET" in q["sql"] for q in ctx.captured_queries)
    assert len(set(cold)) == 1 and len(set(warm)) == 1, (cold, warm)
    assert warm[0] == cold[0] - 2  # neither the cached cards' tasks nor the cached totals read


def test_cursor_round_trips_exactly(nine):
    crisis = Crisis.objects.get(pk=nine[4])
    key = BoardKey.of(crisis)
    assert BoardKey.parse(key.token) == key
    for junk in ("", "1.2.3", "a.b.c.d", "2.0.1.1", "1.3.1.1", "1.0.1.0", "1.0.1." + "9" * 21):
        assert BoardKey.parse(junk) is None
    page = board_page(
        Crisis.objects.filter(pk__in=nine).order_by(*dashboard_selectors.BOARD_ORDER),
        at=key.token,
        size=2,
    )
    assert page.crises[0].pk == crisis.pk


def _clone(template: Crisis, count: int) -> None:
    """``count`` bulk copies of a filed crisis and its tasks (as bench/dashboard.py does)."""
    from crisis.models import Task
    from crisis.services.board import crisis_board_flags_refresh

    tasks = list(Task.objects.filter(crisis=template).order_by("id"))
    copies = []
    for i in range(count):
        c = Crisis.objects.get(pk=template.pk)
        c.pk, c.title = None, f"Copy {i}"
        c.filed_at = template.filed_at - timedelta(minutes=i + 1)
        copies.append(c)
    copies = Crisis.objects.bulk_create(copies)
    rows = []
    for c in copies:
        for t in tasks:
            t2 = Task(**{f.attname: getattr(t, f.attname) for f in Task._meta.concrete_fields})
            t2.pk, t2.crisis_id = None, c.pk
            rows.append(t2)
    Task.objects.bulk_create(rows)
    crisis_board_flags_refresh([c.pk for c in copies])


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries), " ".join(q["sql"] for q in ctx.captured_queries)


def test_equal_queries_at_10_and_200_crises(client_as, users, nine):
    vp = client_as("vp")
    urls = (reverse("crisis:dashboard"), reverse("crisis:dashboard_live"), "/api/v1/crises/")
    _clone(Crisis.objects.get(pk=nine[0]), 1)  # 10 open crises
    assert Crisis.objects.filter(status="open").count() == 10
    ten = [_queries(vp, url) for url in urls]
    _clone(Crisis.objects.get(pk=nine[0]), 190)
    assert Crisis.objects.filter(status="open").count() == 200
    many = [_queries(vp, url) for url in urls]
    assert [n for n, _ in many] == [n for n, _ in ten]
    # the metrics panel reads the rollups (the VP sees the whole group)
    assert "crisis_crisisdayrollup" in many[0][1] and "crisis_crisisdutyrollup" in many[0][1]
