"""``Batch``: the one migration operation of the squashed migrations (issue 9 §6).

A fresh ``migrate`` spent most of its time in Django's migration state, not in the database: after
every operation Django re-renders the model it touched and every model related to it, and with
nearly every model related to the user model and to ``hrcore.Employee`` that is most of the
project again, for each of some three hundred operations. ``Batch`` runs a squash's operations as
one: their state changes are made together and the models they touched (and every model related
to them) are rendered once. On the database each operation runs as itself, in order, with the
same ``database_forwards`` and so the same SQL; between two of them only the models the previous
one touched are rendered again, which is all the schema editor reads.

Used only by the squashed migrations: a database that applied the migrations they replace never
runs it. ``tests/test_squashed_migrations.py`` proves that the schema it builds is the schema of
the old chain, on SQLite and on PostgreSQL. It relies on ``ProjectState._find_reload_model`` and
``ProjectState._reload`` (Django 5.2); that test fails first if a Django upgrade changes them."""

import contextlib

from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.models import CreateModel
from django.db.migrations.operations.special import SeparateDatabaseAndState
from django.db.migrations.state import ProjectState, get_related_models_recursive


def _touched(app_label: str, operation: Operation) -> set[tuple[str, str]] | None:
    """The models whose state an operation changes (None: not known, render everything)."""
    if isinstance(operation, SeparateDatabaseAndState):
        keys: set[tuple[str, str]] = set()
        for inner in operation.state_operations:
            found = _touched(app_label, inner)
            if found is None:
                return None
            keys |= found
        return keys
    name = getattr(operation, "model_name_lower", None) or getattr(operation, "name_lower", None)
    if name is None or type(operation).__name__ in {"RenameModel", "AlterModelTable"}:
        return None
    return {(app_label, name)}


def _forwards_unrendered(app_label: str, operation: Operation, state: ProjectState) -> None:
    """The operation's state change, without Django re-rendering models after it."""
    rendered = state.__dict__.pop("apps", None)
    try:
        operation.state_forwards(app_label, state)
    finally:
        if rendered is not None:
            state.__dict__["apps"] = rendered


class Batch(Operation):
    """Several operations of one app applied as one: one state render, each one's own SQL."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, operations: list[Operation]) -> None:
        self.operations = list(operations)
        super().__init__()

    def deconstruct(self):
        return (self.__class__.__name__, [self.operations], {})

    def _keys(self, app_label: str) -> set[tuple[str, str]] | None:
        keys: set[tuple[str, str]] = set()
        for operation in self.operations:
            found = _touched(app_label, operation)
            if found is None:
                return None
            keys |= found
        return keys

    def state_forwards(self, app_label, state) -> None:
        keys = self._keys(app_label)
        if keys is None or "apps" not in state.__dict__:
            for operation in self.operations:
                operation.state_forwards(app_label, state)
            return
        before = state.apps  # the models as rendered before the batch: who was related to whom
        for operation in self.operations:
            _forwards_unrendered(app_label, operation, state)
        related: set[tuple[str, str]] = set()
        for key in keys:
            if key in state.models:
                related |= state._find_reload_model(*key, delay=False)
                continue
            with contextlib.suppress(LookupError):  # deleted: render again what pointed at it
                related |= get_related_models_recursive(before.get_model(*key))
            related.add(key)
        state._reload(related)
        state.apps.clear_cache()

    def _segments(self) -> list[list[Operation]]:
        """The operations in order, each run of CreateModel as one segment (the squash's models
        are created together: one may point at another created after it)."""
        segments: list[list[Operation]] = []
        for operation in self.operations:
            if (
                segments
                and isinstance(operation, CreateModel)
                and isinstance(segments[-1][0], CreateModel)
            ):
                segments[-1].append(operation)
            else:
                segments.append([operation])
        return segments

    def _step(self, app_label: str, segment: list[Operation], state: ProjectState) -> ProjectState:
        """The state after a segment, with only the models it touched rendered again."""
        after = state.clone()
        keys: set[tuple[str, str]] = set()
        for operation in segment:
            found = _touched(app_label, operation)
            if found is None:
                for each in segment:
                    each.state_forwards(app_label, after)
                return after
            keys |= found
        for operation in segment:
            _forwards_unrendered(app_label, operation, after)
        after._reload(keys)
        after.apps.clear_cache()
        return after

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        state = from_state
        for segment in self._segments():
            after = self._step(app_label, segment, state)
            for operation in segment:
                operation.database_forwards(app_label, schema_editor, state, after)
            state = after

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        segments = self._segments()
        states = [to_state]
        for segment in segments:
            states.append(self._step(app_label, segment, states[-1]))
        for index in reversed(range(len(segments))):
            for operation in reversed(segments[index]):
                operation.database_backwards(
                    app_label, schema_editor, states[index + 1], states[index]
                )

    def references_model(self, name, app_label) -> bool:
        return any(operation.references_model(name, app_label) for operation in self.operations)

    def describe(self) -> str:
        return "; ".join(operation.describe() for operation in self.operations)

    @property
    def migration_name_fragment(self) -> str:
        return "batch"
