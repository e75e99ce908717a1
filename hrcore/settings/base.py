"""Keel settings, read from the environment.

With no variables set you get the embedded default: SQLite in ``KEEL_DATA_DIR``, LocMem cache,
and a Celery broker on kombu's filesystem transport, so a worker and beat run without Redis.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Importing settings writes nothing: `manage.py init_data_dir` (run by `make run`) creates this
# folder, the broker's folders and the secret key file.
DATA_DIR = Path(os.environ.get("KEEL_DATA_DIR", BASE_DIR / "data")).resolve()
SECRET_KEY_FILE = DATA_DIR / "secret_key"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key_from_data_dir() -> str:
    """The key `manage.py init_data_dir` generated beside the data (never in the repo). Before that
    step it is empty, and Django refuses to sign anything ("The SECRET_KEY setting must not be
    empty"): a key made up per process would silently break sessions across processes and the
    partner credentials encrypted under it."""
    try:
        return SECRET_KEY_FILE.read_text().strip()
    except FileNotFoundError:
        return ""


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _secret_key_from_data_dir()
# Key rotation: the previous key(s), comma-separated. Sessions, signed values and the partner
# credentials encrypted under them stay readable (``manage.py reencrypt_credentials`` moves the
# credentials to the current key, after which an old key can be dropped).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
KEEL_DEMO_ALLOWED = True  # production settings turn this off: demo accounts are never created there

# Keel's apps come first: where a msgid is also in Django's or a library's catalog ("Filter",
# "Action", "Note"), the first app listed wins, and Keel's wording must be the one shown.
INSTALLED_APPS = [
    "hrcore",
    "responsibilities",
    "customers",
    "crisis",
    "competency",
    "integrations",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "csp",
    "auditlog",
    "guardian",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # JSON errors under /api/ even with DEBUG=True (Django's debug pages are HTML).
    "hrcore.request_guards.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Too large a body (413, from Content-Length, unread) or a NUL in the address (400).
    "hrcore.request_guards.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hrcore.middleware.SessionLifetimeMiddleware",
    "hrcore.middleware.UserPreferencesMiddleware",
    "hrcore.middleware.RequireMfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "hrcore.request_guards.ProductErrorPagesMiddleware",
]

ROOT_URLCONF = "hrcore.urls"
WSGI_APPLICATION = "hrcore.wsgi.application"
ASGI_APPLICATION = "hrcore.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "hrcore.context_processors.navigation",
            ],
            # |user, |code, |person, |duration on every page (one language at a time).
            "builtins": ["hrcore.templatetags.keel_text"],
        },
    }
]

# --- Database ------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
    if env_bool("DB_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and a statement run a fifth time on a connection
        # kept as a prepared statement (psycopg's prepare_threshold): PostgreSQL then skips
        # parsing and planning it again. Keel's requests repeat the same few dozen statements,
        # and planning their joins was much of the database's time (issue 12, measured: a
        # filing 17.7-18.2 -> 14.6-15.2 ms in-process). Off for a pooler in transaction mode
        # that cannot keep prepared statements (PgBouncer before 1.21).
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KEEL_SQLITE_PATH", str(DATA_DIR / "keel.sqlite3")),
            # Kept open between requests, as on PostgreSQL: a fresh connection per request (open,
            # the PRAGMAs below, and the checkpoint SQLite runs when the last connection to a
            # WAL database closes) cost a gunicorn worker ~10 ms a request (issue 12, measured:
            # the trivial API GET 55-75 -> 260-340 req/s, a filing 20-26 -> 97-122 req/s).
            "CONN_MAX_AGE": int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the
                # timeout instead of failing with "database is locked" halfway through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Cache and Celery ----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Fails open (hrcore/cache.py): with Redis down, throttles and caches are bypassed (logged
    # once a minute) instead of every request answering 500; short timeouts so an unreachable
    # Redis costs a request at most ~1 s, once per FAIL_OPEN_RETRY_AFTER.
    CACHES = {
        "default": {
            "BACKEND": "hrcore.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "FAIL_OPEN_RETRY_AFTER": 5,
                "FAIL_OPEN_LOG_INTERVAL": 60,
            },
        }
    }
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
    }
    # A publish from a request (the outbox kick) gives up fast when Redis is down; the outbox
    # row is already committed and the beat's relay delivers it once Redis is back.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Embedded default: a real broker on disk, so `make run` has a worker and beat with no Redis.
    # keelfs:// is kombu's filesystem transport with atomic writes and a quarantine for empty or
    # partial message files (hrcore/broker.py): one bad file never stops the worker.
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "keelfs://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "quarantine_folder": str(_broker_dir / "quarantine"),
        # How often the worker lists the queue folder for new messages (kombu's default is 1 s,
        # which a demo feels as a pause after every click that queues work). 0.2 s: a task is
        # picked up within 0.2 s, for one directory listing per queue 5× a second while idle.
        "polling_interval": float(os.environ.get("KEEL_BROKER_POLL_SECONDS", "0.2")),
    }

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# SLA work has its own queue so slow partner pulls (dossiers, on `default`) never delay it: the
# tick and sweeps, and the outbox relay that carries warnings and escalations out.
CELERY_TASK_ROUTES = {
    "hrcore.tasks.tick": {"queue": "sla"},
    "hrcore.tasks.outbox_relay": {"queue": "sla"},
}
CELERY_TASK_IGNORE_RESULT = True
# A relay holds a claimed outbox message this long before another may retry it; every channel's
# worst-case send time must stay below it (system check keel.E001), or one slow send is
# delivered twice.
KEEL_OUTBOX_LEASE_SECONDS = float(os.environ.get("KEEL_OUTBOX_LEASE_SECONDS", "300"))
# Outbound webhooks: httpx timeout (each of connect, write, read, pool).
KEEL_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("KEEL_WEBHOOK_TIMEOUT_SECONDS", "5"))
# Subscriptions created through the API must use https; plain http to a loopback host (the
# sandbox, a local test server) is allowed only with DEBUG or this switch (tests).
KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP = env_bool("KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP", False)
# A partner call that fails transiently is tried again after this many seconds, doubling up to
# 5 s between attempts (each partner's "attempts per call" says how many).
KEEL_PARTNER_BACKOFF_SECONDS = float(os.environ.get("KEEL_PARTNER_BACKOFF_SECONDS", "0.2"))
# Outbox writes queue a relay run at once and at most one more at the end of this window.
KEEL_OUTBOX_KICK_SECONDS = float(os.environ.get("KEEL_OUTBOX_KICK_SECONDS", "1"))
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
KEEL_TICK_SECONDS = float(os.environ.get("KEEL_TICK_SECONDS", "2"))


def _every(task: str, seconds: float) -> dict:
    """A beat entry whose message expires after one period: a tick queued behind an outage is
    dropped by the worker (the next one does the same work), not run once per missed period."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


# Fixed schedule: user-edited schedules are domain rows swept by these ticks (ENGINEERING.md §1).
CELERY_BEAT_SCHEDULE: dict = {
    "tick": _every("hrcore.tasks.tick", KEEL_TICK_SECONDS),
    "outbox-relay": _every("hrcore.tasks.outbox_relay", 5.0),
    "competency-training-pushes": _every("competency.tasks.training_pushes", 900.0),
    "integrations-dossier-maintenance": _every("integrations.tasks.dossier_maintenance", 30.0),
    "integrations-customers-pull": _every("integrations.tasks.customers_pull", 300.0),
    "crisis-triggers": _every("crisis.tasks.triggers_sweep", 300.0),
    # HR roster and CRM customers diffed with Keel (the master-data webhooks' safety net).
    "integrations-master-data-reconcile": _every(
        "integrations.tasks.master_data_reconcile",
        float(os.environ.get("KEEL_MASTER_DATA_RECONCILE_SECONDS", "3600")),
    ),
    # Goals and reviews pulled back from the performance/OKR partner (issue 17 §1).
    "integrations-performance-pull": _every(
        "integrations.tasks.performance_pull",
        float(os.environ.get("KEEL_PERFORMANCE_PULL_SECONDS", "3600")),
    ),
    "crisis-action-item-reminders": _every("crisis.tasks.action_items_remind", 3600.0),
    "housekeeping": _every("hrcore.tasks.housekeeping", 3600.0),
}

# --- Auth ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "hrcore.adapters.KeelAccountAdapter"
ACCOUNT_SESSION_REMEMBER = None
# Lock-out after failed passwords (allauth's cache-backed rate limits, LocMem or Redis), counted
# per account and per (IP, account) by hrcore.adapters, never per IP alone: a colleague's typos
# behind the same NAT lock nobody else out. ``login_failed`` also counts wrong TOTP codes per user.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/15m/key",  # the account, from anywhere
    "login_failed_ip_account": "5/5m/key",  # the account from one IP
    "login": "30/m/ip",  # every log-in attempt from one IP
}
# Sessions end after 8 hours without a request (hrcore.middleware refreshes the clock), and
# those of executives, HR admins and admin users also when the browser closes.
SESSION_COOKIE_AGE = 8 * 3600
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Keel"
KEEL_MFA_REQUIRED_GROUPS = ("executive", "hr_admin")
GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n ----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static, media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("KEEL_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Any request body above this is refused with 413 from its Content-Length, before it is read
# (deliverable uploads are at most KEEL_CRISIS_UPLOAD_MAX_BYTES, 10 MB, plus the form).
KEEL_REQUEST_MAX_BYTES = int(os.environ.get("KEEL_REQUEST_MAX_BYTES", str(16 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "keel@localhost")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend). EMAIL_TIMEOUT bounds every
# socket operation of a send: it must stay well under the outbox lease (a system check holds
# it there), or a hung server lets a second relay deliver the same e-mail again.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
if os.environ.get("EMAIL_FILE_PATH"):  # the file backend (the fault suite counts sends)
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hrcore.api.authentication.BearerTokenAuthentication",
        "hrcore.api.authentication.MfaSessionAuthentication",
    ],
    # Logged in, and a token only where its scopes admit the operation (hrcore.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["hrcore.api.permissions.ScopedPermission"],
    # DRF's JSON, byte for byte, encoded by orjson (hrcore/api/renderers.py); the browsable API
    # as DRF's defaults have it.
    "DEFAULT_RENDERER_CLASSES": [
        "hrcore.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "hrcore.api.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hrcore.api.pagination.KeelLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "hrcore.api.schema.KeelAutoSchema",
    "EXCEPTION_HANDLER": "hrcore.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("KEEL_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("KEEL_THROTTLE_USER", "1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keel partner API",
    "DESCRIPTION": "Crisis response for group companies: scenarios, responsibility maps, crises, "
    "tasks, decisions, customers and dossiers. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        # bearerAuth (with the scopes) comes from hrcore.api.authentication.BearerTokenScheme
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "errors": {"type": "object", "additionalProperties": True},
                },
                "required": ["status", "code", "detail"],
            }
        },
    },
    "SECURITY": [{"bearerAuth": []}],
    # Crisis severity and a scenario's default severity are one vocabulary: one schema enum.
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "crisis.choices.Severity",
        "TaskStatusEnum": "crisis.choices.TaskStatus",
        "QuestionKindEnum": "hrcore.selfservice_models.QuestionKind",
        "PerformanceKindEnum": "hrcore.performance_models.PerformanceKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hrcore.api.schema.add_error_responses",
    ],
}

# --- Security headers ----------------------------------------------------------------------
# Scripts are static files; a nonce is added to the header only when a template asks for one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEEL_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Heartbeat older than this makes /healthz report the tick as unhealthy.
KEEL_TICK_STALE_AFTER = timedelta(seconds=float(os.environ.get("KEEL_TICK_STALE_SECONDS", "30")))
KEEL_ROLE_LABELS = {
    "manager": _("Manager"),
    "staff": _("Staff"),
    "executive": _("Executive"),
    "hr_admin": _("HR admin"),
    "partner": _("Partner system"),
}

# How often a crisis role's holder practises (a simulation or a drill) when their position has no
# practice profile: spaced practice, readiness, drill currency and map coverage's "trained" test.
KEEL_PRACTICE_CADENCE_DAYS = int(os.environ.get("KEEL_PRACTICE_CADENCE_DAYS", "180"))

# How long the ROI page reuses a partner's figures (finance's revenue, attendance's visits) before
# asking again; a copy is kept a week longer to show, marked stale, when the partner fails.
KEEL_ROI_PARTNER_CACHE_SECONDS = int(os.environ.get("KEEL_ROI_PARTNER_CACHE_SECONDS", "900"))

# Sweeps the tick runs every KEEL_TICK_SECONDS on the `sla` queue (each app adds its own).
KEEL_TICK_SWEEPS: list[str] = [
    "crisis.services.sweep.sla_sweep",
    "crisis.services.obligations.obligations_sweep",
    "crisis.services.status_updates.status_update_sweep",
    "crisis.services.drill_schedule.drills_start_due",
    "hrcore.reach.deliveries_plan_due",
    "hrcore.reach.ladder_sweep",
    "integrations.rollcall.roll_call_escalate_due",
    "integrations.reach.robot_mentions_flush",
    "responsibilities.services.coverage.coverage_sweep",
    "hrcore.services.selfservice.questions_sweep",
]
# Extra /healthz checks (name → function returning {"ok": bool, ...}).
KEEL_HEALTH_CHECKS: dict[str, str] = {"timers": "crisis.selectors.timers.timers_failing_health"}
# A timer whose firing keeps failing for this long makes /healthz 503 (it names the timers).
KEEL_TIMER_FAILING_SECONDS = float(os.environ.get("KEEL_TIMER_FAILING_SECONDS", "60"))
# Housekeeping (hourly): how long rows are kept before they are pruned, in days. Rows an open
# crisis refers to are never pruned (see hrcore.services.housekeeping.housekeeping_prune).
KEEL_RETENTION_OUTBOX_SENT_DAYS = float(os.environ.get("KEEL_RETENTION_OUTBOX_SENT_DAYS", "30"))
KEEL_RETENTION_IDEMPOTENCY_KEYS_DAYS = float(
    os.environ.get("KEEL_RETENTION_IDEMPOTENCY_KEYS_DAYS", "7")
)
KEEL_RETENTION_INBOUND_DELIVERIES_DAYS = float(
    os.environ.get("KEEL_RETENTION_INBOUND_DELIVERIES_DAYS", "30")
)
KEEL_RETENTION_MASTER_DATA_EVENTS_DAYS = float(
    os.environ.get("KEEL_RETENTION_MASTER_DATA_EVENTS_DAYS", "365")
)
KEEL_RETENTION_READ_NOTIFICATIONS_DAYS = float(
    os.environ.get("KEEL_RETENTION_READ_NOTIFICATIONS_DAYS", "90")
)
# Pruning services the housekeeping task runs, and where they learn which crises are open.
KEEL_HOUSEKEEPING: list[str] = [
    "hrcore.services.housekeeping.housekeeping_prune",
    "integrations.services.webhooks_inbound.inbound_deliveries_prune",
    "integrations.services.master_data.master_data_events_prune",
]
KEEL_OPEN_CRISIS_IDS = "crisis.selectors.crises.open_crisis_ids"
# A warning fired more than this after its time was held up by an outage: marked late.
KEEL_TIMER_LATE_SECONDS = float(os.environ.get("KEEL_TIMER_LATE_SECONDS", "30"))
