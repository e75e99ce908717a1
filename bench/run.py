#!/usr/bin/env python
"""Run every benchmark in bench/ (each prints its own figures as ratios). Not part of CI.

make bench                         # all of them
.venv/bin/python bench/run.py dossier   # the ones whose file name contains "dossier"
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = sys.argv[1:]
    scripts = sorted(
        p
        for p in HERE.glob("*.py")
        # faults.py is the fault suite (`make faults`), not a benchmark
        if p.name not in {"run.py", "__init__.py", "faults.py"} and not p.name.startswith("_")
    )
    if wanted:
        scripts = [p for p in scripts if any(w in p.stem for w in wanted)]
    failures = 0
    for script in scripts:
        print(f"\n=== {script.stem}", flush=True)
        failures += subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
