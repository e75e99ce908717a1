#!/usr/bin/env python
"""Filing ÷ a trivial authenticated GET (issue 12, item 1), not part of CI. One command:

    .venv/bin/python bench/filing.py
    # PostgreSQL + Redis as well:
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/filing.py

For each backend (a throw-away SQLite file; the database ``keel_bench_filing`` on the given
PostgreSQL server) it seeds the demo group, then measures, three runs each:

* in-process: ``django.test.Client`` (WSGI, no socket), ``POST /api/v1/crises/`` (the 5-duty
  debt-collection emergency) against ``GET /api/v1/positions/?limit=1``, both with a bearer token;
* over HTTP: the same two requests sent one after another to gunicorn (2 sync workers, as
  ``make run`` serves) on a loopback port.

Each run alternates rounds (ROUNDS × ROUND requests of each kind) so both sides see the same
machine load; the ratio is filing requests per second ÷ trivial requests per second (min, median
and max of the runs). It also prints the queries one filing takes — the 5-duty emergency, and
maps of 3 and 10 duties made for the bench (the count must not grow with the duties). Figures
only, no pass/fail. BENCH_FILING_RUNS (3), BENCH_FILING_ROUNDS (6), BENCH_FILING_ROUND (10) size it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PG_BENCH_DB = "keel_bench_filing"
RUNS = int(os.environ.get("BENCH_FILING_RUNS", "3"))
ROUNDS = int(os.environ.get("BENCH_FILING_ROUNDS", "6"))
ROUND = int(os.environ.get("BENCH_FILING_ROUND", "10"))
TRIVIAL = "/api/v1/positions/?limit=1"
FILE = "/api/v1/crises/"
BODY = {"scenario": "debt-collection-emergency", "title": "bench", "unit": "sh-business"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_pg(url: str) -> str:
    import psycopg

    parts = urlparse(url)
    with psycopg.connect(urlunparse(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (PG_BENCH_DB,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
    return urlunparse(parts._replace(path=f"/{PG_BENCH_DB}"))


def _summary(label: str, ratios: list[float]) -> str:
    return (
        f"    {label}: ratio min {min(ratios):.3f}  median {statistics.median(ratios):.3f}  "
        f"max {max(ratios):.3f}  (runs: {', '.join(f'{r:.3f}' for r in ratios)})"
    )


def _alternate(trivial, filing) -> tuple[float, float, float]:
    """ROUNDS alternating rounds; returns (trivial req/s, filing req/s, ratio)."""
    spent = {"trivial": 0.0, "filing": 0.0}
    for _ in range(ROUNDS):
        for name, call in (("trivial", trivial), ("filing", filing)):
            t = time.perf_counter()
            for _ in range(ROUND):
                call()
            spent[name] += time.perf_counter() - t
    n = ROUNDS * ROUND
    trivial_rps, filing_rps = n / spent["trivial"], n / spent["filing"]
    return trivial_rps, filing_rps, filing_rps / trivial_rps


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2])
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    base.update(
        DJANGO_SETTINGS_MODULE="hrcore.settings.local",
        KEEL_LOG_LEVEL="ERROR",
        DJANGO_DEBUG="false",
        KEEL_THROTTLE_USER="1000000/min",
    )
    # One key for the seeding step, the in-process child and gunicorn (sessions and tokens).
    base.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    runs = [("embedded (SQLite + filesystem broker)", {})]
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"):
        runs.append(
            (
                "scale-out (PostgreSQL + Redis)",
                {
                    "DATABASE_URL": _reset_pg(os.environ["DATABASE_URL"]),
                    "REDIS_URL": os.environ["REDIS_URL"],
                },
            )
        )
    else:
        print("(no DATABASE_URL/REDIS_URL: the PostgreSQL + Redis tier is skipped)")
    code = 0
    for label, extra in runs:
        print(f"\n##### filing ÷ trivial GET, {label}", flush=True)
        with tempfile.TemporaryDirectory(prefix="keel-bench-filing-") as tmp:
            env = {**base, **extra, "KEEL_DATA_DIR": tmp}
            code |= subprocess.run(
                [sys.executable, __file__, "--child", "setup"], cwd=ROOT, env=env
            ).returncode
            code |= subprocess.run(
                [sys.executable, __file__, "--child", "inprocess"], cwd=ROOT, env=env
            ).returncode
            code |= http(env)
    return code


def http(env: dict) -> int:
    import httpx

    token = subprocess.run(
        [sys.executable, "manage.py", "issue_api_token", "manager", "--scopes", "read,write"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "hrcore.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get(TRIVIAL).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    print("    gunicorn did not answer: HTTP skipped")
                    return 1
                time.sleep(0.3)

            def trivial():
                assert client.get(TRIVIAL).status_code == 200

            def filing():
                r = client.post(FILE, json=BODY)
                assert r.status_code == 201, r.text

            for _ in range(ROUND):  # warm both workers
                trivial()
                filing()
            ratios = []
            for run in range(RUNS):
                trivial_rps, filing_rps, ratio = _alternate(trivial, filing)
                ratios.append(ratio)
                print(
                    f"    HTTP run {run + 1}: trivial {trivial_rps:.0f} req/s, "
                    f"filing {filing_rps:.1f} req/s, ratio {ratio:.3f}",
                    flush=True,
                )
            print(_summary("over HTTP (gunicorn, 2 sync workers)", ratios))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


def _sized_map(n: int) -> str:
    """A published group-wide map of ``n`` duties for the bench (functions in turn, every third
    duty waiting for the one before, every fourth held by nobody: the executive takes it)."""
    from django.utils import timezone

    from hrcore.models import OrgUnit, Position
    from responsibilities.models import Duty, ResponsibilityMap, Scenario

    code = f"bench-{n}-duties"
    scenario = Scenario.objects.create(code=code, name_zh=code, name_en=code)
    rmap = ResponsibilityMap.objects.create(
        scenario=scenario,
        scope=OrgUnit.objects.get(parent=None),
        version=1,
        status="published",
        title_zh=code,
        title_en=code,
        published_at=timezone.now(),
    )
    nobody, _ = Position.objects.get_or_create(
        code="bench-nobody", defaults={"title_zh": "无人", "title_en": "Nobody", "grade": 1}
    )
    functions = ["finance", "legal", "administration", "hr", "customer_service"]
    for i in range(n):
        Duty.objects.create(
            map=rmap,
            order=i,
            code=f"d{i}",
            assignee_function="" if i % 4 == 3 else functions[i % len(functions)],
            assignee_position=nobody if i % 4 == 3 else None,
            deadline_minutes=30 + i,
            after=[f"d{i - 1}"] if i % 3 == 2 else [],
            escalation=["manager", "executive"],
            action_zh=f"d{i}",
            action_en=f"d{i}",
        )
    return code


def child(what: str) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if what == "setup":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from hrcore import demo as hr_demo
        from integrations import demo as int_demo
        from responsibilities import demo as resp_demo

        hr_demo.seed()
        resp_demo.seed()
        int_demo.seed()
        return 0
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hrcore.services.tokens import api_token_issue

    user = get_user_model().objects.get(username="manager")
    _token, key = api_token_issue(user=user, scopes=["read", "write"], name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = json.dumps(BODY)

    def trivial():
        assert client.get(TRIVIAL).status_code == 200

    def filing():
        r = client.post(FILE, body, content_type="application/json")
        assert r.status_code == 201, r.content

    for _ in range(ROUND):
        trivial()
        filing()
    # Counted at once: every request resets the connection's query log.
    with CaptureQueriesContext(connection) as ctx:
        filing()
    filing_queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        trivial()
    trivial_queries = len(ctx.captured_queries)
    sized = {}
    for n in (3, 10):
        code = _sized_map(n)
        sized_body = json.dumps({**BODY, "scenario": code})
        assert client.post(FILE, sized_body, content_type="application/json").status_code == 201
        with CaptureQueriesContext(connection) as sized_ctx:
            r = client.post(FILE, sized_body, content_type="application/json")
            assert r.status_code == 201, r.content
        assert len(r.json()["tasks"]) == n
        sized[n] = len(sized_ctx.captured_queries)
    print(
        f"    queries: one filing (5 duties) {filing_queries}, "
        f"3 duties {sized[3]}, 10 duties {sized[10]}, the trivial GET {trivial_queries}",
        flush=True,
    )
    ratios = []
    for run in range(RUNS):
        trivial_rps, filing_rps, ratio = _alternate(trivial, filing)
        ratios.append(ratio)
        print(
            f"    in-process run {run + 1}: trivial {trivial_rps:.0f} req/s, "
            f"filing {filing_rps:.1f} req/s, ratio {ratio:.3f}",
            flush=True,
        )
    print(_summary("in-process (WSGI, no socket)", ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
