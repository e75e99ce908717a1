"""PostgreSQL timestamps through psycopg's C loader (``hrcore.pg_types``): the same values as
Django's own loader, kept by every cursor Django makes, and used only where it is equivalent."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from hrcore import pg_types

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TIMESTAMPTZ = 1184
# Literals as PostgreSQL may send them back: offsets of every shape, microseconds or none, the
# first and last years, a leap day, a DST change in a zone with a half-hour offset.
LITERALS = [
    "2026-12-03 14:00:00+00",
    "2026-12-03 14:00:00.5+00",
    "2026-12-03 14:00:00.000001+00",
    "2026-12-03 23:59:59.999999+08",
    "2026-03-29 01:30:00+05:45",
    "2026-10-04 02:30:00 Australia/Adelaide",
    "2024-02-29 12:00:00-03:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "1970-01-01 00:00:00+14",
]


def _loader():
    from psycopg.pq import Format

    return connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


def _read(cursor, literals):
    cursor.execute(
        "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i",
        [literals],
    )
    return [row[0] for row in cursor.fetchall()]


def test_the_connection_reads_timestamps_with_the_c_loader_and_django_keeps_it():
    loader = pg_types.utc_timestamptz_loader()
    assert loader is not None  # psycopg's binary package is installed (requirements.lock)
    connection.ensure_connection()
    assert _loader() is loader
    with connection.cursor() as cursor:  # Django's create_cursor compares the time zones
        from psycopg.pq import Format

        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is loader


def test_the_c_loader_gives_what_djangos_loader_gives():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader, register_tzloader
    from psycopg.pq import Format

    connection.ensure_connection()
    with connection.cursor() as cursor:
        ours = _read(cursor, LITERALS)
    with connection.connection.cursor() as raw:
        register_tzloader(connection.timezone, raw)  # Django's Python loader, on this cursor
        assert issubclass(raw.adapters.get_loader(TIMESTAMPTZ, Format.TEXT), BaseTzLoader)
        djangos = _read(raw, LITERALS)
    assert ours == djangos
    assert all(value.tzinfo is datetime.UTC for value in ours)
    assert [v.isoformat() for v in ours] == [v.isoformat() for v in djangos]
    assert ours[2].microsecond == 1 and ours[3] == datetime.datetime(
        2026, 12, 3, 15, 59, 59, 999999, tzinfo=datetime.UTC
    )


def test_a_value_python_cannot_hold_fails_as_with_djangos_loader():
    import psycopg
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    connection.ensure_connection()
    for literal in ("infinity", "-infinity"):
        with connection.connection.cursor() as raw, pytest.raises(psycopg.DataError):
            _read(raw, [literal])
        with connection.connection.cursor() as raw, pytest.raises(psycopg.DataError):
            register_tzloader(connection.timezone, raw)
            _read(raw, [literal])


def test_model_reads_are_aware_utc_instants():
    from django.contrib.auth import get_user_model

    rows = list(get_user_model().objects.values_list("date_joined", flat=True))
    rows += [user.date_joined for user in get_user_model().objects.all()]
    assert rows
    assert all(value.tzinfo is datetime.UTC for value in rows)


@pytest.mark.parametrize(
    "conn",
    [
        SimpleNamespace(vendor="sqlite"),
        SimpleNamespace(
            vendor="postgresql", timezone=ZoneInfo("Asia/Shanghai"), timezone_name="Asia/Shanghai"
        ),
        SimpleNamespace(vendor="postgresql", timezone=None, timezone_name=None),  # USE_TZ off
    ],
    ids=["sqlite", "database-time-zone", "naive"],
)
def test_other_configurations_keep_djangos_loader(conn):
    pg_types.install(connection=conn)  # a stand-in with no psycopg connection: untouched
    assert not hasattr(conn, "connection")
