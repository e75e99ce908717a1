"""CPU time per test (``KEEL_TEST_CPU=<file>``): pytest's ``--durations`` measures wall time,
which on a shared 2-core machine mostly measures the neighbours. This plugin appends one JSON
line per test phase to ``<file>`` (one file per pytest-xdist worker: ``<file>.<worker>``) with
the CPU seconds of the test process and of its PostgreSQL backend, and
``python -m tests.cpu_report <file>...`` sums and ranks them (per test and per file);
``python -m tests.cpu_report --idle <file>...`` shows the machine's idle CPU over the run, in
10-second windows, with the test files that ended in each.

The browser's and the servers' own processes are not in it (the totals ``run_tiers.py`` prints
are), except the CPU of processes a test started and waited for (``children``); a test's share
of PostgreSQL is its backend's CPU over the test."""

from __future__ import annotations

import itertools
import json
import os
import resource
import sys
import time
from pathlib import Path

import pytest


def _backend_cpu() -> float:
    """CPU seconds of this process's PostgreSQL backend so far (0 without one)."""
    try:
        from django.db import connection

        raw = connection.connection
        pid = raw.info.backend_pid if raw is not None and connection.vendor == "postgresql" else 0
    except Exception:  # no Django, no connection: nothing to measure
        return 0.0
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _uptime() -> float:
    """Seconds since boot: the same clock in every worker, and one no test can travel."""
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return 0.0


def _machine_idle() -> float:
    """Idle CPU-seconds of the whole machine since boot (all cores; /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    return round((int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK"), 2)


class CpuReport:
    def __init__(self, path: str) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        self.file = open(f"{path}.{worker}" if worker else path, "a")  # noqa: SIM115

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._measure(item, "setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._measure(item, "call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        yield from self._measure(item, "teardown")

    def _measure(self, item, phase: str):
        cpu, wall, backend = time.process_time(), time.perf_counter(), _backend_cpu()
        children = _children_cpu()
        yield
        after = _backend_cpu()
        row = {
            "test": item.nodeid,
            "phase": phase,
            "cpu": round(time.process_time() - cpu, 3),
            "pg": round(after - backend, 3) if after >= backend else round(after, 3),
            "wall": round(time.perf_counter() - wall, 3),
            # Processes reaped during the phase: those the test started and waited for, and any
            # long-lived one that ended in it (a browser a module launched, for instance).
            "children": round(_children_cpu() - children, 3),
            # When it ended, and the machine's idle CPU-seconds so far: a run's idle periods,
            # and what was running in them (``idle_report``).
            "end": _uptime(),
            "idle": _machine_idle(),
        }
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()

    def pytest_unconfigure(self, config):
        self.file.close()


def pytest_configure(config):
    path = os.environ.get("KEEL_TEST_CPU")
    if path:
        config.pluginmanager.register(CpuReport(path), "keel-cpu-report")


def main(paths: list[str], top: int = 40) -> None:
    tests: dict[str, list[float]] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            row = json.loads(line)
            sums = tests.setdefault(row["test"], [0.0, 0.0, 0.0])
            sums[0] += row["cpu"] + row.get("children", 0.0)
            sums[1] += row["pg"]
            sums[2] += row["wall"]
    files: dict[str, list[float]] = {}
    for test, (cpu, pg, wall) in tests.items():
        sums = files.setdefault(test.split("::")[0], [0.0, 0.0, 0.0, 0])
        sums[0] += cpu
        sums[1] += pg
        sums[2] += wall
        sums[3] += 1
    total = [sum(v[i] for v in tests.values()) for i in range(3)]
    print(
        f"{len(tests)} tests: {total[0]:.1f} s CPU (with the processes they waited for)"
        f" + {total[1]:.1f} s PostgreSQL, {total[2]:.1f} s wall"
    )
    print(f"\nslowest {top} tests (CPU + PostgreSQL):")
    for test, (cpu, pg, wall) in sorted(tests.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:top]:
        print(f"{cpu:7.2f} {pg:6.2f} {wall:7.2f}  {test}")
    print(f"\nslowest {top} files:")
    for name, (cpu, pg, wall, n) in sorted(files.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[
        :top
    ]:
        print(f"{cpu:7.2f} {pg:6.2f} {wall:7.2f} {n:4d}  {name}")


def idle_report(paths: list[str], window: float = 10.0) -> None:
    """The machine's idle CPU-seconds in each ``window`` of the run and the tests that ended
    in it, from the rows' end times and idle counters (all workers' files together)."""
    rows = sorted(
        (json.loads(line) for path in paths for line in Path(path).read_text().splitlines()),
        key=lambda row: row["end"],
    )
    rows = [row for row in rows if "end" in row]
    if len(rows) < 2:
        return
    start = rows[0]["end"]
    print(f"\nidle CPU-seconds per {window:.0f} s of the run (2 cores: at most {2 * window:.0f}):")
    buckets: dict[int, list] = {}
    for before, row in itertools.pairwise(rows):
        bucket = buckets.setdefault(int((row["end"] - start) // window), [0.0, set()])
        bucket[0] += row["idle"] - before["idle"]
        bucket[1].add(row["test"].split("::")[0].removeprefix("tests/"))
    for number, (idle, names) in sorted(buckets.items()):
        print(f"{number * window:5.0f} s {idle:5.1f}  {' '.join(sorted(names))[:120]}")
    total = rows[-1]["idle"] - rows[0]["idle"]
    print(f"idle over the run: {total:.1f} of {2 * (rows[-1]['end'] - start):.1f} CPU-seconds")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--idle"]:
        idle_report(sys.argv[2:])
    else:
        main(sys.argv[1:])
