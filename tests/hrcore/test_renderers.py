"""The API's orjson renderer (``hrcore.api.renderers``) writes DRF's ``JSONRenderer`` bytes."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid
from collections import OrderedDict
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from hrcore.api.renderers import JSONRenderer


@dataclasses.dataclass
class Point:
    x: int
    y: int


SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYLOAD = {
    "text": '债务催收 · Debt collectors 🚨 "quoted" back\\slash </script> \n\t\x00\x1f',
    "separators": "line\u2028paragraph\u2029end",
    "ints": [0, -1, 2**63 - 1, -(2**63)],
    "floats": [0.1, 1.5, 100.0, -0.0, 1e16, 0.30000000000000004, 1e308],
    "bools": [True, False, None],
    "nested": OrderedDict(b=ReturnList([{"z": 1, "a": 2}], serializer=None), a=()),
    "return dict": ReturnDict({"k": "v"}, serializer=None),
    "int keys": {1: "one", 2: "two"},
    "lazy": gettext_lazy("Filter"),
    "utc": datetime.datetime(2026, 12, 3, 14, 0, 0, 123456, tzinfo=datetime.UTC),
    "shanghai": datetime.datetime(2026, 12, 3, 22, 0, tzinfo=SHANGHAI),
    "naive": datetime.datetime(2026, 12, 3, 14, 0),
    "date": datetime.date(2026, 12, 3),
    "time": datetime.time(9, 30),
    "duration": datetime.timedelta(hours=1, seconds=5),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "set": {3},
    "empty": [{}, [], ""],
}


def _both(data, media_type=None, context=None) -> tuple[bytes, bytes]:
    ours = JSONRenderer().render(data, media_type, context)
    drfs = renderers.JSONRenderer().render(data, media_type, context)
    return ours, drfs


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_same_bytes_as_drf_for_every_kind_of_value(language):
    from django.utils import translation

    with translation.override(language):
        ours, drfs = _both(PAYLOAD)
    assert ours == drfs
    assert b"\\u2028" in ours and "\u2028".encode() not in ours


def test_what_orjson_does_not_take_is_left_to_drf():
    ours, drfs = _both({"big": 2**64, "nested": [2**80]})  # beyond 64 bits
    assert ours == drfs == b'{"big":18446744073709551616,"nested":[1208925819614629174706176]}'
    assert JSONRenderer().render(None) == b""


def test_small_floats_are_the_same_numbers_in_another_form():
    import json

    ours, drfs = _both({"tiny": [1e-05, 3.14159e-09]})
    assert (ours, drfs) == (b'{"tiny":[0.00001,3.14159e-9]}', b'{"tiny":[1e-05,3.14159e-09]}')
    assert json.loads(ours) == json.loads(drfs)


def test_an_indent_asked_for_is_drfs():
    ours, drfs = _both({"a": [1, 2]}, "application/json; indent=2")
    assert ours == drfs == b'{\n  "a": [\n    1,\n    2\n  ]\n}'


class Opaque:
    pass


@pytest.mark.parametrize("value", [Opaque(), Point(1, 2)], ids=["object", "dataclass"])
def test_a_value_neither_can_encode_fails_the_same_way(value):
    with pytest.raises(TypeError) as ours:
        JSONRenderer().render({"x": [value]})
    with pytest.raises(TypeError) as drfs:
        renderers.JSONRenderer().render({"x": [value]})
    assert str(ours.value) == str(drfs.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/crises/", "/api/v1/employees/", "/api/v1/scenarios/", "/api/v1/responsibility-maps/"],
)
def test_api_responses_are_drfs_bytes(api_as, url):
    """Real pages of the API, in both languages: the body sent is what DRF's renderer makes of
    the response's data."""
    for language in ("zh-hans", "en"):
        response = api_as("vp").get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (url, response.content[:300])
        assert response.content == renderers.JSONRenderer().render(response.data)
        assert response["Content-Type"] == "application/json"
