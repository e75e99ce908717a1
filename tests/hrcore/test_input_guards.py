"""Input that crashed Keel (issue 10, item 10): deeply nested JSON, NUL characters, line breaks
in crisis titles, oversized bodies, and HTML error pages on the API under DEBUG. Each is a 4xx
with a clear message (or is cleaned), and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from crisis.models import Crisis
from hrcore.models import Notification, OutboxMessage
from hrcore.services import notifications, outbox

pytestmark = pytest.mark.django_db

BODY = {
    "scenario": "debt-collection-emergency",
    "title": "Collectors in the Shanghai office",
    "description": "Two collectors, shouting.",
    "unit": "sh-business",
    "severity": "high",
}


@pytest.fixture
def world(demo_org):
    from integrations import demo as integrations_demo
    from responsibilities import demo as responsibilities_demo

    responsibilities_demo.seed()
    integrations_demo.seed_customers()
    return demo_org


def nested(depth: int) -> str:
    return '{"title": ' + "[" * depth + "1" + "]" * depth + "}"


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_deeply_is_a_400_for_token_and_session(world, api_as, client_as, depth):
    for client in (api_as("manager"), client_as("manager")):
        response = client.generic(
            "POST",
            "/api/v1/crises/",
            nested(depth),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400, response.content[:300]
        body = response.json()
        assert body["status"] == 400 and body["code"] == "parse_error"
        assert "64" in body["detail"]  # "nested deeper than 64 levels", in the user's language
    assert not Crisis.objects.exists()


def test_json_within_the_depth_limit_is_still_parsed(world, api_as):
    response = api_as("manager").generic(
        "POST", "/api/v1/crises/", nested(60), content_type="application/json"
    )
    assert response.status_code == 400  # a list is not a title: the serializer says so
    assert "title" in response.json()["errors"]


def test_nul_character_in_a_json_body_is_a_400(world, api_as):
    payload = {**BODY, "description": "two collectors\u0000 shouting", "extra": {"k\u0000": 1}}
    response = api_as("manager").post(
        "/api/v1/crises/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Crisis.objects.exists()


@pytest.mark.postgres
def test_nul_character_in_a_webhook_is_cleaned_and_the_event_is_kept(
    partners_and_maps, client, django_capture_on_commit_callbacks
):
    """On PostgreSQL a \\u0000 made the webhook (and every retry of it) a 500; the NULs are now
    removed and the crisis is filed once."""
    from integrations import signing
    from integrations.models import InboundDelivery

    raw = json.dumps(
        {
            "event": "collectors.on_site",
            "customer": "CUST-1001",
            "location": "reception\u0000",
            "description": "three\u0000 collectors",
        }
    ).encode()
    assert b"\\u0000" in raw
    headers = signing.signed_headers("test-webhook-secret", raw, delivery_id="nul-1")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/integrations/webhooks/sandbox-finance/",
            data=raw,
            content_type="application/json",
            **extra,
        )
    assert response.status_code == 200, response.content
    crisis = Crisis.objects.get()
    assert crisis.description == "three collectors"
    assert "\x00" not in crisis.title
    inbound = InboundDelivery.objects.get()
    assert inbound.payload["description"] == "three collectors"


@pytest.fixture
def partners_and_maps(world, users):
    from integrations.services import partners

    partners.partner_save(
        slug="sandbox-finance",
        name="Sandbox finance",
        kind="finance",
        base_url="http://127.0.0.1:9",
        token="t",
        webhook_secret="test-webhook-secret",
        timeout_seconds=1.0,
        max_attempts=1,
        enabled=True,
    )


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\r", "\u2028"])
def test_line_break_in_a_crisis_title_is_refused_in_api_and_page(
    world, api_as, client_as, separator
):
    title = f"Collectors{separator}Bcc: everyone@example.com"
    outbox_before = OutboxMessage.objects.count()
    response = api_as("manager").post(
        "/api/v1/crises/", {**BODY, "title": title}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "one line" in response.json()["errors"]["title"]
    page = client_as("manager").post(
        "/crises/new/",
        {
            "scenario": BODY["scenario"],
            "title": title,
            "description": "x",
            "unit": BODY["unit"],
            "severity": "high",
        },
    )
    assert page.status_code == 400  # the form again, with the error
    assert not Crisis.objects.exists()
    assert OutboxMessage.objects.count() == outbox_before  # nothing queued by either refusal


def test_a_subject_with_a_line_break_is_mailed_on_one_line(users):
    """A notification stored with a line break in its subject (e.g. a crisis title from before
    titles were checked) made every e-mail fail for good (Django refuses header newlines)."""
    notifications.notification_send(
        recipient=users["finance"],
        kind="crisis.invited",
        params={"crisis_title": "收债人\n在现场"},
        dedupe_key="t:newline",
    )
    assert outbox.outbox_relay_due() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Keel] 邀请参与危机：收债人 在现场"
    assert OutboxMessage.objects.get(dedupe_key__endswith="t:newline").status == "sent"
    assert (
        Notification.objects.get(dedupe_key="t:newline").params["crisis_title"] == "收债人\n在现场"
    )  # the inbox keeps it


def test_webhook_location_with_a_line_break_still_files_the_crisis(
    partners_and_maps, client, django_capture_on_commit_callbacks
):
    from integrations import signing

    raw = json.dumps(
        {"event": "collectors.on_site", "customer": "CUST-1001", "location": "lobby\r\nfloor 2"}
    ).encode()
    headers = signing.signed_headers("test-webhook-secret", raw, delivery_id="lf-1")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/integrations/webhooks/sandbox-finance/",
            data=raw,
            content_type="application/json",
            **extra,
        )
    assert response.status_code == 200, response.content
    title = Crisis.objects.get().title
    assert "lobby floor 2" in title and not any(c in title for c in "\r\n")


class UnreadableBody:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


HUGE = str(200 * 1024 * 1024)


def test_oversized_api_request_is_refused_before_the_body_is_read(world, api_as):
    response = api_as("manager").generic(
        "POST",
        "/api/v1/crises/",
        "",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        CONTENT_LENGTH=HUGE,
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "too_large" and "at most 16 MB" in body["detail"]
    assert not Crisis.objects.exists()


def test_oversized_upload_page_is_refused_in_both_languages(world, client_as):
    response = client_as("finance").generic(
        "POST",
        "/crises/tasks/1/complete/",
        "",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=HUGE,
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    text = response.content.decode()
    assert "at most 16 MB" in text
    assert "请求过大" in text


def test_nul_in_the_query_string_is_a_400(world, client_as, api_as):
    page = client_as("hradmin").get("/maps/new/?scenario=%00")
    assert page.status_code == 400
    api = api_as("manager").get("/api/v1/customers/?search=a%00b")
    assert api.status_code == 400 and api.json()["code"] == "nul_character"


def test_api_errors_are_json_even_with_debug(settings, world, api_as, monkeypatch):
    settings.DEBUG = True
    api = api_as("manager")
    for url in ("/api/v1/no-such-thing/", "/api/v1/crises/not-a-number/"):
        response = api.get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert (body["status"], body["code"]) == (404, "not_found"), body
        assert body["detail"]
    from crisis.api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.CrisisViewSet, "list", explode)
    api.raise_request_exception = False
    response = api.get("/api/v1/crises/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "server_error"
    assert "boom" not in response.content.decode()
    # Pages keep Django's debug pages.
    assert "json" not in Client().get("/no-such-page/")["Content-Type"]


@pytest.mark.parametrize(
    "events",
    ["[" * 1000 + "]" * 1000, "[" * 100 + "]" * 100, '["crisis.filed\\u0000"]'],
)
def test_admin_json_field_refuses_deep_or_nul_json(users, client_as, events):
    """The admin's JSON fields (here a subscription's events) parsed deep JSON with json.loads:
    a RecursionError (500), also when showing the form again; a NUL reached PostgreSQL."""
    from integrations.models import WebhookSubscription
    from integrations.services import partners

    partner = partners.partner_save(
        slug="p1",
        name="P1",
        kind="finance",
        base_url="https://p1.example.com",
        timeout_seconds=1.0,
        max_attempts=1,
        enabled=True,
    )
    response = client_as("hradmin").post(
        "/admin/integrations/webhooksubscription/add/",
        {"partner": partner.pk, "url": "https://p1.example.com/hook", "events": events},
    )
    assert response.status_code == 200  # the form again, with the error on the field
    assert response.context["adminform"].form.errors["events"]
    assert not WebhookSubscription.objects.exists()
