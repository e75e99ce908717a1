"""Error pages are the product's (branded, bilingual, also under DEBUG; a 403 keeps its reason),
and no link on any page leads to a 404 for the role that sees it (issue 18, item 4)."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from tests.conftest import CAST
from tests.html_forms import links_of, page_pattern

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _full_demo(django_db_setup, django_db_blocker):
    """Every app's demo data, as ``make run`` seeds it (maps, customers, crises, training), on
    top of the session's demo world: seeded once for the module (the demo crises' history runs
    through the engine) inside a transaction rolled back at its end; each test's own writes roll
    back to a savepoint inside it (as in tests/test_language_sweep.py)."""
    import importlib

    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            for label in ("responsibilities", "integrations", "crisis", "competency"):
                importlib.import_module(f"{label}.demo").seed()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def full_demo(_full_demo, demo_org):
    """The module's full demo (see ``_full_demo``)."""


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "language,title,back",
    [("en", "Page not found", "Back to the start page"), ("zh-hans", None, None)],
)
def test_404_is_branded_in_the_readers_language_under_every_setting(
    client_as, users, settings, debug, language, title, back
):
    from django.utils import translation

    from hrcore.models import Employee

    settings.DEBUG = debug
    Employee.objects.filter(user=users["manager"]).update(language=language)
    client = client_as("manager")
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "URLconf" not in page and "Django" not in page  # not the debug page
    assert 'class="card narrow error-page"' in page and "Keel" in page
    with translation.override(language):
        from django.utils.translation import gettext

        assert gettext("Page not found") in page
        assert gettext("Back to the start page") in page
    if language == "zh-hans":
        assert "Page not found" not in page
    # The API answers JSON, DEBUG or not.
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("debug", [False, True])
def test_500_is_branded_under_every_setting(client_as, settings, monkeypatch, debug):
    settings.DEBUG = debug

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr("hrcore.selectors.org_chart", broken)
    client = client_as("manager")
    client.raise_request_exception = False
    response = client.get("/org/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Traceback" not in page and "boom" not in page
    assert 'data-status="500"' in page and "Keel" in page


@pytest.mark.parametrize("debug", [False, True])
def test_403_keeps_its_specific_reason(client_as, settings, debug):
    settings.DEBUG = debug
    response = client_as("manager").get("/crises/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-status="403"' in page
    from django.utils.translation import gettext, override

    from hrcore.models import Employee

    language = Employee.objects.get(user__username="manager").language
    with override(language):
        assert gettext("The dashboard is for executives.") in page


SKIP = ("/admin/", "/api/", "/accounts/", "/static/", "/media/", "/healthz")


def _pattern(path: str) -> str:
    """Pages of one kind are visited once: /crises/12/ and /crises/13/ are the same page, and
    so are two positions' pages (see ``page_pattern``)."""
    return page_pattern(path)


def crawl(client, start: str = "/", limit: int = 120) -> dict[str, tuple[int, str]]:
    """Follow every same-site link from ``start``; returns {path: (status, found on)}."""
    seen_patterns: set[str] = set()
    results: dict[str, tuple[int, str]] = {}
    queue: deque[tuple[str, str]] = deque([(start, "")])
    while queue and len(results) < limit:
        url, found_on = queue.popleft()
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP) or "/download/" in parts.path:
            continue
        key = _pattern(parts.path) + ("?" + parts.query if parts.query else "")
        key = re.sub(r"=\d+", "=N", key)
        if key in seen_patterns:
            continue
        seen_patterns.add(key)
        response = client.get(url)
        results[url] = (response.status_code, found_on)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            for link in links_of(response.content.decode()):
                queue.append((link.split("#")[0] or url, url))
    return results


# One worker crawls for every role: the module's full demo (``_full_demo``) is built once.
@pytest.mark.xdist_group("links-crawl")
@pytest.mark.parametrize("username", CAST)
def test_no_link_leads_to_a_404_for_the_role_that_sees_it(full_demo, client_as, username):
    results = crawl(client_as(username))
    assert len(results) >= 8, results  # the crawl did get through the product
    broken = {url: r for url, r in results.items() if r[0] in (404, 500)}
    assert not broken, broken
