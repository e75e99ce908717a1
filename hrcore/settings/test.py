"""Test settings: same as the embedded default or, with DATABASE_URL/REDIS_URL, the real servers."""

import os

from .base import *

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
# Webhook subscriptions may point at pytest-httpserver (http://localhost:<port>).
KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP = True

# Parallel runs against one server each get their own test database.
if os.environ.get("KEEL_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["KEEL_TEST_DB_NAME"]}
