#!/usr/bin/env python
"""Run the test suite on the best tier this machine offers.

* PostgreSQL: ``DATABASE_URL`` if set, else a throw-away cluster started from ``initdb``/``pg_ctl``
  found on the PATH or under /usr/lib/postgresql (as the ``postgres`` user when run as root).
* Redis: ``REDIS_URL`` if set, else a throw-away ``redis-server`` on a free loopback port.
* Chromium: ``KEEL_CHROMIUM``, else Debian's headless shell (``chromium-headless-shell``), else
  /usr/bin/chromium, for the Playwright tests (``chromium_path``).

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

# Chromium's old headless mode, a build without the browser's UI (Debian's
# chromium-headless-shell; Playwright's own default for headless runs): the same Blink, some
# 35 % less CPU than the full browser in --headless for the same browser tests. The full
# browser is the fallback.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


def chromium_path(env=os.environ) -> str:
    """The Chromium the browser tests drive: ``KEEL_CHROMIUM``, else the first one installed."""
    if env.get("KEEL_CHROMIUM"):
        return env["KEEL_CHROMIUM"]
    return next((p for p in CHROMIUM_CANDIDATES if os.path.exists(p)), CHROMIUM_CANDIDATES[0])


# CPU seconds (user + system) the throw-away servers used, printed at the end: the test
# process's own CPU time (``/usr/bin/time``) does not include them.
SERVER_CPU: dict[str, float] = {}


def process_cpu_seconds(pid: int, *, children: bool) -> float:
    """utime + stime of ``pid`` from /proc (with its reaped children's if ``children``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


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
        try:  # the server's CPU time (its backends are reaped by the postmaster): see main()
            pid = int((data / "postmaster.pid").read_text().split()[0])
            SERVER_CPU["PostgreSQL"] = process_cpu_seconds(pid, children=True)
        except (OSError, ValueError, IndexError):
            pass
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
        SERVER_CPU["Redis"] = process_cpu_seconds(process.pid, children=False)
        process.terminate()
        process.wait(10)

    return f"redis://127.0.0.1:{port}/0", stop


def drop_database(url: str, name: str) -> None:
    """Drop database ``name`` on the server of ``url`` (a run's template database)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"could not drop the template database {name}: {exc}")


def parallel_workers(args: list[str], env: dict[str, str]) -> int:
    """How many pytest-xdist workers: ``KEEL_TEST_WORKERS`` if set, else one per CPU (at most
    2) for the whole suite and 1 for a targeted run (test paths given: starting a second
    worker, with its own database and demo world, costs more than it saves). An explicit
    ``-n``/``--numprocesses`` or ``-p no:xdist`` in the arguments wins."""
    if any(
        a in ("-n", "--numprocesses", "no:xdist", "--pdb")
        or a.startswith(("-n", "--numprocesses="))
        for a in args
    ):
        return 1
    if env.get("KEEL_TEST_WORKERS"):
        return max(1, int(env["KEEL_TEST_WORKERS"]))
    targeted = any(not a.startswith("-") and (ROOT / a.split("::")[0]).exists() for a in args)
    if targeted:
        return 1
    return max(1, min(2, len(os.sched_getaffinity(0))))


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
        chromium = env["KEEL_CHROMIUM"] = chromium_path(env)
        if not os.path.exists(chromium):
            skipped.append(f"browser tier ({chromium} not found): Playwright tests skipped")
        if env.get("DATABASE_URL", "").startswith("postgres"):
            # The processes of this run copy one migrated and seeded test database (see
            # TEMPLATE_DB in tests/conftest.py); dropped at the end.
            env.setdefault("KEEL_TEST_TEMPLATE_DB", f"test_keel_template_{os.getpid()}")
            stops.append(lambda: drop_database(env["DATABASE_URL"], env["KEEL_TEST_TEMPLATE_DB"]))
        env.setdefault("KEEL_DATA_DIR", str(workdir / "data"))
        env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # These machines set PYTHONDONTWRITEBYTECODE: every process of the run (each worker's
        # collection with pytest's assertion rewriting, every gunicorn, Celery and manage.py
        # process a test starts) would compile Keel and the tests from source again. The
        # bytecode goes to the usual __pycache__ folders (ignored by git).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        print("Keel test tiers:")
        print(
            f"  database: {'PostgreSQL ' + env['DATABASE_URL'] if env.get('DATABASE_URL') else 'SQLite'}"
        )
        print(f"  redis:    {env.get('REDIS_URL') or 'none'}")
        print(f"  browser:  {chromium if os.path.exists(chromium) else 'none'}")
        for line in skipped:
            print(f"  SKIPPED {line}")
        sys.stdout.flush()  # before pytest's output, which goes straight to the same file
        args = sys.argv[1:]
        workers = parallel_workers(args, env)
        if workers > 1:
            # loadgroup: tests marked xdist_group("x") run on one worker, in file order. The
            # schemathesis fuzz runs here too: tests/conftest.py gives each of its API
            # operations a node id of its own (pytest 9.2 gave them all one, and pytest-xdist
            # kept one test per node id).
            args = ["-n", str(workers), "--dist", "loadgroup", *args]
        print(f"  workers:  {workers} (pytest-xdist)" if workers > 1 else "  workers:  1")
        sys.stdout.flush()
        result = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)
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
        for name, seconds in SERVER_CPU.items():
            print(f"{name} server CPU time: {seconds:.1f} s")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
