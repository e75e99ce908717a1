"""DingTalk and WeCom group-robot adapters against a local HTTP server (pytest-httpserver) that
checks what the real robot endpoints check: the payload shape, DingTalk's signature over the
timestamp, and answers ``{"errcode": …}`` the way they do (HTTP 200 even for errors)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from werkzeug.wrappers import Response

from integrations import adapters
from integrations.adapters.im import dingtalk_sign

from .conftest import config

SECRET = "SEC0123456789abcdef"


class Robot:
    """A robot endpoint: records requests and answers with the queued errcodes (then 0)."""

    def __init__(self, httpserver, path: str, *, secret: str = "", delay: float = 0):
        self.requests: list = []
        self.codes: list[int] = []
        self.secret, self.delay = secret, delay
        httpserver.expect_request(path, method="POST").respond_with_handler(self.handle)

    def handle(self, request):
        self.requests.append(
            {"args": dict(request.args), "headers": dict(request.headers), "body": request.json}
        )
        if self.delay:
            time.sleep(self.delay)
        if self.secret:  # DingTalk: timestamp within an hour, sign = HMAC of "<ts>\n<secret>"
            ts = request.args.get("timestamp", "")
            expected = base64.b64encode(
                hmac.new(
                    self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256
                ).digest()
            ).decode()
            fresh = ts.isdigit() and abs(time.time() * 1000 - int(ts)) < 3600_000
            if not fresh or request.args.get("sign") != expected:
                return self.answer(310000, "sign not match")
        code = self.codes.pop(0) if self.codes else 0
        return self.answer(code, "ok" if code == 0 else "error")

    @staticmethod
    def answer(code: int, message: str) -> Response:
        body = json.dumps({"errcode": code, "errmsg": message})
        return Response(body, status=200, content_type="application/json")


def dingtalk(httpserver, *, secret: str = SECRET, **overrides):
    url = httpserver.url_for("/robot/send") + "?access_token=tok123"
    return adapters.adapter_for(
        config(url, "im", protocol="dingtalk-robot", token=secret, **overrides)
    )


def wecom(httpserver, **overrides):
    url = httpserver.url_for("/cgi-bin/webhook/send") + "?key=key-456"
    return adapters.adapter_for(config(url, "im", protocol="wecom-robot", token="", **overrides))


@pytest.fixture(autouse=True)
def fresh_breakers():
    adapters.reset_breakers()
    yield
    adapters.reset_breakers()


# --- DingTalk ------------------------------------------------------------------------------


def test_dingtalk_signed_markdown_mentioning_the_person(httpserver):
    robot = Robot(httpserver, "/robot/send", secret=SECRET)
    dingtalk(httpserver).send(
        to="manager",
        title="催收人员到场 / Collectors on site",
        text="请立即查看应对方案。",
        link="https://keel.example/crises/1/",
    )
    (request,) = robot.requests
    assert request["args"]["access_token"] == "tok123"  # the robot's URL is kept as given
    assert request["args"]["sign"] == dingtalk_sign(SECRET, int(request["args"]["timestamp"]))
    assert "Authorization" not in request["headers"]  # the secret never travels
    assert request["body"] == {
        "msgtype": "markdown",
        "markdown": {
            "title": "催收人员到场 / Collectors on site",
            "text": "#### 催收人员到场 / Collectors on site\n\n请立即查看应对方案。\n\n"
            "[https://keel.example/crises/1/](https://keel.example/crises/1/)\n\n@manager",
        },
        "at": {"isAtAll": False, "atUserIds": ["manager"]},
    }


def test_dingtalk_mentions_a_mobile_number_and_signs_nothing_without_a_secret(httpserver):
    robot = Robot(httpserver, "/robot/send")
    dingtalk(httpserver, secret="").send(to="13800000000", title="T", text="x")
    (request,) = robot.requests
    assert request["args"] == {"access_token": "tok123"}
    assert request["body"]["at"] == {"isAtAll": False, "atMobiles": ["13800000000"]}
    assert request["body"]["markdown"]["text"].endswith("@13800000000")


def test_dingtalk_wrong_secret_is_permanent_and_not_retried(httpserver):
    robot = Robot(httpserver, "/robot/send", secret=SECRET)
    with pytest.raises(adapters.PermanentError, match="310000 sign not match"):
        dingtalk(httpserver, secret="SECwrong").send(to="manager", title="T", text="x")
    assert len(robot.requests) == 1


def test_dingtalk_rate_limit_is_retried_with_a_fresh_signature(httpserver):
    robot = Robot(httpserver, "/robot/send", secret=SECRET)
    robot.codes = [130101]  # "send too fast", then ok
    dingtalk(httpserver).send(to="manager", title="T", text="x")
    assert len(robot.requests) == 2
    for request in robot.requests:  # each attempt signed its own timestamp
        assert request["args"]["sign"] == dingtalk_sign(SECRET, int(request["args"]["timestamp"]))


def test_dingtalk_rate_limit_reported_after_the_last_attempt(httpserver):
    robot = Robot(httpserver, "/robot/send", secret=SECRET)
    robot.codes = [130101] * 5
    with pytest.raises(adapters.TransientError, match="130101"):
        dingtalk(httpserver, max_attempts=3).send(to="manager", title="T", text="x")
    assert len(robot.requests) == 3


def test_dingtalk_timeout_is_transient_and_bounded(httpserver):
    Robot(httpserver, "/robot/send", secret=SECRET, delay=1.0)
    # Bounded: the call ends on the client's 0.2 s timeout, not on the robot's 1 s answer (how
    # long it takes is not asserted: wall-clock bounds failed under load).
    with pytest.raises(adapters.TransientError, match=r"timed out after 0\.2 s"):
        dingtalk(httpserver, timeout_seconds=0.2, max_attempts=2).send(
            to="manager", title="T", text="x"
        )


def test_an_answer_without_errcode_is_malformed(httpserver):
    httpserver.expect_request("/robot/send", method="POST").respond_with_json({"ok": True})
    with pytest.raises(adapters.MalformedPayload, match="errcode"):
        dingtalk(httpserver).send(to="manager", title="T", text="x")


# --- WeCom ---------------------------------------------------------------------------------


def test_wecom_markdown_mentioning_the_person(httpserver):
    robot = Robot(httpserver, "/cgi-bin/webhook/send")
    wecom(httpserver).send(
        to="manager", title="Collectors on site", text="See the plan.", link="https://k.example/1"
    )
    (request,) = robot.requests
    assert request["args"] == {"key": "key-456"}
    assert "Authorization" not in request["headers"]
    assert request["body"] == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**Collectors on site**\nSee the plan.\n"
            "[https://k.example/1](https://k.example/1)\n<@manager>"
        },
    }


def test_wecom_long_text_is_cut_to_the_limit_keeping_the_mention(httpserver):
    robot = Robot(httpserver, "/cgi-bin/webhook/send")
    wecom(httpserver).send(to="manager", title="标题", text="催" * 3000)
    content = robot.requests[0]["body"]["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("…\n<@manager>")


def test_wecom_frequency_limit_is_transient_invalid_key_permanent(httpserver):
    robot = Robot(httpserver, "/cgi-bin/webhook/send")
    robot.codes = [45009]
    wecom(httpserver).send(to="", title="T", text="x")
    assert len(robot.requests) == 2
    robot.codes = [93000]
    with pytest.raises(adapters.PermanentError, match="93000"):
        wecom(httpserver).send(to="", title="T", text="x")
    assert len(robot.requests) == 3


def test_robot_test_button_posts_a_test_message(httpserver):
    robot = Robot(httpserver, "/cgi-bin/webhook/send")
    assert wecom(httpserver).ping() is True
    assert (
        robot.requests[0]["body"]["markdown"]["content"] == "**Keel**\n连接测试 / Connection test"
    )


def test_a_failing_robot_trips_its_breaker(httpserver):
    robot = Robot(httpserver, "/cgi-bin/webhook/send")
    robot.codes = [-1] * 10  # "system busy"
    adapter = wecom(httpserver, max_attempts=1, breaker_fail_max=3, breaker_reset_seconds=30)
    for _ in range(3):
        with pytest.raises(adapters.TransientError, match="-1"):
            adapter.send(to="", title="T", text="x")
    with pytest.raises(adapters.CircuitOpen, match="WeCom refused the message: -1"):
        adapter.send(to="", title="T", text="x")
    assert len(robot.requests) == 3
