"""Channel adapters (issue 13 §2) over real HTTP against the sandbox's messaging providers:
what each provider receives, their rate limits and error codes, access-token refresh,
provider idempotency, signed delivery/read callbacks, failure knobs and e-mail."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from integrations import adapters, signing
from integrations.adapters import ChannelMessage, RateLimited, parse_callback
from integrations.adapters.messaging import tokens
from integrations.sandbox.providers import callback_secret

from .conftest import SANDBOX_TOKEN

CALLBACK_BASE = "test-callback-base"


def channel(url: str, protocol: str, path: str = "", **options) -> adapters.ChannelAdapter:
    config = adapters.PartnerConfig(
        slug=f"test-{protocol}",
        kind="channel",
        protocol=protocol,
        base_url=url + path,
        token=SANDBOX_TOKEN,
        timeout_seconds=2.0,
        max_attempts=3,
        backoff_seconds=0.01,
        options=options,
    )
    return adapters.adapter_for(config)


@pytest.fixture
def providers(sandbox):
    tokens.clear()
    yield sandbox.app.providers
    tokens.clear()


def message(to: str = "", **overrides) -> ChannelMessage:
    values = {
        "to": to,
        "title": "任务已分配 / Task assigned",
        "text": "Call the customer within 20 minutes.",
        "link": "https://keel.example/ack/abc",
        "link_label": "确认",
        "idempotency_key": "row-1",
    }
    values.update(overrides)
    return ChannelMessage(**values)


PERSON_CHANNELS = [
    ("dingtalk-work", "/dingtalk", {"app_key": "k", "agent_id": "1"}, "dt-manager", "dingtalk"),
    ("wecom-app", "/wecom", {"corp_id": "c", "agent_id": "1"}, "wc-manager", "wecom"),
    ("feishu-app", "/feishu", {"app_id": "cli_x"}, "ou_0123456789ab", "feishu"),
    ("sms-gateway", "", {}, "+8613800138000", "sms"),
    ("voice-gateway", "", {}, "+8613800138000", "voice"),
]


@pytest.mark.parametrize("protocol, path, options, to, provider", PERSON_CHANNELS)
def test_each_person_channel_reaches_its_provider_with_the_acknowledgement_link(
    sandbox, providers, protocol, path, options, to, provider
):
    adapter = channel(sandbox.url, protocol, path, **options)
    receipt = adapter.send(message(to))
    [received] = [m for m in providers.messages if m["provider"] == provider]
    assert receipt.provider_message_id == received["id"]
    assert received["to"] == to
    assert "Task assigned" in received["title"] or "Task assigned" in received.get("text", "")
    assert "https://keel.example/ack/abc" in json.dumps(received, ensure_ascii=False)


@pytest.mark.parametrize(
    "protocol, path, limit, code",
    [
        ("dingtalk-robot-channel", "/dingtalk/robot/send?access_token=robot-a", 20, "130101"),
        ("wecom-robot-channel", "/wecom/cgi-bin/webhook/send?key=robot-a", 20, "45009"),
        ("feishu-robot", "/feishu/open-apis/bot/v2/hook/robot-a", 100, "11232"),
    ],
)
def test_robots_answer_their_real_rate_limit_code_past_the_limit_without_tripping_the_breaker(
    sandbox, providers, protocol, path, limit, code
):
    adapter = channel(sandbox.url, protocol, path)
    for n in range(limit):
        adapter.send(message(mentions=(f"user-{n}",)))
    before = sandbox.requests
    with pytest.raises(RateLimited, match=code):
        adapter.send(message(mentions=("one-too-many",)))
    assert sandbox.requests == before + 1  # not retried in-process: the caller sends later
    assert len([m for m in providers.messages if m["kind"] == "robot"]) == limit
    assert adapters.breaker_for(adapter.config).current_state == "closed"
    # Another robot (another group) has its own minute.
    other = channel(sandbox.url, protocol, path.replace("robot-a", "robot-b"))
    other.send(message(mentions=("someone",)))


def test_a_robot_message_mentions_everyone_coalesced_into_it(sandbox, providers):
    adapter = channel(sandbox.url, "dingtalk-robot-channel", "/dingtalk/robot/send?access_token=g")
    adapter.send(message(mentions=("dt-a", "dt-b", "+8613800138000")))
    [received] = providers.messages
    assert received["mentions"] == ["dt-a", "dt-b", "+8613800138000"]
    assert "@dt-a @dt-b" in received["text"]


@pytest.mark.parametrize(
    "protocol, path, code",
    [
        ("dingtalk-robot-channel", "/dingtalk/robot/send?access_token=g", "310000"),
        ("feishu-robot", "/feishu/open-apis/bot/v2/hook/g", "19021"),
    ],
)
def test_a_robot_signed_with_the_wrong_secret_is_refused_for_good(
    sandbox, providers, protocol, path, code
):
    adapter = channel(sandbox.url, protocol, path)
    wrong = adapters.adapter_for(
        adapters.PartnerConfig(**{**adapter.config.__dict__, "token": "SECwrong", "slug": "w"})
    )
    before = sandbox.requests
    with pytest.raises(adapters.PermanentError, match=code):
        wrong.send(message(mentions=("x",)))
    assert sandbox.requests == before + 1  # permanent: not retried
    assert providers.messages == []


@pytest.mark.parametrize("protocol, path, options, to, provider", PERSON_CHANNELS[:3])
def test_an_expired_access_token_is_replaced_and_the_message_sent_once(
    sandbox, providers, protocol, path, options, to, provider
):
    adapter = channel(sandbox.url, protocol, path, **options)
    adapter.send(message(to, idempotency_key="k1"))
    providers.tokens.clear()  # the provider expired every token it issued
    adapter.send(message(to, title="second", idempotency_key="k2"))
    assert [m["title"] for m in providers.messages][-1] == "second"
    assert len(providers.messages) == 2


@pytest.mark.parametrize(
    "protocol, path, options, to",
    [
        ("feishu-app", "/feishu", {"app_id": "cli_x"}, "ou_0123456789ab"),  # uuid
        ("sms-gateway", "", {}, "+8613800138000"),  # Idempotency-Key
        ("voice-gateway", "", {}, "+8613800138000"),
        ("wecom-app", "/wecom", {"corp_id": "c", "agent_id": "1"}, "wc-x"),  # duplicate check
    ],
)
def test_a_retried_send_is_recognised_by_providers_that_dedupe(
    sandbox, providers, protocol, path, options, to
):
    adapter = channel(sandbox.url, protocol, path, **options)
    first = adapter.send(message(to, idempotency_key="row-7"))
    second = adapter.send(message(to, idempotency_key="row-7"))
    assert second.provider_message_id == first.provider_message_id
    assert len(providers.messages) == 1


@pytest.mark.parametrize(
    "protocol, path, options, to, provider, match",
    [
        ("dingtalk-work", "/dingtalk", {"app_key": "k"}, "dt-gone", "dingtalk", "33012"),
        ("wecom-app", "/wecom", {"corp_id": "c"}, "wc-gone", "wecom", "does not know"),
        ("feishu-app", "/feishu", {"app_id": "a"}, "ou_gone0000000", "feishu", "230013"),
        ("sms-gateway", "", {}, "+8613900000000", "sms", "MOBILE_NUMBER_ILLEGAL"),
    ],
)
def test_a_recipient_the_provider_does_not_know_is_a_permanent_failure_with_its_reason(
    sandbox, providers, protocol, path, options, to, provider, match
):
    sandbox.knobs(**{provider: {"unknown": [to]}})
    with pytest.raises(adapters.PermanentError, match=match):
        channel(sandbox.url, protocol, path, **options).send(message(to))
    assert providers.messages == []


def test_sms_per_number_throttling_is_rate_limited_not_failed(sandbox, providers):
    sandbox.knobs(sms={"per_number_per_minute": 1})
    adapter = channel(sandbox.url, "sms-gateway")
    adapter.send(message("+8613800138000", idempotency_key="a"))
    with pytest.raises(RateLimited, match="BUSINESS_LIMIT_CONTROL"):
        adapter.send(message("+8613800138000", idempotency_key="b"))
    adapter.send(message("+8613800138001", idempotency_key="c"))  # another number


def test_provider_5xx_is_retried_then_transient_and_opens_the_breaker(sandbox, providers):
    sandbox.knobs(sms={"mode": "error"})
    adapter = channel(sandbox.url, "sms-gateway")
    before = sandbox.requests
    with pytest.raises(adapters.TransientError):
        adapter.send(message("+8613800138000"))
    assert providers.messages == []
    for _ in range(2):  # 5 transient failures open the breaker (fail_max 5)
        with pytest.raises(adapters.TransientError):
            adapter.send(message("+8613800138000"))
    calls = sandbox.requests
    with pytest.raises(adapters.CircuitOpen):
        adapter.send(message("+8613800138000"))
    assert sandbox.requests == calls  # failed fast
    assert calls > before


def test_a_hanging_provider_times_out(sandbox, providers):
    sandbox.knobs(voice={"mode": "hang", "hang_seconds": 2})
    config = adapters.PartnerConfig(
        slug="slow-voice",
        kind="channel",
        protocol="voice-gateway",
        base_url=sandbox.url,
        token=SANDBOX_TOKEN,
        timeout_seconds=0.2,
        max_attempts=1,
    )
    with pytest.raises(adapters.TransientError, match="timed out"):
        adapters.adapter_for(config).send(message("+8613800138000"))


# --- callbacks ----------------------------------------------------------------------------


@pytest.fixture
def callbacks(providers, httpserver):
    """A stand-in for Keel's callback endpoint, recording what the providers post."""
    received: list[dict] = []

    def handle(request):
        from werkzeug.wrappers import Response

        received.append({"headers": dict(request.headers), "body": request.get_data()})
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request("/callbacks/sms/", method="POST").respond_with_handler(handle)
    httpserver.expect_request("/callbacks/feishu/", method="POST").respond_with_handler(handle)
    providers.callback_url = httpserver.url_for("/callbacks/{provider}/")
    providers.callback_base_secret = CALLBACK_BASE
    yield received
    providers.callback_url = ""


def test_delivery_and_read_callbacks_are_signed_and_verify(sandbox, providers, callbacks):
    sandbox.knobs(feishu={"callbacks": "manual"}, sms={"callbacks": "manual"})
    app = channel(sandbox.url, "feishu-app", "/feishu", app_id="a")
    sent = app.send(message("ou_0123456789ab"))
    sms = channel(sandbox.url, "sms-gateway").send(message("+8613800138000"))
    assert callbacks == []  # manual: nothing until released
    assert providers.release_callbacks() == [200, 200, 200]
    events = [
        parse_callback(
            callback_secret(CALLBACK_BASE, json.loads(c["body"])["provider"]),
            body=c["body"],
            headers=c["headers"],
        )
        for c in callbacks
    ]
    assert [(e.provider, e.event, e.provider_message_id) for e in events] == [
        ("feishu", "delivered", sent.provider_message_id),
        ("feishu", "read", sent.provider_message_id),
        ("sms", "delivered", sms.provider_message_id),  # SMS has no read receipt
    ]
    assert len({e.event_id for e in events}) == 3


def test_an_undeliverable_number_gets_a_failed_callback_with_the_reason(
    sandbox, providers, callbacks
):
    sandbox.knobs(sms={"callbacks": "manual", "undeliverable": ["+8613800138009"]})
    channel(sandbox.url, "sms-gateway").send(message("+8613800138009"))
    providers.release_callbacks()
    # the sandbox retries callbacks like the real push services: count only this number's
    mine = [c for c in callbacks if b"+8613800138009" in c["body"]]
    assert mine
    for c in mine:
        event = parse_callback(
            callback_secret(CALLBACK_BASE, "sms"), body=c["body"], headers=c["headers"]
        )
        assert event.event == "failed"
        assert "UNDELIV" in event.reason


def test_forged_tampered_or_stale_callbacks_are_refused(sandbox, providers, callbacks):
    sandbox.knobs(sms={"callbacks": "manual"})
    channel(sandbox.url, "sms-gateway").send(message("+8613800138000"))
    providers.release_callbacks()
    [c] = callbacks
    secret = callback_secret(CALLBACK_BASE, "sms")
    with pytest.raises(signing.SignatureError, match="does not match"):
        parse_callback("another provider's secret", body=c["body"], headers=c["headers"])
    tampered = c["body"].replace(b"delivered", b"read")
    with pytest.raises(signing.SignatureError):
        parse_callback(secret, body=tampered, headers=c["headers"])
    timestamp = int(c["headers"]["X-Keel-Timestamp"])
    with pytest.raises(signing.SignatureError, match="window"):
        parse_callback(secret, body=c["body"], headers=c["headers"], now=timestamp + 3600)
    without = {k: v for k, v in c["headers"].items() if k != "X-Keel-Signature"}
    with pytest.raises(signing.SignatureError, match="missing"):
        parse_callback(secret, body=c["body"], headers=without)


# --- e-mail -------------------------------------------------------------------------------


def test_email_goes_through_the_django_mail_backend_with_a_stable_message_id(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    config = adapters.PartnerConfig(
        slug="mail", kind="channel", protocol="smtp", base_url="smtp://localhost"
    )
    adapter = adapters.adapter_for(config)
    first = adapter.send(message("manager@example.com", idempotency_key="row-9"))
    second = adapter.send(message("manager@example.com", idempotency_key="row-9"))
    assert first.provider_message_id == second.provider_message_id
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [first.provider_message_id] * 2
    assert "https://keel.example/ack/abc" in mail.outbox[0].body
    with pytest.raises(adapters.PermanentError):
        adapter.send(message("not-an-address"))
    assert len(mail.outbox) == 2


def test_the_sandbox_builds_one_tls_context_for_callbacks_started_together(monkeypatch):
    """A roll call's first callbacks start together, each on its own timer thread: they share
    one context (building one reads the CA bundle, ~17 ms of CPU), built once."""
    import threading
    import time

    import httpx

    from integrations.sandbox import providers as sandbox_providers

    built = []

    def slow_context(*args, **kwargs):
        built.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive while it is being built
        return object()

    sandbox_providers._callback_tls.cache_clear()
    monkeypatch.setattr(httpx, "create_ssl_context", slow_context)
    got = []
    start = threading.Barrier(8)

    def callback():
        start.wait()
        got.append(sandbox_providers.callback_tls())

    threads = [threading.Thread(target=callback) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sandbox_providers._callback_tls.cache_clear()
    assert len(built) == 1
    assert len(got) == 8 and all(context is got[0] for context in got)
