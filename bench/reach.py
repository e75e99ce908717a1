#!/usr/bin/env python
"""Reach benchmark (issue 13): an "are you safe" roll call to 1,000 people through the sandbox
messaging providers, over real HTTP, with their rate limits. One command:

    .venv/bin/python bench/reach.py                 # 1,000 people, 2 workers, one killed
    .venv/bin/python bench/reach.py --people 50     # the CI-sized run (tests/integrations)
    make bench-reach

What runs, on a throw-away SQLite database (a temp data folder, WAL, as `make run`):

* Keel's WSGI application on a loopback port (werkzeug, threaded): the providers' signed
  callbacks and the people's answer links reach it over HTTP;
* the sandbox providers (DingTalk / WeCom / Feishu app messages, SMS gateway) on another
  loopback port, answering like the real ones (Feishu 50 messages/s per app, group robots
  20/20/100 a minute, the gateways' Idempotency-Key, Feishu's uuid, WeCom's duplicate check;
  delivery and read callbacks);
* ``--workers`` worker processes running what the worker and the tick run (the reach planner,
  the outbox relay, the ladder, the robot flush); with ``--kill`` (default) the first is killed
  with SIGKILL once a third of the messages are out, and a fresh one takes its place (as the
  supervisor would). ``KEEL_OUTBOX_LEASE_SECONDS=5`` so the killed worker's leased messages come
  back after 5 s instead of 5 min;
* simulated people: each answers a think time after their message arrived (log-normal, median
  ``--think`` seconds, capped at 4x), 70 % of the IM users by tapping the card's button (a signed
  callback from the provider), the others (and every SMS user) by opening the link; 90 % safe,
  7 % not affected, 3 % need help; ``--silent`` of them (default 1 %) never answer.

Figures: time until every message was handed to a provider (from the send), provider arrival
p50/p95, time to acknowledgement p50/p95 (send → answer recorded) and Keel's own part of it (tap
→ recorded), and duplicates: messages a person received twice on one provider (must be 0).
Exit status 1 when there is a duplicate, a message never left, or the run hit ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-sandbox-token"
CALLBACK_BASE = "bench-callback-base"
UNIT = "bench-site"


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--people", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-kill", dest="kill", action="store_false")
    p.add_argument("--think", type=float, default=3.0, help="median seconds before answering")
    p.add_argument("--silent", type=float, default=0.01, help="share that never answers")
    p.add_argument("--timeout", type=float, default=240.0, help="give up after (s)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def environment(data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hrcore.settings.local",
            "KEEL_DATA_DIR": data_dir,
            "KEEL_LOG_LEVEL": "ERROR",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "KEEL_OUTBOX_LEASE_SECONDS": "5",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
            ),
        }
    )
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    return env


# --- worker process ---------------------------------------------------------------------------


def worker() -> int:
    """What the Celery worker and the tick do for reach, in a tight loop until told to stop."""
    import django

    django.setup()
    from hrcore.reach import deliveries_plan_due, ladder_sweep
    from hrcore.services.outbox import outbox_relay_due
    from integrations.reach import robot_mentions_flush

    stop = Path(os.environ["BENCH_STOP"])
    Path(os.environ["BENCH_READY"]).joinpath(str(os.getpid())).touch()
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    while not stop.exists():
        busy = deliveries_plan_due(limit=200) + outbox_relay_due(limit=20)
        ladder_sweep()
        robot_mentions_flush()
        if not busy:
            time.sleep(0.05)
    if profile is not None:
        profile.disable()
        profile.dump_stats(f"{os.environ['BENCH_PROFILE']}.{os.getpid()}")
    return 0


# --- the run ------------------------------------------------------------------------------------


def setup_world(people: int, rng: random.Random):
    """Demo organisation + a site of ``people`` with IM ids and mobiles + an open crisis."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("init_data_dir", verbosity=0)
    call_command("migrate", verbosity=0)
    from hrcore import demo as hr_demo
    from hrcore.models import Employee, OrgUnit
    from integrations import demo as int_demo
    from responsibilities import demo as resp_demo

    hr_demo.seed()
    resp_demo.seed()
    int_demo.seed()
    from crisis.models import Crisis
    from responsibilities.selectors import published_map_for

    parent = OrgUnit.objects.get(code="sh-business")
    site = OrgUnit.objects.create(
        code=UNIT, name_zh="基准现场", name_en="Bench site", kind="department", parent=parent
    )
    OrgUnit.objects.filter(pk=site.pk).update(
        path=f"{parent.path}{site.pk}/", depth=parent.depth + 1
    )
    site.refresh_from_db()
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"bench-{i:05d}", email="") for i in range(people)]
    )
    users = list(User.objects.filter(username__startswith="bench-").order_by("username"))
    employees = []
    for i, user in enumerate(users):
        r = rng.random()
        fields = {"mobile": f"+86139{i:08d}"}
        if r < 0.4:
            fields["dingtalk_user_id"] = f"dt{i:05d}"
        elif r < 0.7:
            fields["wecom_user_id"] = f"wc{i:05d}"
        elif r < 0.9:
            fields["feishu_open_id"] = f"ou_bench{i:08d}"
        employees.append(
            Employee(user=user, name_zh=f"员工{i}", name_en=f"Person {i}", unit=site, **fields)
        )
    Employee.objects.bulk_create(employees)
    manager = User.objects.get(username="manager")
    rmap = published_map_for(scenario="debt-collection-emergency", unit=parent)
    crisis = Crisis.objects.create(
        scenario=rmap.scenario,
        map=rmap,
        map_version=rmap.version,
        unit=parent,
        title="Fire alarm at the bench site",
        severity="critical",
        source="demo",
        filed_by=manager,
    )
    return crisis, manager


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls():
    """Keel's one TLS context (httpx builds a new one for every client otherwise: ~17 ms of CPU
    reading the CA bundle, for a loopback http:// call)."""
    from integrations.adapters.base import tls_context

    return tls_context()


def wait_for(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=2, verify=tls())  # any answer: the server is up
            return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


class People(threading.Thread):
    """The simulated people: watch what the sandbox received for them and answer."""

    def __init__(self, sandbox_url: str, addresses: dict, keel_url: str, args, rng: random.Random):
        import httpx

        super().__init__(name="people", daemon=True)
        self.sandbox_url, self.addresses, self.keel_url = sandbox_url, addresses, keel_url
        self.admin = httpx.Client(
            base_url=sandbox_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
            verify=tls(),
        )
        self.args, self.rng = args, rng
        self.seen: set[str] = set()
        self.plans: list[tuple[float, dict, str]] = []
        self.taps: dict[str, float] = {}  # username -> wall time of the tap/click
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.silent = {u for u in sorted(set(addresses.values())) if rng.random() < args.silent}

    def answer_of(self) -> str:
        r = self.rng.random()
        return "safe" if r < 0.9 else "not_affected" if r < 0.97 else "need_help"

    def run(self) -> None:
        import concurrent.futures

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)
        sigma = 0.6
        while not self.stop.is_set():
            fresh = [m for m in self.received() if m["id"] not in self.seen]
            now = time.time()
            for m in fresh:
                self.seen.add(m["id"])
                user = self.addresses.get((m["provider"], m.get("to")))
                if (
                    user is None
                    or user in self.silent
                    or m["kind"] not in ("work", "app", "gateway")
                ):
                    continue
                think = min(
                    self.args.think * 4,
                    self.rng.lognormvariate(math.log(max(self.args.think, 0.01)), sigma),
                )
                self.plans.append((m["received_at"] + think, m, user))
            self.plans.sort(key=lambda p: p[0])
            while self.plans and self.plans[0][0] <= now:
                _, m, user = self.plans.pop(0)
                if user in self.taps:
                    continue  # answered already (a second channel reached them)
                self.taps[user] = time.time()
                pool.submit(self.answer, m, user, self.answer_of())
            time.sleep(0.2)
        pool.shutdown(wait=True)

    def received(self) -> list[dict]:
        """Every message the sandbox providers accepted (its admin API, over HTTP)."""
        try:
            return self.admin.get("/_admin/providers/messages").json()["messages"]
        except Exception as exc:  # the run goes on; counted
            self.errors.append(f"messages: {type(exc).__name__}")
            return []

    def answer(self, m: dict, user: str, answer: str) -> None:
        import httpx

        try:
            if m["provider"] in ("dingtalk", "wecom", "feishu") and self.rng.random() < 0.7:
                # A tap on the card's button: the provider calls Keel back (signed).
                status = self.admin.post(
                    "/_admin/providers/tap",
                    json={"provider": m["provider"], "message_id": m["id"], "answer": answer},
                ).json()["status"]
                if status != 200:
                    self.errors.append(f"tap {m['id']}: HTTP {status}")
                return
            link = m.get("link") or ""
            if not link and m["provider"] == "feishu":
                found = re.search(r'https?://[^"\s]+/rollcall/[^"\s/]+/', m.get("text", ""))
                link = found.group(0) if found else ""
            if "/rollcall/" not in link:
                self.errors.append(f"no answer link in {m['id']}")
                return
            with httpx.Client(timeout=10, verify=tls()) as client:
                page = client.get(link)
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
                done = client.post(
                    link,
                    data={"answer": answer, "csrfmiddlewaretoken": token.group(1) if token else ""},
                    headers={"Referer": link},
                )
                if done.status_code != 200:
                    self.errors.append(f"link {m['id']}: HTTP {done.status_code}")
        except Exception as exc:  # recorded, the run goes on
            self.errors.append(f"{m['id']}: {type(exc).__name__}: {exc}")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def run(args) -> dict:
    import logging

    import django

    django.setup()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 404s of early callbacks
    rng = random.Random(args.seed)
    crisis, manager = setup_world(args.people, rng)

    from hrcore.models import Employee, MessageDelivery
    from integrations.models import RollCallAnswer
    from integrations.reach import sandbox_channels_configure
    from integrations.rollcall import roll_call_send

    # Keel as `make run` serves it (gunicorn, 2 processes x 4 threads) and the sandbox providers
    # in their own process: callbacks and answer links reach Keel over HTTP.
    keel_port, sandbox_port = free_port(), free_port()
    keel_url, sandbox_url = f"http://127.0.0.1:{keel_port}", f"http://127.0.0.1:{sandbox_port}"
    os.environ["KEEL_PUBLIC_URL"] = keel_url
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    servers = [
        subprocess.Popen(
            [
                gunicorn,
                "hrcore.wsgi",
                "--bind",
                f"127.0.0.1:{keel_port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "60",
                "--log-level",
                "error",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        ),
        subprocess.Popen(
            [sys.executable, "-m", "integrations.sandbox", "--port", str(sandbox_port)],
            cwd=ROOT,
            env={
                **os.environ,
                "KEEL_SANDBOX_TOKEN": TOKEN,
                "KEEL_SANDBOX_WEBHOOK_SECRET": CALLBACK_BASE,
                "KEEL_SANDBOX_CALLBACK_URL": (
                    f"{keel_url}/api/v1/integrations/reach/callbacks/{{provider}}/"
                ),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    wait_for(f"{sandbox_url}/healthz")
    wait_for(f"{keel_url}/accounts/login/")
    sandbox_channels_configure(
        sandbox_url=sandbox_url, token=TOKEN, callback_base_secret=CALLBACK_BASE
    )
    addresses = {}
    for e in Employee.objects.filter(unit__code=UNIT).select_related("user"):
        for provider, value in (
            ("dingtalk", e.dingtalk_user_id),
            ("wecom", e.wecom_user_id),
            ("feishu", e.feishu_open_id),
            ("sms", e.mobile),
            ("voice", e.mobile),
        ):
            if value:
                addresses[(provider, value)] = e.user.username

    stop_file = Path(os.environ["KEEL_DATA_DIR"]) / "bench-stop"
    ready = Path(os.environ["KEEL_DATA_DIR"]) / "bench-ready"
    ready.mkdir()
    env = {**os.environ, "BENCH_STOP": str(stop_file), "BENCH_READY": str(ready)}

    def start_worker():
        return subprocess.Popen([sys.executable, __file__, "--worker"], cwd=ROOT, env=env)

    workers = [start_worker() for _ in range(args.workers)]
    deadline = time.time() + 120
    while len(list(ready.iterdir())) < args.workers and time.time() < deadline:
        time.sleep(0.1)  # the clock starts once the workers are up (Django loaded)
    people = People(sandbox_url, addresses, keel_url, args, rng)
    people.start()

    started = time.time()
    roll_call, _created = roll_call_send(
        crisis=crisis, unit_code=UNIT, message="Leave by the east stairs", actor=manager
    )
    send_seconds = time.time() - started
    asked = RollCallAnswer.objects.filter(roll_call=roll_call).count()
    expected_answers = asked - len(people.silent)
    rows = MessageDelivery.objects.filter(kind="rollcall").exclude(channel="inapp")
    killed_at = None
    all_sent_at = None
    timed_out = False
    while True:
        time.sleep(0.25)
        elapsed = time.time() - started
        out = rows.exclude(state="queued").exclude(reason__startswith="skipped").count()
        queued = rows.filter(state="queued").count()
        planned = MessageDelivery.objects.filter(kind="rollcall", channel="inapp").count()
        if args.kill and killed_at is None and out >= asked / 3:
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            killed_at = elapsed
            workers.append(start_worker())
        if all_sent_at is None and planned >= asked and queued == 0 and out >= 1:
            all_sent_at = elapsed
        answered = RollCallAnswer.objects.filter(roll_call=roll_call).exclude(answer="").count()
        # A DingTalk send cut short by the kill is not resent (no dedupe there): that person
        # may never have had the message, and cannot answer it.
        cut_short = rows.filter(reason__startswith="outcome unknown").count()
        if all_sent_at is not None and answered >= expected_answers - cut_short:
            break
        if elapsed > args.timeout:
            timed_out = True
            break
    people.stop.set()
    people.join(timeout=30)
    stop_file.write_text("stop")
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill()
    received = [
        m
        for m in people.received()
        if (m["provider"], m.get("to")) in addresses and m["kind"] in ("work", "app", "gateway")
    ]
    for server in servers:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    answers = list(
        RollCallAnswer.objects.filter(roll_call=roll_call)
        .exclude(answer="")
        .values_list("user__username", "answer", "answered_at")
    )
    answered_users = {u for u, _, _ in answers}
    lost = sorted(u for u in people.taps if u not in answered_users)
    to_ack = [a.timestamp() - started for _, _, a in answers]
    keel_part = [a.timestamp() - people.taps[u] for u, _, a in answers if u in people.taps]
    per_person = Counter((m["provider"], m["to"]) for m in received)
    duplicates = sum(n - 1 for n in per_person.values() if n > 1)
    arrival = [m["received_at"] - started for m in received]
    states = Counter(rows.values_list("state", flat=True))
    interrupted = rows.filter(reason__startswith="outcome unknown").count()
    ledger_twice = (
        MessageDelivery.objects.filter(kind="rollcall")
        .values("recipient_id", "channel")
        .annotate(n=django.db.models.Count("id"))
        .filter(n__gt=1)
        .count()
    )
    from hrcore.models import OutboxMessage
    from integrations.rollcall import tally

    retried = OutboxMessage.objects.filter(channel="reach", attempts__gt=1)
    errors = Counter(e.split(":")[0][:60] for e in retried.values_list("last_error", flat=True))
    t = tally(roll_call)
    return {
        "people": args.people,
        "asked": asked,
        "workers": args.workers,
        "killed_worker_at_s": None if killed_at is None else round(killed_at, 2),
        "send_call_s": round(send_seconds, 2),
        "all_sent_s": None if all_sent_at is None else round(all_sent_at, 2),
        "arrival_p50_s": _r(pct(arrival, 0.5)),
        "arrival_p95_s": _r(pct(arrival, 0.95)),
        "arrival_last_s": _r(max(arrival) if arrival else None),
        "ack_p50_s": _r(pct(to_ack, 0.5)),
        "ack_p95_s": _r(pct(to_ack, 0.95)),
        "keel_part_p50_s": _r(pct(keel_part, 0.5)),
        "keel_part_p95_s": _r(pct(keel_part, 0.95)),
        "think_median_s": args.think,
        "answered": len(answers),
        "tally": {
            "safe": t.safe,
            "need_help": t.need_help,
            "not_affected": t.not_affected,
            "no_answer": t.no_answer,
        },
        "ledger_states": dict(states),
        "not_resent_after_kill": interrupted,
        "provider_messages": len(received),
        "duplicates": duplicates,
        "ledger_rows_twice": ledger_twice,
        "people_errors": people.errors[:5],
        "answers_lost": len(lost),
        "silent": len(people.silent),
        "sends_retried": retried.count(),
        "retry_causes": dict(errors.most_common(5)),
        "timed_out": timed_out,
        "mean_ack_s": _r(statistics.fmean(to_ack) if to_ack else None),
    }


def _r(value):
    return None if value is None else round(value, 2)


def report(figures: dict) -> None:
    f = figures
    print(f"reach benchmark: roll call to {f['asked']} people, {f['workers']} workers", flush=True)
    if f["killed_worker_at_s"] is not None:
        print(
            f"  worker killed (SIGKILL) at       {f['killed_worker_at_s']} s, a fresh one started"
        )
    print(f"  roll_call_send (notifications)   {f['send_call_s']} s")
    print(f"  every message handed over        {f['all_sent_s']} s after the send")
    print(
        f"  provider arrival p50 / p95 / last {f['arrival_p50_s']} / {f['arrival_p95_s']} / "
        f"{f['arrival_last_s']} s"
    )
    print(
        f"  time to acknowledgement p50 / p95 {f['ack_p50_s']} / {f['ack_p95_s']} s "
        f"(people think {f['think_median_s']} s median)"
    )
    print(f"  Keel's part (tap → recorded)     {f['keel_part_p50_s']} / {f['keel_part_p95_s']} s")
    print(
        f"  answered {f['answered']} ({f['silent']} never answer, {f['answers_lost']} answers "
        f"lost); tally {f['tally']}"
    )
    print(
        f"  ledger states {f['ledger_states']}; not resent after the kill {f['not_resent_after_kill']}"
    )
    print(f"  messages at the providers {f['provider_messages']}; duplicates {f['duplicates']}")
    print(f"  sends retried {f['sends_retried']}: {f['retry_causes']}")
    if f["people_errors"]:
        print(f"  people errors (first 5): {f['people_errors']}")
    if f["timed_out"]:
        print("  TIMED OUT")


def ok(figures: dict) -> bool:
    return (
        figures["duplicates"] == 0
        and figures["ledger_rows_twice"] == 0
        and figures["all_sent_s"] is not None
        and not figures["timed_out"]
    )


def main(argv=None) -> int:
    args = parse(argv)
    if args.worker:
        return worker()
    with tempfile.TemporaryDirectory(prefix="keel-bench-reach-") as tmp:
        # the embedded default on its own data directory: a caller's database and Redis
        # (the test tiers') are not the benchmark's
        for name in ("DATABASE_URL", "REDIS_URL"):
            os.environ.pop(name, None)
        os.environ.update(environment(tmp))
        sys.path.insert(0, str(ROOT))
        figures = run(args)
    report(figures)
    if args.json:
        print(json.dumps(figures))
    return 0 if ok(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
