"""Issue 17 §4: the ROI page no longer asks the partners on every load — each partner's figures
are cached for ``KEEL_ROI_PARTNER_CACHE_SECONDS`` and shown "as of" their time; HR admins,
finance and executives can refresh at once; a partner that fails shows its last figures marked
stale (never a 500). Against the sandbox partners over real HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hrcore.models import Employee
from integrations import roi_sources
from integrations.models import Partner

pytestmark = pytest.mark.django_db

PAGE = "/integrations/customers/roi/"


def _calls(sandbox) -> int:
    with sandbox.app.spans_lock:
        return len(sandbox.app.spans)


def test_the_partners_are_asked_once_then_their_figures_come_from_the_cache(
    partners, sandbox, client_as
):
    hradmin = client_as("hradmin")
    before = _calls(sandbox)
    first = hradmin.get(PAGE).content.decode()
    asked = _calls(sandbox) - before
    assert asked >= 2  # finance and attendance
    assert 'data-source="finance" data-state="ok"' in first
    assert first.count('data-testid="as-of"') == 2
    again = hradmin.get(PAGE).content.decode()
    assert _calls(sandbox) - before == asked  # not asked again
    # The same figures, the same table.
    table = first.split('<table id="roi">', 1)[1].split("</table>", 1)[0]
    assert again.split('<table id="roi">', 1)[1].split("</table>", 1)[0] == table
    # Another reader, another period: the period is part of the key, the reader is not.
    client_as("manager").get(PAGE)
    assert _calls(sandbox) - before == asked
    client_as("hradmin").get(PAGE, {"since": "2026-01-01", "until": "2026-06-30"})
    assert _calls(sandbox) - before == 2 * asked
    # A partner edited since (repointed, its token fixed): its figures are asked again.
    Partner.objects.filter(kind="finance").update(updated_at=timezone.now() + timedelta(seconds=5))
    hradmin.get(PAGE)
    assert _calls(sandbox) - before > 2 * asked


def test_expired_figures_are_asked_again_and_a_failing_partner_shows_them_stale(partners, sandbox):
    since, until = date(2025, 12, 1), date(2026, 11, 30)
    t0 = timezone.now()
    first = roi_sources.partner_figures(since=since, until=until, now=t0)
    assert (first.finance.state, first.finance.as_of) == ("ok", t0)
    assert first.revenue
    fresh = t0 + timedelta(seconds=roi_sources.cache_seconds() - 1)
    calls = _calls(sandbox)
    assert roi_sources.partner_figures(since=since, until=until, now=fresh).finance.as_of == t0
    assert _calls(sandbox) == calls

    sandbox.knobs(finance={"mode": "error"})
    later = t0 + timedelta(seconds=roi_sources.cache_seconds() + 1)
    figures = roi_sources.partner_figures(since=since, until=until, now=later)
    assert _calls(sandbox) > calls  # asked again once expired
    assert figures.finance.state == "stale" and figures.finance.stale
    assert figures.finance.as_of == t0 and figures.finance.error
    assert figures.revenue == first.revenue  # the last answer, not none
    assert (figures.attendance.state, figures.attendance.as_of) == ("ok", later)
    assert figures.sources()["finance"]["stale"] is True


def test_a_failing_partner_on_the_page_is_a_stale_notice_not_a_500(
    partners, sandbox, client_as, settings
):
    Employee.objects.filter(user__username="hradmin").update(language="en")
    hradmin = client_as("hradmin")
    first = hradmin.get(PAGE).content.decode()
    settings.KEEL_ROI_PARTNER_CACHE_SECONDS = 0  # every load asks again
    sandbox.knobs(finance={"mode": "error"}, attendance={"mode": "error"})
    response = hradmin.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-source="finance" data-state="stale"' in html
    assert 'data-source="attendance" data-state="stale"' in html
    assert html.count('data-testid="stale"') == 2 and "are shown" in html
    table = first.split('<table id="roi">', 1)[1].split("</table>", 1)[0]
    assert html.split('<table id="roi">', 1)[1].split("</table>", 1)[0] == table


def test_refresh_asks_the_partners_now_for_those_allowed(partners, sandbox, client_as):
    url = reverse("integrations:customer_roi_refresh")
    hradmin = client_as("hradmin")
    page = hradmin.get(PAGE).content.decode()
    assert 'data-testid="roi-refresh"' in page
    staff_page = client_as("staff").get(PAGE).content.decode()
    assert 'data-testid="roi-refresh"' not in staff_page
    calls = _calls(sandbox)
    assert client_as("staff").post(url, {"since": "2025-12-01"}).status_code == 403
    assert client_as("manager").post(url).status_code == 403
    assert _calls(sandbox) == calls  # nobody was asked

    response = hradmin.post(
        url, {"since": "2025-12-02", "until": "2026-12-01", "sort": "revenue", "dir": "asc"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{PAGE}?since=2025-12-02&until=2026-12-01&sort=revenue&dir=asc"
    )
    asked = _calls(sandbox) - calls
    assert asked >= 2
    hradmin.post(url, {"since": "2025-12-02", "until": "2026-12-01"})
    assert _calls(sandbox) - calls == 2 * asked  # within the freshness, still asked: a refresh
    # The page after a refresh reads the refreshed figures without asking again.
    hradmin.get(PAGE, {"since": "2025-12-02", "until": "2026-12-01"})
    assert _calls(sandbox) - calls == 2 * asked
    assert client_as("finance").post(url).status_code == 302
    assert client_as("vp").post(url).status_code == 302
    bad = hradmin.post(url, {"since": "yesterday"})
    assert bad.status_code == 302 and bad["Location"] == PAGE
    assert hradmin.get(url).status_code == 405


def test_after_a_failed_refresh_the_page_still_says_stale_until_the_partner_answers(
    partners, sandbox, client_as
):
    url = reverse("integrations:customer_roi_refresh")
    hradmin = client_as("hradmin")
    hradmin.get(PAGE)
    sandbox.knobs(finance={"mode": "error"})
    hradmin.post(url)
    page = hradmin.get(PAGE).content.decode()
    assert 'data-source="finance" data-state="stale"' in page
    assert 'data-source="attendance" data-state="ok"' in page
    sandbox.knobs(finance={"mode": "ok"})
    hradmin.post(url)
    page = hradmin.get(PAGE).content.decode()
    assert 'data-source="finance" data-state="ok"' in page
