"""kombu's filesystem transport, made safe for the embedded default (`make run`).

Where stock kombu 5.7 fails (kombu/transport/filesystem.py):

* ``Channel._put`` creates ``<time>_<uuid>.<queue>.msg`` in the queue folder and only then
  writes the JSON into it, so a consumer's ``_get`` (which lists the folder, moves the first
  file away and reads it) can pick up the file while it is still empty or half written;
* ``Channel._get`` then calls ``loads(b"")`` — the ``JSONDecodeError`` escapes into the worker's
  consumer and the Celery worker exits ("Unrecoverable error"), and the half-written message is
  lost (the consumer already removed the file it moved to the temp folder);
* a file left empty or truncated by a writer killed mid-write stops every later worker the same
  way, because it sorts first.

This transport writes each message to a hidden temporary name and renames it into place (a
rename is atomic within one folder, so readers only ever see whole messages), and its ``_get``
never lets one unreadable file stop delivery: a file that does not parse is moved back if it is
younger than ``grace`` seconds (an old-style writer may still be writing it), otherwise moved to
a ``quarantine`` folder beside the queue and logged; the next good message is delivered.

Registered as the ``keelfs://`` transport (settings use it for the embedded default).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import uuid
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

#: a message file younger than this that does not parse may still be being written
DEFAULT_GRACE_SECONDS = 10.0


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Write the message whole, then rename it into the queue folder (atomic)."""
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    @property
    def _claim_folder(self) -> str:
        # The claimed file must stay on the queue's file system: a move to /tmp on another
        # file system is a copy, and an old-style writer's later bytes would be lost.
        folder = self.processed_folder if self.store_processed else self._sibling("claimed")
        os.makedirs(folder, exist_ok=True)
        return folder

    @property
    def _quarantine_folder(self) -> str:
        folder = self.transport_options.get("quarantine_folder") or self._sibling("quarantine")
        os.makedirs(folder, exist_ok=True)
        return folder

    def _sibling(self, name: str) -> str:
        return os.path.join(os.path.dirname(os.path.abspath(self.data_folder_in)), name)

    @property
    def _grace(self) -> float:
        return float(self.transport_options.get("grace_seconds", DEFAULT_GRACE_SECONDS))

    def _get(self, queue):
        """Next whole message of ``queue``; unreadable files are skipped, never fatal."""
        queue_find = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.startswith(".") or filename.partition(".")[2] != queue_find:
                continue
            source = os.path.join(self.data_folder_in, filename)
            claimed = os.path.join(self._claim_folder, filename)
            try:
                os.rename(source, claimed)  # the claim: only one consumer wins the rename
            except OSError:
                continue  # taken by another consumer in the meantime
            try:
                with open(claimed, "rb") as f:
                    raw = f.read()
                modified = os.stat(claimed).st_mtime
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            try:
                message = loads(bytes_to_str(raw)) if raw.strip() else None
            except ValueError:
                message = None
            if not isinstance(message, dict):
                self._set_aside(filename, claimed, source, size=len(raw), modified=modified)
                continue
            if not self.store_processed:
                with contextlib.suppress(OSError):
                    os.remove(claimed)
            return message
        raise Empty()

    def _set_aside(self, filename, claimed, source, *, size, modified) -> None:
        age = time.time() - modified
        if age < self._grace:
            try:
                os.rename(claimed, source)  # maybe still being written: look again later
                return
            except OSError:
                pass
        target = os.path.join(self._quarantine_folder, filename)
        try:
            shutil.move(claimed, target)
        except OSError:
            target = "(could not move it; removed)"
            with contextlib.suppress(OSError):
                os.remove(claimed)
        logger.error(
            "broker: message file %s is unreadable (%d bytes, %.0f s old); quarantined to %s",
            filename,
            size,
            age,
            target,
        )


class Transport(filesystem.Transport):
    """kombu's filesystem transport with atomic writes and a quarantine for unreadable files."""

    Channel = Channel
    # Its own broker state (kombu keeps one per transport class).
    global_state = filesystem.virtual.BrokerState()


TRANSPORT_ALIASES.setdefault("keelfs", "hrcore.broker:Transport")
