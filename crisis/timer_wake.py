"""Waking the timer loop on SQLite (issue 12 §5): the embedded default's counterpart of the
PostgreSQL statement trigger that sends ``NOTIFY keel_timers`` (migration 0009).

SQLite has no notifications between processes, so a statement that writes task timers — an
``INSERT`` into the task table, or an ``UPDATE`` of one of the timer columns, the trigger's very
condition — schedules a touch of a small file in the data folder after its transaction commits
(``transaction.on_commit``; nothing on rollback, once per transaction). The timer loop
(``crisis.timer_loop.FileWaiter``) watches that file's modification time with a ``stat`` every
``FILE_CHECK_SECONDS`` — no database query — and looks at the database again only when it
changed, when the next due row falls due, or after ``FILE_MAX_SLEEP_SECONDS``.

Installed on every SQLite connection as an execute wrapper (``connection_created``); a no-op on
PostgreSQL, where the trigger does it.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# What the PostgreSQL trigger watches: INSERT into crisis_task, UPDATE OF these columns.
_TIMER_WRITE = re.compile(
    r'^\s*(INSERT\s+INTO\s+"crisis_task"\s|UPDATE\s+"crisis_task"\s+SET\s.*"'
    r'(timer_state|warn_at|due_at|escalate_at|fire_retry_at)"\s*=)',
    re.IGNORECASE | re.DOTALL,
)


def wake_file() -> Path:
    """The file whose modification time says "task timers changed" (in the data folder)."""
    return Path(settings.DATA_DIR) / "timers.wake"


def wake_mark() -> int:
    """The wake file's modification time in ns (0 while it does not exist)."""
    try:
        return os.stat(wake_file()).st_mtime_ns
    except OSError:
        return 0


def wake_publish() -> None:
    """Touch the wake file: a sleeping timer loop looks at the database again. Never raises (a
    wake-up lost costs lateness, bounded by the loop's longest sleep and the beat tick)."""
    path = wake_file()
    try:
        path.touch()
        os.utime(path)  # a fresh mtime even when touch() kept the old one on some filesystems
    except OSError:
        logger.warning("could not touch the timer wake file %s", path, exc_info=True)


def writes_timers(sql: str) -> bool:
    """Whether ``sql`` writes task timers (the trigger's condition)."""
    return bool(_TIMER_WRITE.match(sql))


class _TimerWriteWatcher:
    """Execute wrapper: after a statement writing task timers, a wake-up at commit (once per
    transaction — a rollback drops it with the transaction's other callbacks; in autocommit, at
    once)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and writes_timers(sql):
            connection = self.connection
            if not connection.in_atomic_block:
                wake_publish()
            elif not any(item[1] == wake_publish for item in connection.run_on_commit):
                transaction.on_commit(wake_publish, using=connection.alias)
        return result


def install(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: watch this SQLite connection's timer writes."""
    if connection.vendor != "sqlite":
        return
    if any(isinstance(w, _TimerWriteWatcher) for w in connection.execute_wrappers):
        return
    connection.execute_wrappers.append(_TimerWriteWatcher(connection))
