"""The production topology, natively (these machines have no container engine): production
settings on a fresh PostgreSQL database and Redis, gunicorn with two workers, a Celery worker on
each queue, one beat and the timer loop on loopback, started with exactly the commands and
variables of deploy/topology.py (the ones docker-compose.yml runs, tests/test_compose.py).

Then: ``keel_bootstrap`` installs the library and the first HR admin; that admin logs in with
real Chromium and enrols TOTP (the code computed from the secret the page shows); a crisis filed
through the API with a bearer token comes back timed, and every process passes its compose
health check.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from deploy import topology

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN, PASSWORD = "first-hr", "Topology-test-pass-42"

pytestmark = [
    pytest.mark.production_topology,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.browser,
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(*, database_url: str, redis_url: str, data: Path, port: int) -> dict[str, str]:
    """Exactly the variables of topology.COMMON_ENV (values for loopback, no TLS in front), on
    top of the process basics (PATH, HOME, locale)."""
    values = {
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.production",
        "KEEL_DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        # Behind nothing: no TLS proxy on loopback, so no redirect to https.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "KEEL_TICK_SECONDS": "1",
        "KEEL_LOG_LEVEL": "WARNING",
        "KEEL_SANDBOX_URL": "",
        # As compose passes them when .env leaves them unset: empty strings.
        "EMAIL_BACKEND": "",
        "EMAIL_HOST": "",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": "true",
        "EMAIL_USE_SSL": "false",
        "DEFAULT_FROM_EMAIL": "keel@localhost",
        "KEEL_MEDIA_S3_BUCKET": "",
        "KEEL_MEDIA_S3_ENDPOINT_URL": "",
        "KEEL_MEDIA_S3_REGION": "",
        "KEEL_MEDIA_S3_ACCESS_KEY_ID": "",
        "KEEL_MEDIA_S3_SECRET_ACCESS_KEY": "",
    }
    assert set(values) == set(topology.COMMON_ENV)  # the test runs what compose runs
    basics = {k: os.environ[k] for k in ("HOME", "LANG", "LC_ALL", "TZ") if k in os.environ}
    basics["PATH"] = f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return basics | values


def _native(argv: list[str]) -> list[str]:
    """A compose command as run here: the venv's python, gunicorn and celery."""
    head, *rest = argv
    if head == "python":
        return [sys.executable, *rest]
    if (BIN / head).exists():
        return [str(BIN / head), *rest]
    return argv


def _run(argv, env, *, timeout=180, extra_env=None) -> str:
    result = subprocess.run(
        _native(list(argv)),
        cwd=ROOT,
        env=env | (extra_env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{argv}: {result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def _start(argv, env) -> subprocess.Popen:
    """A one-off command in the background (``_finish`` collects it)."""
    return subprocess.Popen(
        _native(list(argv)),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen, timeout: float = 180) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{proc.args}: {out[-2000:]}\n{err[-4000:]}"
    return out


@contextlib.contextmanager
def _database(base_url: str):
    """A fresh database on the test tier's PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"keel_topology_{secrets.token_hex(4)}"
    head, _sep, _db = base_url.rpartition("/")
    maintenance = f"{head}/postgres"  # the tier's own database may not exist (tests use test_*)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_url(base_url: str) -> str:
    """A Redis database of its own (db 13), emptied first: the broker, the cache and beat's
    locks of the topology must not meet the test session's."""
    import redis

    head = base_url.rsplit("/", 1)[0] if base_url.count("/") > 2 else base_url
    url = f"{head}/13"
    redis.Redis.from_url(url).flushdb()
    return url


@contextlib.contextmanager
def _processes(env: dict, *, port: int, data: Path, logs: Path):
    started: list[tuple[str, subprocess.Popen]] = []
    try:
        for process in topology.PROCESSES:
            argv = _native(process.argv(bind=f"127.0.0.1:{port}", data=str(data)))
            log = open(logs / f"{process.name}.log", "wb")  # noqa: SIM115 - closed with the process
            started.append(
                (
                    process.name,
                    subprocess.Popen(
                        argv,
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                )
            )
        yield started
    finally:
        for _name, proc in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc in started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _logs(logs: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs.iterdir()
    )


def _wait_healthy(url: str, started, logs: Path, seconds: float = 150) -> dict:
    """/healthz answers 200: database and broker reachable and a fresh tick (which only a beat
    scheduling it and a worker running it can write)."""
    import json

    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        for name, proc in started:
            assert proc.poll() is None, f"{name} exited {proc.returncode}\n{_logs(logs)}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            last = exc.read()[:500]
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    pytest.fail(f"not healthy in {seconds} s: {last}\n{_logs(logs)}")


def _totp_now(secret: str) -> str:
    """The code of the current 30 s window, as an authenticator app shows it. Close to the end
    of a window, wait for the next one: the code must still be valid when the form arrives."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if time.time() % 30 > 22:
        time.sleep(30 - time.time() % 30 + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _api(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    import json

    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_production_topology_bootstraps_logs_in_with_totp_and_times_a_crisis(page):
    base_db, base_redis = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryDirectory(prefix="keel-topology-") as tmp,
        _database(base_db) as database_url,
    ):
        data, logs = Path(tmp) / "data", Path(tmp) / "logs"
        data.mkdir()
        logs.mkdir()
        env = _environment(
            database_url=database_url, redis_url=_redis_url(base_redis), data=data, port=port
        )
        migrate, collectstatic = topology.MIGRATE_STEPS
        static = _start(collectstatic, env)
        _run(migrate, env)
        out = _run(
            [*topology.BOOTSTRAP, "--admin-username", ADMIN, "--admin-email", "hr@example.com"],
            env,
            extra_env={"KEEL_ADMIN_PASSWORD": PASSWORD},
        )
        assert "maps installed: debt-collection, debt-collection-emergency" in out
        # Side by side with the processes starting: a second bootstrap (it must change nothing)
        # and the API token of the admin.
        again = _start([*topology.BOOTSTRAP, "--admin-username", ADMIN], env)
        token_command = _start(["python", "manage.py", "issue_api_token", ADMIN], env)

        with _processes(env, port=port, data=data, logs=logs) as started:
            health = _wait_healthy(f"{base}/healthz", started, logs)
            assert health["checks"]["database"]["vendor"] == "postgresql"
            assert health["checks"]["tick"]["ok"] is True
            # Every process passes the health check compose gives it (collected at the end).
            checks = {
                process.name: _start(
                    [part.replace("%h", socket.gethostname()) for part in process.healthcheck]
                    + (["--url", f"{base}/healthz"] if process.name == "web" else []),
                    env,
                )
                for process in topology.PROCESSES
            }
            _finish(static)

            # The bootstrapped HR admin logs in and must enrol TOTP first (real Chromium).
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=login]", ADMIN)
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            if "/reauthenticate/" in page.url:  # allauth re-asks the password before enrolment
                page.fill("input[name=password]", PASSWORD)
                page.click("main form button[type=submit]")
            page.wait_for_url("**/accounts/2fa/totp/activate/**")
            secret = page.input_value("#authenticator_secret")
            page.fill("input[name=code]", _totp_now(secret))
            page.click("main form button[type=submit]")
            page.wait_for_url(lambda url: "/activate/" not in url)
            # The session passed its second factor: the HR-admin pages open.
            response = page.goto(f"{base}/admin/responsibilities/responsibilitymap/")
            assert response.status == 200
            assert "数据泄露" in page.content() or "Data leak" in page.content()

            # A crisis filed through the API with a bearer token comes back timed.
            token = _finish(token_command).split()[-1]
            status, crisis = _api(
                "POST",
                f"{base}/api/v1/crises/",
                token,
                {
                    "scenario": "workplace-injury",
                    "title": "仓库员工摔伤 / Warehouse worker fell",
                    "unit": "group",
                },
            )
            assert status == 201, crisis
            status, crisis = _api("GET", f"{base}/api/v1/crises/{crisis['id']}/", token)
            assert status == 200, crisis
            assert (crisis["scenario"], crisis["severity"]) == ("workplace-injury", "critical")
            rows = {t["duty"]: t for t in crisis["tasks"]}
            assert set(rows) >= {"injury-report", "admin-on-site", "vp-aftercare"}
            first = rows["injury-report"]
            assert first["sla_state"] == "running" and first["deadline_minutes"] == 5
            assert first["started_at"] and first["warn_at"] and first["due_at"]
            assert rows["admin-on-site"]["sla_state"] == "running"
            assert rows["admin-on-site"]["deadline_minutes"] == 30
            # A duty that waits for others has no clock yet.
            assert rows["vp-aftercare"]["sla_state"] == "idle"
            assert rows["vp-aftercare"]["due_at"] is None

            for check in checks.values():
                _finish(check)
            second = _finish(again)
            assert "maps installed: -" in second and "HR admin: first-hr (kept)" in second
