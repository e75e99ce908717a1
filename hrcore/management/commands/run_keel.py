"""Serve Keel with its background worker and timer tick, as `make run` does; Ctrl-C stops all."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hrcore.supervisor import Supervisor

DEMO_LOGINS = [
    ("manager", "department manager, Shanghai / 上海业务部经理"),
    ("manager2", "department manager, Shenzhen / 深圳业务部经理"),
    ("finance", "finance manager / 财务经理"),
    ("legal", "legal counsel / 法务经理"),
    ("admin", "administration officer / 行政主管"),
    ("vp", "vice-president, TOTP: python manage.py demo_totp vp"),
    ("hradmin", "HR admin, TOTP: python manage.py demo_totp hradmin"),
    ("staff", "employee without a crisis role / 普通员工"),
]


def _listening(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (a socket bound as gunicorn binds)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def check_ports(host: str, port: str, sandbox_port: str) -> None:
    """Refuse at once, saying what to do, what would otherwise be a web server or a sandbox
    restarted in a loop by the supervisor: a port that is not a number, Keel on the sandbox's
    own port, a port something already listens on (an earlier `make run` still running)."""
    for name, value in (("PORT", port), ("KEEL_SANDBOX_PORT", sandbox_port)):
        if not str(value).isdigit() or not 0 < int(value) < 65536:
            raise CommandError(f"{name}={value!r} is not a port number (1-65535).")
    if int(port) == int(sandbox_port):
        raise CommandError(
            f"Port {port} is the sandbox partners' port: run Keel on another one "
            "(make run PORT=8000) or move the sandbox (KEEL_SANDBOX_PORT)."
        )
    for what, where, number in (("Keel", host, port), ("the sandbox", "127.0.0.1", sandbox_port)):
        if _listening(where, int(number)):
            raise CommandError(
                f"Port {number} on {where} is already in use, so {what} cannot listen there: "
                "stop what uses it (an earlier `make run`?) or choose another port "
                "(PORT=… / KEEL_SANDBOX_PORT=…)."
            )


class Command(BaseCommand):
    help = "Run the web server, a Celery worker (queues default + sla), beat and the timer loop together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--web-workers", default=os.environ.get("WEB_CONCURRENCY", "2"))

    def handle(self, *args, host, port, web_workers, **options):
        sandbox_port = os.environ.get("KEEL_SANDBOX_PORT", "8765")
        check_ports(host, port, sandbox_port)
        python = sys.executable
        bindir = os.path.dirname(python)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        commands = {
            "web": [
                os.path.join(bindir, "gunicorn"),
                "hrcore.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(web_workers),
                "--threads",
                "4",
                "--timeout",
                "60",
                "--max-requests",
                "2000",
                "--max-requests-jitter",
                "200",
                "--access-logfile",
                "-",
            ],
            "worker": [
                os.path.join(bindir, "celery"),
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
                "--hostname",
                "keel-worker@%h",
            ],
            "beat": [
                os.path.join(bindir, "celery"),
                "-A",
                "hrcore",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
            # The sandbox partner systems (finance, legal, CRM) over real HTTP; the demo Partner
            # rows point at KEEL_SANDBOX_URL (default http://127.0.0.1:8765).
            "sandbox": [
                python,
                "-m",
                "integrations.sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                sandbox_port,
            ],
        }
        # The timer loop fires SLA timers at their due time (crisis/timer_loop.py). The beat
        # tick stays the catch-up safety net, every 10 s instead of 2 s while the loop runs.
        commands["timers"] = [python, str(settings.BASE_DIR / "manage.py"), "run_timers"]
        env.setdefault("KEEL_TICK_SECONDS", "10")
        env.setdefault(
            "KEEL_SANDBOX_WEBHOOK_URL",
            # {partner}: the sandbox partner that sends (POST /_admin/emit {"partner": ...})
            f"http://{host}:{port}/api/v1/integrations/webhooks/{{partner}}/",
        )
        env.setdefault("KEEL_SANDBOX_WEBHOOK_SECRET", "sandbox-webhook-secret")
        # The sandbox's messaging providers post delivery/read callbacks here; IM cards and SMS
        # link back to KEEL_PUBLIC_URL (issue 13).
        env.setdefault(
            "KEEL_SANDBOX_CALLBACK_URL",
            f"http://{host}:{port}/api/v1/integrations/reach/callbacks/{{provider}}/",
        )
        env.setdefault("KEEL_PUBLIC_URL", f"http://{host}:{port}")
        supervisor = Supervisor(commands, env=env, log=self.stderr.write)

        def announce() -> None:
            # Announce once the web server answers (issue 12: the first page a demo opens is
            # served by a warm worker, not by one still importing Django): each web worker
            # warms itself at boot (hrcore/wsgi.py); this waits for them, 60 s at most.
            import urllib.request

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not supervisor.stopping:
                try:
                    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5):
                        break
                except urllib.error.HTTPError:
                    break  # it answered (503 while the worker is still starting is an answer)
                except OSError:
                    time.sleep(0.1)
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nKeel is running at http://{host}:{port}/  (Ctrl-C stops everything)"
                )
            )
            self.stdout.write("Demo log-ins, password keel-demo:")
            for username, what in DEMO_LOGINS:
                self.stdout.write(f"  {username:<9} {what}")
            self.stdout.write(
                f"Health: http://{host}:{port}/healthz   API docs: http://{host}:{port}/api/docs/\n"
            )

        def started() -> None:
            threading.Thread(target=announce, daemon=True).start()

        # A crashed child (worker, beat, web, sandbox) is restarted with backoff; the rest stay
        # up. Ctrl-C or SIGTERM stops everything.
        exit_code = supervisor.run(on_started=started)
        self.stdout.write("Keel stopped.")
        sys.exit(exit_code)
