"""Production settings read the deployment's variables as compose passes them (set or empty):
SMTP as soon as a mail server is named, S3-compatible media when a bucket is named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"email": settings.EMAIL_BACKEND, "port": settings.EMAIL_PORT,
                  "tls": settings.EMAIL_USE_TLS, "media": settings.STORAGES["default"],
                  "csrf": settings.CSRF_TRUSTED_ORIGINS}))
"""
COMPOSE_EMPTY = {
    "EMAIL_BACKEND": "",
    "EMAIL_HOST": "",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "true",
    "EMAIL_USE_SSL": "false",
    "KEEL_MEDIA_S3_BUCKET": "",
    "KEEL_MEDIA_S3_ENDPOINT_URL": "",
    "KEEL_MEDIA_S3_REGION": "",
    "KEEL_MEDIA_S3_ACCESS_KEY_ID": "",
    "KEEL_MEDIA_S3_SECRET_ACCESS_KEY": "",
}


def _probe(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.production",
        "DJANGO_SECRET_KEY": "x" * 64,
        "DJANGO_ALLOWED_HOSTS": "keel.lan",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://keel.lan",
        "KEEL_DATA_DIR": str(tmp_path),
        **COMPOSE_EMPTY,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_empty_compose_variables_mean_console_mail_and_media_on_the_volume(tmp_path):
    result = _probe(tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["email"] == "django.core.mail.backends.console.EmailBackend"
    assert seen["media"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert seen["csrf"] == ["https://keel.lan"]


def test_a_mail_server_and_a_bucket_switch_to_smtp_and_s3(tmp_path):
    result = _probe(
        tmp_path,
        EMAIL_HOST="smtp.example.com",
        KEEL_MEDIA_S3_BUCKET="keel-media",
        KEEL_MEDIA_S3_ENDPOINT_URL="https://minio.keel.lan:9000",
        KEEL_MEDIA_S3_ACCESS_KEY_ID="id",
        KEEL_MEDIA_S3_SECRET_ACCESS_KEY="secret",
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (seen["port"], seen["tls"]) == (587, True)
    media = seen["media"]
    assert media["BACKEND"] == "storages.backends.s3.S3Storage"
    assert media["OPTIONS"]["bucket_name"] == "keel-media"
    assert media["OPTIONS"]["endpoint_url"] == "https://minio.keel.lan:9000"
    assert media["OPTIONS"]["default_acl"] == "private" and media["OPTIONS"]["querystring_auth"]
    assert media["OPTIONS"]["region_name"] is None  # empty means unset, not ""


def test_tls_and_ssl_at_once_are_refused(tmp_path):
    result = _probe(tmp_path, EMAIL_USE_SSL="true")
    assert result.returncode != 0
    assert "at most one of EMAIL_USE_TLS and EMAIL_USE_SSL" in result.stderr
