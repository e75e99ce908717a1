"""Dossiers: concurrent assembly, per-source status, stale/failed sources, history, the API and
visibility per role."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.models import Customer, Dossier, DossierSource
from integrations.services import dossiers

from .conftest import peak_overlap

pytestmark = pytest.mark.django_db


def _dossier(customer, sources):
    dossier = Dossier.objects.create(customer=customer, scenario="debt-collection", reason="test")
    DossierSource.objects.bulk_create([DossierSource(dossier=dossier, source=s) for s in sources])
    return dossier


def test_three_sources_at_300_ms_finish_near_300_ms(partners, customers, sandbox):
    sandbox.knobs(**{"*": {"latency_ms": 300}})
    dossier = _dossier(customers["CUST-1001"], ["credit", "legal_guide", "contacts"])
    dossier = dossiers.dossier_assemble(dossier_id=dossier.pk)
    statuses = dict(dossier.sources.values_list("source", "status"))
    assert statuses == {"credit": "fresh", "legal_guide": "fresh", "contacts": "fresh"}
    assert all(s.duration_ms >= 300 for s in dossier.sources.all())
    assert dossier.duration_ms >= 300
    # Concurrent: the partner had the sources' requests in flight at the same time (one after
    # another would never overlap). How close to the slowest source it gets is bench/dossier.py's.
    assert peak_overlap(sandbox.spans) >= 2


def test_full_customer_dossier_is_concurrent_and_updates_the_profile(partners, customers, sandbox):
    sandbox.knobs(**{"*": {"latency_ms": 200}})
    customer = customers["CUST-2001"]
    Customer.objects.filter(pk=customer.pk).update(overdue_days=1, outstanding_amount=0)
    with_request = dossiers.dossier_request(customer=Customer.objects.get(pk=customer.pk))
    dossier = dossiers.dossier_assemble(dossier_id=with_request.pk)
    assert dossier.sources.count() == 7
    assert set(dossier.sources.values_list("status", flat=True)) == {"fresh"}
    assert peak_overlap(sandbox.spans) >= 2  # concurrent, not one source after another
    customer.refresh_from_db()
    assert customer.overdue_days == 42
    assert customer.outstanding_amount == Decimal("2150000.00")
    assert customer.credit_status == "collections"
    assert customer.last_contact_risk is True


def test_a_failed_source_never_blocks_and_says_why(partners, customers, sandbox):
    sandbox.knobs(finance={"mode": "error"})
    dossier = dossiers.dossier_request(customer=customers["CUST-1001"])
    dossier = dossiers.dossier_assemble(dossier_id=dossier.pk)
    rows = {s.source: s for s in dossier.sources.all()}
    assert dossier.status == "complete"
    errors = set()
    for source in ("credit", "payments", "invoices"):
        assert rows[source].status == "failed"
        assert rows[source].data is None
        errors.add(rows[source].error)
    # Six failed attempts trip the finance breaker (fail_max 5): later calls fail fast.
    assert "partner answered HTTP 500" in errors
    assert errors <= {
        "partner answered HTTP 500",
        "circuit open after repeated failures (last: partner answered HTTP 500); "
        "retrying after 30 s",
    }
    assert rows["contacts"].status == "fresh" and rows["legal_guide"].status == "fresh"


def test_failed_refresh_keeps_last_good_data_as_stale(partners, customers, sandbox):
    first = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(customer=customers["CUST-1001"]).pk
    )
    fresh_credit = first.sources.get(source="credit")
    sandbox.knobs(finance={"mode": "malformed"})
    second = dossiers.dossier_request(customer=customers["CUST-1001"], dedupe_seconds=0)
    second = dossiers.dossier_assemble(dossier_id=second.pk)
    credit = second.sources.get(source="credit")
    assert credit.status == "stale"
    assert credit.data == fresh_credit.data
    assert credit.fetched_at == fresh_credit.fetched_at
    assert "missing field" in credit.error
    # History is kept: both assemblies remain.
    assert Dossier.objects.filter(customer=customers["CUST-1001"]).count() == 2


def test_no_partner_configured_is_a_failed_source(customers, sandbox):
    dossier = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(customer=customers["CUST-1001"]).pk
    )
    assert dossier.sources.get(source="credit").error == "no enabled finance partner is configured"


def test_assembly_is_idempotent(partners, customers, sandbox):
    dossier = dossiers.dossier_request(customer=customers["CUST-1001"])
    dossiers.dossier_assemble(dossier_id=dossier.pk)
    before = sandbox.requests
    dossiers.dossier_assemble(dossier_id=dossier.pk)
    assert sandbox.requests == before


def test_api_dossier_is_built_in_the_background(
    partners, customers, api_as, django_capture_on_commit_callbacks
):
    client = api_as("manager")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get("/api/v1/customers/CUST-1001/dossier/")
    assert response.status_code == 202
    assert response.json()["status"] == "building"
    assert len(callbacks) == 1  # the Celery task was queued after commit, not run in the view
    response = client.get("/api/v1/customers/CUST-1001/dossier/")
    assert response.status_code == 200
    body = response.json()
    sources = {s["source"]: s for s in body["sources"]}
    assert sources["invoices"]["status"] == "fresh"
    assert [i["number"] for i in sources["invoices"]["data"]] == ["INV-1001-04", "INV-1001-03"]
    assert sources["legal_guide"]["data"]["scenario"] == "debt-collection"


def test_customer_list_filter_and_visibility(customers, api_as):
    body = api_as("vp").get("/api/v1/customers/?overdue_days_min=30").json()
    assert [c["external_id"] for c in body["results"]] == ["CUST-2001", "CUST-1001"]
    body = api_as("vp").get("/api/v1/customers/?overdue_days_min=15").json()
    assert [c["external_id"] for c in body["results"]] == [
        "CUST-2001",
        "CUST-1001",
        "CUST-2002",
        "CUST-1002",
        "CUST-2003",
    ]
    manager2 = api_as("manager2").get("/api/v1/customers/").json()
    assert {c["external_id"] for c in manager2["results"]} == {
        "CUST-2001",
        "CUST-2002",
        "CUST-2003",
        "CUST-2004",
    }
    staff = api_as("staff").get("/api/v1/customers/").json()
    assert [c["external_id"] for c in staff["results"]] == ["CUST-1002"]
    finance = api_as("finance").get("/api/v1/customers/").json()  # Shanghai finance
    assert {c["external_id"] for c in finance["results"]} == {
        "CUST-1001",
        "CUST-1002",
        "CUST-1003",
        "CUST-1004",
    }
    one = api_as("manager").get("/api/v1/customers/CUST-1001/").json()
    assert one["account_owner"]["username"] == "manager"
    assert one["outstanding_amount"] == "1280000.00"


def test_dossier_of_invisible_customer_is_404_and_requests_nothing(customers, api_as):
    response = api_as("manager2").get("/api/v1/customers/CUST-1001/dossier/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Dossier.objects.exists()
    assert api_as("staff").get("/api/v1/customers/CUST-1001/").status_code == 404


def test_customer_list_query_count_is_flat(customers, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as("vp")
    Customer.objects.exclude(external_id="CUST-1001").delete()
    client.get("/api/v1/customers/")  # warm up (token last-used stamp, role cache)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/customers/").json()["results"]) == 1
    unit = customers["CUST-1001"].unit
    owner = customers["CUST-1001"].account_owner
    Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"BULK-{i}",
                name_zh=f"客户{i}",
                name_en=f"Customer {i}",
                unit=unit,
                account_owner=owner,
            )
            for i in range(24)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/customers/").json()["results"]) == 25
    assert len(one) == len(many)


def test_customer_pages_in_both_languages(partners, customers, client_as):
    client = client_as("manager")
    page = client.get("/integrations/customers/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "East China Building Materials" in page.content.decode() or "华东建材" in (
        page.content.decode()
    )
    dossier_page = client.get("/integrations/customers/CUST-1001/")
    assert dossier_page.status_code == 200
    assert Dossier.objects.filter(customer=customers["CUST-1001"]).count() == 1
    assert client_as("manager2").get("/integrations/customers/CUST-1001/").status_code == 404


def test_old_data_is_shown_as_stale_on_the_page(partners, customers, client_as):
    from datetime import timedelta

    from django.utils import timezone

    dossier = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(customer=customers["CUST-1001"]).pk
    )
    client = client_as("manager")
    body = client.get("/integrations/customers/CUST-1001/fragment/").content.decode()
    assert 'data-source="credit" data-status="fresh"' in body
    DossierSource.objects.filter(dossier=dossier).update(
        fetched_at=timezone.now() - timedelta(minutes=31)
    )
    body = client.get("/integrations/customers/CUST-1001/fragment/").content.decode()
    assert 'data-source="credit" data-status="stale"' in body
    assert DossierSource.objects.get(dossier=dossier, source="credit").status == "fresh"


def test_api_and_page_agree_on_an_old_source(partners, customers, client_as, api_as):
    """One freshness rule for both readers: two-hour-old data is stale in the API too."""
    from datetime import timedelta

    from django.utils import timezone

    dossier = dossiers.dossier_assemble(
        dossier_id=dossiers.dossier_request(customer=customers["CUST-1001"]).pk
    )
    DossierSource.objects.filter(dossier=dossier, source="credit").update(
        fetched_at=timezone.now() - timedelta(hours=2)
    )
    page = client_as("manager").get("/integrations/customers/CUST-1001/fragment/").content.decode()
    api = api_as("manager").get("/api/v1/customers/CUST-1001/dossier/").json()
    api_status = {s["source"]: s["status"] for s in api["sources"]}
    for source, status in api_status.items():
        assert f'data-source="{source}" data-status="{status}"' in page
    assert api_status["credit"] == "stale" and api_status["invoices"] == "fresh"
    credit = next(s for s in api["sources"] if s["source"] == "credit")
    assert "30" in credit["error"]
    # The stored row still says how the pull went.
    assert DossierSource.objects.get(dossier=dossier, source="credit").status == "fresh"


def test_freshness_rule():
    from datetime import datetime, timedelta

    from integrations.freshness import FRESH_FOR, source_freshness

    now = datetime(2026, 1, 1, 12, 0)
    assert source_freshness("fresh", now - FRESH_FOR, now) == "fresh"
    assert source_freshness("fresh", now - FRESH_FOR - timedelta(seconds=1), now) == "stale"
    assert source_freshness("failed", None, now) == "failed"
    assert source_freshness("stale", now, now) == "stale"
    assert source_freshness("pending", None, now) == "pending"


@pytest.mark.parametrize(
    "query",
    [
        "overdue_days_min=15",
        "credit_status=collections",
        "unit=sz-business",
        "overdue_days_min=1&credit_status=watch",
        "overdue_days_min=abc",
    ],
)
def test_customer_page_filters_like_the_api(customers, client_as, api_as, query):
    """The page and the API use the same FilterSet: the same query lists the same customers."""
    import re

    api = api_as("vp").get(f"/api/v1/customers/?{query}&page_size=100").json()
    page = client_as("vp").get(f"/integrations/customers/?{query}").content.decode()
    listed = re.findall(r'<span class="muted">(CUST-\d+)</span>', page)
    expected = [c["external_id"] for c in api.get("results", [])] if "results" in api else None
    if expected is None:  # the API rejects a malformed filter; the page says so (issue 18)
        assert listed == [] and 'data-testid="invalid-filter"' in page
    else:
        assert listed == expected and listed


def test_customer_reads_need_the_read_scope_of_a_scoped_token(customers, api_as):
    """The shared hrcore ReadScope: a token limited to scopes needs ``read``, whatever the
    method (requesting a dossier refresh is a read of partner data)."""
    assert api_as("vp", scopes=["read"]).get("/api/v1/customers/").status_code == 200
    write_only = api_as("vp", scopes=["write"])
    assert write_only.get("/api/v1/customers/").status_code == 403
    assert write_only.post("/api/v1/customers/CUST-1001/dossier/refresh/").status_code == 403
    assert not Dossier.objects.exists()
