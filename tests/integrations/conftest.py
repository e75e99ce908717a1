"""Fixtures of the integrations tests: the sandbox partner service on a free loopback port, over
real HTTP, and Partner rows pointing at it."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from integrations import adapters
from integrations.sandbox.app import Sandbox, serve

SANDBOX_TOKEN = "test-sandbox-token"
# One client for the sandbox's admin endpoints: ``httpx.post`` builds a client, and with it a TLS
# context that reads the CA bundle, on every call (~10 ms of CPU, twice per sandbox test).
_ADMIN = httpx.Client(headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}, timeout=5)
WEBHOOK_SECRET = "test-webhook-secret"  # sandbox-finance's; every partner has its own


def webhook_secret_of(kind: str) -> str:
    return WEBHOOK_SECRET if kind == "finance" else f"{WEBHOOK_SECRET}-{kind}"


class RecordingSandbox(Sandbox):
    """The sandbox, also recording when each partner request was in flight (monotonic start and
    end): tests assert how calls overlapped instead of how long they took."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spans: list[tuple[float, float]] = []
        self.spans_lock = threading.Lock()
        self.writes: list[tuple[str, str]] = []  # (method, path) of every partner write

    def __call__(self, environ, start_response):
        started = time.monotonic()
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        if method not in ("GET", "HEAD") and not path.startswith("/_admin"):
            with self.spans_lock:
                self.writes.append((method, path))
        try:
            return super().__call__(environ, start_response)
        finally:
            if not environ.get("PATH_INFO", "").startswith("/_admin"):
                with self.spans_lock:
                    self.spans.append((started, time.monotonic()))


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    """The most requests in flight at the same instant."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


@pytest.fixture(scope="session")
def sandbox_server():
    app = RecordingSandbox(token=SANDBOX_TOKEN)
    server = serve("127.0.0.1", 0, app)  # port 0: the OS picks a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield app, url
    server.shutdown()


class SandboxHandle:
    def __init__(self, app: Sandbox, url: str):
        self.app, self.url = app, url

    def knobs(self, **services):
        """``sandbox.knobs(finance={"mode": "error"})`` through the sandbox's admin endpoint."""
        response = _ADMIN.post(f"{self.url}/_admin/knobs", json=services)
        response.raise_for_status()
        return response.json()

    @property
    def requests(self) -> int:
        return self.app.requests

    @property
    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every write that reached a partner since the test began."""
        with self.app.spans_lock:
            return list(self.app.writes)

    @property
    def spans(self) -> list[tuple[float, float]]:
        """(start, end) of every partner request since the test began, in start order."""
        with self.app.spans_lock:
            return sorted(self.app.spans)


@pytest.fixture
def sandbox(sandbox_server):
    app, url = sandbox_server
    sandbox_reset(url)
    with app.spans_lock:
        app.spans.clear()
        app.writes.clear()
    yield SandboxHandle(app, url)
    sandbox_reset(url)


def sandbox_reset(url: str) -> None:
    """The sandbox at ``url`` back to its start (knobs, state) and Keel's breakers closed."""
    _ADMIN.post(f"{url}/_admin/reset")
    adapters.reset_breakers()


def config(url: str, kind: str, **overrides) -> adapters.PartnerConfig:
    values = {
        "slug": f"test-{kind}",
        "kind": kind,
        "base_url": url,
        "token": SANDBOX_TOKEN,
        "timeout_seconds": 2.0,
        "max_attempts": 3,
        "backoff_seconds": 0.01,
        **overrides,
    }
    return adapters.PartnerConfig(**values)


def customers_of_today() -> dict:
    """The demo customers, seeded again if they were seeded before today (UTC).

    The sandbox dates each customer's last contact from today (UTC). A run that crosses
    midnight UTC holds customers seeded yesterday in its template database, and a CRM pull
    would then rightly "apply" eight newer contacts."""
    from datetime import UTC, datetime, time

    from customers.models import Customer
    from integrations import demo

    midnight = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    if Customer.objects.filter(updated_at__lt=midnight).exists():
        demo.seed_customers()
    return {c.external_id: c for c in Customer.objects.select_related("account_owner__user")}


@pytest.fixture
def customers(demo_org):
    """The demo customers (part of the session's demo world, tests/conftest.py)."""
    return customers_of_today()


@pytest.fixture
def partners(sandbox, customers, users):
    return sandbox_partners(sandbox.url)


def sandbox_partners(url: str) -> dict:
    """The four partner rows (finance, legal, CRM, attendance) on the sandbox at ``url``, with
    their service user ``partner-bot``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from integrations.services import partners as partners_services

    user = get_user_model().objects.create(username="partner-bot")
    user.groups.add(Group.objects.get_or_create(name="partner")[0])
    rows = {}
    for kind in ("finance", "legal", "crm", "attendance"):
        rows[kind] = partners_services.partner_save(
            slug=f"sandbox-{kind}",
            name=f"Sandbox {kind}",
            kind=kind,
            base_url=url,
            token=SANDBOX_TOKEN,
            webhook_secret=webhook_secret_of(kind),
            timeout_seconds=2.0,
            max_attempts=2,
            enabled=True,
            service_user=user,
        )
    return rows


@pytest.fixture
def maps(demo_org):
    """The published responsibility maps (scenarios incl. debt-collection-emergency), part of
    the session's demo world (tests/conftest.py)."""


@pytest.fixture
def file_crisis(partners, maps, users, django_capture_on_commit_callbacks):
    """File a crisis about CUST-1001 as ``manager`` through the crisis engine, running its
    after-commit work (dossier pull, response plan) at once."""
    from crisis.services.filing import crisis_file

    def file(scenario: str = "debt-collection", title: str = "Collectors on site"):
        with django_capture_on_commit_callbacks(execute=True):
            return crisis_file(
                scenario=scenario,
                title=title,
                customer_external_id="CUST-1001",
                actor=users["manager"],
            )

    return file
