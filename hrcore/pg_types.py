"""PostgreSQL timestamps read by psycopg's C loader (issue 12: reads that grow with their rows).

Django replaces psycopg's ``timestamptz`` loader on every connection with a Python subclass of
psycopg's *pure-Python* loader (``BaseTzLoader``: parse, then ``replace(tzinfo=...)``), so every
timestamp a query returns is parsed in Python: ~3.3 µs each against ~0.25 µs for the C loader
that psycopg's binary package registers by default (measured: 40,000 values, 148 ms against
26 ms). A page of the crisis API carries some 25 timestamps a crisis; the language sweep of the
test suite reads a few hundred thousand.

When the connection's time zone is UTC (``USE_TZ`` with no ``TIME_ZONE`` of the database, as
here: Django then sets the session's ``TimeZone`` to UTC) the C loader returns the very value
Django's does — the instant, with ``datetime.timezone.utc`` — so ``install`` puts it back on
that connection. Django checks the loader's ``timezone`` on every cursor it creates (and
registers its own again if it differs), so the loader says it is UTC's. With any other
configuration nothing is changed. ``tests/hrcore/test_pg_types.py`` holds the two loaders to
the same values, offsets, microseconds and errors."""

from __future__ import annotations

import datetime
from functools import cache

from django.db.backends.base.base import BaseDatabaseWrapper


@cache
def utc_timestamptz_loader() -> type | None:
    """A loader class that hands each value to the C ``timestamptz`` loader psycopg registers
    by default (None without psycopg's binary package: there is nothing faster to use)."""
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.postgres import types
    from psycopg.pq import Format

    c_loader = psycopg.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    if c_loader is None or c_loader.__module__.startswith("psycopg."):
        return None  # the pure-Python implementation: Django's is as fast

    class UtcTimestamptzLoader(Loader):
        timezone = datetime.UTC  # what Django's create_cursor compares with the connection's

        def __init__(self, oid: int, context=None) -> None:
            super().__init__(oid, context)
            # The C loader's bound method: psycopg calls it per value with no Python frame.
            self.load = c_loader(oid, context).load

        def load(self, data):  # replaced per instance in __init__
            raise NotImplementedError

    return UtcTimestamptzLoader


def install(sender=None, connection: BaseDatabaseWrapper | None = None, **kwargs) -> None:
    """``connection_created`` receiver: the C loader for ``timestamptz`` on a PostgreSQL
    connection whose time zone is UTC; nothing otherwise."""
    if connection is None or connection.vendor != "postgresql":
        return
    if connection.timezone is not datetime.UTC or connection.timezone_name != "UTC":
        return
    loader = utc_timestamptz_loader()
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)
