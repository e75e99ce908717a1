"""Issue 17 §4: labour cost and return per customer — the arithmetic on known data, the reads in
constant queries, the API and the sorted table."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest

from integrations import roi

T0 = datetime(2026, 11, 2, 9, 0)


def test_task_hours_are_capped_and_never_negative():
    assert roi.task_hours(T0, T0 + timedelta(minutes=90)) == D("1.50")
    assert roi.task_hours(T0, T0 + timedelta(days=2)) == D("8")
    assert roi.task_hours(T0, T0 - timedelta(hours=1)) == D("0.00")


def test_customer_roi_on_known_data():
    work = [
        roi.Work("A", 3, D("2"), "tasks"),  # 2 h × 120 = 240
        roi.Work("A", 6, D("1.5"), "complaints"),  # 1.5 h × 260 = 390
        roi.Work("B", 1, D("4"), "tasks"),  # 4 h × 80 = 320
        roi.Work("C", 5, D("1"), "complaints"),  # 180, no revenue
        roi.Work("Z", 5, D("1"), "tasks"),  # not a customer asked about
    ]
    rows = roi.customer_roi(work, {"A": D("10000"), "B": D("1000"), "D": D("500")}, "ABCD")
    a, b, c, d = (rows[k] for k in "ABCD")
    assert (a.hours, a.cost, a.revenue, a.margin, a.ratio, a.flagged) == (
        D("3.5"),
        D("630.00"),
        D("10000.00"),
        D("9370.00"),
        D("0.0630"),
        False,
    )
    assert a.hours_by_source == {"complaints": D("1.5"), "tasks": D("2")}
    assert (b.cost, b.ratio, b.flagged) == (D("320.00"), D("0.3200"), True)
    assert (c.cost, c.ratio, c.flagged, c.margin) == (D("180.00"), None, True, D("-180.00"))
    assert (d.cost, d.ratio, d.flagged) == (D("0.00"), D("0.0000"), False)
    assert [r.customer for r in roi.ranked(rows.values())] == ["C", "B", "A", "D"]
    assert [r.customer for r in roi.ranked(rows.values(), "margin", False)] == ["C", "D", "B", "A"]
    assert [r.customer for r in roi.ranked(rows.values(), "bogus")] == ["C", "B", "A", "D"]


@pytest.mark.django_db
def test_roi_api_page_and_constant_queries(customers, users, api_as, client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations import roi_selectors
    from integrations.services import commissions, complaints

    cust = customers["CUST-1002"]  # owned by staff, grade 3
    commissions.order_mark_paid(customer=cust, external_id="SO-R1", amount="1000")
    complaints.complaint_record(
        customer=cust, external_id="CP-R1", severity="high", summary_zh="x", summary_en="x"
    )  # 4 h × 120 = 480 → 48 % of revenue: flagged
    body = api_as("staff").get("/api/v1/customers/CUST-1002/roi/").json()
    assert body == {
        "customer": "CUST-1002",
        "revenue": "1000.00",
        "hours": "4.00",
        "hours_by_source": {"complaints": "4.00"},
        "cost": "480.00",
        "margin": "520.00",
        "cost_to_revenue": "0.4800",
        "flagged": True,
        "gross_margin": None,  # no finance partner here: Keel's paid orders are the revenue
        "revenue_source": "orders",
        "period": body["period"],
        "sources": {
            "finance": {
                "state": "unconfigured",
                "partner": "",
                "error": "",
                "as_of": None,
                "stale": False,
            },
            "attendance": {
                "state": "unconfigured",
                "partner": "",
                "error": "",
                "as_of": None,
                "stale": False,
            },
        },
    }
    assert api_as("manager2").get("/api/v1/customers/CUST-1002/roi/").status_code == 404
    with CaptureQueriesContext(connection) as one:
        roi_selectors.customer_rois(list(customers.values())[:1])
    with CaptureQueriesContext(connection) as many:
        roi_selectors.customer_rois(list(customers.values()))
    assert len(one) == len(many) == 3
    page = client_as("hradmin").get("/integrations/customers/roi/").content.decode()
    assert page.index('data-customer="CUST-1002" class="flagged"') < page.index(
        "<h2>"
    )  # before the per-owner table
    first_row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert 'data-customer="CUST-1002"' in first_row  # highest cost to revenue first
    assert page.count("<svg") == 1  # the chart
    by_revenue_asc = client_as("hradmin").get("/integrations/customers/roi/?sort=revenue&dir=asc")
    assert by_revenue_asc.status_code == 200


# --- Attendance visits and finance's revenue and margin (issue 17 §4 remainder) ------------


def test_visits_and_finance_margin_on_known_data():
    t0 = datetime(2026, 11, 2, 9, 0)
    assert roi.visit_hours(t0, t0 + timedelta(minutes=150)) == D("2.50")
    assert roi.visit_hours(t0, t0 + timedelta(hours=30)) == D("10")  # a forgotten check-out
    work = [
        roi.Work("A", 3, roi.visit_hours(t0, t0 + timedelta(minutes=150)), "attendance"),  # 300
        roi.Work("A", 6, D("1.5"), "attendance"),  # 1.5 h × 260 = 390
        roi.Work("A", 3, D("4"), "complaints"),  # 480
    ]
    rows = roi.customer_roi(
        work, {"A": D("566800"), "B": D("0")}, "AB", gross_margin={"A": D("113360"), "B": D("0")}
    )
    a, b = rows["A"], rows["B"]
    assert (a.hours, a.cost, a.revenue, a.gross_margin) == (
        D("8.00"),
        D("1170.00"),
        D("566800.00"),
        D("113360.00"),
    )
    assert a.margin == D("112190.00")  # the gross margin less labour, not revenue less labour
    assert (a.ratio, a.flagged, a.revenue_source) == (D("0.0021"), False, "finance")
    assert a.hours_by_source == {"attendance": D("4.00"), "complaints": D("4")}
    assert (b.cost, b.margin, b.ratio, b.flagged) == (D("0.00"), D("0.00"), None, False)


@pytest.mark.django_db
def test_roi_counts_attendance_visits_and_finance_revenue_over_http(
    partners, sandbox, customers, api_as, client_as
):
    from integrations.services import complaints

    complaints.complaint_record(
        customer=customers["CUST-1002"],
        external_id="CP-R2",
        severity="high",
        summary_zh="x",
        summary_en="x",
    )  # 4 h × 120 (staff, grade 3) = 480
    body = api_as("staff").get("/api/v1/customers/CUST-1002/roi/").json()
    # The sandbox: staff visited CUST-1002 for 150 and 180 minutes (5.5 h × 120 = 660); finance
    # invoiced 210 000.00 + 356 800.00 in the last year at a gross margin of 20 %.
    assert {k: body[k] for k in body if k not in ("period", "sources")} == {
        "customer": "CUST-1002",
        "revenue": "566800.00",
        "gross_margin": "113360.00",
        "revenue_source": "finance",
        "hours": "9.50",
        "hours_by_source": {"attendance": "5.50", "complaints": "4.00"},
        "cost": "1140.00",
        "margin": "112220.00",
        "cost_to_revenue": "0.0020",
        "flagged": False,
    }
    assert {k: body["sources"]["finance"][k] for k in ("state", "partner", "error", "stale")} == {
        "state": "ok",
        "partner": "sandbox-finance",
        "error": "",
        "stale": False,
    }
    assert body["sources"]["attendance"]["state"] == "ok"
    # CUST-1001: the owner (manager, grade 6) 2 h and finance's head (grade 6) 1.5 h on site.
    first = api_as("manager").get("/api/v1/customers/CUST-1001/roi/").json()
    assert (first["hours_by_source"], first["cost"]) == ({"attendance": "3.50"}, "910.00")
    assert (first["revenue"], first["gross_margin"], first["margin"]) == (
        "2330000.00",
        "419400.00",
        "418490.00",
    )
    # The last ten days only: one visit (2.5 h), today's complaint, and nothing invoiced —
    # cost without revenue.
    from django.utils import timezone

    today = timezone.localdate()
    recent = (
        api_as("staff")
        .get(
            "/api/v1/customers/CUST-1002/roi/",
            {"since": (today - timedelta(days=10)).isoformat(), "until": today.isoformat()},
        )
        .json()
    )
    assert (recent["hours_by_source"], recent["cost"], recent["revenue"], recent["flagged"]) == (
        {"attendance": "2.50", "complaints": "4.00"},
        "780.00",
        "0.00",
        True,
    )
    bad = api_as("staff").get("/api/v1/customers/CUST-1002/roi/", {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["errors"]
    backwards = api_as("staff").get(
        "/api/v1/customers/CUST-1002/roi/", {"since": "2026-05-01", "until": "2026-04-01"}
    )
    assert backwards.status_code == 400
    # Finance down: within the cache's freshness it is not even asked; with nothing kept, the
    # report still answers, with Keel's orders as revenue, and says so.
    sandbox.knobs(finance={"mode": "error"})
    kept = api_as("staff").get("/api/v1/customers/CUST-1002/roi/").json()
    assert (kept["revenue_source"], kept["sources"]["finance"]["state"]) == ("finance", "ok")
    from django.core.cache import cache

    cache.clear()
    down = api_as("staff").get("/api/v1/customers/CUST-1002/roi/").json()
    assert down["revenue_source"] == "orders" and down["gross_margin"] is None
    assert down["sources"]["finance"]["state"] == "failed"
    assert down["hours_by_source"] == {"attendance": "5.50", "complaints": "4.00"}
    page = client_as("hradmin").get("/integrations/customers/roi/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-source="finance" data-state="failed"' in html
    assert 'data-source="attendance" data-state="ok"' in html
