"""The status filter of the board and the crisis list is written into the statement for the
statuses Keel knows (``crisis.selectors.crises.page_filters``): PostgreSQL keeps one generic plan
of the board's prepared query on its partial index ``crisis_board_order`` instead of planning
the query anew on every poll; any other value stays a bound parameter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from crisis.choices import CrisisStatus
from crisis.models import Crisis
from crisis.selectors.crises import page_filters
from crisis.services.filing import crisis_file

pytestmark = pytest.mark.django_db


def test_a_known_status_is_written_in_and_anything_else_is_bound(crisis_world, users):
    crisis = crisis_file(scenario="debt-collection-emergency", title="Open", actor=users["manager"])
    for status in CrisisStatus.values:
        sql, params = page_filters(Crisis.objects.all(), {"status": status}).query.sql_with_params()
        assert f"= ('{status}')" in sql and status not in params
    assert list(page_filters(Crisis.objects.filter(pk=crisis.pk), {"status": "open"})) == [crisis]
    assert not page_filters(Crisis.objects.filter(pk=crisis.pk), {"status": "resolved"}).exists()
    hostile = "open') OR ('1'='1"
    sql, params = page_filters(Crisis.objects.all(), {"status": hostile}).query.sql_with_params()
    assert hostile not in sql and hostile in params
    assert not page_filters(Crisis.objects.all(), {"status": hostile}).exists()


@pytest.mark.postgres
def test_the_boards_prepared_query_keeps_a_generic_plan(crisis_world, users, client_as):
    crisis = crisis_file(
        scenario="debt-collection-emergency", title="On the board", actor=users["manager"]
    )
    # A history of resolved crises, as a group has after a while: with the status bound, the
    # generic plan could not use the partial index and cost a scan of them all, so PostgreSQL
    # planned every run for its values instead (2.2 ms at 10,000 crises).
    row = {f.attname: getattr(crisis, f.attname) for f in Crisis._meta.concrete_fields}
    row |= {"id": None, "idempotency_key": "", "status": CrisisStatus.RESOLVED}
    Crisis.objects.bulk_create(Crisis(**row | {"title": f"Resolved {i}"}) for i in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crisis_crisis")
    vp = client_as("vp")
    for _ in range(12):
        assert vp.get(reverse("crisis:dashboard_live")).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ['%FROM "crisis_crisis"%', '%AS "last_event"%'],  # the board's page of crises
        )
        plans = cursor.fetchall()
    # psycopg prepares it at its sixth run; PostgreSQL plans the first five runs of a prepared
    # statement for their values, then keeps the generic plan when it costs no more.
    assert len(plans) == 1, plans
    generic, custom = plans[0]
    assert generic >= 1 and custom <= 5, plans
