"""The crisis dossier's "who is on site today": the attendance partner (sandbox, real HTTP) asked
about the crisis unit's people and the crisis's assignees, shown on the panel in both languages,
with the same per-source status, time and error as the other sources."""

from __future__ import annotations

import pytest

from crisis.models import Task
from hrcore.models import Employee
from integrations.models import Dossier, DossierSource, Partner
from integrations.presence import presence_rows
from integrations.services import dossiers

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis(file_crisis):
    return file_crisis(title="Collectors in the Shanghai office")


def _attendance(crisis) -> DossierSource:
    dossier = Dossier.objects.filter(crisis_id=crisis.pk, status="complete").latest("id")
    return dossier.sources.get(source="attendance")


def test_presence_rows_order_and_unknown_people():
    people = [
        {"username": "a", "name_zh": "甲", "name_en": "A", "assignee": False},
        {"username": "b", "name_zh": "乙", "name_en": "B", "assignee": False},
        {"username": "c", "name_zh": "丙", "name_en": "C", "assignee": True},
        {"username": "d", "name_zh": "丁", "name_en": "D", "assignee": True},
    ]
    records = {
        "a": {"status": "leave"},
        "b": {"status": "on_site", "checked_in_at": "2026-01-01T08:50:00+08:00"},
        "c": {"status": "on_site", "checked_in_at": "2026-01-01T09:00:00+08:00"},
    }
    rows = presence_rows(people, records)
    assert [(r["username"], r["status"]) for r in rows] == [
        ("c", "on_site"),  # on site first, assignees before others
        ("b", "on_site"),
        ("a", "leave"),
        ("d", "unknown"),  # the attendance system does not know them
    ]


def test_crisis_dossier_says_who_is_on_site(crisis):
    source = _attendance(crisis)
    assert source.status == "fresh" and source.partner_slug == "sandbox-attendance"
    rows = {r["username"]: r for r in source.data}
    unit_people = set(
        Employee.objects.filter(unit=crisis.unit, is_active=True).values_list(
            "user__username", flat=True
        )
    )
    assignees = set(
        Task.objects.filter(crisis=crisis, assignee__isnull=False).values_list(
            "assignee__user__username", flat=True
        )
    )
    assert set(rows) == unit_people | assignees
    assert assignees and all(rows[u]["assignee"] for u in assignees)
    # The sandbox's attendance today (integrations/sandbox/data.py ATTENDANCE).
    assert rows["manager"]["status"] == "on_site" and rows["manager"]["checked_in_at"]
    assert rows["sh-business-1"]["status"] == "leave"
    assert rows["sh-business-2"]["status"] == "absent"
    statuses = [r["status"] for r in source.data]
    assert statuses.index("on_site") == 0 and statuses[-1] != "on_site"


def test_customer_dossier_has_no_attendance_source(partners, customers):
    dossier = dossiers.dossier_request(customer=customers["CUST-1001"])
    assert not dossier.sources.filter(source="attendance").exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Who is on site today", "On site today: Fresh", "On leave", "Not checked in"]),
        ("zh-hans", ["今天谁在现场", "今日到岗: 最新", "休假", "未打卡"]),
    ],
)
def test_panel_shows_who_is_on_site_in_both_languages(crisis, client_as, users, language, expected):
    employee = users["manager"].employee
    employee.language = language
    employee.save(update_fields=["language"])
    body = client_as("manager").get(f"/integrations/crises/{crisis.pk}/panel/").content.decode()
    assert 'data-testid="dossier-attendance"' in body
    assert 'data-username="manager" data-presence="on_site"' in body
    squashed = " ".join(body.split())
    for text in expected:
        assert text in squashed, text


def test_attendance_failure_is_a_failed_source_and_blocks_nothing(
    crisis, sandbox, client_as, django_capture_on_commit_callbacks
):
    sandbox.knobs(attendance={"mode": "error"})
    Dossier.objects.filter(crisis_id=crisis.pk).delete()  # no earlier data to fall back on
    dossier = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(crisis_id=crisis.pk, dedupe_seconds=0).pk
    )
    statuses = dict(dossier.sources.values_list("source", "status"))
    assert statuses.pop("attendance") == "failed"
    assert set(statuses.values()) == {"fresh"}
    source = dossier.sources.get(source="attendance")
    assert source.error and source.fetched_at is None
    body = client_as("manager").get(f"/integrations/crises/{crisis.pk}/panel/").content.decode()
    assert 'data-source="attendance" data-status="failed"' in body
    assert "sandbox-attendance:" in body  # the failed-source note names the partner
    api = client_as("manager").get(f"/api/v1/integrations/crises/{crisis.pk}/dossier/").json()
    attendance = next(s for s in api["dossier"]["sources"] if s["source"] == "attendance")
    assert attendance["status"] == "failed" and attendance["error"] == source.error


def test_failed_refresh_keeps_yesterdays_list_as_stale(crisis, sandbox):
    first = _attendance(crisis)
    sandbox.knobs(attendance={"mode": "error"})
    dossier = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(crisis_id=crisis.pk, dedupe_seconds=0).pk
    )
    source = dossier.sources.get(source="attendance")
    assert source.status == "stale" and source.data == first.data


def test_no_attendance_partner_is_a_failed_source(crisis):
    Partner.objects.filter(kind="attendance").update(enabled=False)
    dossier = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(crisis_id=crisis.pk, dedupe_seconds=0).pk
    )
    source = dossier.sources.get(source="attendance")
    assert source.status == "stale"  # the filing's list is kept, marked as older data
    assert "no enabled attendance partner" in source.error


def test_demo_partners_include_attendance_and_performance(db, demo_org, monkeypatch):
    from integrations import demo

    monkeypatch.setenv("KEEL_SANDBOX_URL", "http://sandbox.test:8765/")
    demo.seed_partners()
    demo.seed_partners()  # idempotent
    rows = {p.slug: p for p in Partner.objects.all()}
    assert {"sandbox-attendance", "sandbox-performance"} <= set(rows)
    for slug in ("sandbox-finance", "sandbox-attendance", "sandbox-performance"):
        assert rows[slug].base_url == "http://sandbox.test:8765" and rows[slug].enabled
    assert rows["sandbox-attendance"].kind == "attendance"
    assert rows["sandbox-performance"].kind == "performance"
    assert rows["sandbox-attendance"].token == rows["sandbox-finance"].token
