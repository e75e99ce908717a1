"""Shared fixtures: the demo world, a fixed cast of users per role, API clients, Chromium.

The demo world (organisation, responsibility maps, customers, competency models) is seeded once
per test session, right after the test database is migrated. An ordinary ``db`` test sees it
and its own writes vanish at its end (transaction rollback); a transactional test
(``transaction=True``, ``live_server``, the browser) ends with a flush that empties every table,
so the next transactional test seeds the world again (``_demo_world_after_flush``). Whatever a
test needs beyond the world, it builds itself (``tests/factories``).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.run_tiers import chromium_path

CHROMIUM = chromium_path()

# Fewer garbage collections of the young generations and, above all, almost no full ones:
# with the default thresholds (700, 10, 10) a worker ran a full collection every few seconds,
# each walking its whole heap (Django, the test modules, the demo world's objects: ~200 ms).
# Timed with gc.callbacks over a whole `make test`: the two workers collected for 10.5 + 12.1 s
# (79 full collections) with the defaults, 3.0 + 3.9 s (8 full) with these, at the same peak
# memory.
gc.set_threshold(10_000, 20, 20)

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


# PostgreSQL: the seeded world is also kept as a copy of its non-empty tables in this schema
# (outside the search path: flush and introspection do not see it). A transactional test ends
# with one server-side statement that empties every non-empty table and copies the world back
# (``_reset_demo_world``) instead of Django's flush (TRUNCATE of every table, then post_migrate
# recreating content types and permissions) followed by the seeding code (thousands of
# queries): one round trip instead of thousands.
SNAPSHOT_SCHEMA = "keel_demo_world"
_RESET_SQL: list[str] = []  # the reset statement, built once per process from the snapshot


def _snapshot_demo_world() -> None:
    """Copy every non-empty table of the just-seeded world into ``SNAPSHOT_SCHEMA``."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
        for table in sorted(tables):
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
            if cursor.fetchone()[0]:
                cursor.execute(f'CREATE TABLE {SNAPSHOT_SCHEMA}."{table}" AS TABLE "{table}"')


def _reset_sql() -> str | None:
    """One DO block: empty the tables that have rows, insert the snapshot's rows, move each
    sequence past the restored ids. None without a snapshot.

    As a superuser (the cluster ``run_tiers.py`` starts) the tables are emptied with DELETE in
    ``session_replication_role = replica``: no trigger fires (neither the append-only guards nor
    the foreign-key checks, as with Django's flush, which TRUNCATEs), and the world it restores
    is the consistent one it copied. That is some 30 ms against 150–250 ms for TRUNCATE, which
    makes new files for every table and index it empties. Without the right to set it (a
    ``DATABASE_URL`` of an ordinary role): TRUNCATE … CASCADE, foreign keys checked at commit."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if _RESET_SQL:
        return _RESET_SQL[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, string_agg(quote_ident(c.column_name), ', '"
            " ORDER BY c.ordinal_position) FROM information_schema.columns c"
            " JOIN information_schema.columns p ON p.table_schema = current_schema()"
            " AND p.table_name = c.table_name AND p.column_name = c.column_name"
            " AND p.is_generated = 'NEVER'"
            " WHERE c.table_schema = %s GROUP BY c.table_name",
            [SNAPSHOT_SCHEMA],
        )
        columns = dict(cursor.fetchall())
    if not columns:
        return None
    quote = connection.ops.quote_name
    tables = sorted(
        connection.introspection.django_table_names(only_existing=True, include_views=False)
    )
    body = [
        "DECLARE dirty text[] := '{}'; t text;",
        "  role text := current_setting('session_replication_role');",
        "  super boolean := current_setting('is_superuser') = 'on';",
        "BEGIN",
    ]
    body += [
        f"IF EXISTS (SELECT 1 FROM {quote(t)}) THEN dirty := dirty || '{quote(t)}'::text; END IF;"
        for t in tables
    ]
    body.append(
        "IF super THEN PERFORM set_config('session_replication_role', 'replica', true);"
        " FOREACH t IN ARRAY dirty LOOP EXECUTE 'DELETE FROM ' || t; END LOOP;"
        " ELSIF cardinality(dirty) > 0 THEN"
        " EXECUTE 'TRUNCATE ' || array_to_string(dirty, ', ') || ' CASCADE'; END IF;"
    )
    body += [
        f"INSERT INTO {quote(t)} ({cols}) SELECT {cols} FROM {SNAPSHOT_SCHEMA}.{quote(t)};"
        for t, cols in sorted(columns.items())
    ]
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.db_table in columns
    ]
    for statement in connection.ops.sequence_reset_sql(no_style(), models):
        assert statement.startswith("SELECT setval("), statement
        body.append("PERFORM" + statement.removeprefix("SELECT").rstrip(";") + ";")
    body.append("IF super THEN PERFORM set_config('session_replication_role', role, true); END IF;")
    body.append("END")
    _RESET_SQL.append("DO $keel$ " + "\n".join(body) + " $keel$")
    return _RESET_SQL[0]


def _reset_demo_world() -> bool:
    """Put the database back to the seeded world (PostgreSQL, one statement); False if there is
    no snapshot (SQLite: the caller seeds instead)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return False
    sql = _reset_sql()
    if sql is None:
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    ContentType.objects.clear_cache()
    return True


def _install_fast_transactional_teardown() -> None:
    """A transactional test (pytest-django's TransactionTestCase) ends with
    ``_reset_demo_world`` instead of flush + post_migrate, so the next one finds the world."""
    from django.db import connections
    from django.test import TransactionTestCase

    flush_teardown = TransactionTestCase._fixture_teardown
    if getattr(flush_teardown, "keel_reset", False):
        return

    def _fixture_teardown(self):
        names = self._databases_names(include_mirrors=False)
        plain = self.available_apps is None and not self.serialized_rollback
        postgres = connections["default"].vendor == "postgresql"
        if not (plain and names == ["default"] and postgres and _reset_demo_world()):
            flush_teardown(self)

    _fixture_teardown.keel_reset = True
    TransactionTestCase._fixture_teardown = _fixture_teardown


def _demo_world_present() -> bool:
    from hrcore.models import OrgUnit

    return OrgUnit.objects.filter(code="demo-group").exists()


def _is_transactional(request) -> bool:
    """As pytest-django decides it (its ``_django_db_helper``)."""
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


# PostgreSQL through tests/run_tiers.py, which names a template database for the run here: the
# first pytest process to need a test database migrates and seeds it as usual and keeps a copy
# of it as that template; every other process of the run (the second xdist worker) creates its
# test database as a file copy of the template (well under a second) instead of migrating and
# seeding again (about 15 s of CPU each). run_tiers drops it at the end.
TEMPLATE_DB = os.environ.get("KEEL_TEST_TEMPLATE_DB", "") if IS_POSTGRES else ""


@contextlib.contextmanager
def _template_lock():
    """A connection to the server's ``postgres`` database holding the run's template lock (the
    first process builds the template while the others wait for it)."""
    import psycopg
    from django.db import connection

    options = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=options["HOST"] or None,
        port=options["PORT"] or None,
        user=options["USER"] or None,
        password=options["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_advisory_lock(hashtext(%s))", [TEMPLATE_DB])
        try:
            yield admin
        finally:
            admin.execute("SELECT pg_advisory_unlock(hashtext(%s))", [TEMPLATE_DB])


def _test_database_name() -> str:
    """The name pytest-django (and its xdist suffix) gives the test database (before it is
    set up: then ``NAME`` is the test database's)."""
    from django.db import connection

    options = connection.settings_dict
    return options["TEST"].get("NAME") or f"test_{options['NAME']}"


def _database_from_template(admin) -> list | None:
    """The test database as a copy of the run's template, if the template exists; returns the
    configuration ``teardown_databases`` drops it with."""
    from django.conf import settings
    from django.db import connection

    if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE_DB]).fetchone():
        return None
    name, old_name = _test_database_name(), connection.settings_dict["NAME"]
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}" STRATEGY FILE_COPY')
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    return [(connection, old_name, True)]


def _end_stray_sessions() -> None:
    """Close this process's connections and end any other session still on its test database
    (a thread a test started: a live server's, a relay's), so that dropping the database at the
    session's end does not fail the run's last test ("being accessed by other users")."""
    from django.db import connection, connections

    name = connection.settings_dict["NAME"]
    connections.close_all()
    with _template_lock() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


def _save_template(admin) -> None:
    """Keep the migrated, seeded test database as the run's template (no session may be
    connected to it while it is copied)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]  # the test database, once set up
    connection.close()
    admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE "{name}" STRATEGY FILE_COPY')


def _migrate_and_seed(request) -> None:
    """pytest-django's test database (migrated), then the demo world and its snapshot."""
    request.getfixturevalue("django_db_setup")  # pytest-django's, which this one overrides
    seed_demo_world()
    _snapshot_demo_world()


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """The test database, migrated once (pytest-django) and seeded once with the demo world —
    or, when the run has a template database (see ``TEMPLATE_DB``), a copy of it."""
    cloned = None
    with django_db_blocker.unblock():
        if not TEMPLATE_DB:
            _migrate_and_seed(request)
        else:
            with _template_lock() as admin:
                cloned = _database_from_template(admin)
                if cloned is None:
                    _migrate_and_seed(request)
                    _save_template(admin)
    _install_fast_transactional_teardown()
    yield
    if TEMPLATE_DB:
        with django_db_blocker.unblock():
            _end_stray_sessions()
    if cloned:
        from django.test.utils import teardown_databases

        with django_db_blocker.unblock():
            teardown_databases(cloned, verbosity=request.config.option.verbose)


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

        if not _reset_demo_world():
            seed_demo_world()
        # Seeding is not the test's doing: what it sent must not count as the test's mail.
        if hasattr(mail, "outbox"):
            mail.outbox.clear()


def _xdist_node_ids(items) -> None:
    """Node ids pytest-xdist can tell apart and group. pytest 9.2 keeps an item's id in
    ``item._id`` (a NodeId) and builds the string from it, so two things went wrong silently:
    pytest-xdist's ``--dist loadgroup`` appends ``@<group>`` to ``item._nodeid``, which nothing
    reads any more (``xdist_group`` grouped nothing: a group's module fixture, built once for
    the group, was built on both workers); and schemathesis' items (one per API operation) all
    got their function's id, of which pytest-xdist runs one. Each item gets its id back: the
    operation in the brackets, the group after the ``@``."""
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest: ids are plain strings, both tools work as they are
        return
    for item in items:
        node_id = getattr(item, "_id", None)
        if not isinstance(node_id, NodeId):
            continue
        plain = str(node_id)
        label = getattr(item, "operation_label", None)  # schemathesis' "GET /api/v1/…"
        if label and node_id.params is None:
            node_id = node_id.with_params(label)
        grouped = getattr(item, "_nodeid", None)  # pytest-xdist's "<id>@<group>"
        suffix = grouped[len(plain) :] if isinstance(grouped, str) else ""
        if suffix.startswith("@"):
            node_id = NodeId.parse(f"{node_id}{suffix}")
        item._id = node_id


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own (it marks the groups)
def pytest_collection_modifyitems(config, items):
    _xdist_node_ids(items)
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
    if IS_POSTGRES and os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


# The longest tests (10–50 s each on an idle 2-core machine), handed out first: pytest-xdist
# gives tests (and xdist_group groups) to the workers in collection order, and a 45-s test
# handed out last leaves the other worker idle for most of it at the end of the run. Only on
# PostgreSQL, where a transactional test restores the demo world when it ends (on SQLite it
# flushes, so pytest-django's order — transactional tests last — must stay).
SLOW_FIRST = (
    "tests/test_language_sweep.py",  # one xdist group: its place is its first test's
    "tests/test_production_topology.py",
    "tests/test_api_schema_fuzz.py",  # one xdist group too
    "tests/integrations/test_reach_bench.py",  # migrates a data folder, serves, kills a worker
    "tests/test_squashed_migrations.py",  # migrates the old chain (it ran last: a 25-s idle tail)
    "tests/browser/test_phone_sweep.py",
    "tests/crisis/test_timers.py::test_real_celery_worker",
    "tests/test_permission_matrix.py::test_permission_matrix",
    "tests/crisis/test_filing_queries.py::test_one_pass",
    "tests/crisis/test_browser.py",
    "tests/responsibilities/test_editor_browser.py",
    "tests/crisis/test_browser_filing_once.py",
    "tests/hrcore/test_security_auth.py::test_production_settings_keep_every_gate",
)


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


def totp_code(user=None, *, username: str | None = None, secret: str | None = None) -> str:
    """The current TOTP code of ``user`` (or ``username``'s) enrolled authenticator, or of a
    raw ``secret`` — computed at least 4 s before its 30-s window ends, so it is still the
    valid code when the form is submitted (the server accepts no neighbouring window)."""
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )
    from allauth.mfa.utils import decrypt

    remaining = 30 - time.time() % 30
    if remaining < 4:
        time.sleep(remaining + 0.2)
    if secret is None:
        owner = {"user": user} if user is not None else {"user__username": username}
        authenticator = Authenticator.objects.get(type=Authenticator.Type.TOTP, **owner)
        secret = decrypt(authenticator.data["secret"])
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
