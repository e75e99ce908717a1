"""Shared fixtures: the demo world, a fixed cast of users per role, API clients, Chromium.

The demo world (organisation, responsibility maps, customers, competency models) is seeded once
per test session, right after the test database is migrated. An ordinary ``db`` test sees it
and its own writes vanish at its end (transaction rollback); a transactional test
(``transaction=True``, ``live_server``, the browser) ends with a flush that empties every table,
so the next transactional test seeds the world again (``_demo_world_after_flush``). Whatever a
test needs beyond the world, it builds itself (``tests/factories``).
"""

from __future__ import annotations

import io
import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

CHROMIUM = os.environ.get("KEEL_CHROMIUM", "/usr/bin/chromium")
IS_POSTGRES = bool(os.environ.get("DATABASE_URL", "").startswith("postgres"))
HAS_REDIS = bool(os.environ.get("REDIS_URL"))

# The fixed cast (SPEC §3.7): every permission test picks from these.
CAST = ["manager", "manager2", "finance", "legal", "admin", "vp", "hradmin", "staff"]


def seed_demo_world() -> None:
    """What every database test starts with: the demo organisation and its accounts, the seed
    scenarios and published responsibility maps, the demo customers and the competency models
    with their simulations. Not the partners (tests point their own at the sandbox) nor the
    demo crises (tests file their own)."""
    from django.db import transaction

    from competency import demo as competency_demo
    from hrcore import demo as hrcore_demo
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    with transaction.atomic():
        hrcore_demo.seed()
        responsibilities_demo.seed()
        integrations_demo.seed_customers()
        competency_demo.seed()


def _demo_world_present() -> bool:
    from hrcore.models import OrgUnit

    return OrgUnit.objects.filter(code="demo-group").exists()


def _is_transactional(request) -> bool:
    """As pytest-django decides it (its ``_django_db_helper``)."""
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, migrated once (pytest-django) and seeded once with the demo world."""
    with django_db_blocker.unblock():
        seed_demo_world()


@pytest.fixture(scope="session", autouse=True)
def _data_dir():
    """The data folder's static root and broker folders (settings create nothing at import)."""
    from django.core.management import call_command

    call_command("init_data_dir", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _demo_world_after_flush(request):
    """A transactional test finds the demo world too: the flush that ended the previous one
    emptied the database, so seed it again (pytest-django runs transactional tests last, after
    every rollback test)."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    if not _demo_world_present():
        from django.core import mail

        seed_demo_world()
        # Seeding is not the test's doing: what it sent must not count as the test's mail.
        if hasattr(mail, "outbox"):
            mail.outbox.clear()


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: SQLite tier")
    skip_redis = pytest.mark.skip(reason="needs Redis: no REDIS_URL")
    skip_browser = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not HAS_REDIS:
            item.add_marker(skip_redis)
        if "browser" in item.keywords and not os.path.exists(CHROMIUM):
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the project's default language (zh-hans). A request through the
    test client leaves its language active on the thread; without this a test passed or failed
    depending on which test ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and throttles live in the cache (Redis on the full tier): start clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_org(db):
    """The demo organisation, part of the session's demo world (see the module docstring)."""
    from hrcore import demo

    return demo


@pytest.fixture
def users(demo_org):
    User = get_user_model()
    return {
        u.username: u for u in User.objects.filter(username__in=CAST).select_related("employee")
    }


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(users):
    """``api_as("finance")`` → an APIClient authenticated with a bearer token of that user."""
    from hrcore.services.tokens import api_token_issue

    def make(username: str, scopes=()) -> APIClient:
        _, key = api_token_issue(user=users[username], scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make


def pass_second_factor(client, user) -> None:
    """Mark ``client``'s session as having passed TOTP for ``user``, with the very record
    allauth writes after the code step (``force_login`` alone is a password-only session, which
    the MFA gate refuses for executives, HR admins and admin users)."""
    from allauth.account.internal.flows.login import record_authentication
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    record_authentication(request, user, "mfa", type="totp")
    request.session.save()


@pytest.fixture
def client_as(client, users):
    """``client_as("manager")`` → the Django test client logged in (MFA step satisfied)."""

    def make(username: str):
        from django.test import Client

        c = Client()
        c.force_login(users[username])
        pass_second_factor(c, users[username])
        return c

    return make


# --- Browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1366, "height": 860},
    }


@pytest.fixture
def login_page(page, live_server):
    """Log in through the real form; returns a function(username) that leaves the page logged in."""

    def login(username: str, password: str = "keel-demo"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", password)
        page.click("main form button[type=submit]")
        return page

    return login


@pytest.fixture
def page(page):
    """pytest-playwright's page, failing the test on a script error or a Content-Security-Policy
    violation: a blocked script is a broken page even when the assertions happen to pass."""
    problems: list[str] = []

    def on_console(message) -> None:
        csp_violation = "Content Security Policy" in message.text
        script_error = message.type == "error" and "Failed to load resource" not in message.text
        if csp_violation or script_error:
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", on_console)
    yield page
    assert not problems, problems
