"""The partner API for outbound webhook subscriptions (issue 10 item 3: the ``webhooks`` scope
grants exactly these operations): who may use it (HR admins, by MFA-passed session or token;
each scope × operation), the secret shown only on create and rotation, rotation taking effect on
the next delivery, validation (400, never a 500), deactivation keeping the record and its log,
the audit trail without the secret, and the Idempotency-Key on create."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from werkzeug import Response

from hrcore.models import DeliveryAttempt, IdempotencyKey, OutboxMessage
from hrcore.services.outbox import outbox_enqueue, outbox_relay_due
from integrations import signing
from integrations.models import Partner, WebhookSubscription

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhook-subscriptions/"
GOOD_URL = "https://hooks.partner.example/keel"


@pytest.fixture
def partner():
    return Partner.objects.create(
        slug="wh-crm", name="Webhook CRM", kind="crm", base_url="https://crm.partner.example"
    )


@pytest.fixture
def sub(partner):
    from integrations.crypto import encrypt

    return WebhookSubscription.objects.create(
        partner=partner, url=GOOD_URL, events=["crisis.filed"], secret_encrypted=encrypt("old")
    )


def _state():
    """Everything these endpoints may change, to assert that a refusal changed nothing."""
    return (
        sorted(
            WebhookSubscription.objects.values_list(
                "id", "partner_id", "url", "events", "active", "secret_encrypted"
            )
        ),
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(WebhookSubscription)
        ).count(),
    )


def _create_body(to, **extra):
    return {"partner": to.slug, "url": GOOD_URL, "events": ["crisis.filed"], **extra}


# Every operation: (name, method, path, body); ``{id}`` is the subscription's id.
OPERATIONS = [
    ("list", "get", BASE, None),
    ("retrieve", "get", BASE + "{id}/", None),
    ("deliveries", "get", BASE + "{id}/deliveries/", None),
    ("create", "post", BASE, "create"),
    ("update", "patch", BASE + "{id}/", {"events": ["crisis.filed", "crisis.closed"]}),
    ("deactivate", "delete", BASE + "{id}/", None),
    ("rotate", "post", BASE + "{id}/rotate-secret/", None),
]
READ_OPS = {"list", "retrieve", "deliveries"}
SUCCESS = {"create": 201, "deactivate": 204}


def _call(client, op, sub, partner):
    _, method, path, body = op
    if body == "create":
        body = _create_body(partner)
    url = path.format(id=sub.pk)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(
    "scopes,allowed",
    [
        (("webhooks",), {op[0] for op in OPERATIONS}),
        # as on every other endpoint, ``write`` admits the changes and ``read`` the reads
        (("write",), {op[0] for op in OPERATIONS} - READ_OPS),
        (("read", "write"), {op[0] for op in OPERATIONS}),
        (("read",), READ_OPS),
        (("crisis:file",), set()),
        (("evidence:write",), set()),
        ((), {op[0] for op in OPERATIONS}),  # a token without scopes is unrestricted
    ],
    ids=["webhooks", "write", "read-write", "read", "crisis-file", "evidence-write", "unscoped"],
)
@pytest.mark.parametrize("op", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_scope_by_operation(api_as, sub, partner, scopes, allowed, op):
    client = api_as("hradmin", scopes=scopes)
    before = _state()
    response = _call(client, op, sub, partner)
    if op[0] in allowed:
        assert response.status_code == SUCCESS.get(op[0], 200), response.content
    else:
        assert response.status_code == 403, response.content
        assert _state() == before


@pytest.mark.parametrize(
    "path", ["/api/v1/crises/", "/api/v1/org-units/", "/api/v1/customers/", "/api/v1/tasks/"]
)
def test_webhooks_token_opens_nothing_else(api_as, path):
    assert api_as("hradmin", scopes=("webhooks",)).get(path).status_code == 403
    assert api_as("hradmin", scopes=("read",)).get(path).status_code == 200


def test_webhooks_token_cannot_file_a_crisis(api_as):
    from crisis.models import Crisis

    before = Crisis.objects.count()
    response = api_as("hradmin", scopes=("webhooks",)).post(
        "/api/v1/crises/",
        {"scenario": "debt-collection", "title": "Through the webhooks scope"},
        format="json",
    )
    assert response.status_code == 403
    assert Crisis.objects.count() == before


@pytest.mark.parametrize("username", ["manager", "manager2", "finance", "legal", "admin", "vp"])
@pytest.mark.parametrize("op", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_other_roles_are_refused_and_nothing_changes(api_as, sub, partner, username, op):
    before = _state()
    response = _call(api_as(username, scopes=("webhooks", "write")), op, sub, partner)
    assert response.status_code == 403, response.content
    assert "secret" not in response.json()
    assert _state() == before


def test_hr_admin_session_needs_the_second_factor(users, sub, partner):
    from tests.conftest import pass_second_factor

    client = Client()
    client.force_login(users["hradmin"])
    before = _state()
    assert client.get(BASE).status_code in (401, 403)
    response = client.post(BASE, _create_body(partner), content_type="application/json")
    assert response.status_code in (401, 403)
    assert _state() == before
    pass_second_factor(client, users["hradmin"])
    assert client.get(BASE).json()["count"] == 1
    response = client.post(BASE, _create_body(partner), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["secret"]


def test_secret_is_shown_on_create_and_rotation_only(api_as, partner):
    client = api_as("hradmin", scopes=("webhooks",))
    created = client.post(BASE, _create_body(partner), format="json")
    assert created.status_code == 201
    body = created.json()
    secret = body["secret"]
    assert len(secret) >= 40
    assert (body["partner"], body["url"], body["events"], body["active"]) == (
        partner.slug,
        GOOD_URL,
        ["crisis.filed"],
        True,
    )
    sub = WebhookSubscription.objects.get(pk=body["id"])
    assert sub.secret == secret
    assert secret not in sub.secret_encrypted
    for response in (client.get(BASE), client.get(f"{BASE}{sub.pk}/")):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert "secret" not in response.content.decode()
    rotated = client.post(f"{BASE}{sub.pk}/rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != secret
    sub.refresh_from_db()
    assert sub.secret == new_secret
    assert "secret" not in client.get(f"{BASE}{sub.pk}/").content.decode()
    # the audit log says the secret was set and changed, never its value
    entries = LogEntry.objects.get_for_object(sub)
    assert entries.count() == 2
    logged = json.dumps([e.changes for e in entries])
    assert secret not in logged and new_secret not in logged
    assert "value not logged" in logged
    assert {e.actor.username for e in entries} == {"hradmin"}


def test_rotation_signs_the_next_delivery_with_the_new_secret(api_as, partner, httpserver):
    received = []

    def handler(request):
        received.append(request)
        return Response("ok", 200)

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(handler)
    client = api_as("hradmin", scopes=("webhooks",))
    created = client.post(
        BASE,
        {"partner": partner.slug, "url": httpserver.url_for("/hooks"), "events": ["decision.made"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    old_secret, sub_id = created.json()["secret"], created.json()["id"]
    new_secret = client.post(f"{BASE}{sub_id}/rotate-secret/").json()["secret"]

    from django.utils import timezone

    outbox_enqueue(
        channel="event",
        dedupe_key="event:decision.made:rotation",
        payload={"event": "decision.made", "crisis_id": 1, "data": {"text": "negotiate"}},
    )
    for _ in range(3):
        OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        outbox_relay_due()
    assert len(received) == 1
    request = received[0]
    raw = request.get_data()
    headers = {
        "timestamp": request.headers[signing.TIMESTAMP_HEADER],
        "delivery_id": request.headers[signing.DELIVERY_HEADER],
        "signature": request.headers[signing.SIGNATURE_HEADER],
    }
    signing.verify(new_secret, body=raw, **headers)
    with pytest.raises(signing.SignatureError):
        signing.verify(old_secret, body=raw, **headers)
    # the delivery log shows the attempt
    log = client.get(f"{BASE}{sub_id}/deliveries/").json()
    assert log["count"] == 1
    row = log["results"][0]
    assert (row["event"], row["status"], row["status_code"], row["attempt"]) == (
        "decision.made",
        "delivered",
        200,
        1,
    )
    assert row["delivery_id"] == headers["delivery_id"]
    assert set(row) >= {"duration_ms", "error", "at"}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"url": "http://hooks.partner.example/keel"}, "url"),
        ({"url": "ftp://hooks.partner.example/keel"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@hooks.partner.example/"}, "url"),
        ({"url": "https://" + "a" * 600 + ".example/"}, "url"),
        ({"url": ""}, "url"),
        ({"url": 12}, "url"),
        ({"events": ["crisis.exploded"]}, "events"),
        ({"events": ["crisis.filed", "crisis.filed"]}, "events"),
        ({"events": "crisis.filed"}, "events"),
        ({"events": [{"x": 1}]}, "events"),
        ({"partner": "no-such-partner"}, "partner"),
        ({"partner": None}, "partner"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, partner, sub, body, field):
    client = api_as("hradmin", scopes=("webhooks",))
    before = _state()
    response = client.post(BASE, _create_body(partner, **body), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert _state() == before
    response = client.patch(f"{BASE}{sub.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert _state() == before


def test_plain_http_is_refused_in_production_even_to_loopback(api_as, partner, settings):
    settings.KEEL_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    settings.DEBUG = False
    client = api_as("hradmin", scopes=("webhooks",))
    body = _create_body(partner, url="http://127.0.0.1:8765/hooks")
    assert client.post(BASE, body, format="json").status_code == 400
    settings.DEBUG = True
    assert client.post(BASE, body, format="json").status_code == 201


def test_every_event_and_known_events_are_accepted(api_as, partner):
    client = api_as("hradmin", scopes=("webhooks",))
    for events in ([], ["*"], ["crisis.filed", "task.breached", "test.ping"]):
        response = client.post(BASE, _create_body(partner, events=events), format="json")
        assert response.status_code == 201, response.content
        assert response.json()["events"] == events


def _logged_attempt(sub, delivery_id: str, attempt: int = 1, result: str = "delivered"):
    """A webhook attempt as the outbox's delivery ledger records it."""
    message = OutboxMessage.objects.create(
        channel="webhook",
        dedupe_key=f"test:{delivery_id}",
        payload={"subscription_id": sub.pk, "event": "crisis.filed", "delivery_id": delivery_id},
        attempts=attempt,
        status="sent" if result == "delivered" else "pending",
    )
    return DeliveryAttempt.objects.create(
        message=message,
        channel="webhook",
        attempt=attempt,
        delivery_id=delivery_id,
        result=result,
    )


def test_delete_deactivates_and_keeps_the_record_and_its_log(api_as, sub):
    logged = _logged_attempt(sub, "keel-1-1").message
    client = api_as("hradmin", scopes=("webhooks",))
    assert client.delete(f"{BASE}{sub.pk}/").status_code == 204
    sub.refresh_from_db()
    assert sub.active is False
    assert client.get(f"{BASE}{sub.pk}/").json()["active"] is False
    assert client.get(f"{BASE}{sub.pk}/deliveries/").json()["count"] == 1
    entry = LogEntry.objects.get_for_object(sub).get()
    assert entry.changes_dict == {"active": ["True", "False"]}
    # deactivated: the next event is not delivered to it
    outbox_enqueue(
        channel="event",
        dedupe_key="event:crisis.filed:deactivated",
        payload={"event": "crisis.filed", "crisis_id": None, "data": {}},
    )
    outbox_relay_due()
    assert not OutboxMessage.objects.filter(channel="webhook").exclude(pk=logged.pk).exists()
    # PATCH resumes it
    response = client.patch(f"{BASE}{sub.pk}/", {"active": True}, format="json")
    assert response.status_code == 200 and response.json()["active"] is True


def test_update_is_audited_field_by_field(api_as, sub, partner):
    other = Partner.objects.create(
        slug="wh-finance", name="Webhook finance", kind="finance", base_url="https://f.example"
    )
    client = api_as("hradmin", scopes=("webhooks",))
    response = client.patch(
        f"{BASE}{sub.pk}/",
        {"url": "https://new.partner.example/k", "partner": other.slug, "events": ["*"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["partner"] == other.slug
    entry = LogEntry.objects.get_for_object(sub).get()
    assert entry.actor.username == "hradmin"
    assert set(entry.changes_dict) == {"url", "partner", "events"}
    # the same values again: nothing to audit
    client.patch(f"{BASE}{sub.pk}/", {"url": "https://new.partner.example/k"}, format="json")
    assert LogEntry.objects.get_for_object(sub).count() == 1


def test_unknown_subscription_is_404(api_as):
    client = api_as("hradmin", scopes=("webhooks",))
    assert client.get(f"{BASE}999999/").status_code == 404
    assert client.post(f"{BASE}999999/rotate-secret/").status_code == 404
    assert client.get(f"{BASE}abc/").status_code == 404


def test_deliveries_page_with_limit_and_offset(api_as, sub):
    for n in range(3):
        _logged_attempt(sub, f"keel-{n}", attempt=n + 1)
    client = api_as("hradmin", scopes=("read",))
    page = client.get(f"{BASE}{sub.pk}/deliveries/?limit=2&offset=1").json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert client.get(f"{BASE}{sub.pk}/deliveries/?limit=0").status_code == 400


def test_create_with_idempotency_key_runs_once_and_keeps_the_secret_encrypted(api_as, partner):
    client = api_as("hradmin", scopes=("webhooks",))
    headers = {"HTTP_IDEMPOTENCY_KEY": "sub-1"}
    first = client.post(BASE, _create_body(partner), format="json", **headers)
    again = client.post(BASE, _create_body(partner), format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert WebhookSubscription.objects.filter(partner=partner).count() == 1
    stored = IdempotencyKey.objects.get(key="sub-1")
    assert first.json()["secret"] not in json.dumps(stored.response_body)
    other = client.post(BASE, _create_body(partner, events=[]), format="json", **headers)
    assert other.status_code == 409
    assert WebhookSubscription.objects.filter(partner=partner).count() == 1


def test_services_refuse_non_hr_actors(users, sub, partner):
    from hrcore.errors import PermissionDenied
    from integrations.services import webhooks_outbound

    before = _state()
    with pytest.raises(PermissionDenied):
        webhooks_outbound.webhook_subscription_create(
            partner=partner, url=GOOD_URL, events=[], actor=users["vp"]
        )
    with pytest.raises(PermissionDenied):
        webhooks_outbound.webhook_subscription_rotate_secret(
            subscription=sub, actor=users["manager"]
        )
    with pytest.raises(PermissionDenied):
        webhooks_outbound.webhook_subscription_deactivate(subscription=sub, actor=users["finance"])
    assert _state() == before


def test_messages_are_in_chinese_for_chinese_clients(api_as, partner):
    client = api_as("hradmin", scopes=("webhooks",))
    body = _create_body(partner, url="http://hooks.partner.example/", events=["nope"])
    response = client.post(BASE, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "地址必须使用 https://" in errors["url"][0]
    assert "未知事件" in errors["events"][0]
    refused = api_as("vp", scopes=("webhooks",)).get(BASE, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.json()["detail"] == "只有人力资源管理员可以管理 Webhook 订阅。"


@pytest.mark.postgres  # SQLite cannot use an index on this JSON key expression
def test_the_delivery_log_finds_its_messages_through_the_subscription_index(sub):
    """The log's query reaches the subscription's messages through the partial index on the
    payload's subscription, not by reading every webhook message (seq scans off: the plan
    shows what can be used, on a table too small to make the planner prefer it alone)."""
    from django.db import connection

    from integrations.selectors import webhook_subscription_deliveries

    _logged_attempt(sub, "keel-9-1")
    sql, params = webhook_subscription_deliveries(sub).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "outbox_webhook_subscription" in plan, plan
