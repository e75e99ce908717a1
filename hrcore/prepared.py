"""Reads compiled once: the ORM's SQL of a hot query kept per connection and run again with
other values (issue 12: a filing's handful of reads each cost more CPU to compile than to run).

``prepared_rows(name, build, *args)`` returns what ``list(build(*args))`` returns — model
instances with their ``select_related`` objects, ``annotate`` values and slices — but builds and
compiles the query set only the first time a connection sees ``name`` with that shape (the
length of each list argument): it is compiled with stand-in values in place of ``args``, the
positions of their parameters noted, and later calls only swap the values in and turn the rows
into instances as Django's own iterator does.

Arguments are integers or strings (or lists of them), passed to ``build`` as filter values; a
query whose SQL does not carry each stand-in exactly once as a parameter (a value folded into
the SQL, or dropped) is not kept: it runs through the ORM every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

_ABSENT = object()


@dataclass
class _Compiled:
    sql: str
    slots: list  # per parameter: (argument index, item index or -1) or ("const", value)
    compiler: Any
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list
    annotations: dict[str, int]


def _stand_in(i: int, j: int, value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"prepared_rows: argument {i} must be int or str, not {type(value)}")
    if isinstance(value, int):
        return -(1_000_000_007 + i * 10_000 + j)
    return f"\x1fkeel-{i}-{j}\x1f"


def _compile(build: Callable[..., QuerySet], args: tuple, alias: str) -> _Compiled | None:
    stand_ins: dict[object, tuple[int, int]] = {}
    fake_args = []
    for i, arg in enumerate(args):
        if isinstance(arg, list | tuple):
            items = [_stand_in(i, j, v) for j, v in enumerate(arg)]
            stand_ins.update({s: (i, j) for j, s in enumerate(items)})
            fake_args.append(items)
        else:
            s = _stand_in(i, -1, arg)
            stand_ins[s] = (i, -1)
            fake_args.append(s)
    queryset = build(*fake_args)
    if queryset._known_related_objects or queryset._prefetch_related_lookups:
        return None
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    slots: list = []
    seen: set = set()
    for param in params:
        slot = stand_ins.get(param, _ABSENT) if isinstance(param, int | str) else _ABSENT
        if slot is _ABSENT:
            slots.append(("const", param))
        else:
            if slot in seen:
                return None
            seen.add(slot)
            slots.append(slot)
    if len(seen) != len(stand_ins):
        return None
    klass_info = compiler.klass_info
    select = compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Compiled(
        sql=sql,
        slots=slots,
        compiler=compiler,
        model=klass_info["model"],
        start=start,
        end=end,
        init_list=[f[0].target.attname for f in select[start:end]],
        populators=get_related_populators(klass_info, select, alias),
        annotations=dict(compiler.annotation_col_map or {}),
    )


def prepared_rows(name: str, build: Callable[..., QuerySet], *args, using: str = "default") -> list:
    """``list(build(*args))``, compiled once per connection, ``name`` and shape (see above).
    ``name`` must identify ``build``: one name, one query."""
    connection = connections[using]
    cache = connection.__dict__.setdefault("_keel_prepared", {})
    key = (name, tuple(len(a) if isinstance(a, list | tuple) else -1 for a in args))
    compiled = cache.get(key, _ABSENT)
    if compiled is _ABSENT:
        compiled = cache[key] = _compile(build, args, using)
    if compiled is None:
        return list(build(*args))
    params = [
        slot[1]
        if slot[0] == "const"
        else (args[slot[0]] if slot[1] < 0 else args[slot[0]][slot[1]])
        for slot in compiled.slots
    ]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    out = []
    model, start, end, init_list = compiled.model, compiled.start, compiled.end, compiled.init_list
    for row in compiled.compiler.results_iter([rows]):
        obj = model.from_db(using, init_list, row[start:end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        for attr, position in compiled.annotations.items():
            setattr(obj, attr, row[position])
        out.append(obj)
    return out
