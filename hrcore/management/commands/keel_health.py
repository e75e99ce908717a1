"""Container health checks (docker-compose.yml, deploy/topology.py): exit 0 when healthy.

* ``web``: GET /healthz of the local gunicorn answers 200 (as the proxy would ask: a host name
  from DJANGO_ALLOWED_HOSTS and X-Forwarded-Proto https, so SSL redirect does not interfere);
* ``worker --node NAME``: that Celery worker answers a ping through the broker;
* ``beat``: the tick heartbeat (written by a worker for every beat tick) is fresh;
* ``timers``: the database answers and no SLA timer keeps failing to fire.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Exit 0 when this Keel process (web, worker, beat or timers) is healthy."
    # Run by the container engine every interval in every container: the system checks (URL
    # configuration, templates, models: they import every view) say nothing about the process's
    # health and cost a quarter of a second each time; ``migrate`` runs them at each deploy.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("role", choices=["web", "worker", "beat", "timers"])
        parser.add_argument("--url", default="http://127.0.0.1:8000/healthz")
        parser.add_argument("--node", default="default@%h")
        parser.add_argument("--timeout", type=float, default=5.0)

    def handle(self, *args, role, url, node, timeout, **options):
        problem = getattr(self, f"_{role}")(url=url, node=node, timeout=timeout)
        if problem:
            raise CommandError(f"{role} unhealthy: {problem}")
        self.stdout.write(f"{role} healthy")

    def _web(self, *, url, timeout, **_):
        host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
        request = urllib.request.Request(
            url, headers={"Host": host.lstrip("."), "X-Forwarded-Proto": "https"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return None if response.status == 200 else f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except OSError as exc:
            return str(exc)

    def _worker(self, *, node, timeout, **_):
        from hrcore.celery import app

        name = node.replace("%h", socket.gethostname())
        replies = app.control.ping(destination=[name], timeout=timeout)
        return None if replies else f"no answer from {name}"

    def _beat(self, **_):
        from hrcore.models import Heartbeat

        beat = Heartbeat.objects.filter(name="tick").first()
        if beat is None:
            return "no tick recorded yet"
        age = (timezone.now() - beat.at).total_seconds()
        limit = settings.KEEL_TICK_STALE_AFTER.total_seconds()
        return None if age <= limit else f"last tick {age:.0f} s ago (limit {limit:.0f} s)"

    def _timers(self, **_):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        for name, path in getattr(settings, "KEEL_HEALTH_CHECKS", {}).items():
            result = import_string(path)()
            if not result.get("ok"):
                return f"{name}: {result.get('error', 'failing')}"
        return None
