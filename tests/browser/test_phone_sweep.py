"""It fits a phone (issue 18, item 2): every page of every role, in both languages, at 360, 390,
768 and 1366 px, has no horizontal scroll (``scrollWidth <= innerWidth``), in the real Chromium
against the live server. One browser context per role; the viewport is resized, not re-logged.

Pages per role (those the role may open; a 403/404 here is the link crawl's business):
home, crises list, the crisis page of a crisis with a customer (its response plan and dossier),
the filing form, the dashboard (executive, HR admin), maps list and a map page, customers, a
customer dossier, the crisis dossier, training, readiness, recognition, commissions,
preferences, inbox, organisation chart; for HR admins also the map editor (new and a draft) and
the publish confirmation with its diff."""

from __future__ import annotations

import pytest

from tests.conftest import CAST, pass_second_factor
from tests.integrations.conftest import (  # noqa: F401  (fixtures)
    customers,
    file_crisis,
    maps,
    partners,
    sandbox,
    sandbox_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 390, 768, 1366)
LANGUAGES = ("zh-hans", "en")


def _pages(crisis) -> list[str]:
    from responsibilities.models import ResponsibilityMap

    m = ResponsibilityMap.objects.filter(status="published").order_by("pk").first()
    draft = _draft_of(m)
    return [
        "/",
        "/crises/",
        f"/crises/{crisis.pk}/",
        "/crises/new/",
        "/crises/dashboard/",
        "/maps/",
        f"/maps/{m.pk}/",
        "/maps/new/",
        f"/maps/{draft.pk}/edit/",
        f"/maps/{draft.pk}/publish/",
        "/integrations/customers/",
        "/integrations/customers/CUST-1001/",
        f"/integrations/crises/{crisis.pk}/",
        "/training/",
        "/training/readiness/",
        "/training/answers/",
        "/training/answers/agreement/",
        "/training/recognition/",
        "/integrations/commissions/",
        "/preferences/",
        "/inbox/",
        "/org/",
        "/people/",
        "/people/me/",
    ]


def _draft_of(m):
    """The next draft of ``m`` with one deadline changed, so the map editor and the publish
    confirmation (with a diff to show) are swept too."""
    from responsibilities.services import maps as map_services

    draft = map_services.responsibility_map_revise(responsibility_map=m, actor=None)
    duty = draft.duties.order_by("order").first()
    duty.deadline_minutes += 15
    duty.save(update_fields=["deadline_minutes"])
    return draft


def _logged_in_context(browser, live_server, user):
    """A browser context carrying a session of ``user`` (password and TOTP step passed)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 860}
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def _overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def _widest(page) -> str:
    """The element sticking out furthest, to name in the failure."""
    return page.evaluate(
        """() => {
        let worst = null, right = window.innerWidth;
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.right > right + 0.5) { right = r.right; worst = el; }
        }
        if (!worst) return '';
        const cls = worst.className && worst.className.baseVal === undefined ? worst.className : '';
        return worst.tagName.toLowerCase() + (cls ? '.' + cls.split(' ').join('.') : '') +
          ' → ' + Math.round(right) + 'px';
      }"""
    )


@pytest.fixture
def customer_crisis(file_crisis, settings):  # noqa: F811
    from competency import demo as competency_demo
    from crisis import demo as crisis_demo

    crisis_demo.seed_calendars()
    competency_demo.seed()
    # The emergency map: it has the administration officer's on-site check-in.
    return file_crisis(
        scenario="debt-collection-emergency",
        title="Collectors in the Shanghai office, refusing to leave reception",
    )


@pytest.mark.parametrize("username", CAST)
def test_no_page_scrolls_sideways(customer_crisis, users, browser, live_server, username):
    from hrcore.models import Employee

    user = users[username]
    context = _logged_in_context(browser, live_server, user)
    page = context.new_page()
    problems: list[str] = []
    measured = 0
    for language in LANGUAGES:
        Employee.objects.filter(user=user).update(language=language)
        for path in _pages(customer_crisis):
            page.set_viewport_size({"width": 1366, "height": 860})
            response = page.goto(f"{live_server.url}{path}")
            if response is None or response.status != 200:
                continue
            # goto returned at "load" (stylesheets, scripts, images in); the pages fetch nothing
            # afterwards, so once the web fonts are in the layout is final (networkidle waited a
            # further 500 ms of silence per page, a third of the sweep).
            page.evaluate("() => document.fonts.ready.then(() => true)")
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                measured += 1
                excess = _overflow(page)
                if excess > 0:
                    problems.append(f"{language} {path} @{width}: +{excess}px {_widest(page)}")
    context.close()
    assert measured >= 8 * len(WIDTHS) * len(LANGUAGES), measured
    assert not problems, "\n".join(problems)
