"""Partner credentials at rest (issue 10, item 9): a SECRET_KEY rotation never silently empties a
credential, an unreadable one is a loud error, ``reencrypt_credentials`` moves every credential
to the current key, production refuses a short key, and partner changes are audited."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations import signing
from integrations.crypto import CredentialUnreadable
from integrations.models import Customer, InboundDelivery, Partner

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/webhooks/sandbox-finance/"
OLD_KEY = "old-key-" + "o" * 60
NEW_KEY = "new-key-" + "n" * 60
PAYMENT = {
    "event": "payment.recorded",
    "customer": "CUST-1002",
    "credit": {"outstanding_amount": "0.00", "overdue_days": 0, "overdue_since": None},
}


def post_payment(client, delivery: str):
    raw = json.dumps({**PAYMENT, "n": delivery}).encode()
    headers = signing.signed_headers(WEBHOOK_SECRET, raw, delivery_id=delivery)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    return client.post(URL, data=raw, content_type="application/json", **extra)


@pytest.fixture
def old_key_partners(settings, partners):
    """The partners' credentials were written under OLD_KEY (the key before a rotation)."""
    from integrations.services import partners as partners_services

    hook_secrets = {p.slug: p.webhook_secret for p in Partner.objects.all()}
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    for partner in Partner.objects.all():
        partners_services.partner_save(
            partner=partner, token="tok-" + partner.slug, webhook_secret=hook_secrets[partner.slug]
        )
    return partners


def test_rotated_key_in_fallbacks_keeps_every_credential(settings, old_key_partners, client):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    finance = Partner.objects.get(slug="sandbox-finance")
    assert finance.webhook_secret == WEBHOOK_SECRET
    assert finance.token == "tok-sandbox-finance"
    response = post_payment(client, "rot-1")
    assert response.status_code == 200, response.content
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 0


def test_unreadable_credential_is_a_loud_error_never_an_empty_one(
    settings, old_key_partners, client, client_as, caplog
):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []  # old key lost
    finance = Partner.objects.get(slug="sandbox-finance")
    with pytest.raises(CredentialUnreadable):
        finance.webhook_secret  # noqa: B018
    with pytest.raises(CredentialUnreadable):
        finance.token  # noqa: B018
    with caplog.at_level(logging.ERROR, logger="integrations.crypto"):
        response = post_payment(client, "rot-2")
    assert response.status_code == 503
    assert response.json()["code"] == "secret_unreadable"
    assert "cannot be decrypted" in caplog.text
    assert Customer.objects.get(external_id="CUST-1002").overdue_days == 18
    assert not InboundDelivery.objects.exists()
    # The admin says so, on the list and on the partner.
    admin = client_as("hradmin")
    from django.contrib.messages import get_messages

    page = admin.get("/admin/integrations/partner/")
    shown = [str(m) for m in get_messages(page.wsgi_request)]
    assert any("sandbox-finance" in m and "sandbox-legal" in m for m in shown), shown
    assert "DJANGO_SECRET_KEY_FALLBACKS" in page.content.decode()  # the status column
    page = admin.get(f"/admin/integrations/partner/{finance.pk}/change/")
    assert "DJANGO_SECRET_KEY_FALLBACKS" in page.content.decode()


def test_unreadable_token_shows_on_the_dossier_source(settings, old_key_partners, file_crisis):
    from integrations.models import Dossier

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []
    crisis = file_crisis()
    dossier = Dossier.objects.get(crisis_id=crisis.pk)
    finance_sources = dossier.sources.filter(source__in=["credit", "payments", "invoices"])
    assert finance_sources.exists()
    for source in finance_sources:
        assert source.status == "failed"
        assert "cannot be decrypted" in source.error


def test_reencrypt_command_moves_credentials_to_the_current_key(settings, old_key_partners):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    before = dict(Partner.objects.values_list("slug", "credentials_encrypted"))
    call_command("reencrypt_credentials")
    settings.SECRET_KEY_FALLBACKS = []  # the old key can now go
    for partner in Partner.objects.all():
        assert partner.credentials_encrypted != before[partner.slug]
        assert partner.token == "tok-" + partner.slug
    assert Partner.objects.get(slug="sandbox-finance").webhook_secret == WEBHOOK_SECRET


def test_reencrypt_command_reports_unreadable_and_overwrites_nothing(settings, old_key_partners):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, []
    before = list(Partner.objects.values_list("credentials_encrypted", flat=True).order_by("pk"))
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("reencrypt_credentials")
    after = list(Partner.objects.values_list("credentials_encrypted", flat=True).order_by("pk"))
    assert after == before
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]  # restoring the key restores every credential
    assert Partner.objects.get(slug="sandbox-finance").token == "tok-sandbox-finance"


ROOT = Path(__file__).resolve().parents[2]


def _production_settings(key: str, fallbacks: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.production",
        "DJANGO_SECRET_KEY": key,
        "DJANGO_SECRET_KEY_FALLBACKS": fallbacks,
        "DJANGO_ALLOWED_HOSTS": "keel.example.com",
    }
    code = "from django.conf import settings; print(len(settings.SECRET_KEY_FALLBACKS))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_refuses_a_secret_key_under_50_characters():
    short = _production_settings("x" * 49)
    assert short.returncode != 0
    assert "at least 50 characters" in short.stderr
    ok = _production_settings("x" * 50, fallbacks=f"{OLD_KEY}, {'y' * 60}")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "2"


def test_partner_changes_are_audited_without_the_secret(client_as, users, partners):
    partner = Partner.objects.get(slug="sandbox-finance")
    entries_before = LogEntry.objects.count()
    response = client_as("hradmin").post(
        f"/admin/integrations/partner/{partner.pk}/change/",
        {
            "slug": partner.slug,
            "name": partner.name,
            "kind": partner.kind,
            "protocol": partner.protocol,
            "base_url": partner.base_url,
            "timeout_seconds": "4",
            "max_attempts": str(partner.max_attempts),
            "enabled": "on",
            "service_user": str(partner.service_user_id),
            "webhook_secret": "brand-new-hook-secret",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    partner.refresh_from_db()
    assert partner.webhook_secret == "brand-new-hook-secret"
    assert LogEntry.objects.count() == entries_before + 1
    entry = LogEntry.objects.latest("pk")
    assert entry.actor == users["hradmin"]
    assert entry.object_pk == str(partner.pk)
    changes = entry.changes if isinstance(entry.changes, dict) else json.loads(entry.changes)
    assert set(changes) == {"timeout_seconds", "webhook_secret"}
    assert changes["timeout_seconds"] == ["2.0", "4.0"]
    assert changes["webhook_secret"] == ["(set)", "(changed; value not logged)"]
    stored = json.dumps([entry.changes, entry.serialized_data, entry.additional_data], default=str)
    assert "brand-new-hook-secret" not in stored
    assert partner.webhook_secret_encrypted not in stored
    assert WEBHOOK_SECRET not in stored


def test_subscription_changes_are_audited_without_the_secret(client_as, users, partners):
    from integrations.models import WebhookSubscription
    from integrations.services import partners as partners_services

    sub = partners_services.subscription_save(
        partner=partners["finance"], url="https://hooks.example.com/a", secret="first-secret"
    )
    entries_before = LogEntry.objects.count()
    response = client_as("hradmin").post(
        f"/admin/integrations/webhooksubscription/{sub.pk}/change/",
        {
            "partner": partners["finance"].pk,
            "url": "https://hooks.example.com/b",
            "events": '["crisis.filed"]',
            "active": "on",
            "secret": "second-secret",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert WebhookSubscription.objects.get().secret == "second-secret"
    assert LogEntry.objects.count() == entries_before + 1
    entry = LogEntry.objects.latest("pk")
    assert entry.actor == users["hradmin"]
    changes = entry.changes if isinstance(entry.changes, dict) else json.loads(entry.changes)
    assert set(changes) == {"url", "events", "secret"}
    assert changes["url"] == ["https://hooks.example.com/a", "https://hooks.example.com/b"]
    stored = json.dumps([entry.changes, entry.serialized_data], default=str)
    assert "second-secret" not in stored and "first-secret" not in stored
