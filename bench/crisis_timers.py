#!/usr/bin/env python
"""Crisis engine benchmark (not part of CI). One command:

    .venv/bin/python bench/crisis_timers.py
    # or with the scale-out tier as well:
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/keel REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/crisis_timers.py

It measures, on a throw-away database per backend (SQLite file in a temp dir; PostgreSQL database
``keel_bench_ce`` created/reset on the given server):

1. timer lateness (fired − due) over BENCH_TIMERS (default 1000) breaches due over a 60 s window,
   fired by ``manage.py run_timers`` next to a real ``celery -A hrcore worker -B`` (filesystem
   broker embedded, Redis scale-out), as `make run` deploys them; BENCH_TIMER_LOOP=0: tick only;
   1b. idle cost: queries per hour the timers spend while nothing is due, before and now;
2. sweep cost with 10k versus BENCH_PENDING pending timers (default 200k on SQLite, 1M on
   PostgreSQL): an idle sweep and a sweep that fires 50 breaches;
3. filing throughput as a ratio to a trivial authenticated endpoint (GET /api/v1/positions/),
   in-process WSGI (django.test.Client) on the same settings;
4. dashboard page, its polled board partial and the API list: time and query count with 10
   versus 10k open crises, and the 10k ÷ 10 time ratio.

2b. one sweep firing 200 breaches whose duties have escalation chains: statements per breach;
BENCH_TIERS=embedded,pg picks tiers; BENCH_PHASES=lateness,idle,sweep,chained,filing,dashboard picks
phases; BENCH_TIMERS, BENCH_WINDOW (s) and BENCH_PENDING size them.

Figures only, no pass/fail.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PG_BENCH_DB = "keel_bench_ce"


# --- orchestration (parent) ----------------------------------------------------------------


def _pg_url(url: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{PG_BENCH_DB}"))


def _reset_pg(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (PG_BENCH_DB,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2])
    base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    base_env["DJANGO_SETTINGS_MODULE"] = "hrcore.settings.local"
    base_env["KEEL_LOG_LEVEL"] = "ERROR"
    # One key for the child and the worker it starts (settings read it at import; the data
    # folder's key file is written after that, by init_data_dir).
    base_env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    runs = [("embedded (SQLite + filesystem broker)", {}, "embedded")]
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"):
        _reset_pg(os.environ["DATABASE_URL"])
        runs.append(
            (
                "scale-out (PostgreSQL + Redis + Celery)",
                {
                    "DATABASE_URL": _pg_url(os.environ["DATABASE_URL"]),
                    "REDIS_URL": os.environ["REDIS_URL"],
                },
                "pg",
            )
        )
    else:
        print("(no DATABASE_URL/REDIS_URL: scale-out tier skipped)")
    tiers = os.environ.get("BENCH_TIERS", "")  # e.g. "pg": the scale-out tier only
    if tiers:
        runs = [run for run in runs if run[2] in tiers.split(",")]
    code = 0
    for label, extra, name in runs:
        print(f"\n##### {label}", flush=True)
        with tempfile.TemporaryDirectory(prefix="keel-bench-ce-") as tmp:
            env = {**base_env, **extra, "KEEL_DATA_DIR": tmp}
            code |= subprocess.run(
                [sys.executable, __file__, "--child", name], cwd=ROOT, env=env
            ).returncode
    return code


# --- measurements (child, Django configured from the environment) ---------------------------


def child(backend: str) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init_data_dir", verbosity=0)  # the filesystem broker's folders
    call_command("migrate", verbosity=0)
    from hrcore import demo as hr_demo
    from integrations import demo as int_demo
    from responsibilities import demo as resp_demo

    hr_demo.seed()
    resp_demo.seed()
    int_demo.seed()

    big_default = 1_000_000 if backend == "pg" else 200_000
    big = int(os.environ.get("BENCH_PENDING", big_default))
    timers = int(os.environ.get("BENCH_TIMERS", "1000"))

    phases = set(
        os.environ.get("BENCH_PHASES", "lateness,idle,sweep,chained,filing,dashboard").split(",")
    )
    if "lateness" in phases:
        lateness(timers)
    if "idle" in phases:
        idle_cost()
    if "sweep" in phases:
        sweep_cost([10_000, big])
    if "chained" in phases:
        chained_breaches()
    if "filing" in phases:
        filing_ratio()
    if "dashboard" in phases:
        dashboard([10, 10_000])
    return 0


def _fixture():
    from django.contrib.auth import get_user_model

    from hrcore.models import OrgUnit
    from responsibilities.selectors import published_map_for

    unit = OrgUnit.objects.get(code="sh-business")
    rmap = published_map_for(scenario="debt-collection-emergency", unit=unit)
    duties = list(rmap.duties.all().order_by("order", "id"))
    manager = get_user_model().objects.get(username="manager")
    return unit, rmap, duties, manager


def bulk_crises(n: int, *, tasks_per_crisis: int, due, state="running", escalation=None):
    """Insert ``n`` open crises with their tasks directly (fast, realistic shape)."""
    from django.utils import timezone

    from crisis.models import Crisis, Task

    unit, rmap, duties, manager = _fixture()
    now = timezone.now()
    made = 0
    batch = 2000
    while made < n:
        k = min(batch, n - made)
        crises = Crisis.objects.bulk_create(
            [
                Crisis(
                    scenario=rmap.scenario,
                    map=rmap,
                    map_version=rmap.version,
                    unit=unit,
                    title=f"bench {made + i}",
                    severity="high",
                    source="demo",
                    filed_by=manager,
                    filed_at=now,
                )
                for i in range(k)
            ]
        )
        rows = []
        for i, crisis in enumerate(crises):
            for d in duties[:tasks_per_crisis]:
                due_at = due(made + i) if callable(due) else due
                rows.append(
                    Task(
                        crisis=crisis,
                        duty=d,
                        duty_code=d.code,
                        deliverable_kind=d.deliverable,
                        deadline_minutes=d.deadline_minutes,
                        warn_ratio=d.warn_ratio,
                        after=[],
                        escalation=d.escalation if escalation is None else escalation,
                        assignee_id=None,
                        status="open",
                        started_at=now,
                        warn_at=due_at,
                        due_at=due_at,
                        timer_state=state,
                        warned_at=now,
                    )
                )
        Task.objects.bulk_create(rows, batch_size=5000)
        made += k
    return made


def _wipe():
    from django.db import connection

    from crisis.models import Crisis, CrisisParticipant, Task, TimelineEvent
    from hrcore.models import Notification, OutboxMessage

    if connection.vendor == "postgresql":
        # The timeline is append-only and crises are not deletable there (row triggers, see
        # crisis migration 0006); TRUNCATE fires no row trigger and is the bench's reset.
        tables = ", ".join(
            f'"{m._meta.db_table}"' for m in (TimelineEvent, CrisisParticipant, Task, Crisis)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")
    else:
        TimelineEvent.objects.all()._raw_delete(TimelineEvent.objects.db)
        CrisisParticipant.objects.all().delete()
        Task.objects.all()._raw_delete(Task.objects.db)
        Crisis.objects.all()._raw_delete(Crisis.objects.db)
    Notification.objects.all().delete()
    OutboxMessage.objects.all().delete()
    if connection.vendor == "postgresql":
        # A million rows just deleted leave dead tuples and stale statistics until autovacuum
        # comes by; without this the next phase measured the planner's confusion (dashboard 4 s
        # with 10 crises right after the 1M sweep, 66 ms on a fresh database).
        with connection.cursor() as cursor:
            for model in (TimelineEvent, CrisisParticipant, Task, Crisis, Notification):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def lateness(n: int) -> None:
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from crisis.models import Task, TimelineEvent
    from hrcore.models import Heartbeat

    _wipe()
    print(f"\n[1] timer lateness over {n} timers")
    # As `make run` and docker-compose deploy it: the timer loop fires at the due time, the beat
    # tick (every 10 s then) is the safety net. BENCH_TIMER_LOOP=0 measures the tick alone.
    use_loop = os.environ.get("BENCH_TIMER_LOOP", "1") != "0"
    env = {**os.environ, "KEEL_LOG_LEVEL": "ERROR"}
    if use_loop:
        env.setdefault("KEEL_TICK_SECONDS", "10")
    print(
        "    timer loop (manage.py run_timers) + beat tick every "
        f"{env.get('KEEL_TICK_SECONDS', settings.KEEL_TICK_SECONDS)} s"
        if use_loop
        else "    beat tick only"
    )
    data_dir = Path(os.environ["KEEL_DATA_DIR"])
    timers = (
        subprocess.Popen(
            [sys.executable, "manage.py", "run_timers"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if use_loop
        else None
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hrcore",
            "worker",
            "-B",
            "-Q",
            "sla,default",
            "--concurrency=2",
            "--pool=threads",
            "-s",
            str(data_dir / "bench-beat"),
            "--loglevel=ERROR",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        Heartbeat.objects.filter(name="tick").delete()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Heartbeat.objects.filter(name="tick").exists():
            time.sleep(0.5)
        if not Heartbeat.objects.filter(name="tick").exists():
            print("    worker/beat never ticked: skipped")
            return
        window = float(os.environ.get("BENCH_WINDOW", "60"))
        load_before = os.getloadavg()
        cpu_before = _cpu_seconds(timers.pid) if timers else 0.0
        start = timezone.now() + timedelta(seconds=5)
        # Escalation chains left empty so a breach is one fire (no extra step notifications).
        bulk_crises(
            n,
            tasks_per_crisis=1,
            due=lambda i: start + timedelta(seconds=window * i / n),
            state="warned",
            escalation=[],
        )
        wait_until = time.monotonic() + window + 60
        while time.monotonic() < wait_until:
            fired = TimelineEvent.objects.filter(kind="task_breached").count()
            if fired >= n:
                break
            time.sleep(1)
        loop_cpu = _cpu_seconds(timers.pid) - cpu_before if timers else 0.0
        load_after = os.getloadavg()
        due = dict(Task.objects.values_list("pk", "due_at"))
        late = [
            (at - due[task_id]).total_seconds()
            for task_id, at in TimelineEvent.objects.filter(kind="task_breached").values_list(
                "task_id", "at"
            )
        ]
        per_task = TimelineEvent.objects.filter(kind="task_breached").values("task_id").distinct()
        print(
            f"    fired {len(late)}/{n} (distinct tasks {per_task.count()}); lateness s: "
            f"p50 {_pct(late, 50):.3f}  p95 {_pct(late, 95):.3f}  p99 {_pct(late, 99):.3f}  "
            f"max {max(late):.3f}  "
            f"min {min(late):.3f}"
            if late
            else "    nothing fired"
        )
        if timers and late:
            print(
                f"    timer loop CPU {loop_cpu:.2f} s ({1000 * loop_cpu / len(late):.1f} ms per "
                f"fired timer); load average 1 min {load_before[0]:.2f} before, "
                f"{load_after[0]:.2f} after ({os.cpu_count()} CPUs)"
            )
    finally:
        for process in (worker, timers):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a running process (/proc; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cost() -> None:
    """Queries per hour spent on timers while nothing is due (1,000 timers due tomorrow): the
    beat tick alone every 2 s (before the timer loop) against the loop plus a 10 s tick."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from crisis import timer_loop
    from hrcore.tasks import tick

    _wipe()
    bulk_crises(200, tasks_per_crisis=5, due=timezone.now() + timedelta(days=1))
    print("\n[1b] idle cost of the timers (queries per hour, nothing due)")
    tick()
    with CaptureQueriesContext(connection) as ctx:
        tick()
    per_tick = len(ctx.captured_queries)
    timer_loop.run_once(max_sleep=1)
    with CaptureQueriesContext(connection) as ctx:
        timer_loop.run_once(max_sleep=1)
    per_wake = len(ctx.captured_queries)
    if connection.vendor == "postgresql":
        wake_every, how = timer_loop.PG_MAX_SLEEP_SECONDS, "LISTEN, wakes at most every"
        idle_tick_wakes = 0  # the trigger fires on writes only; an idle sweep writes no task
    else:
        wake_every = timer_loop.FILE_MAX_SLEEP_SECONDS
        how = f"wake file stat every {timer_loop.FILE_CHECK_SECONDS:g} s, no query; asks at most every"
        # Does an idle tick itself wake the loop (a statement writing task timers)?
        from crisis import timer_wake

        mark = timer_wake.wake_mark()
        tick()
        idle_tick_wakes = int(timer_wake.wake_mark() != mark)
    before = per_tick * 3600 / 2
    loop_turns = 3600 / wake_every + idle_tick_wakes * 3600 / 10
    after = per_tick * 3600 / 10 + per_wake * loop_turns
    print(
        f"    tick: {per_tick} queries; loop turn: {per_wake} query ({how} {wake_every:g} s; "
        f"an idle tick wakes it: {bool(idle_tick_wakes)})\n"
        f"    loop wake-ups per hour while idle: {loop_turns:,.0f}\n"
        f"    before (tick every 2 s): {before:,.0f}/h; now (tick every 10 s + loop): "
        f"{after:,.0f}/h ({after / before:.2f}x); the 5 s outbox relay beat is the same in both"
    )
    _wipe()


def chained_breaches(n: int = 200) -> None:
    """``n`` breaches whose duty has an escalation chain (its first step runs with the breach),
    assignees with managers so every kind of step resolves someone: one sweep, its statements."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from crisis.models import Task
    from crisis.services.sweep import sla_sweep
    from hrcore.models import Employee

    print(f"\n[2b] {n} breaches with an escalation chain fired by one sweep")
    _wipe()
    past = timezone.now() - timedelta(seconds=1)
    bulk_crises(n // 5, tasks_per_crisis=5, due=past)
    staff = list(Employee.objects.filter(manager__isnull=False).values_list("pk", flat=True))
    chains = (["manager", "executive"], ["executive"], ["position:finance-manager", "manager"])
    for i, task in enumerate(Task.objects.order_by("pk")):
        Task.objects.filter(pk=task.pk).update(
            assignee_id=staff[i % len(staff)], escalation=chains[i % len(chains)]
        )
    reverse("crisis:detail", args=[1])  # the URLconf loaded (once a process) before timing
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        fired = sla_sweep()
        took = time.perf_counter() - t
    print(
        f"    fired {fired['breach']} breaches (first escalation step each) in "
        f"{took * 1000:.0f} ms with {len(ctx.captured_queries)} statements "
        f"({len(ctx.captured_queries) / max(1, fired['breach']):.1f} per breach)"
    )
    _wipe()


def sweep_cost(sizes: list[int]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from crisis.services.sweep import sla_sweep  # after django.setup() (child)

    print("\n[2] sweep cost versus pending timers")
    results = []
    for size in sizes:
        _wipe()
        t0 = time.perf_counter()
        future = timezone.now() + timedelta(days=1)
        bulk_crises(size // 5, tasks_per_crisis=5, due=future)
        insert = time.perf_counter() - t0
        idle = []
        for _ in range(5):
            t = time.perf_counter()
            sla_sweep()
            idle.append(time.perf_counter() - t)
        past = timezone.now() - timedelta(seconds=1)
        bulk_crises(10, tasks_per_crisis=5, due=past, escalation=[])
        t = time.perf_counter()
        fired = sla_sweep()
        busy = time.perf_counter() - t
        results.append((size, statistics.median(idle), busy, fired["breach"]))
        print(
            f"    {size:>9,} pending (inserted in {insert:.0f} s): idle sweep "
            f"{statistics.median(idle) * 1000:.1f} ms; sweep firing {fired['breach']} breaches "
            f"{busy * 1000:.0f} ms"
        )
    if len(results) == 2:
        (s1, i1, b1, _), (s2, i2, b2, _) = results
        print(f"    ratio {s2 // s1}x more pending: idle {i2 / i1:.2f}x, firing {b2 / b1:.2f}x")
    _wipe()


def _client(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def filing_ratio(n: int = 60) -> None:
    import json

    print(f"\n[3] filing throughput vs a trivial authenticated endpoint ({n} requests each)")
    client = _client("manager")
    body = json.dumps(
        {"scenario": "debt-collection-emergency", "title": "bench", "unit": "sh-business"}
    )
    client.get("/api/v1/positions/?limit=1")
    t = time.perf_counter()
    for _ in range(n):
        assert client.get("/api/v1/positions/?limit=1").status_code == 200
    trivial = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(n):
        r = client.post("/api/v1/crises/", body, content_type="application/json")
        assert r.status_code == 201, r.content
    filing = n / (time.perf_counter() - t)
    print(
        f"    trivial {trivial:.0f} req/s; filing (5 tasks, notifications, outbox) {filing:.0f} "
        f"req/s; ratio {filing / trivial:.3f}"
    )
    _wipe()


def dashboard(sizes: list[int]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print("\n[4] dashboard and API list with open crises in scope")
    vp = _client("vp")
    medians: dict[str, list[float]] = {}
    for size in sizes:
        _wipe()
        bulk_crises(size, tasks_per_crisis=5, due=None, state="idle")
        for path in ("/crises/dashboard/", "/crises/dashboard/board/", "/api/v1/crises/"):
            vp.get(path)  # warms caches; not measured
            times = []
            for _ in range(3):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    r = vp.get(path)
                    times.append(time.perf_counter() - t)
            medians.setdefault(path, []).append(statistics.median(times))
            print(
                f"    {size:>6,} crises {path:<22} HTTP {r.status_code} "
                f"{statistics.median(times) * 1000:.0f} ms, {len(ctx.captured_queries)} queries, "
                f"{len(r.content) // 1024} KiB"
            )
    if len(sizes) == 2:
        for path, (small, big) in medians.items():
            print(f"    ratio {sizes[1]:,} vs {sizes[0]:,} crises {path:<22} {big / small:.2f}x")
    _wipe()


if __name__ == "__main__":
    sys.exit(main())
