"""The end of a transactional test on PostgreSQL (``tests/conftest.py``, ``_reset_demo_world``):
whatever the test wrote is gone, the world's rows are back as seeded, the sequences are past
them, and the database enforces its rules again (triggers and foreign keys on) — both as a
superuser (DELETE with the triggers off) and as an ordinary role (TRUNCATE)."""

from __future__ import annotations

import contextlib

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from hrcore.models import OrgUnit
from tests.conftest import SNAPSHOT_SCHEMA, _reset_demo_world, _reset_sql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PLAIN_ROLE = "keel_reset_plain"


def _file():
    from django.contrib.auth import get_user_model

    from crisis.services.filing import crisis_file

    manager = get_user_model().objects.get(username="manager")
    return crisis_file(scenario="debt-collection-emergency", title="reset", actor=manager)


def _write_outside_the_world() -> tuple[int, str]:
    """A filed crisis (rows in tables the world leaves empty, the append-only timeline among
    them) and a world row changed; returns the changed unit's pk and its seeded name."""
    crisis = _file()
    assert crisis.timeline.exists()
    unit = OrgUnit.objects.order_by("pk").first()
    seeded = unit.name_en
    OrgUnit.objects.filter(pk=unit.pk).update(name_en="Renamed by the test")
    return unit.pk, seeded


def _assert_world_back(unit_pk: int, seeded: str) -> None:
    from crisis.models import Crisis, TimelineEvent

    assert not Crisis.objects.exists()
    assert not TimelineEvent.objects.exists()
    assert OrgUnit.objects.get(pk=unit_pk).name_en == seeded
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {SNAPSHOT_SCHEMA}.hrcore_orgunit")
        assert OrgUnit.objects.count() == cursor.fetchone()[0]
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
        # The sequences are past the restored ids: a new row gets a key of its own.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('hrcore_orgunit', 'id'))"
            " > (SELECT max(id) FROM hrcore_orgunit)"
        )
        assert cursor.fetchone()[0] is True
    # Foreign keys are checked again (deferred: at the end of the transaction).
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.filter(pk=unit_pk).update(parent_id=10**9)
    # So are the triggers: the timeline is append-only.
    crisis = _file()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        crisis.timeline.update(kind="edited")


def _superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        return cursor.fetchone()[0] == "on"


def test_the_reset_as_a_superuser_deletes_with_triggers_off_and_turns_them_on_again():
    if not _superuser():  # run_tiers.py's own cluster is; a DATABASE_URL may not be
        pytest.skip("the DELETE branch needs a superuser; the other test covers TRUNCATE")
    unit_pk, seeded = _write_outside_the_world()
    assert _reset_demo_world()
    _assert_world_back(unit_pk, seeded)


@contextlib.contextmanager
def _as_an_ordinary_role():
    """Inside, the connection acts as a role that may write every table but not turn triggers
    off: a throw-away role when the test runs as a superuser (dropped afterwards, roles belong
    to the whole cluster), the connection's own role otherwise."""
    if not _superuser():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [PLAIN_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {PLAIN_ROLE}")
        for schema in ("public", SNAPSHOT_SCHEMA):
            cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {PLAIN_ROLE}")
            cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {PLAIN_ROLE}")
            cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {PLAIN_ROLE}")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {PLAIN_ROLE}")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {PLAIN_ROLE}")
            cursor.execute(f"DROP ROLE {PLAIN_ROLE}")


def test_the_reset_as_an_ordinary_role_truncates():
    unit_pk, seeded = _write_outside_the_world()
    with _as_an_ordinary_role(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        assert cursor.fetchone()[0] == "off"  # the TRUNCATE branch
        cursor.execute(_reset_sql())
    _assert_world_back(unit_pk, seeded)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [PLAIN_ROLE])
        assert cursor.fetchone() is None  # nothing left in the cluster
