"""The reach benchmark at CI size (issue 13): bench/reach.py's roll call to 30 people through the
sandbox providers over real HTTP (Keel under gunicorn, the sandbox in its own process, two
workers, one killed with SIGKILL mid-run): every message leaves, nobody receives one twice, the
ledger has one row per person and channel, and every answer given is recorded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.xdist_group(name="reach-bench")
def test_a_roll_call_through_the_sandbox_with_a_worker_killed_sends_nothing_twice():
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "reach.py"),
            "--people",
            "30",
            "--think",
            "0.5",
            "--silent",
            "0",
            "--timeout",
            "240",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(lines[-1])
    assert figures["killed_worker_at_s"] is not None  # a worker was killed mid-run
    assert figures["duplicates"] == 0, figures
    assert figures["ledger_rows_twice"] == 0, figures
    # A DingTalk send cut short by the kill is not resent (DingTalk does not dedupe): at most
    # that one person may lack the message.
    cut_short = figures["not_resent_after_kill"]
    assert cut_short <= 1, figures
    assert figures["all_sent_s"] is not None, figures
    assert figures["provider_messages"] >= 30 - cut_short, figures
    assert figures["answers_lost"] == 0, figures
    assert figures["answered"] >= 30 - cut_short and not figures["timed_out"], figures
    assert run.returncode == 0, run.stdout[-3000:]
