"""Packaging: what is imported is declared, what is declared is locked, importing settings
writes nothing, and `init_data_dir` prepares the data folder once."""

from __future__ import annotations

import ast
import importlib.metadata
import io
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
APPS = ("hrcore", "responsibilities", "crisis", "integrations", "competency")


def _name(value: str) -> str:
    return re.sub(r"[-_.]+", "-", value).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)$")


def _pins(lines: list[str]) -> dict[str, str]:
    """``name → version`` of pyproject requirements, each an exact pin (the project's rule)."""
    pins = {}
    for line in lines:
        match = PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        pins[_name(match.group(1))] = match.group(2)
    return pins


def _declared(*, dev: bool = True) -> dict[str, str]:
    project = _project()
    lines = list(project["dependencies"])
    if dev:
        lines += [req for group in project["optional-dependencies"].values() for req in group]
    return _pins(lines)


def _locked(path: Path) -> dict[str, str]:
    """``name → version`` of a pip-compatible lock file (``name==version ; markers \\``)."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _python_files() -> list[Path]:
    """The repository's own Python files (not the virtualenv, data or build folders)."""
    skip = {".venv", "data", "build", "node_modules", ".git", "__pycache__"}
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [s for s in subfolders if s not in skip and not s.endswith(".egg-info")]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return found


def _imported_top_level_modules() -> dict[str, set[str]]:
    """Absolute imports of the repository's own code (apps, tests, bench, manage.py)."""
    found: dict[str, set[str]] = {}
    for path in _python_files():
        relative = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(relative))
    return found


def test_every_imported_third_party_package_is_declared():
    local = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    local |= {p.stem for p in ROOT.glob("*.py")} | {"bench"}
    distributions = importlib.metadata.packages_distributions()
    declared = set(_declared())
    undeclared = {}
    for module, files in _imported_top_level_modules().items():
        if module in sys.stdlib_module_names or module in local or module == "__future__":
            continue
        owners = distributions.get(module)
        assert owners, f"{module} (imported in {sorted(files)[:3]}) is not installed"
        if not any(_name(owner) in declared for owner in owners):
            undeclared[module] = sorted(files)[:3]
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_lock_files_pin_what_pyproject_declares(lock):
    """A dependency added to pyproject.toml without `make lock` would not be installed by
    `make install` (the project itself is installed with --no-deps)."""
    locked = _locked(ROOT / lock)
    wanted = _declared(dev=lock == "requirements-dev.lock")
    stale = {name: (version, locked.get(name)) for name, version in wanted.items()}
    stale = {name: pair for name, pair in stale.items() if pair[0] != pair[1]}
    assert not stale, f"{lock} is out of date, run `make lock`: (declared, locked) {stale}"


def test_both_lock_files_agree_on_shared_pins():
    runtime, dev = _locked(ROOT / "requirements.lock"), _locked(ROOT / "requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime


def test_lock_files_carry_hashes():
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text()
        assert text.count("==") <= text.count("--hash=sha256:"), lock


def test_packages_and_their_data_are_declared():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = setuptools["packages"]["find"]["include"]
    for app in APPS:
        assert f"{app}*" in include
    patterns = setuptools["package-data"]["*"]
    for folder in ("templates", "static", "locale"):
        assert f"{folder}/**/*" in patterns


# A fresh process per settings module: importing them is what is under test.
SETTINGS_PROBE = """
import django
django.setup()
from django.conf import settings
from django.core import signing
try:
    signing.dumps(1)
    print("key:" + settings.SECRET_KEY)
except Exception as exc:
    print("refused:" + str(exc))
"""


def _settings_probe(data_dir: Path, settings_module: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "KEEL_SQLITE_PATH"}
    }
    env.update({"KEEL_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": settings_module})
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_importing_the_test_settings_writes_no_files(tmp_path):
    assert _settings_probe(tmp_path / "data", "hrcore.settings.test").startswith("key:")
    assert list(tmp_path.iterdir()) == []


def test_init_data_dir_prepares_the_data_folder_once_and_keeps_its_secret_key(tmp_path, settings):
    data_dir = tmp_path / "data"
    # Importing the settings writes nothing; before the explicit step there is no key, and Django
    # refuses to sign rather than use a key made up per process.
    probe = _settings_probe(data_dir, "hrcore.settings.local")
    assert probe == "refused:The SECRET_KEY setting must not be empty."
    assert list(tmp_path.iterdir()) == []

    broker = data_dir / "broker"
    settings.DATA_DIR, settings.SECRET_KEY_FILE = data_dir, data_dir / "secret_key"
    settings.STATIC_ROOT = data_dir / "static"
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "control_folder": str(broker / "control"),
    }
    call_command("init_data_dir", stdout=io.StringIO())
    key_file = data_dir / "secret_key"
    key = key_file.read_text()
    assert len(key) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    for folder in ("static", "broker/queue", "broker/processed", "broker/control"):
        assert (data_dir / folder).is_dir(), folder
    call_command("init_data_dir", stdout=io.StringIO())
    assert key_file.read_text() == key  # kept across runs, never regenerated

    # The next process (make run's web server, worker, beat) reads that key.
    assert _settings_probe(data_dir, "hrcore.settings.local") == f"key:{key}"
