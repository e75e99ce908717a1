"""The attendance and performance/OKR adapters against the sandbox over real HTTP: the demo
group's attendance today and performance events, typed records, permanent vs transient errors,
retries, timeouts and idempotent retried writes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.wrappers import Response

from integrations import adapters

from .conftest import config

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def attendance(sandbox):
    return adapters.adapter_for(config(sandbox.url, "attendance"))


@pytest.fixture
def performance(sandbox):
    return adapters.adapter_for(config(sandbox.url, "performance"))


# --- attendance ----------------------------------------------------------------------------


def test_attendance_today_of_the_demo_group(attendance):
    today = datetime.now(SHANGHAI).date()
    records = attendance.today(["manager", "legal", "vp", "sh-business-1", "sz-finance-2", "ghost"])
    assert sorted(records) == ["legal", "manager", "sh-business-1", "sz-finance-2", "vp"]
    manager = records["manager"]
    assert (manager.status, manager.day, manager.location_en) == (
        "on_site",
        today,
        "Shanghai office",
    )
    assert manager.checked_in_at == datetime.combine(
        today, datetime.min.time().replace(hour=8, minute=47), tzinfo=SHANGHAI
    )
    assert (records["legal"].status, records["legal"].working, records["legal"].on_site) == (
        "remote",
        True,
        False,
    )
    assert records["vp"].status == "business_trip"
    assert records["sh-business-1"].status == "leave"
    assert records["sh-business-1"].checked_in_at is None
    assert records["sz-finance-2"].location_zh == "深圳办公室"


def test_who_is_on_site_today(attendance):
    people = ["manager", "staff", "legal", "admin", "finance", "vp", "sh-business-1", "ghost"]
    # Those who can meet the collectors at the Shanghai office: in the order asked.
    assert attendance.on_site(people) == ["manager", "staff", "admin", "finance"]
    assert attendance.on_duty(["legal", "vp", "sh-business-1", "sh-business-2", "ghost"]) == {
        "legal": True,
        "vp": True,
        "sh-business-1": False,  # on leave
        "sh-business-2": False,  # not checked in
        "ghost": False,  # unknown to the attendance system
    }


def test_attendance_of_nobody_asks_nothing(sandbox, attendance):
    before = sandbox.requests
    assert attendance.today([]) == {}
    assert sandbox.requests == before


def test_attendance_5xx_is_retried_then_reported(sandbox, attendance):
    sandbox.knobs(attendance={"mode": "error"})
    before = sandbox.requests
    with pytest.raises(adapters.TransientError, match="HTTP 500"):
        attendance.on_site(["manager"])
    assert sandbox.requests - before == 3


def test_attendance_timeout_is_transient(sandbox):
    sandbox.knobs(attendance={"mode": "hang", "hang_seconds": 1.5})
    adapter = adapters.adapter_for(
        config(sandbox.url, "attendance", timeout_seconds=0.2, max_attempts=2)
    )
    before = sandbox.requests
    with pytest.raises(adapters.TransientError, match=r"timed out after 0\.2 s"):
        adapter.today(["manager"])
    # Bounded: both attempts ended on the client's 0.2 s timeout, not the 1.5 s answer (the
    # time it takes is measured in bench/, not asserted here).
    assert sandbox.requests - before == 2


def test_attendance_malformed_is_permanent_and_not_retried(sandbox, attendance):
    sandbox.knobs(attendance={"mode": "malformed"})
    before = sandbox.requests
    with pytest.raises(adapters.MalformedPayload, match="missing field “people”"):
        attendance.today(["manager"])
    assert sandbox.requests - before == 1


def test_attendance_bad_credentials_are_permanent(sandbox):
    adapter = adapters.adapter_for(config(sandbox.url, "attendance", token="wrong"))
    with pytest.raises(adapters.PermanentError, match="credentials"):
        adapter.today(["manager"])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"username": "a", "date": "2026-01-05", "status": "sleeping"}, "unknown status"),
        ({"username": "a", "date": "2026-01-05", "status": "on_site"}, "without “checked_in_at”"),
        (
            {
                "username": "a",
                "date": "2026-01-05",
                "status": "on_site",
                "checked_in_at": "2026-01-05T08:00:00",
            },
            "time zone",
        ),
        ({"username": "a", "status": "leave"}, "missing field “date”"),
        ({"username": 7, "date": "2026-01-05", "status": "leave"}, "“username” must be text"),
    ],
)
def test_attendance_records_reject_off_contract_payloads(payload, message):
    with pytest.raises(adapters.MalformedPayload, match=message):
        adapters.AttendanceRecord.from_payload(payload)


# --- performance / OKR ---------------------------------------------------------------------


def test_performance_events_hold_the_crm_complaints(performance):
    events = performance.events("staff")  # account owner of CUST-1002, complaint CMP-1002-1
    assert [(e.kind, e.reference, e.points) for e in events] == [("complaint", "CMP-1002-1", -3)]
    assert events[0].recorded_at.tzinfo is not None
    assert performance.events("manager") == []


def test_recording_an_event_is_idempotent(sandbox, performance):
    first = performance.record_event(
        employee="manager2", kind="commission", reference="ORD-2001-3", points=4
    )
    again = performance.record_event(
        employee="manager2", kind="commission", reference="ORD-2001-3", points=4
    )
    assert first == again
    assert (first.employee, first.kind, first.reference, first.points) == (
        "manager2",
        "commission",
        "ORD-2001-3",
        4,
    )
    assert [e.id for e in performance.events("manager2")] == [first.id]


@pytest.mark.parametrize(
    ("employee", "kind", "points", "message"),
    [
        ("ghost", "complaint", -2, "HTTP 404"),
        ("staff", "bonus", 1, "HTTP 400"),
        ("staff", "complaint", 1000, "HTTP 400"),
    ],
)
def test_rejected_events_are_permanent_and_not_retried(
    sandbox, performance, employee, kind, points, message
):
    before = sandbox.requests
    with pytest.raises(adapters.PermanentError, match=message):
        performance.record_event(employee=employee, kind=kind, reference="X-1", points=points)
    assert sandbox.requests - before == 1


def test_performance_5xx_is_retried_and_records_nothing(sandbox, performance):
    sandbox.knobs(performance={"mode": "error"})
    before = sandbox.requests
    with pytest.raises(adapters.TransientError, match="HTTP 500"):
        performance.record_event(employee="staff", kind="complaint", reference="C-9", points=-1)
    assert sandbox.requests - before == 3
    sandbox.knobs(performance={"mode": "ok"})
    assert [e.reference for e in performance.events("staff")] == ["CMP-1002-1"]


def test_performance_malformed_answer_is_permanent(sandbox, performance):
    sandbox.knobs(performance={"mode": "malformed"})
    with pytest.raises(adapters.MalformedPayload, match="missing field “points”"):
        performance.record_event(employee="staff", kind="complaint", reference="C-9", points=-1)


def test_a_retried_write_carries_the_same_idempotency_key(httpserver):
    """The partner recorded the event but answered 503: the retry must be recognisable."""
    seen = []

    def handler(request):
        seen.append((request.headers.get("Idempotency-Key"), json.loads(request.data)))
        if len(seen) == 1:
            return Response("busy", status=503)
        event = {
            "id": "PE-1",
            "recorded_at": "2026-01-05T08:00:00+08:00",
            **json.loads(request.data),
        }
        return Response(json.dumps(event), status=200, content_type="application/json")

    httpserver.expect_request("/performance/events", method="POST").respond_with_handler(handler)
    adapter = adapters.adapter_for(config(httpserver.url_for("/"), "performance"))
    event = adapter.record_event(employee="staff", kind="complaint", reference="C-1", points=-2)
    assert event.id == "PE-1"
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert seen[0][0] == "keel:complaint:C-1:staff"


def test_performance_records_reject_off_contract_payloads():
    base = {
        "id": "PE-1",
        "employee": "staff",
        "kind": "complaint",
        "reference": "C-1",
        "recorded_at": "2026-01-05T08:00:00+08:00",
    }
    with pytest.raises(adapters.MalformedPayload, match="whole number"):
        adapters.PerformanceEvent.from_payload({**base, "points": "3"})
    with pytest.raises(adapters.MalformedPayload, match="whole number"):
        adapters.PerformanceEvent.from_payload({**base, "points": True})
    with pytest.raises(adapters.MalformedPayload, match="missing field “points”"):
        adapters.PerformanceEvent.from_payload(base)
