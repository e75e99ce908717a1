"""`make run`'s supervisor: a child killed with SIGKILL is restarted, the others keep running,
and SIGINT (Ctrl-C) still stops everything. Runs the supervisor with tiny dummy children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each dummy child appends its pid to <dir>/<name>.pids and sleeps (bounded: 120 s).
CHILD = "import os,sys,time; open(sys.argv[1],'a').write(f'{os.getpid()}\\n'); time.sleep(120)"

SUPERVISE = """
import sys
from hrcore.supervisor import Supervisor
folder = sys.argv[1]
child = [sys.executable, "-c", {child!r}]
sup = Supervisor(
    {{name: [*child, f"{{folder}}/{{name}}.pids"] for name in ("worker", "web", "beat")}},
    initial=0.2, maximum=1.0, grace=5,
)
sys.exit(sup.run(poll=0.05))
"""


def _pids(folder: Path, name: str) -> list[int]:
    path = folder / f"{name}.pids"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _wait(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive: read its state
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_child_killed_with_sigkill_is_restarted_and_the_others_keep_running(tmp_path):
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE.format(child=CHILD), str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        names = ("worker", "web", "beat")
        assert _wait(lambda: all(_pids(tmp_path, n) for n in names)), "children never started"
        first = {n: _pids(tmp_path, n)[0] for n in names}

        os.kill(first["worker"], signal.SIGKILL)
        assert _wait(lambda: len(_pids(tmp_path, "worker")) == 2), "worker was not restarted"
        assert _alive(_pids(tmp_path, "worker")[1])
        # the others were never restarted and still run; the supervisor too
        assert _pids(tmp_path, "web") == [first["web"]] and _alive(first["web"])
        assert _pids(tmp_path, "beat") == [first["beat"]] and _alive(first["beat"])
        assert supervisor.poll() is None

        # killed again right away: restarted again (with a longer backoff)
        os.kill(_pids(tmp_path, "worker")[1], signal.SIGKILL)
        assert _wait(lambda: len(_pids(tmp_path, "worker")) == 3), "no second restart"

        # Ctrl-C stops everything cleanly
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=30) == 0
        for name in names:
            assert not _alive(_pids(tmp_path, name)[-1])
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        for name in ("worker", "web", "beat"):
            for pid in _pids(tmp_path, name):
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
    output = supervisor.stdout.read().decode()
    assert "worker exited with -9" in output
