"""Issue 12, item 4: the embedded default is not the bottleneck of a demo — SQLite in WAL mode
with a busy timeout, and the filesystem broker polled often enough."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from hrcore.settings.base import IS_POSTGRES


@pytest.mark.skipif(IS_POSTGRES, reason="the embedded default only")
@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="the embedded default only")
def test_filesystem_broker_polls_well_under_a_second():
    from hrcore.celery import app

    interval = app.conf.broker_transport_options["polling_interval"]
    assert 0 < interval <= 0.25


@pytest.mark.skipif(IS_POSTGRES, reason="the embedded default only")
def test_a_connection_with_the_settings_options_reports_wal(tmp_path, django_db_blocker):
    """A real connection to a database file, opened with the settings' OPTIONS (the test
    database itself lives in memory, where SQLite has no WAL), reports journal_mode=wal,
    synchronous=NORMAL and the busy timeout."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    config = {**settings.DATABASES["default"], "NAME": str(tmp_path / "probe.sqlite3")}
    probe = DatabaseWrapper(config, alias="wal-probe")
    try:
        with django_db_blocker.unblock(), probe.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 1  # NORMAL: safe in WAL, no fsync per commit
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] >= 5000
    finally:
        probe.close()
