"""The production topology, described once: which Keel processes run, with which command and
which environment variables. ``docker-compose.yml`` runs it in containers; the production-topology
test (tests/test_production_topology.py) runs the same commands natively on loopback, and
tests/test_compose.py checks that the compose file says exactly what is written here.

Placeholders in commands: ``{bind}`` (gunicorn's address; 0.0.0.0:8000 in a container) and
``{data}`` (KEEL_DATA_DIR; /data in a container).
"""

from __future__ import annotations

from dataclasses import dataclass

# Every Keel container gets these (values come from .env; see docs/settings.md).
COMMON_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "KEEL_DATA_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "KEEL_TICK_SECONDS",
    "KEEL_LOG_LEVEL",
    "KEEL_SANDBOX_URL",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "DEFAULT_FROM_EMAIL",
    "KEEL_MEDIA_S3_BUCKET",
    "KEEL_MEDIA_S3_ENDPOINT_URL",
    "KEEL_MEDIA_S3_REGION",
    "KEEL_MEDIA_S3_ACCESS_KEY_ID",
    "KEEL_MEDIA_S3_SECRET_ACCESS_KEY",
)


@dataclass(frozen=True)
class Process:
    """One Keel service: its command (with placeholders) and how many copies the test runs."""

    name: str
    command: tuple[str, ...]
    healthcheck: tuple[str, ...]
    copies: int = 1

    def argv(self, *, bind: str, data: str) -> list[str]:
        return [part.format(bind=bind, data=data) for part in self.command]


CELERY_WORKER = ("celery", "-A", "hrcore", "worker", "--loglevel", "INFO", "--concurrency", "2")

PROCESSES = (
    Process(
        name="web",
        command=(
            "gunicorn",
            "hrcore.wsgi",
            "--bind",
            "{bind}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--max-requests",
            "2000",
            "--max-requests-jitter",
            "200",
            "--forwarded-allow-ips",
            "*",
            "--access-logfile",
            "-",
        ),
        healthcheck=("python", "manage.py", "keel_health", "web"),
    ),
    Process(
        name="worker",
        command=(*CELERY_WORKER, "-Q", "default", "-n", "default@%h"),
        healthcheck=("python", "manage.py", "keel_health", "worker", "--node", "default@%h"),
    ),
    Process(
        # A separate worker for the `sla` queue so slow partner pulls never starve the timers.
        name="worker-sla",
        command=(*CELERY_WORKER, "-Q", "sla", "-n", "sla@%h"),
        healthcheck=("python", "manage.py", "keel_health", "worker", "--node", "sla@%h"),
    ),
    Process(
        # Exactly one beat: the schedule is fixed in settings.
        name="beat",
        command=(
            "celery",
            "-A",
            "hrcore",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            "{data}/celerybeat-schedule",
        ),
        healthcheck=("python", "manage.py", "keel_health", "beat"),
    ),
    Process(
        # The timer loop fires SLA timers at their due time; the beat tick is the safety net.
        name="timers",
        command=("python", "manage.py", "run_timers"),
        healthcheck=("python", "manage.py", "keel_health", "timers"),
    ),
)

# One-off steps before the processes start (compose: the `migrate` service runs them in order;
# they are independent, so the native test runs them side by side).
MIGRATE_STEPS = (
    ("python", "manage.py", "migrate", "--noinput"),
    ("python", "manage.py", "collectstatic", "--noinput"),
)
MIGRATE = ("sh", "-c", " && ".join(" ".join(step) for step in MIGRATE_STEPS))
BOOTSTRAP = ("python", "manage.py", "keel_bootstrap", "--no-input")


def by_name() -> dict[str, Process]:
    return {p.name: p for p in PROCESSES}
