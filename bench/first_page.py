#!/usr/bin/env python
"""The first page after `make run` (issue 12, item 4): the embedded default (SQLite, filesystem
broker, worker + beat, demo data) from a fresh data folder, as `make run` does it —
init_data_dir, migrate, compile_translations, collectstatic, seed_demo, reach_sandbox_channels,
run_keel — then the time of the very first requests: the log-in page, and the first crisis page
a freshly logged-in manager opens.

    .venv/bin/python bench/first_page.py        (or: bench/run.py first_page)
"""

from __future__ import annotations

import os
import re
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


def main() -> int:
    import httpx

    data = tempfile.mkdtemp(prefix="keel-bench-first-")
    port, sandbox = free_port(), free_port()
    env = {
        **os.environ,
        "KEEL_DATA_DIR": data,
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.local",
        "KEEL_SANDBOX_PORT": str(sandbox),
        "KEEL_SANDBOX_URL": f"http://127.0.0.1:{sandbox}",
    }
    for var in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(var, None)
    manage = [sys.executable, "manage.py"]
    t = time.perf_counter()
    for step in (  # as `make run` does it (the Makefile's run target)
        ["init_data_dir"],  # the data folder, the broker's folders and the secret key
        ["migrate", "--noinput", "-v0"],
        ["compile_translations"],
        ["collectstatic", "--noinput", "-v0"],
        ["seed_demo"],
        ["reach_sandbox_channels"],
    ):
        subprocess.run(manage + step, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    setup = time.perf_counter() - t
    log = Path(data) / "run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*manage, "run_keel", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        t = time.perf_counter()
        while "Keel is running" not in log.read_text():
            if time.perf_counter() - t > 120 or proc.poll() is not None:
                print(log.read_text()[-2000:])
                return 1
            time.sleep(0.05)
        ready = time.perf_counter() - t
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            while True:  # the web server's socket is open once run_keel says so; wait for it
                try:
                    t = time.perf_counter()
                    first = client.get("/accounts/login/")
                    first_login = time.perf_counter() - t
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.text).group(1)
            t = time.perf_counter()
            posted = client.post(
                "/accounts/login/",
                data={"login": "manager", "password": "keel-demo", "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/accounts/login/"},
                follow_redirects=False,
            )
            login_only = time.perf_counter() - t
            t = time.perf_counter()
            landed = client.get(posted.headers.get("location", "/"))
            landing = time.perf_counter() - t
            login_post = login_only + landing
            t = time.perf_counter()
            crises = client.get("/crises/")
            first_list = time.perf_counter() - t
        print(
            f"make run steps (migrate, translations, static, seed) {setup:.1f} s; "
            f"run_keel ready {ready:.1f} s later"
        )
        print(
            f"  first page (log-in form, cold worker)   {first_login * 1000:7.0f} ms  {first.status_code}"
        )
        print(
            f"  log-in POST → landing page              {login_post * 1000:7.0f} ms  {landed.status_code}"
            f"  (the POST {login_only * 1000:.0f} ms, including the password hash; "
            f"the landing page {landing * 1000:.0f} ms)"
        )
        print(
            f"  first crisis list                       {first_list * 1000:7.0f} ms  {crises.status_code}"
        )
        worst = max(first_login, login_post, first_list)
        print(
            f"  worst of the three {worst * 1000:.0f} ms ({'under' if worst < 1 else 'OVER'} 1 s)"
        )
        return 0 if first.status_code == 200 and crises.status_code == 200 else 1
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


if __name__ == "__main__":
    sys.exit(main())
