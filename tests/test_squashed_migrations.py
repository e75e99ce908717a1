"""The squashed migrations (issue 9 §6) lose nothing: a fresh database applies only the squashes
and gets the schema (tables, columns, constraints, indexes, PostgreSQL triggers and functions) and
the seeded rows the old chain of migration files builds; a database at the old head applies
nothing; a database part-way through the old chain migrates forward through the old files.

Each database is built by a process of its own (``tests/squash_probe.py steps``, which runs the
management commands as ``manage.py`` does, one after the other in that process, with a new
migration loader and no connection kept between them), on the tier's backend: SQLite files in a
temporary folder, or databases of their own on the tier's PostgreSQL server. The old chain is
migrated with Django's loader told not to use the squashes."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "squash_probe.py"
SQUASHES = {
    "hrcore": ["0001_squashed_0005_organisation", "0006_squashed_0019_organisation_chain"],
    "responsibilities": ["0001_squashed_0002_maps", "0003_squashed_0005_maps_chain"],
    "customers": ["0001_squashed_0002_customers"],
    "crisis": ["0001_squashed_0010_crisis_engine", "0011_squashed_0024_crisis_chain"],
    "integrations": ["0001_squashed_0005_partners", "0006_squashed_0017_partners_chain"],
    "competency": ["0001_squashed_0007_competency"],
}
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = POSTGRES_URL.startswith("postgres")


@contextlib.contextmanager
def _database(tmp_path: Path, label: str):
    """The environment of a fresh, empty database of the tier's backend, dropped afterwards."""
    data = tmp_path / label
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KEEL_TEST_DB_NAME"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.local",
        "KEEL_DATA_DIR": str(data),
        "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(32),
        "PYTHONPATH": os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(ROOT)])),
    }
    if not IS_POSTGRES:
        yield env
        return
    import psycopg

    name = f"keel_squash_{label}_{secrets.token_hex(4)}"
    head = POSTGRES_URL.rpartition("/")[0]
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield env | {"DATABASE_URL": f"{head}/{name}"}
    finally:
        with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(env: dict, *argv: str) -> str:
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _steps(env: dict, *steps: str) -> list:
    """Each step's result (see ``tests/squash_probe.py``), all run by one process: ``"schema"``,
    ``"old [app:migration ...]"`` or ``"manage <command> [args ...]"`` (its stdout)."""
    return json.loads(_run(env, str(PROBE), "steps", *steps))


def _unordered(schema: dict) -> dict:
    """Without PostgreSQL's column positions (a column dropped and added again is numbered anew)."""
    return {
        key: value.split(" ", 1)[1] if key.startswith("column ") else value
        for key, value in schema.items()
    }


@pytest.fixture(scope="module")
def fresh_schema(tmp_path_factory):
    """The schema of a fresh database migrated as ``migrate`` does now: through the squashes."""
    with _database(tmp_path_factory.mktemp("squash"), "fresh") as env:
        plan, _migrated, schema = _steps(
            env, "manage migrate --plan", "manage migrate --noinput", "schema"
        )
        applied = {line for line in plan.splitlines() if line and not line[0].isspace()}
        for app, names in SQUASHES.items():
            for name in names:
                assert f"{app}.{name}" in applied
        replaced = {
            (app, old)
            for app, names in SQUASHES.items()
            for name in names
            for _app, old in importlib.import_module(f"{app}.migrations.{name}").Migration.replaces
        }
        for line in applied:  # no file a squash replaces is planned (later migrations are)
            app, _dot, name = line.partition(".")
            assert (app, name) not in replaced, line
        yield schema


def test_squashes_build_the_schema_and_rows_of_the_old_chain(tmp_path, fresh_schema):
    unapply = (
        ("competency", "zero"),
        ("integrations", SQUASHES["integrations"][0]),
        ("crisis", SQUASHES["crisis"][0]),
    )
    with _database(tmp_path, "old") as env:
        _old, old, out, shown, *unapplied, _again, again = _steps(
            env,
            "old",
            "schema",
            "manage migrate --noinput",
            "manage showmigrations",
            *(f"manage migrate --noinput {app} {target}" for app, target in unapply),
            "manage migrate --noinput",
            "schema",
        )
    assert old == fresh_schema
    # And a database at the old head (every deployment so far) has nothing to apply.
    assert "No migrations to apply." in out, out
    assert "[ ]" not in shown, shown
    for names in SQUASHES.values():
        for name in names:
            assert f"[X] {name}" in shown
    # Reversible: the squashes unapply (here over what the old files built) and apply again.
    for (app, _target), out in zip(unapply, unapplied, strict=True):
        assert f"Unapplying {app}." in out, out
    assert _unordered(again) == _unordered(fresh_schema)
    assert fresh_schema["rows crisis_statuscadence"] == [
        ["critical", 30],
        ["high", 60],
        ["low", 0],
        ["medium", 240],
    ]
    assert len(fresh_schema["rows hrcore_performancerule"]) == 12
    if IS_POSTGRES:  # the records' append-only triggers and the timers' NOTIFY are kept
        for trigger in (
            "crisis_timelineevent.crisis_timeline_append_only",
            "crisis_crisis.crisis_not_deletable",
            "crisis_task.crisis_task_timers_notify",
        ):
            assert f"trigger {trigger}" in fresh_schema


@pytest.mark.skipif(IS_POSTGRES, reason="the migration graph is the same on every backend")
def test_database_part_way_migrates_forward_through_the_old_files(tmp_path, fresh_schema):
    """crisis at 0021 (hrcore at 0013, customers at 0001, integrations at 0005) and competency
    at 0003: the old files carry them forward, the squashes stand in where nothing was applied."""
    with _database(tmp_path, "partway") as env:
        _old, out, schema = _steps(
            env,
            "old crisis:0021_walk_in_consumer competency:0003_delete_apiidempotency",
            "manage migrate --noinput",
            "schema",
        )
    for step in (
        "hrcore.0014_performance_events",
        "crisis.0022_metrics_rollups",
        "customers.0002_customer_search_key",
        "competency.0004_pass_minimum_and_choice_shuffle",
        "integrations.0006_squashed_0017_partners_chain",
    ):
        assert f"Applying {step}... OK" in out, out
    assert "crisis.0011_squashed" not in out and "hrcore.0006_squashed" not in out
    assert schema == fresh_schema
