#!/usr/bin/env python
"""Dashboard, pages under load and memory (issue 12, items 2, 3, 4, 6, 7).

    .venv/bin/python bench/dashboard.py            (or: make bench / bench/run.py dashboard)
    BENCH_DB=sqlite bench/dashboard.py             one database only (sqlite | postgres)
    BENCH_LEAK_ROUNDS=10                           rounds of the leak check (default 10)

For each database — the embedded default (SQLite, fresh file) and a throw-away PostgreSQL
cluster (``tests/run_tiers.start_postgres``) — in one run:

1. **Flat dashboard**: the executive dashboard page, its polled board partial and the crisis
   API list as the VP, with 10 open crises and then with 10,000 (bulk copies of a filed crisis
   and its tasks, spread over the last 20 days), in-process (Django test client): median time,
   ratio 10k ÷ 10 and query counts; then the plan of every query of the 10k dashboard
   (``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite).
2. **Pages under load**: gunicorn (2 workers × 4 threads, as ``make run``) + a Celery worker
   and beat on the same database; 8 client threads (httpx, keep-alive) for 20 s go round the
   crisis page, dashboard, customer list, dossier page, map page and a trivial authenticated
   GET (``/api/v1/positions/?limit=1``); p50/p99 per page and ÷ the trivial page, errors; then
   the crisis page's polled partial with its ETag (a room of open pages: 304s).
3. **Memory**: RSS of each gunicorn worker, the Celery worker(s) and beat after a warm-up, after
   the load, and across ``BENCH_LEAK_ROUNDS`` more rounds of the dashboard load (a leak check:
   growth from round 2 to the last; reported, not a pass/fail of CI).
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 10_000
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
CLIENTS = 8
LEAK_ROUNDS = int(os.environ.get("BENCH_LEAK_ROUNDS", "10"))


RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WARM_RUNS = 6


def main() -> int:
    if os.environ.get("BENCH_CHILD"):
        return child()
    wanted = os.environ.get("BENCH_DB", "sqlite,postgres").split(",")
    failures = 0
    for db in wanted:
        results = []
        for run in range(1, RUNS + 1):
            print(f"\n##### {db}, run {run} of {RUNS}", flush=True)
            outcome = _one_run(db)
            if outcome is None:
                break
            code, result = outcome
            failures += code != 0
            if result:
                results.append(result)
        if results:
            _summary(db, results)
    return 1 if failures else 0


def _one_run(db: str) -> tuple[int, dict] | None:
    """One child process on a fresh database; its figures come back as JSON."""
    import json
    import shutil

    env = {**os.environ, "BENCH_CHILD": db, "DJANGO_SETTINGS_MODULE": "hrcore.settings.local"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    work = Path(tempfile.mkdtemp(prefix=f"keel-bench-dash-{db}-"))
    env["KEEL_DATA_DIR"] = str(work / "data")
    env["BENCH_RESULT"] = str(work / "result.json")
    # a throw-away key: the fresh data folder has no secret_key file until `make run` makes one
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    stop = None
    try:
        if db == "postgres":
            from tests.run_tiers import start_postgres

            started = start_postgres(work)
            if started is None:
                print("PostgreSQL: skipped (no initdb/pg_ctl)")
                return None
            url, stop = started
            subprocess.run(
                ["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE keel"],
                check=True,
            )
            env["DATABASE_URL"] = url
        code = subprocess.run([sys.executable, __file__], env=env, cwd=ROOT).returncode
        result_file = work / "result.json"
        result = json.loads(result_file.read_text()) if result_file.exists() else {}
        return code, result
    finally:
        if stop:
            stop()
        shutil.rmtree(work, ignore_errors=True)


def _summary(db: str, results: list[dict]) -> None:
    """Min / median / max over the runs of every figure the runs share."""
    keys = [k for k in results[0] if all(k in r for r in results)]
    print(f"\n##### {db}: {len(results)} run(s), min / median / max")
    for key in keys:
        values = [r[key] for r in results]
        if not all(isinstance(v, int | float) for v in values):
            print(f"  {key:<52} {' | '.join(str(v) for v in values)}")
            continue
        values.sort()
        low, mid, high = values[0], statistics.median(values), values[-1]
        print(f"  {key:<52} {low:g} / {mid:g} / {high:g}")


# --- in the child: one database -------------------------------------------------------------


def child() -> int:
    import json

    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.db import transaction

    from crisis import demo as c_demo
    from hrcore import demo as hr_demo
    from integrations import demo as i_demo
    from responsibilities import demo as r_demo

    db = os.environ["BENCH_CHILD"]
    t0 = time.perf_counter()
    call_command("init_data_dir", verbosity=0)  # the broker's folders, as `make run` does
    call_command("migrate", verbosity=0)
    for seed in (hr_demo.seed, r_demo.seed, i_demo.seed, c_demo.seed):
        with transaction.atomic():
            seed()
    print(f"fresh {db} database with the demo data in {time.perf_counter() - t0:.1f} s")
    result: dict = {}
    flat = dashboard_flat(db, result)
    load = pages_under_load(db, result)
    Path(os.environ["BENCH_RESULT"]).write_text(json.dumps(result))
    return 0 if (flat and load) else 1


def _client(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.conftest import pass_second_factor

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client


def _file_open_crises(n: int) -> list:
    from django.contrib.auth import get_user_model

    from crisis.services.filing import crisis_file

    manager = get_user_model().objects.get(username="manager")
    return [
        crisis_file(scenario="debt-collection-emergency", title=f"Bench crisis {i}", actor=manager)
        for i in range(n)
    ]


def _clone_crises(template, count: int) -> None:
    """``count`` copies of ``template`` and its tasks, filed over the last 20 days (bulk)."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from crisis.models import Crisis, Task
    from crisis.services.board import crisis_board_flags_refresh

    tasks = list(Task.objects.filter(crisis=template).order_by("id"))
    now = timezone.now()
    made = 0
    while made < count:
        size = min(1000, count - made)
        with transaction.atomic():
            copies = []
            for i in range(size):
                c = Crisis.objects.get(pk=template.pk)
                c.pk = None
                c.title = f"Bench copy {made + i}"
                c.filed_at = now - timedelta(minutes=(made + i) * 20 * 24 * 60 // count + 1)
                copies.append(c)
            copies = Crisis.objects.bulk_create(copies)
            rows = []
            for c in copies:
                for t in tasks:
                    t2 = Task(
                        **{f.attname: getattr(t, f.attname) for f in Task._meta.concrete_fields}
                    )
                    t2.pk = None
                    t2.crisis_id = c.pk
                    rows.append(t2)
            Task.objects.bulk_create(rows)
            crisis_board_flags_refresh([c.pk for c in copies])
        made += size
    # Fresh statistics after a bulk load, as autovacuum's analyze would take in production.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _time(client, url: str, rounds: int = 7) -> tuple[float, int, list, float]:
    """Median wall time of ``rounds`` requests, the query count and queries of one more, and
    the fastest round (on a shared machine the least disturbed by other work)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Warm: past psycopg's prepare threshold (5 runs), so every size is timed with its statements
    # prepared, as a long-running server runs them.
    for _ in range(WARM_RUNS):
        client.get(url)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        assert client.get(url).status_code == 200, url
        times.append(time.perf_counter() - t)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), len(ctx.captured_queries), ctx.captured_queries, min(times)


def _explain(queries: list, db: str) -> None:
    from django.db import connection

    prefix = "EXPLAIN ANALYZE " if db == "postgres" else "EXPLAIN QUERY PLAN "
    for q in queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        print(f"  -- {sql[:240]}{'…' if len(sql) > 240 else ''}")
        # captured SQL has parameters inlined; run it through EXPLAIN as is
        with connection.cursor() as cur:
            try:
                cur.execute(prefix + sql)
                for row in cur.fetchall():
                    print("     ", " | ".join(str(x) for x in row))
            except Exception as exc:
                print(f"      (no plan: {exc.__class__.__name__}: {exc})")


def dashboard_flat(db: str, result: dict) -> bool:
    from django.urls import reverse

    from crisis.models import Crisis

    crises = _file_open_crises(10)
    vp = _client("vp")
    urls = {
        "dashboard": reverse("crisis:dashboard"),
        "board": reverse("crisis:dashboard_live"),
        "api list": "/api/v1/crises/",
        # the API's default page is 50 rows: with 10 crises it shows 10, so the same 10 rows
        # at 10,000 tell the cost of the crises apart from the cost of rendering more rows
        "api list limit=10": "/api/v1/crises/?limit=10",
    }
    small = {name: _time(vp, url) for name, url in urls.items()}
    _file_open_crises(15)  # 25 open: the board's first page is full, as at 10,000
    full = {name: _time(vp, url) for name, url in urls.items()}
    t = time.perf_counter()
    _clone_crises(crises[0], TARGET - Crisis.objects.filter(status="open").count())
    print(
        f"{Crisis.objects.filter(status='open').count()} open crises "
        f"(bulk copies in {time.perf_counter() - t:.1f} s)"
    )
    big = {name: _time(vp, url) for name, url in urls.items()}
    ok = True
    print(
        "\n[dashboard flat] in-process, VP, median of 7"
        "      10        25    10,000  10k÷10  10k÷25  queries 10 / 25 / 10k"
    )
    for name in urls:
        (s, sq, _, s_min), (f, fq, _, f_min), (b, bq, _, b_min) = (
            small[name],
            full[name],
            big[name],
        )
        ratio = b / s
        ok &= sq == bq == fq
        result[f"{name} 10k÷10"] = round(ratio, 2)
        result[f"{name} 10k÷25"] = round(b / f, 2)
        result[f"{name} 10k÷10 fastest of 7"] = round(b_min / s_min, 2)
        result[f"{name} 10k÷25 fastest of 7"] = round(b_min / f_min, 2)
        result[f"{name} queries 10 / 10k"] = f"{sq} / {bq}"
        print(
            f"  {name:<20} {s * 1000:7.1f} ms {f * 1000:7.1f} ms {b * 1000:7.1f} ms"
            f"  {ratio:5.2f}×  {b / f:5.2f}×  {sq} / {fq} / {bq}"
            f"{'' if sq == fq == bq else '  (NOT equal)'}  {'ok' if ratio <= 1.2 else 'over 1.2×'}"
            f"  (fastest of 7: {b_min / s_min:.2f}× / {b_min / f_min:.2f}×)"
        )
    print("\n[plans] every query of the dashboard at 10,000 open crises:")
    _explain(big["dashboard"][2], db)
    print("\n[plans] the board partial:")
    _explain(big["board"][2], db)
    print("\n[plans] the API list:")
    _explain(big["api list"][2], db)
    return ok


# --- pages under load -----------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        out = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(x) for x in out]


def _memory(procs: dict) -> dict[str, float]:
    rows = {}
    for name, proc in procs.items():
        kids = _children(proc.pid)
        if name == "gunicorn":
            for i, kid in enumerate(sorted(kids)):
                rows[f"gunicorn worker {i + 1}"] = _rss_mb(kid)
        elif name == "worker":
            rows["celery worker (main)"] = _rss_mb(proc.pid)
            for i, kid in enumerate(sorted(kids)):
                rows[f"celery worker child {i + 1}"] = _rss_mb(kid)
        else:
            rows[f"celery {name}"] = _rss_mb(proc.pid)
    return rows


def _session_cookie(username: str) -> dict:
    from django.conf import settings

    client = _client(username)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def _run_load(base: str, targets: dict, cookies: dict, seconds: float) -> dict:
    import httpx

    results: dict[str, list[float]] = {name: [] for name in targets}
    errors: dict[str, int] = {name: 0 for name in targets}
    stop = time.monotonic() + seconds
    names = list(targets)

    def worker(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            n = i
            while time.monotonic() < stop:
                name = names[n % len(names)]
                n += 1
                user, url = targets[name]
                t = time.perf_counter()
                try:
                    r = client.get(url, cookies=cookies[user])
                    bad = r.status_code != 200
                except httpx.HTTPError:
                    bad = True
                results[name].append(time.perf_counter() - t)
                errors[name] += bad

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {"times": results, "errors": errors}


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def pages_under_load(db: str, result: dict) -> bool:
    import httpx

    from crisis.models import Crisis
    from customers.models import Customer
    from responsibilities.models import ResponsibilityMap

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("BENCH_CHILD", None)
    data_dir = Path(os.environ["KEEL_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "processes.log", "w")  # noqa: SIM115
    commands = {
        "gunicorn": [
            str(bindir / "gunicorn"),
            "hrcore.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        "worker": [
            str(bindir / "celery"),
            "-A",
            "hrcore",
            "worker",
            "-Q",
            "default,sla",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        "beat": [
            str(bindir / "celery"),
            "-A",
            "hrcore",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(Path(os.environ["KEEL_DATA_DIR"]) / "beat-schedule"),
        ],
    }
    procs = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
        for name, cmd in commands.items()
    }
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        crisis = Crisis.objects.filter(title="Bench crisis 0").first()
        customer = Customer.objects.order_by("id").first()
        rmap = ResponsibilityMap.objects.filter(status="published").order_by("id").first()
        cookies = {u: _session_cookie(u) for u in ("vp", "manager")}
        targets = {
            "trivial": ("manager", "/api/v1/positions/?limit=1"),
            "crisis page": ("manager", f"/crises/{crisis.pk}/"),
            "dashboard": ("vp", "/crises/dashboard/"),
            "customer list": ("manager", "/integrations/customers/"),
            "dossier": ("manager", f"/integrations/customers/{customer.external_id}/"),
            "map page": ("manager", f"/maps/{rmap.pk}/"),
        }
        _run_load(base, targets, cookies, 3)  # warm-up
        time.sleep(1)
        warm = _memory(procs)
        run = _run_load(base, targets, cookies, LOAD_SECONDS)
        after = _memory(procs)
        trivial99 = _pct(run["times"]["trivial"], 99)
        trivial50 = _pct(run["times"]["trivial"], 50)
        ok = True
        print(
            f"\n[pages under load] gunicorn 2×4 + {db}, {CLIENTS} clients, {LOAD_SECONDS:.0f} s, "
            f"{sum(len(v) for v in run['times'].values())} requests"
        )
        print("  page              n     p50 ms   p99 ms   p50÷triv  p99÷triv  errors")
        for name, times in run["times"].items():
            p50, p99 = _pct(times, 50), _pct(times, 99)
            ok &= run["errors"][name] == 0 and (name == "trivial" or p99 / trivial99 < 10)
            if name != "trivial":
                result[f"load p99÷trivial p99 {name}"] = round(p99 / trivial99, 2)
            result[f"load errors {name}"] = run["errors"][name]
            print(
                f"  {name:<15} {len(times):5d} {p50 * 1000:9.1f} {p99 * 1000:8.1f} "
                f"{p50 / trivial50:9.2f} {p99 / trivial99:9.2f}  {run['errors'][name]}"
            )
        # a room of open crisis pages: the polled partials answer 304 while nothing changes
        live = f"/crises/{crisis.pk}/live/"
        with httpx.Client(base_url=base, timeout=30, cookies=cookies["manager"]) as c:
            etag = c.get(live).headers.get("ETag") or ""
            codes = []
            t = time.perf_counter()
            for _ in range(50):  # as a browser polls: keep the newest ETag
                r = c.get(live, headers={"If-None-Match": etag})
                codes.append(r.status_code)
                etag = r.headers.get("ETag") or etag
            cond = (time.perf_counter() - t) / 50
            t = time.perf_counter()
            for _ in range(50):
                c.get(live)
            full = (time.perf_counter() - t) / 50
        print(
            f"  polled crisis partial: 200 in {full * 1000:.1f} ms, with its ETag "
            f"{codes.count(304)}/50 × 304 in {cond * 1000:.1f} ms ({cond / full:.2f}× of a 200;"
            " a 200 among them: the minute turned or something changed)"
        )
        result["polled partial 304s of 50"] = codes.count(304)
        result["polled partial with ETag ÷ 200"] = round(cond / full, 2)
        # memory and the leak check
        rounds = []
        leak_targets = {k: targets[k] for k in ("dashboard", "crisis page", "trivial")}
        for _ in range(LEAK_ROUNDS):
            _run_load(base, leak_targets, cookies, 3)
            rounds.append(_memory(procs))
        print(f"\n[memory] RSS MB     warm-up   after load  round 2 → round {LEAK_ROUNDS}  growth")
        for name in warm:
            r2 = rounds[1].get(name, 0) if len(rounds) > 1 else 0
            rl = rounds[-1].get(name, 0) if rounds else 0
            print(
                f"  {name:<24} {warm[name]:7.1f} {after.get(name, 0):10.1f} "
                f"{r2:9.1f} → {rl:7.1f}  {rl - r2:+6.1f}"
            )
            result[f"RSS MB warm-up {name}"] = round(warm[name], 1)
            result[f"RSS MB after load {name}"] = round(after.get(name, 0), 1)
            result[f"RSS growth MB round 2→{LEAK_ROUNDS} {name}"] = round(rl - r2, 1)
        return ok
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
