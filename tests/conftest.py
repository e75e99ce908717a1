"""Shared fixtures: the demo organisation, a fixed cast of users per role, API clients, Chromium."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

CHROMIUM = os.environ.get("KEEL_CHROMIUM", "/usr/bin/chromium")
IS_POSTGRES = bool(os.environ.get("DATABASE_URL", "").startswith("postgres"))
HAS_REDIS = bool(os.environ.get("REDIS_URL"))

# The fixed cast (SPEC §3.7): every permission test picks from these.
CAST = ["manager", "manager2", "finance", "legal", "admin", "vp", "hradmin", "staff"]


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
    """The demo organisation (idempotent: cheap when already there)."""
    from hrcore import demo

    demo.seed()
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
    from hrcore.services import api_token_issue

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
