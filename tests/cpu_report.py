"""CPU time per test (``KEEL_TEST_CPU=<file>``): pytest's ``--durations`` measures wall time,
which on a shared 2-core machine mostly measures the neighbours. This plugin appends one JSON
line per test phase to ``<file>`` (one file per pytest-xdist worker: ``<file>.<worker>``) with
the CPU seconds of the test process and of its PostgreSQL backend, and
``python -m tests.cpu_report <file>...`` sums and ranks them (per test and per file).

The browser's and the servers' own processes are not in it (the totals ``run_tiers.py`` prints
are); a test's share of PostgreSQL is its backend's CPU over the test."""

from __future__ import annotations

import json
import os
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
        yield
        after = _backend_cpu()
        row = {
            "test": item.nodeid,
            "phase": phase,
            "cpu": round(time.process_time() - cpu, 3),
            "pg": round(after - backend, 3) if after >= backend else round(after, 3),
            "wall": round(time.perf_counter() - wall, 3),
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
            sums[0] += row["cpu"]
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
        f"{len(tests)} tests: {total[0]:.1f} s CPU + {total[1]:.1f} s PostgreSQL, {total[2]:.1f} s wall"
    )
    print(f"\nslowest {top} tests (CPU + PostgreSQL):")
    for test, (cpu, pg, wall) in sorted(tests.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:top]:
        print(f"{cpu:7.2f} {pg:6.2f} {wall:7.2f}  {test}")
    print(f"\nslowest {top} files:")
    for name, (cpu, pg, wall, n) in sorted(files.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[
        :top
    ]:
        print(f"{cpu:7.2f} {pg:6.2f} {wall:7.2f} {n:4d}  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
