"""Test settings: same as the embedded default or, with DATABASE_URL/REDIS_URL, the real servers."""

import os
import re

# pytest-xdist: each worker process (gw0, gw1, …) gets its own data folder and its own Redis
# database number, so one worker's cache.clear() (every test) or broker traffic never touches
# the other's; pytest-django gives each worker its own test database (suffix _gw0, _gw1, …).
# Set in the environment before base.py reads it, so subprocesses a test starts (a Celery
# worker, manage.py) inherit the same worker's folder and Redis database.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if re.fullmatch(r"gw\d+", _XDIST_WORKER):
    _n = int(_XDIST_WORKER[2:])
    if os.environ.get("REDIS_URL") and not os.environ.get("KEEL_XDIST_REDIS_SET"):
        _url = os.environ["REDIS_URL"]
        _m = re.fullmatch(r"(redis://[^/]+)(?:/(\d*))?", _url)
        if _m:
            os.environ["REDIS_URL"] = f"{_m.group(1)}/{int(_m.group(2) or 0) + _n + 1}"
        os.environ["KEEL_XDIST_REDIS_SET"] = "1"
    if os.environ.get("KEEL_DATA_DIR") and not os.environ.get("KEEL_XDIST_DATA_DIR_SET"):
        os.environ["KEEL_DATA_DIR"] = os.path.join(os.environ["KEEL_DATA_DIR"], _XDIST_WORKER)
        os.environ["KEEL_XDIST_DATA_DIR_SET"] = "1"

from .base import *  # noqa: E402

DEBUG = False
# A fixed key: tests run without `init_data_dir`, and every process of a test run must agree.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "keel-tests-only-not-a-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
KEEL_OUTBOX_KICK_SECONDS = (
    0  # eager relays per message; tests/hrcore/test_outbox.py covers the window
)
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "1000/min", "user": "10000/min"},
}
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login": "1000/m/ip"}
# Partners' retries wait 10 ms, not 200 ms: the demo partners of many tests point at a port
# nobody listens on, and every call of theirs waited out two backoffs.
KEEL_PARTNER_BACKOFF_SECONDS = 0.01
# Webhook subscriptions may point at pytest-httpserver (http://localhost:<port>).
KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP = True

# Parallel runs against one server each get their own test database.
if os.environ.get("KEEL_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["KEEL_TEST_DB_NAME"]}
