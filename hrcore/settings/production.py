"""Production: refuses to start without an explicit secret key and hosts; never seeds demo data."""

import os

from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from .base import *
from .base import env_bool

if not os.environ.get("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not os.environ.get("DJANGO_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production.")

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
MIN_SECRET_KEY_LENGTH = 50
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
        "(e.g. `openssl rand -base64 48`)."
    )
DEBUG = False
KEEL_DEMO_ALLOWED = False
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Media (crisis deliverables, uploads): the data volume by default; an S3-compatible bucket
# (AWS S3, MinIO, Aliyun OSS, Tencent COS …) through django-storages when a bucket is named.
# Files are private: the app serves them after its own permission check, never a public URL.
MEDIA_S3_BUCKET = os.environ.get("KEEL_MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("KEEL_MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("KEEL_MEDIA_S3_REGION") or None,
            "access_key": os.environ.get("KEEL_MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("KEEL_MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Source maps (14 of the 26 MB collectstatic compresses: the API docs' bundles, DRF's bootstrap) are
# fetched only by a browser's developer tools: served as they are, not gzipped at level 9 at every
# deploy (1.4 of collectstatic's 3 CPU-seconds). WhiteNoise's own list, plus "map".
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# E-mail: SMTP as soon as a mail server is named (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL, DEFAULT_FROM_EMAIL: see base.py).
# An empty EMAIL_BACKEND (compose passes every variable, set or not) means "choose for me".
if not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = (
        "django.core.mail.backends.smtp.EmailBackend"
        if os.environ.get("EMAIL_HOST")
        else "django.core.mail.backends.console.EmailBackend"
    )
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set at most one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
# Outbound webhooks go over https only, whatever the environment says.
KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
