#!/usr/bin/env python
"""Run the test suite on the best tier this machine offers.

* PostgreSQL: ``DATABASE_URL`` if set, else a throw-away cluster started from ``initdb``/``pg_ctl``
  found on the PATH or under /usr/lib/postgresql (as the ``postgres`` user when run as root).
* Redis: ``REDIS_URL`` if set, else a throw-away ``redis-server`` on a free loopback port.
* Chromium: /usr/bin/chromium (or ``KEEL_CHROMIUM``) for the Playwright tests.

Whatever is missing is skipped and said plainly. pytest's "no tests ran" (exit 5) is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start_postgres(workdir: Path) -> tuple[str, callable] | None:
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not (initdb and pg_ctl):
        return None
    if (
        os.geteuid() == 0
        and subprocess.run(["id", "postgres"], capture_output=True).returncode != 0
    ):
        return None
    data = workdir / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(
        as_postgres(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    subprocess.run(
        as_postgres(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )

    def stop():
        subprocess.run(
            as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return f"postgres://postgres@127.0.0.1:{port}/keel", stop


def start_redis() -> tuple[str, callable] | None:
    server = shutil.which("redis-server")
    if not server:
        return None
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)

    def stop():
        process.terminate()
        process.wait(10)

    return f"redis://127.0.0.1:{port}/0", stop


def main() -> int:
    env = dict(os.environ)
    stops = []
    workdir = Path(tempfile.mkdtemp(prefix="keel-tests-"))
    skipped = []
    try:
        if not env.get("DATABASE_URL") and env.get("KEEL_TEST_TIER") != "sqlite":
            started = start_postgres(workdir)
            if started:
                env["DATABASE_URL"], stop = started
                stops.append(stop)
        if not env.get("DATABASE_URL"):
            why = (
                "KEEL_TEST_TIER=sqlite"
                if env.get("KEEL_TEST_TIER") == "sqlite"
                else "no DATABASE_URL and no initdb/pg_ctl found"
            )
            skipped.append(f"PostgreSQL tier ({why}): running on SQLite")
        if not env.get("REDIS_URL") and env.get("KEEL_TEST_TIER") != "sqlite":
            started = start_redis()
            if started:
                env["REDIS_URL"], stop = started
                stops.append(stop)
        if not env.get("REDIS_URL"):
            why = (
                "KEEL_TEST_TIER=sqlite"
                if env.get("KEEL_TEST_TIER") == "sqlite"
                else "no REDIS_URL and no redis-server found"
            )
            skipped.append(f"Redis tier ({why}): Redis tests skipped")
        chromium = env.get("KEEL_CHROMIUM", "/usr/bin/chromium")
        if not os.path.exists(chromium):
            skipped.append(f"browser tier ({chromium} not found): Playwright tests skipped")
        env.setdefault("KEEL_DATA_DIR", str(workdir / "data"))
        env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        print("Keel test tiers:")
        print(
            f"  database: {'PostgreSQL ' + env['DATABASE_URL'] if env.get('DATABASE_URL') else 'SQLite'}"
        )
        print(f"  redis:    {env.get('REDIS_URL') or 'none'}")
        print(f"  browser:  {chromium if os.path.exists(chromium) else 'none'}")
        for line in skipped:
            print(f"  SKIPPED {line}")
        sys.stdout.flush()  # before pytest's output, which goes straight to the same file
        result = subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]], cwd=ROOT, env=env)
        code = result.returncode
        if code == 5:
            print("pytest collected no tests: treating as a failure.")
            code = 1
        for line in skipped:
            print(f"SKIPPED {line}")
        return code
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
