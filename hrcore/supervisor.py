"""A small process supervisor for `make run`: one crashed child is restarted, the rest stay up.

Why not a library: honcho (Procfile runner) stops everything when one process exits and has no
restart; supervisord restarts, but gives a program up for good (FATAL) after ``startretries``
quick failures, backs off only linearly, and needs a generated ini file, a control socket and
log plumbing to give `make run` the same single foreground command with Ctrl-C; circus adds
ZeroMQ. What `make run` needs is ~100 lines: start, restart with exponential backoff (reset
after a stable run), clean up a dead child's orphans, stop everything on Ctrl-C/SIGTERM.
No Django here, so it can be tested with tiny dummy children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0
    restart_at: float | None = None
    exits: list[int] = field(default_factory=list)


class Supervisor:
    """Run children; restart one that exits (backoff ``initial``·2ⁿ up to ``maximum`` seconds,
    back to ``initial`` after it ran ``stable`` seconds); stop all on SIGINT/SIGTERM."""

    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        initial: float = 1.0,
        maximum: float = 30.0,
        stable: float = 60.0,
        grace: float = 15.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.children = {name: Child(name, list(argv)) for name, argv in commands.items()}
        self.env = dict(env if env is not None else os.environ)
        self.initial, self.maximum, self.stable, self.grace = initial, maximum, stable, grace
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.stopping = False

    def _start(self, child: Child) -> None:
        # Own session: Ctrl-C in the terminal reaches only us, and we stop the children in order.
        child.process = subprocess.Popen(child.argv, env=self.env, start_new_session=True)
        child.started_at = time.monotonic()
        child.restart_at = None

    def _reap(self, child: Child, code: int) -> None:
        child.exits.append(code)
        # A `kill -9` leaves the child's own children (e.g. Celery's pool) orphaned: end them.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        ran = time.monotonic() - child.started_at
        child.backoff = (
            self.initial if ran >= self.stable or not child.backoff else child.backoff * 2
        )
        child.backoff = min(child.backoff, self.maximum)
        child.restart_at = time.monotonic() + child.backoff
        child.process = None
        self.log(
            f"{child.name} exited with {code} after {ran:.0f} s; "
            f"restarting in {child.backoff:g} s (the others keep running)"
        )

    def request_stop(self, *_args) -> None:
        self.stopping = True

    def run(self, *, on_started: Callable[[], None] | None = None, poll: float = 0.2) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        for child in self.children.values():
            self._start(child)
        if on_started:
            on_started()
        while not self.stopping:
            now = time.monotonic()
            for child in self.children.values():
                if child.process is not None:
                    code = child.process.poll()
                    if code is not None:
                        self._reap(child, code)
                elif child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self.log(f"restarting {child.name} (restart {child.restarts})")
                    self._start(child)
            time.sleep(poll)
        return self.stop()

    def stop(self) -> int:
        running = [c.process for c in self.children.values() if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.terminate()  # each main process shuts its own children down cleanly
        deadline = time.monotonic() + self.grace
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # stragglers and orphans
        return 0
