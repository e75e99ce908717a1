"""Claiming work once: the loop every tick sweep shares (``fire_each``) and the insert that
claims a unique key (``insert_once``).

``fire_each`` fires each due row once, in its own transaction.

A sweep reads its due rows, then for each calls ``fire(row)``, which first *claims* the row with
a compare-and-set update (``filter(pk=…, <state as read>).update(<next state>)``) and returns
False when that moved nothing — another sweep, a doubled tick or a user got there first — and
only then writes its timeline entries, notifications and outbox rows. ``fire_each`` runs each
``fire`` in its own transaction, so a row that fails is rolled back (its claim too: it is tried
again on the next tick), logged, and never stops the others."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import IntegrityError, models, transaction

logger = logging.getLogger(__name__)

Row = TypeVar("Row")


def fire_each(rows: Iterable[Row], fire: Callable[[Row], bool], *, what: str) -> int:
    """Call ``fire(row)`` for each row in its own transaction; how many fired (returned True).
    ``what`` names the rows in the log line of a failure ("statutory clock", "drill booking")."""
    fired = 0
    for row in rows:
        try:
            with transaction.atomic():
                fired += bool(fire(row))
        except Exception:  # one broken row never blocks the others
            logger.exception("%s %s failed to fire", what, getattr(row, "pk", row))
    return fired


Model = TypeVar("Model", bound=models.Model)


def insert_once(model: type[Model], **fields) -> Model | None:
    """Insert a row whose unique constraint claims something — an outbox dedupe key, an API
    ``Idempotency-Key``, an inbound webhook's delivery id — in its own savepoint: the new row,
    or None when a row with that key exists (on PostgreSQL the insert first waits for a
    concurrent transaction holding the key). The caller's transaction goes on either way."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        return None
