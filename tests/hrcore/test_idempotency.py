"""``hrcore.api.idempotency``: replay, mismatch, validation, failures and a concurrent first use."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections
from django.utils import translation
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from hrcore.api.idempotency import MAX_KEY_LENGTH, idempotent_create
from hrcore.errors import Conflict, ValidationFailed
from hrcore.models import Heartbeat, IdempotencyKey

ENDPOINT = "tests.heartbeat.create"


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("partner-a", password="x")


def make_request(user, body, key=None, path="/api/v1/things/"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    request = Request(
        APIRequestFactory().post(path, body, format="json", **headers), parsers=[JSONParser()]
    )
    request.user = user
    return request


class Writer:
    """A ``perform`` that writes one row per call and answers 201 with it."""

    def __init__(self, status=201, hold: float = 0.0):
        self.calls = 0
        self.status = status
        self.hold = hold
        self.started = threading.Event()

    def __call__(self, key):
        self.calls += 1
        self.started.set()
        row = Heartbeat.objects.create(
            name=f"hb-{Heartbeat.objects.count()}", at="2026-01-01T00:00Z"
        )
        time.sleep(self.hold)
        return Response({"name": row.name, "key": key}, status=self.status)


@pytest.mark.django_db
def test_same_key_same_body_replays_the_first_status_and_body(owner):
    perform = Writer()
    first = idempotent_create(make_request(owner, {"a": 1, "b": 2}, "k1"), ENDPOINT, perform)
    again = idempotent_create(make_request(owner, {"b": 2, "a": 1}, "k1"), ENDPOINT, perform)
    assert first.status_code == again.status_code == 201
    assert again.data == first.data == {"name": "hb-0", "key": "k1"}
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert perform.calls == 1
    assert Heartbeat.objects.count() == 1
    stored = IdempotencyKey.objects.get()
    assert (stored.endpoint, stored.key, stored.response_status) == (ENDPOINT, "k1", 201)


@pytest.mark.django_db
def test_same_key_different_body_is_a_409_and_writes_nothing(owner):
    perform = Writer()
    idempotent_create(make_request(owner, {"a": 1}, "k1"), ENDPOINT, perform)
    with translation.override("en"), pytest.raises(Conflict) as exc:
        idempotent_create(make_request(owner, {"a": 2}, "k1"), ENDPOINT, perform)
    assert exc.value.code == "idempotency_key_reused"
    assert "already used with a different request" in exc.value.message
    with translation.override("zh-hans"), pytest.raises(Conflict) as exc:
        idempotent_create(make_request(owner, {"a": 2}, "k1"), ENDPOINT, perform)
    assert "不同的请求" in exc.value.message
    assert perform.calls == 1


@pytest.mark.django_db
def test_same_key_on_another_path_is_a_different_request(owner):
    perform = Writer()
    idempotent_create(make_request(owner, {}, "k1", path="/api/v1/tasks/1/x/"), ENDPOINT, perform)
    with pytest.raises(Conflict):
        idempotent_create(
            make_request(owner, {}, "k1", path="/api/v1/tasks/2/x/"), ENDPOINT, perform
        )


@pytest.mark.django_db
def test_keys_are_scoped_per_user_and_endpoint(owner):
    other = get_user_model().objects.create_user("partner-b", password="x")
    perform = Writer()
    idempotent_create(make_request(owner, {"a": 1}, "k1"), ENDPOINT, perform)
    idempotent_create(make_request(other, {"a": 1}, "k1"), ENDPOINT, perform)
    idempotent_create(make_request(owner, {"a": 1}, "k1"), "tests.other", perform)
    assert perform.calls == 3
    assert IdempotencyKey.objects.count() == 3


@pytest.mark.django_db
def test_without_a_key_every_request_writes_and_nothing_is_stored(owner):
    perform = Writer()
    for _ in range(2):
        assert (
            idempotent_create(make_request(owner, {"a": 1}), ENDPOINT, perform).status_code == 201
        )
    assert (
        idempotent_create(make_request(owner, {"a": 1}, "   "), ENDPOINT, perform).data["key"]
        is None
    )
    assert perform.calls == 3
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_without_a_key_an_integrity_error_of_the_write_is_not_disguised(owner):
    def perform(key):
        raise IntegrityError("duplicate business row")

    with pytest.raises(IntegrityError):
        idempotent_create(make_request(owner, {"a": 1}), ENDPOINT, perform)
    with pytest.raises(IntegrityError):
        idempotent_create(make_request(owner, {"a": 1}, "k9"), ENDPOINT, perform)
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_too_long_key_is_a_400_before_anything_runs(owner):
    perform = Writer()
    with pytest.raises(ValidationFailed) as exc:
        idempotent_create(make_request(owner, {}, "x" * (MAX_KEY_LENGTH + 1)), ENDPOINT, perform)
    assert str(MAX_KEY_LENGTH) in exc.value.message
    assert perform.calls == 0
    ok = idempotent_create(make_request(owner, {}, "x" * MAX_KEY_LENGTH), ENDPOINT, perform)
    assert ok.status_code == 201


@pytest.mark.django_db
def test_a_failed_write_stores_no_key_and_a_retry_runs(owner):
    def failing(key):
        Heartbeat.objects.create(name="half", at="2026-01-01T00:00Z")
        raise ValidationFailed("bad input")

    with pytest.raises(ValidationFailed):
        idempotent_create(make_request(owner, {"a": 1}, "k1"), ENDPOINT, failing)
    assert not IdempotencyKey.objects.exists()
    assert not Heartbeat.objects.filter(name="half").exists()
    refused = idempotent_create(make_request(owner, {"a": 1}, "k1"), ENDPOINT, Writer(status=422))
    assert refused.status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert not Heartbeat.objects.exists()  # a non-2xx answer rolls its writes back
    perform = Writer()
    assert (
        idempotent_create(make_request(owner, {"a": 1}, "k1"), ENDPOINT, perform).status_code == 201
    )
    assert perform.calls == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_use_writes_once_and_the_second_gets_the_replay(owner):
    perform = Writer(hold=0.5)  # the first holds its key row, uncommitted, for a while
    results, errors = {}, []

    def send(name):
        try:
            results[name] = idempotent_create(
                make_request(owner, {"a": 1}, "same"), ENDPOINT, perform
            )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert perform.started.wait(10)
    second = threading.Thread(target=send, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert errors == []
    assert perform.calls == 1
    assert Heartbeat.objects.count() == 1
    assert results["first"].status_code == results["second"].status_code == 201
    assert results["second"].data == results["first"].data
    assert results["second"]["Idempotent-Replayed"] == "true"


def test_the_header_is_documented_on_the_evidence_endpoint(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = schema["paths"]["/api/v1/competency-evidence/"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert "409" in header["description"]
    assert "201" in post["responses"]
