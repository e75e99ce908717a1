"""Run in a process of its own by ``tests/test_squashed_migrations.py`` (the database is the one of
``KEEL_DATA_DIR`` / ``DATABASE_URL``):

``python tests/squash_probe.py old [app:migration ...]`` migrates through the migration files the
squashes replace, as a database did before the squashes existed (every app to its last file, or
to the targets named); ``python tests/squash_probe.py schema`` prints the database's schema as
JSON, normalised so that two databases built differently compare equal when they hold the same
tables, columns, constraints, indexes, triggers, functions and seeded rows.

``python tests/squash_probe.py steps STEP [STEP ...]`` runs several steps on the database in this
one process (each process pays about a second of CPU to start Django) and prints a JSON list
with each step's result: ``"old [app:migration ...]"`` (null), ``"schema"`` (the schema) or
``"manage <command> [args ...]"`` (what ``manage.py <command> [args ...]`` prints on stdout).
Between steps the process is left as a new one would find it: no connection kept open (so no
connection state carries over) and no content type cached; each management command is run as
``manage.py`` runs it (its arguments parsed, its system checks run, its connections closed
afterwards), and ``migrate`` and ``showmigrations`` read the migration files with a loader of
their own, so the squashes stand in again after an ``old`` step migrated without them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrcore.settings.local")

import django

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import ManagementUtility  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402

SEEDED = {  # rows the migrations insert, compared as data
    "crisis_statuscadence": "SELECT severity, every_minutes FROM crisis_statuscadence",
    "hrcore_performancerule": "SELECT kind, variant, points FROM hrcore_performancerule",
}


def migrate_old(targets: list[str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader = MigrationLoader(connection, replace_migrations=False)
    squashes = {key for key, m in executor.loader.disk_migrations.items() if m.replaces}
    if targets:
        nodes = [tuple(target.split(":", 1)) for target in targets]
    else:
        nodes = [node for node in executor.loader.graph.leaf_nodes() if node not in squashes]
    plan = executor.migration_plan(nodes)
    assert not any((m.app_label, m.name) in squashes for m, _backwards in plan)
    executor.migrate(nodes, plan=plan)


def _top_level_parts(body: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in body:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return sorted(parts)


def sqlite_schema(cursor) -> dict:
    """Each table's column and constraint clauses as a set (SQLite rebuilds a table to add a
    foreign key, so the same columns may stand in another order), indexes and triggers as written."""
    cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
    )
    schema = {}
    for kind, name, sql in cursor.fetchall():
        sql = re.sub(r"\s+", " ", sql.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"))
        if kind == "table":
            head, body = sql.split("(", 1)
            schema[f"table {name}"] = [head.strip(), *_top_level_parts(body.rsplit(")", 1)[0])]
        else:
            schema[f"{kind} {name}"] = sql
    return schema


def postgres_schema(cursor) -> dict:
    queries = {
        "column": """SELECT table_name || '.' || column_name,
                            concat_ws(' ', ordinal_position, data_type, character_maximum_length,
                                      numeric_precision, numeric_scale, is_nullable, column_default,
                                      is_identity, identity_generation)
                     FROM information_schema.columns WHERE table_schema = 'public'""",
        "constraint": """SELECT conrelid::regclass::text || '.' || conname,
                                pg_get_constraintdef(oid) || ' ' || condeferrable || condeferred
                         FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
        "index": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "trigger": """SELECT tgrelid::regclass::text || '.' || tgname, pg_get_triggerdef(oid)
                      FROM pg_trigger WHERE NOT tgisinternal""",
        "function": """SELECT proname, pg_get_functiondef(oid) FROM pg_proc
                       WHERE pronamespace = 'public'::regnamespace""",
        "sequence": """SELECT sequence_name, concat_ws(' ', data_type, start_value, increment)
                       FROM information_schema.sequences WHERE sequence_schema = 'public'""",
    }
    schema = {}
    for kind, sql in queries.items():
        cursor.execute(sql)
        for name, definition in cursor.fetchall():
            schema[f"{kind} {name}"] = definition
    return schema


def schema() -> dict:
    with connection.cursor() as cursor:
        found = (
            postgres_schema(cursor) if connection.vendor == "postgresql" else sqlite_schema(cursor)
        )
        for table, sql in SEEDED.items():
            cursor.execute(sql)
            found[f"rows {table}"] = sorted(map(list, cursor.fetchall()))
    return found


def manage(argv: list[str]) -> str:
    """What ``manage.py <argv>`` prints on stdout; its stderr too if it fails."""
    argv = ["manage.py", *argv]
    stdout, stderr = io.StringIO(), io.StringIO()
    try:  # as execute_from_command_line runs it, once Django is set up
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            ManagementUtility(argv).fetch_command(argv[1]).run_from_argv(argv)
    except SystemExit as exc:  # a CommandError, reported on stderr
        if exc.code:
            raise SystemExit(
                f"{shlex.join(argv)} failed ({exc.code}):\n{stdout.getvalue()}{stderr.getvalue()}"
            ) from None
    return stdout.getvalue()


def run_step(step: str):
    action, *rest = shlex.split(step)
    try:
        if action == "old":
            return migrate_old(rest)
        if action == "schema":
            return schema()
        if action == "manage":
            return manage(rest)
        raise SystemExit(f"unknown step {step!r}")
    finally:  # as the next step would find a process of its own
        connections.close_all()
        ContentType.objects.clear_cache()


def run_steps(steps: list[str]) -> list:
    results = []
    for step in steps:
        try:
            results.append(run_step(step))
        except BaseException:
            print(f"step {step!r} failed:", file=sys.stderr)
            traceback.print_exc()
            raise
    return results


if __name__ == "__main__":
    action, *rest = sys.argv[1:]
    if action == "old":
        migrate_old(rest)
    elif action == "schema":
        print(json.dumps(schema(), sort_keys=True, indent=1))
    elif action == "steps":
        with contextlib.redirect_stdout(sys.stderr):  # nothing else a step prints joins the JSON
            results = run_steps(rest)
        print(json.dumps(results, sort_keys=True, indent=1))
    else:
        raise SystemExit(f"unknown action {action!r}")
