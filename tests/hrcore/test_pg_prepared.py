"""PostgreSQL binds parameters on the server and keeps a statement run five times on a
connection as a prepared statement (``DB_PREPARED_STATEMENTS``, on by default): the next runs skip
parsing and planning. ``DB_PREPARED_STATEMENTS=false`` goes back to binding in the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from hrcore.models import OrgUnit

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def _options(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DB_PREPARED_STATEMENTS"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.local",
        "KEEL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://keel@127.0.0.1:1/keel",  # read, never connected to
        **extra,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_on_by_default_and_off_when_asked(tmp_path):
    assert _options(tmp_path) == {"server_side_binding": True, "prepare_threshold": 5}
    assert _options(tmp_path, DB_PREPARED_STATEMENTS="false") == {}


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _as_sent(queryset) -> str:
    """The statement psycopg sends for ``queryset``: Django's SQL with ``$1``, ``$2``, …"""
    sql, _params = queryset.query.sql_with_params()
    parts = sql.split("%s")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_five_times_is_prepared_with_its_values_bound():
    import psycopg

    with connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
    assert connection.connection.prepare_threshold == 5

    def query(prefix: str):
        # A shape of its own, so that no other test on this connection prepared it first.
        return (
            OrgUnit.objects.filter(code__startswith=prefix, depth__gte=0, time_zone__contains="/")
            .order_by("code")
            .values_list("code", "depth")
        )

    statement = _as_sent(query("keel-probe-"))
    assert "$1" in statement and "keel-probe" not in statement
    for round_ in range(1, 7):
        assert list(query("keel-probe-")) == []
        # psycopg prepares it when it is run after five runs, and keeps it.
        assert (statement in _prepared_statements()) is (round_ >= 6), round_
    # Another value runs the same prepared statement and reads its own rows.
    prefix = OrgUnit.objects.order_by("code").values_list("code", flat=True)[0][:3]
    expected = sorted(
        (u.code, u.depth)
        for u in OrgUnit.objects.all()
        if u.code.startswith(prefix) and "/" in u.time_zone
    )
    assert expected
    assert list(query(prefix)) == expected
    assert _prepared_statements().count(statement) == 1
