"""It fits a phone (issue 18, item 2): every page of every role, in both languages, at 360, 390,
768 and 1366 px, has no horizontal scroll (``scrollWidth <= innerWidth``), and at the phone widths
no table hides columns past the edge of its own scroll box, in the real Chromium against a live
server. One browser context per role; the viewport is resized, not re-logged.
The world (the crisis, the map draft, the roles' sessions) is built once for the module
(``sweep_world``) and the pages are laid out by a Chromium that draws no frames
(``layout_browser``): the sweep reads layout, never pixels.

Pages per role (those the role may open; a 403/404 here is the link crawl's business):
home, crises list, the crisis page of a crisis with a customer (its response plan and dossier),
the filing form, the dashboard (executive, HR admin), maps list and a map page, customers, a
customer dossier, the crisis dossier, training, readiness, recognition, commissions,
preferences, inbox, organisation chart; for HR admins also the map editor (new and a draft) and
the publish confirmation with its diff."""

from __future__ import annotations

import pytest

from tests.conftest import CAST, pass_second_factor, seed_demo_world
from tests.integrations.conftest import (  # noqa: F401  (fixtures)
    customers_of_today,
    sandbox_partners,
    sandbox_reset,
    sandbox_server,
)

# One worker runs the module: its tests sweep one world (the ``sweep_world`` fixture).
pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.xdist_group("phone-sweep")]

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
    return _context_with(
        browser, live_server.url, _session_of(user), viewport={"width": 1366, "height": 860}
    )


def _session_of(user) -> str:
    """A session of ``user`` (password and TOTP step passed): its cookie's value."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _context_with(browser, url: str, session: str, **options):
    """A browser context in Shanghai's locale and time zone carrying ``session`` for ``url``."""
    from django.conf import settings

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])
    return context


# What would take its size only once a frame is drawn, which ``layout_browser`` never draws:
# lazily loaded images, htmx's revealed/intersect triggers, running animations and transitions.
_FRAME_BOUND = """[
  ...[...document.querySelectorAll('[loading=lazy], [hx-trigger*=revealed], [hx-trigger*=intersect]')]
    .map(el => el.tagName.toLowerCase() + ' ' + (el.getAttribute('hx-trigger') || 'loading=lazy')),
  ...document.getAnimations().map(a => 'animation ' + (a.animationName || a.transitionProperty)),
]"""


# No htmx request in flight (htmx marks the element that asked with ``htmx-request`` until its
# answer is swapped in).
_PANELS_IN = "() => !document.querySelector('.htmx-request')"


def _overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


# A table may scroll inside its own box on a tablet; on a phone nothing of it may be hidden past
# that box's edge, where nobody finds it (record tables are read as cards there, see keel.css).
PHONE_WIDTHS = (360, 390)


def _tables_hiding_columns(page) -> list[str]:
    """The visible tables whose content runs past their own box: where, what, by how much."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('table'))
          .filter(t => t.offsetParent !== null && t.scrollWidth - t.clientWidth > 1)
          .map(t => {
            const where = t.closest('[data-testid],section,.card,[id]');
            const first = t.querySelector('th,td');
            return `${where ? (where.dataset.testid || where.id || where.className) : '?'}`
              + ` [${first ? first.textContent.trim().slice(0, 30) : ''}]`
              + ` +${t.scrollWidth - t.clientWidth}px`;
          })"""
    )


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
def customer_crisis(file_crisis, settings):
    """For the modules that import it (they import ``file_crisis`` and its fixtures too)."""
    from competency import demo as competency_demo
    from crisis import demo as crisis_demo

    crisis_demo.seed_calendars()
    competency_demo.seed()
    # The emergency map: it has the administration officer's on-site check-in.
    return file_crisis(
        scenario="debt-collection-emergency",
        title="Collectors in the Shanghai office, refusing to leave reception",
    )


def _file_customer_crisis(sandbox_url: str):
    """The sweep's world on top of the demo world: the partners on the sandbox, the business
    calendars and the competency demo, and a crisis about CUST-1001 filed as ``manager`` on the
    emergency map (it has the administration officer's on-site check-in), its after-commit
    work (dossier pull, response plan) done."""
    from django.contrib.auth import get_user_model

    from competency import demo as competency_demo
    from crisis import demo as crisis_demo
    from crisis.services.filing import crisis_file

    customers_of_today()
    sandbox_partners(sandbox_url)
    crisis_demo.seed_calendars()
    competency_demo.seed()
    return crisis_file(  # autocommit: its after-commit work runs as it commits
        scenario="debt-collection-emergency",
        title="Collectors in the Shanghai office, refusing to leave reception",
        customer_external_id="CUST-1001",
        actor=get_user_model().objects.get(username="manager"),
    )


@pytest.fixture(scope="module")
def sweep_world(django_db_setup, django_db_blocker, sandbox_server):  # noqa: F811
    """The world every role's sweep reads, built once for the module with committed rows (the
    live server's thread reads them through its own connection), served by a live server of
    the module's own, and put back to the demo world at the module's end. Each test changes
    only its own role's language."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from pytest_django.live_server_helper import LiveServer

    from integrations import adapters
    from tests.conftest import _reset_demo_world

    _app, url = sandbox_server
    sandbox_reset(url)
    with django_db_blocker.unblock():
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            crisis = _file_customer_crisis(url)
            users = get_user_model().objects.filter(username__in=CAST)
            sessions = {user.username: _session_of(user) for user in users}
            yield {"server": server, "pages": _pages(crisis), "sessions": sessions}
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            if not _reset_demo_world():  # SQLite: empty the database, seed the world again
                call_command("flush", interactive=False, verbosity=0)
                seed_demo_world()
            adapters.reset_breakers()
            connection.close()  # as a transactional test ends (the run drops the database)


@pytest.fixture(scope="module")
def layout_browser(browser_type, browser_type_launch_args):
    """The module's own Chromium, compositing on the renderer's main thread: headless, it then
    draws no frames at all (nothing is painted, no animation frame or observer callback runs),
    some 28 % less Chromium CPU per page. The sweep reads layout only, which
    ``scrollWidth`` and ``getBoundingClientRect`` compute on demand, frames or not; no page
    has anything that waits for a frame to take its size (``_FRAME_BOUND``)."""
    launch_args = dict(browser_type_launch_args)
    launch_args["args"] = [*launch_args.get("args", []), "--disable-threaded-compositing"]
    browser = browser_type.launch(**launch_args)
    yield browser
    browser.close()


def _for_the_server(server, write) -> None:
    """Run ``write`` where the live server sees it. On PostgreSQL the server reads through
    connections of its own, which see committed rows only, and the test's connection is inside
    the test's transaction: the write goes through a connection of its own, in autocommit. On
    SQLite (in memory) the server shares the test's connection: the write goes through it."""
    import threading

    from django.db import connections

    if server.thread.connections_override:
        write()
        return
    failed: list[BaseException] = []

    def run() -> None:
        try:
            write()
        except BaseException as exc:  # raised again in the test
            failed.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


@pytest.mark.parametrize("username", CAST)
def test_no_page_scrolls_sideways(sweep_world, layout_browser, username):
    from hrcore.models import Employee

    server_url = sweep_world["server"].url
    context = _context_with(layout_browser, server_url, sweep_world["sessions"][username])
    page = context.new_page()
    # Every page loads at the widest width, 1366 x 800, where the previous page's last width
    # left the viewport: resetting it before each load (to 1366 x 860, as the context began)
    # laid out and repainted the page being left again, a fifth of the sweep's resizes.
    page.set_viewport_size({"width": WIDTHS[-1], "height": 800})
    problems: list[str] = []
    measured = 0
    for language in LANGUAGES:
        _for_the_server(
            sweep_world["server"],
            lambda language=language: Employee.objects.filter(user__username=username).update(
                language=language
            ),
        )
        for path in sweep_world["pages"]:
            assert page.viewport_size == {"width": WIDTHS[-1], "height": 800}
            response = page.goto(f"{server_url}{path}")
            if response is None or response.status != 200:
                continue
            # goto returned at "load" (stylesheets, scripts, images in); once the web fonts are
            # in and the panels htmx fetched at load (the crisis page's dossier and plan) are
            # swapped in, the layout is final (networkidle waited a further 500 ms of silence
            # per page, a third of the sweep). Polled on a timer: this Chromium draws no frames.
            frame_bound = page.evaluate(f"() => document.fonts.ready.then(() => {_FRAME_BOUND})")
            assert not frame_bound, f"{path} waits for a frame to size: {frame_bound}"
            page.wait_for_function(_PANELS_IN, polling=50)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                measured += 1
                excess = _overflow(page)
                if excess > 0:
                    problems.append(f"{language} {path} @{width}: +{excess}px {_widest(page)}")
                if width in PHONE_WIDTHS:
                    for table in _tables_hiding_columns(page):
                        problems.append(f"{language} {path} @{width}: table {table}")
    context.close()
    assert measured >= 8 * len(WIDTHS) * len(LANGUAGES), measured
    assert not problems, "\n".join(problems)
