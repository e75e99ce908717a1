#!/usr/bin/env python
"""Fault suite (issue 11; not part of CI). One command: ``make faults`` (≈ 8–10 min).

Two runs, each on throw-away servers and data:

* **scale-out**: PostgreSQL (initdb/pg_ctl, helpers from tests/run_tiers.py) + Redis + two Celery
  workers + two beats + the timer loop (``run_timers``) + gunicorn + the sandbox partners. Faults: ``kill -9`` worker A at 15 s
  (restarted 5 s later), worker B at 35 s (same), Redis stopped 75–105 s, beat A restarted at
  112 s. A process that exits by itself (not one stopped or killed here) is started again a
  second later, as docker-compose's ``restart: unless-stopped`` does, and counted
  (``restarted_after_own_exit``).
* **embedded** (`make run`'s ``run_keel``: SQLite, filesystem broker, supervisor): ``kill -9`` of
  the worker at 65 s (the supervisor restarts it), the whole ``run_keel`` stopped with Ctrl-C at
  85 s and started again.

"Outage" in the lateness figures is Redis stopped → started (scale-out) and run_keel stopping →
answering again (embedded); "outside" excludes timers due in it, "all" includes them. The
outbox figures say how many rows were still due when the faults were over and how long the
relays took to clear them (bounded at 60 s).

Both file FAULTS_CRISES (default 100) crises × 5 one-minute duties (= 500 timers; warning at
80 %, one escalation step at the breach) through the API from 4 client threads over 60 s
(so warnings fall due 48–108 s and breaches 60–120 s after the start), which keep
listing crises until the end, and report: timers created, warnings/breaches/escalations fired,
duplicates, missed, lateness p50/p99/max (outage excluded and included), notifications written
vs expected, outbox rows delivered vs expected, e-mails sent vs e-mail rows delivered, HTTP
errors seen by clients. Figures only, no pass/fail. FAULTS_TIERS=pg,embedded picks runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.run_tiers import free_port, start_postgres  # noqa: E402

CRISES = int(os.environ.get("FAULTS_CRISES", "100"))
DUTIES = 5
FILING_SECONDS = 60.0
SCENARIO = "faults"


# --- processes ------------------------------------------------------------------------------


class Proc:
    """A child in its own process group (so kill -9 takes its pool with it), logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, logdir: Path):
        self.name, self.argv, self.env, self.logdir = name, argv, env, logdir
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.held = False  # stopped or killed on purpose: not restarted by ``Restarter``
        self.own_exits = 0  # exits nobody asked for, restarted by ``Restarter``

    def start(self) -> None:
        self.held = False
        self.starts += 1
        log = open(self.logdir / f"{self.name}.{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill9(self) -> None:
        self.held = True
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> None:
        self.held = True
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # leftovers of the group


class Restarter(threading.Thread):
    """docker-compose's ``restart: unless-stopped`` for the scale-out run: a process that exits
    by itself (not one the suite stopped or killed) is started again after ``delay`` seconds, and
    counted (``Proc.own_exits``)."""

    def __init__(self, procs: list[Proc], delay: float = 1.0):
        super().__init__(daemon=True)
        self.procs, self.delay = procs, delay
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for p in self.procs:
                if not p.held and p.process is not None and p.process.poll() is not None:
                    p.own_exits += 1
                    time.sleep(self.delay)
                    # Still down, and not taken over by the suite meanwhile.
                    if not (self.done.is_set() or p.held) and p.process.poll() is not None:
                        p.start()


class Redis:
    def __init__(self, logdir: Path):
        self.port = free_port()
        self.proc = Proc(
            "redis",
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            dict(os.environ), logdir,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc.start()
        _wait_port(self.port)

    def stop(self) -> None:
        self.proc.stop()


def _wait_port(port: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def _wait_http(url: str, seconds: float = 90) -> bool:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 600:
                return True
        except httpx.HTTPError:
            time.sleep(0.3)
    return False


def _bin(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


def _manage(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def _setup(env: dict) -> str:
    """Migrate, seed the demo, add the faults map; returns a write token for `manager`."""
    _manage(env, "init_data_dir")  # data folder, broker folders, secret key (settings write none)
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "seed_demo")
    out = subprocess.run(
        [sys.executable, __file__, "--child", "setup"], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


# --- clients --------------------------------------------------------------------------------


class Clients:
    """4 threads: file CRISES crises over FILING_SECONDS, then keep listing until stopped."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.errors: dict[str, int] = {}
        self.filed: list[int] = []
        self.threads: list[threading.Thread] = []

    def _count(self, what: str | None) -> None:
        with self.lock:
            self.requests += 1
            if what:
                self.errors[what] = self.errors.get(what, 0) + 1

    def _loop(self, index: int, started: float) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        client = httpx.Client(base_url=self.base, headers=headers, timeout=30)
        mine = list(range(index, CRISES, 4))
        while not self.stop_flag.is_set():
            if mine and time.monotonic() - started >= mine[0] * FILING_SECONDS / CRISES:
                n = mine[0]
                body = {"scenario": SCENARIO, "title": f"fault {n}", "unit": "sh-business",
                        "severity": "high", "description": "fault suite"}  # fmt: skip
                try:
                    r = client.post(
                        "/api/v1/crises/", json=body, headers={"Idempotency-Key": f"faults-{n}"}
                    )
                    if r.status_code == 201:
                        mine.pop(0)
                        with self.lock:
                            self.filed.append(r.json()["id"])
                        self._count(None)
                    else:
                        self._count(f"POST {r.status_code}")
                        time.sleep(0.5)  # retried with the same Idempotency-Key
                except httpx.HTTPError as exc:
                    self._count(f"POST {type(exc).__name__}")
                    time.sleep(0.5)
                continue
            try:
                r = client.get("/api/v1/crises/", params={"limit": 5})
                self._count(None if r.status_code == 200 else f"GET {r.status_code}")
            except httpx.HTTPError as exc:
                self._count(f"GET {type(exc).__name__}")
            time.sleep(0.25)
        client.close()

    def start(self) -> float:
        started = time.monotonic()
        for i in range(4):
            t = threading.Thread(target=self._loop, args=(i, started), daemon=True)
            t.start()
            self.threads.append(t)
        return started

    def stop(self) -> None:
        self.stop_flag.set()
        for t in self.threads:
            t.join(60)


# --- scenario runs --------------------------------------------------------------------------


def _base_env(workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="hrcore.settings.local",
        DJANGO_DEBUG="false",
        KEEL_DATA_DIR=str(workdir / "data"),
        KEEL_TICK_SECONDS="1",
        KEEL_LOG_LEVEL="WARNING",
        KEEL_THROTTLE_USER="100000/min",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(workdir / "mail"),
        DB_CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_scale_out(workdir: Path) -> dict:
    logdir = workdir / "logs"
    logdir.mkdir(parents=True)
    started_pg = start_postgres(workdir)
    if not started_pg:
        return {"skipped": "no initdb/pg_ctl"}
    db_url, stop_pg = started_pg
    import psycopg

    with psycopg.connect(db_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE keel")
    redis = Redis(logdir)
    procs: list[Proc] = []
    restarter: Restarter | None = None
    try:
        redis.start()
        env = _base_env(workdir)
        env.update(DATABASE_URL=db_url, REDIS_URL=redis.url)
        web_port, sandbox_port = free_port(), free_port()
        env["KEEL_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}"
        token = _setup(env)
        celery = _bin("celery")
        worker = [celery, "-A", "hrcore", "worker", "-Q", "default,sla", "--pool=threads",
                  "--concurrency=4", "--loglevel=WARNING", "--without-mingle", "--without-gossip"]  # fmt: skip
        procs = [
            Proc(
                "web",
                [
                    _bin("gunicorn"),
                    "hrcore.wsgi",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--timeout",
                    "60",
                ],
                env,
                logdir,
            ),
            Proc("worker-a", [*worker, "--hostname", "a@%h"], env, logdir),
            Proc("worker-b", [*worker, "--hostname", "b@%h"], env, logdir),
            Proc(
                "beat-a",
                [celery, "-A", "hrcore", "beat", "-s", str(workdir / "beat-a")],
                env,
                logdir,
            ),
            Proc(
                "beat-b",
                [celery, "-A", "hrcore", "beat", "-s", str(workdir / "beat-b")],
                env,
                logdir,
            ),
            # The timer loop, as docker-compose runs it (one `timers` service): it fires
            # timers at their due time from the database, whatever the broker is doing.
            Proc("timers", [sys.executable, "manage.py", "run_timers"], env, logdir),
            Proc(
                "sandbox",
                [
                    sys.executable,
                    "-m",
                    "integrations.sandbox",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(sandbox_port),
                ],
                env,
                logdir,
            ),
        ]
        for p in procs:
            p.start()
        restarter = Restarter(procs)
        restarter.start()
        by = {p.name: p for p in procs}
        _wait_http(f"http://127.0.0.1:{web_port}/healthz")
        clients = Clients(f"http://127.0.0.1:{web_port}", token)
        t0 = clients.start()
        marks: dict[str, float] = {"t0": time.time()}

        def at(second: float) -> None:
            time.sleep(max(0.0, t0 + second - time.monotonic()))

        at(15)
        by["worker-a"].kill9()
        marks["worker_a_killed"] = time.time()
        at(20)
        by["worker-a"].start()
        at(35)
        by["worker-b"].kill9()
        marks["worker_b_killed"] = time.time()
        at(40)
        by["worker-b"].start()
        at(75)  # warnings (48–108 s) and breaches (60–120 s) fall due before, during and after
        redis.stop()
        marks["redis_stopped"] = time.time()
        at(105)
        redis.start()
        marks["redis_started"] = time.time()
        at(112)
        by["beat-a"].stop()
        by["beat-a"].start()
        marks["beat_a_restarted"] = time.time()
        at(FILING_SECONDS + 60 + 30)  # last due + 30 s: everything should have fired
        _drain(env, marks)
        marks["end"] = time.time()
        clients.stop()
        report = _report(env, marks, [(marks["redis_stopped"], marks["redis_started"])])
        report["http"] = {"requests": clients.requests, "errors": clients.errors}
        report["filed"] = len(clients.filed)
        # Exits nobody asked for (a worker's "Unrecoverable error" when Redis stops), each
        # restarted as docker-compose would.
        report["restarted_after_own_exit"] = {p.name: p.own_exits for p in procs if p.own_exits}
        return report
    finally:
        if restarter is not None:
            restarter.done.set()
        for p in procs:
            p.stop()
        redis.stop()
        stop_pg()


def _pending(env: dict) -> int | None:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "pending"], cwd=ROOT, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def _drain(env: dict, marks: dict, seconds: float = 60) -> None:
    """Wait (bounded) until no outbox row is due any more: the relays have caught up. Records
    how many were due when the faults were over and how long the backlog took to clear."""
    marks["outbox_due_at_end_of_faults"] = _pending(env)
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        if _pending(env) == 0:
            break
        time.sleep(2)
    marks["outbox_drain_seconds"] = round(time.monotonic() - started, 1)


def _keel_children(pid: int) -> dict[str, int]:
    """run_keel's direct children by role (worker, beat, web, sandbox)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines()[1:]:
        p, pp, args = line.split(None, 2)
        if int(pp) != pid:
            continue
        words = args.split()
        if any(w.endswith("celery") for w in words) and "worker" in words:
            found["worker"] = int(p)
        elif any(w.endswith("celery") for w in words) and "beat" in words:
            found["beat"] = int(p)
        elif any(w.endswith("gunicorn") for w in words):
            found["web"] = int(p)
        elif "integrations.sandbox" in words:
            found["sandbox"] = int(p)
    return found


def run_embedded(workdir: Path) -> dict:
    logdir = workdir / "logs"
    logdir.mkdir(parents=True)
    env = _base_env(workdir)
    web_port, sandbox_port = free_port(), free_port()
    env.update(
        PORT=str(web_port), KEEL_SANDBOX_PORT=str(sandbox_port),
        KEEL_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
    )  # fmt: skip
    token = _setup(env)
    keel = Proc(
        "run_keel", [sys.executable, "manage.py", "run_keel", "--port", str(web_port)], env, logdir
    )
    try:
        keel.start()
        _wait_http(f"http://127.0.0.1:{web_port}/healthz")
        clients = Clients(f"http://127.0.0.1:{web_port}", token)
        t0 = clients.start()
        marks: dict[str, float] = {"t0": time.time()}

        def at(second: float) -> None:
            time.sleep(max(0.0, t0 + second - time.monotonic()))

        at(65)  # breaches are falling due
        worker = _keel_children(keel.process.pid).get("worker")
        if worker:
            os.killpg(worker, signal.SIGKILL)
            marks["worker_killed"] = time.time()
        at(85)
        marks["run_keel_stopping"] = time.time()
        keel.stop(signal.SIGINT, timeout=30)  # Ctrl-C
        marks["run_keel_stopped"] = time.time()
        keel.start()
        _wait_http(f"http://127.0.0.1:{web_port}/healthz")
        marks["run_keel_started"] = time.time()
        at(FILING_SECONDS + 60 + 30)
        _drain(env, marks)
        marks["end"] = time.time()
        clients.stop()
        restarted = (keel.logdir / "run_keel.1.log").read_text(errors="replace")
        report = _report(env, marks, [(marks["run_keel_stopping"], marks["run_keel_started"])])
        report["http"] = {"requests": clients.requests, "errors": clients.errors}
        report["filed"] = len(clients.filed)
        report["supervisor_restarted_worker"] = "restarting worker" in restarted
        report["broker_files_quarantined"] = len(
            list((workdir / "data" / "broker" / "quarantine").glob("*"))
        )
        return report
    finally:
        keel.stop(signal.SIGINT, timeout=30)


# --- report (child with Django) -------------------------------------------------------------


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))], 2)


def child(what: str, arg: str = "") -> int:
    import django

    django.setup()
    if what == "setup":
        return _child_setup()
    if what == "pending":
        from django.utils import timezone

        from hrcore.models import OutboxMessage

        print(
            OutboxMessage.objects.filter(
                status="pending", next_attempt_at__lte=timezone.now()
            ).count()
        )
        return 0
    if what == "report":
        print(json.dumps(_child_report(json.loads(arg))))
        return 0
    return 2


def _child_setup() -> int:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from hrcore.models import OrgUnit
    from hrcore.services.tokens import api_token_issue
    from responsibilities.models import Duty, ResponsibilityMap, Scenario

    scenario, _ = Scenario.objects.get_or_create(
        code=SCENARIO,
        defaults={"name_zh": "故障演练", "name_en": "Fault drill", "default_severity": "high"},
    )
    group = OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()
    if not ResponsibilityMap.objects.filter(scenario=scenario).exists():
        rmap = ResponsibilityMap.objects.create(
            scenario=scenario, scope=group, version=1, status="published", title_zh="故障演练",
            title_en="Fault drill", published_at=timezone.now(),
        )  # fmt: skip
        functions = ["finance", "legal", "administration", "customer_service", "hr"]
        for order, function in enumerate(functions[:DUTIES]):
            Duty.objects.create(
                map=rmap, order=order, code=f"duty-{function}".replace("_", "-"),
                assignee_function=function, action_zh=f"{function} 一分钟任务",
                action_en=f"{function} one-minute duty", deliverable="note", deadline_minutes=1,
                warn_ratio=0.8, business_hours=False, escalation=["manager"],
            )  # fmt: skip
    manager = get_user_model().objects.get(username="manager")
    _token, key = api_token_issue(user=manager, scopes=["read", "write"], name="faults")
    print(key)
    return 0


def _child_report(marks: dict) -> dict:
    from datetime import datetime

    from django.db.models import Count

    from crisis.models import Task, TimelineEvent
    from hrcore.models import Notification, OutboxMessage

    end = datetime.fromtimestamp(marks["end"], tz=UTC)
    start = datetime.fromtimestamp(marks["t0"], tz=UTC)
    outages = [
        (datetime.fromtimestamp(a, tz=UTC), datetime.fromtimestamp(b, tz=UTC))
        for a, b in marks["outages"]
    ]  # fmt: skip
    tasks = {
        t.pk: t
        for t in Task.objects.filter(crisis__scenario__code=SCENARIO).select_related(
            "crisis__filed_by__employee", "assignee"
        )
    }
    timers = [t for t in tasks.values() if t.due_at is not None]
    events: dict[str, dict[int, list]] = {
        "task_warning": {},
        "task_breached": {},
        "task_escalated": {},
    }
    for e in TimelineEvent.objects.filter(task_id__in=tasks, kind__in=list(events)).order_by("at"):
        events[e.kind].setdefault(e.task_id, []).append(e)

    def in_outage(moment) -> bool:
        return any(a <= moment <= b for a, b in outages)

    def lateness(kind: str, field: str) -> dict:
        included, excluded = [], []
        bins: dict[int, float] = {}
        for task_id, fired in events[kind].items():
            due = getattr(tasks[task_id], field)
            if due is None:
                continue
            late = (fired[0].at - due).total_seconds()
            included.append(late)
            # where the lateness sits: worst lateness per 10 s of due time since the start
            second = int((due - start).total_seconds() // 10 * 10)
            bins[second] = max(bins.get(second, 0.0), late)
            if not in_outage(due):
                excluded.append(late)
        by_bin = {f"{k}-{k + 10}": round(v, 1) for k, v in sorted(bins.items())}
        return {
            "max_by_due_second": by_bin,
            "outside_outage": {
                "n": len(excluded),
                "p50": _pct(excluded, 50),
                "p99": _pct(excluded, 99),
                "max": _pct(excluded, 100),
            },
            "all": {
                "n": len(included),
                "p50": _pct(included, 50),
                "p99": _pct(included, 99),
                "max": _pct(included, 100),
            },
        }

    due_by_end = [t for t in timers if t.due_at <= end]
    warn_by_end = [t for t in timers if t.warn_at and t.warn_at <= end]
    missed_breach = [t.pk for t in due_by_end if t.pk not in events["task_breached"]]
    missed_warning = [t.pk for t in warn_by_end if t.pk not in events["task_warning"]]
    missed_warning_outage = [t for t in missed_warning if in_outage(tasks[t].warn_at)]
    escalation_steps: dict[tuple[int, int], int] = {}
    for task_id, fired in events["task_escalated"].items():
        for e in fired:
            key = (task_id, e.data.get("step"))
            escalation_steps[key] = escalation_steps.get(key, 0) + 1
    # expected notifications, from what fired: warning → assignee; breach → assignee + filer;
    # escalation → its target (else the filer)
    expected = 0
    for task_id in events["task_warning"]:
        expected += 1 if tasks[task_id].assignee_id else 0
    for task_id in events["task_breached"]:
        t = tasks[task_id]
        filer = getattr(getattr(t.crisis.filed_by, "employee", None), "pk", None)
        expected += len({x for x in (t.assignee_id, filer) if x})
    expected += sum(len(v) for v in events["task_escalated"].values())
    written = Notification.objects.filter(
        data__task_id__in=list(tasks), kind__in=["crisis.warning", "crisis.breach", "crisis.escalation"]
    ).count()  # fmt: skip
    outbox = dict(
        OutboxMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )  # fmt: skip
    by_channel = {}
    for channel, status, n in OutboxMessage.objects.values_list("channel", "status").annotate(
        n=Count("id")
    ):
        by_channel.setdefault(channel, {})[status] = n
    mail_dir = Path(os.environ["EMAIL_FILE_PATH"])
    message_ids = []
    if mail_dir.exists():
        for f in mail_dir.iterdir():
            for line in f.read_text(errors="replace").splitlines():
                if line.lower().startswith("message-id:"):
                    message_ids.append(line.split(":", 1)[1].strip())
    return {
        "timers_created": len(timers),
        "fired": {k: sum(len(v) for v in events[k].values()) for k in events},
        "duplicates": {
            "warnings": sum(len(v) - 1 for v in events["task_warning"].values()),
            "breaches": sum(len(v) - 1 for v in events["task_breached"].values()),
            "escalations": sum(n - 1 for n in escalation_steps.values()),
        },
        "missed": {
            "breaches": len(missed_breach),
            "warnings": len(missed_warning),
            "warnings_due_in_outage": len(missed_warning_outage),
        },
        "lateness_breach_s": lateness("task_breached", "due_at"),
        "lateness_warning_s": lateness("task_warning", "warn_at"),
        "notifications": {"written": written, "expected": expected},
        "outbox": {"by_status": outbox, "by_channel": by_channel},
        "emails": {
            "sent": len(message_ids),
            "distinct_message_ids": len(set(message_ids)),
            "email_rows_sent": by_channel.get("email", {}).get("sent", 0),
        },
    }


def _report(env: dict, marks: dict, outages: list[tuple[float, float]]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "report",
         json.dumps({**marks, "outages": outages})],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        return {"error": out.stderr[-2000:]}
    report = json.loads(out.stdout.strip().splitlines()[-1])
    counts = ("outbox_due_at_end_of_faults", "outbox_drain_seconds")
    report["outbox"].update({k: marks[k] for k in counts if k in marks})
    report["marks_s"] = {
        k: round(v - marks["t0"], 1) for k, v in marks.items() if k not in counts and v
    }
    return report


def _print(label: str, r: dict) -> None:
    print(f"\n##### {label}")
    print(json.dumps(r, indent=1, sort_keys=True))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    tiers = os.environ.get("FAULTS_TIERS", "pg,embedded").split(",")
    results = {}
    started = time.monotonic()
    if "pg" in tiers:
        if not shutil.which("redis-server"):
            results["scale-out"] = {"skipped": "no redis-server"}
        else:
            with tempfile.TemporaryDirectory(prefix="keel-faults-pg-") as tmp:
                results["scale-out"] = run_scale_out(Path(tmp))
        _print("scale-out (PostgreSQL + Redis, 2 workers, 2 beats, gunicorn)", results["scale-out"])
    if "embedded" in tiers:
        with tempfile.TemporaryDirectory(prefix="keel-faults-emb-") as tmp:
            results["embedded"] = run_embedded(Path(tmp))
        _print("embedded (run_keel: SQLite + filesystem broker)", results["embedded"])
    print(f"\nfault suite took {time.monotonic() - started:.0f} s")
    if os.environ.get("FAULTS_JSON"):
        Path(os.environ["FAULTS_JSON"]).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
