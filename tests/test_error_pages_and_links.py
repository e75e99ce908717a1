"""Error pages are the product's (branded, bilingual, also under DEBUG; a 403 keeps its reason).
That no link on any page leads to a 404 for the role that sees it (issue 18, item 4) is checked
on the language sweep's crawl (``tests/test_language_sweep.py``)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


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
