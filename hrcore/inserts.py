"""Plain INSERTs for the rows a hot write path makes many of (issue 12: filing a crisis).

``insert_objects(objs)`` writes model instances like ``QuerySet.bulk_create`` — one statement,
no signals, primary keys read back with ``RETURNING`` — without the ORM's per-call cost: the
statement is compiled once per model, column set, conflict mode and row count (then reused), and
only the columns whose values need converting for the database (date-times, JSON, …) go through
``Field.get_db_prep_save``; integers, booleans and text go as they are. A filing writes its
tasks, timeline, participants, notifications and outbox row this way: the ORM's compilation was
about a third of a filing's CPU.

``pipelined()`` sends the statements made inside it to PostgreSQL without waiting for each
answer: a write path's trailing inserts then cost one round trip, not one each.

Limits (checked, not assumed): an auto-incremented primary key left unset, no database-side
defaults (``db_default``) nor generated columns; anything else falls back to ``bulk_create``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from django.db import connections, models, router
from django.db.models.constants import OnConflict
from django.db.models.fields import NOT_PROVIDED

Model = TypeVar("Model", bound=models.Model)

# Field classes (exactly these, not subclasses that may convert) whose values the database
# drivers take as they come from Python: no ``get_db_prep_save`` needed.
_AS_IS = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.SmallAutoField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.BooleanField,
        models.CharField,
        models.TextField,
        models.SlugField,
    }
)


def _as_is(field: models.Field) -> bool:
    if field.is_relation:
        return field.many_to_one and type(field.target_field) in _AS_IS
    return type(field) in _AS_IS


@dataclass(frozen=True)
class _Plan:
    fields: tuple[models.Field, ...]
    attnames: tuple[str, ...]
    prepare: tuple[bool, ...]  # per column: convert with get_db_prep_save
    pre_save: tuple[bool, ...]  # per column: auto_now / auto_now_add sets it
    head: str  # INSERT … INTO "table" ("a", "b") VALUES
    row: str  # (%s, %s)
    tail: str  # ON CONFLICT DO NOTHING | RETURNING "table"."id" | ""
    returning: bool


_plans: dict[tuple, _Plan | None] = {}
_statements: dict[tuple, str] = {}
_MAX_CACHED_ROWS = 64


def _plan(
    model: type[models.Model], alias: str, ignore_conflicts: bool, keys: bool
) -> _Plan | None:
    connection = connections[alias]
    key = (model, alias, connection.vendor, ignore_conflicts, keys)
    if key in _plans:
        return _plans[key]
    opts = model._meta
    pk = opts.pk
    fields = []
    plan: _Plan | None = None
    supported = isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    # Without RETURNING the new keys could not be set: bulk_create's way then.
    supported = supported and (
        ignore_conflicts or not keys or connection.features.can_return_rows_from_bulk_insert
    )
    for field in opts.concrete_fields:
        if field is pk:
            continue
        if getattr(field, "generated", False) or field.db_default is not NOT_PROVIDED:
            supported = False
        fields.append(field)
    if supported:
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        quote = connection.ops.quote_name
        returning = (
            keys and not ignore_conflicts and connection.features.can_return_rows_from_bulk_insert
        )
        tail = ""
        if ignore_conflicts:
            tail = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or ""
        elif returning:
            tail, _params = connection.ops.return_insert_columns([pk])
        plan = _Plan(
            fields=tuple(fields),
            attnames=tuple(f.attname for f in fields),
            prepare=tuple(not _as_is(f) for f in fields),
            pre_save=tuple(
                bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
                for f in fields
            ),
            head=(
                f"{connection.ops.insert_statement(on_conflict=on_conflict)} "
                f"{quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
            ),
            row=f"({', '.join(['%s'] * len(fields))})",
            tail=f" {tail}" if tail else "",
            returning=returning,
        )
    _plans[key] = plan
    return plan


def insert_objects(
    objs: Sequence[Model], *, ignore_conflicts: bool = False, keys: bool = True
) -> list[Model]:
    """Insert ``objs`` (new instances of one model, primary keys unset) in one statement per
    batch, as ``bulk_create(objs, ignore_conflicts=…)`` does: the primary keys are set on the
    instances (not with ``ignore_conflicts``, whose skipped rows have none) and no signal is
    sent. Call inside the caller's transaction; a constraint violation raises.

    ``keys=False``: the caller needs no primary keys back (they stay unset): the statement
    returns nothing, so inside ``pipelined()`` nothing waits for it."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    alias = router.db_for_write(model)
    plan = _plan(model, alias, ignore_conflicts, keys)
    if plan is None or any(obj.pk is not None for obj in objs):
        return model.objects.using(alias).bulk_create(objs, ignore_conflicts=ignore_conflicts)
    connection = connections[alias]
    batch = max(connection.ops.bulk_batch_size(list(plan.fields), objs), 1)
    columns = list(zip(plan.fields, plan.attnames, plan.prepare, plan.pre_save, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            params: list = []
            for obj in chunk:
                for field, attname, prepare, pre_save in columns:
                    value = field.pre_save(obj, True) if pre_save else getattr(obj, attname)
                    if value is None and field.is_relation and field.is_cached(obj):
                        # Assigned before it was saved (as bulk_create, take its key now).
                        related = field.get_cached_value(obj)
                        if related is not None:
                            value = getattr(related, field.target_field.attname)
                            if value is None:
                                raise ValueError(
                                    f"{model.__name__}.{field.name}: the related object is unsaved"
                                )
                            setattr(obj, attname, value)
                    if prepare:
                        value = field.get_db_prep_save(value, connection)
                    params.append(value)
            skey = (id(plan), len(chunk))
            sql = _statements.get(skey)
            if sql is None:
                sql = plan.head + ", ".join([plan.row] * len(chunk)) + plan.tail
                if len(chunk) <= _MAX_CACHED_ROWS:  # the usual sizes; a rare big batch is built
                    _statements[skey] = sql
            cursor.execute(sql, params)
            if plan.returning:
                for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                    obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return list(objs)


@contextlib.contextmanager
def pipelined(using: str = "default") -> Iterator[None]:
    """On PostgreSQL, send the statements executed inside without waiting for each one's answer
    (psycopg's pipeline mode): a statement whose rows are read (a SELECT, ``RETURNING``) waits
    for all before it; the rest are answered together when the block ends. An error of any of
    them is raised by then at the latest, as Django's exception (``IntegrityError`` …), and the
    statements after it in the block are not run; call inside a transaction, so that the error
    rolls the whole write back. Elsewhere (SQLite, or a libpq without pipeline mode) it changes
    nothing."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    if not psycopg.Pipeline.is_supported():
        yield
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield
