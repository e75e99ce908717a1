"""docs/settings.md names every environment variable the settings read and docker-compose.yml
refers to: one reference, never out of date."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "settings.md").read_text()
DOCUMENTED = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", DOC))


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def variables_read(source: str) -> set[str]:
    """Names in ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``,
    ``env_bool("X")``, ``env_list("X")``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func, first = node.func, node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            by_name = isinstance(func, ast.Name) and func.id in {"env_bool", "env_list"}
            by_getenv = isinstance(func, ast.Attribute) and func.attr == "getenv"
            by_environ = (
                isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)
            )
            if by_name or by_getenv or by_environ:
                found.add(first.value)
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    return found


def test_the_scanner_finds_every_form_of_read():
    source = (
        'import os\nA = os.environ.get("ONE", "x")\nB = os.environ["TWO"]\n'
        'C = env_bool("THREE", False)\nD = env_list("FOUR")\nE = os.getenv("FIVE")\n'
    )
    assert variables_read(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_every_variable_the_settings_read_is_documented():
    read = set()
    for path in (ROOT / "hrcore" / "settings").glob("*.py"):
        read |= variables_read(path.read_text())
    assert len(read) > 30
    assert read - DOCUMENTED == set(), "add these to docs/settings.md"


def test_every_variable_compose_refers_to_is_documented():
    compose = (ROOT / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose))
    referenced |= set(re.findall(r"^\s+([A-Z][A-Z0-9_]+):", compose, re.MULTILINE))
    referenced -= {"POSTGRES_USER", "POSTGRES_DB", "PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE"}
    assert referenced - DOCUMENTED == set(), "add these to docs/settings.md"


def test_every_bootstrap_and_backup_variable_is_documented():
    sources = [
        ROOT / "hrcore" / "management" / "commands" / "keel_bootstrap.py",
    ]
    read = set()
    for path in sources:
        read |= variables_read(path.read_text())
    for script in ("backup.sh", "restore.sh"):
        read |= set(re.findall(r"\$\{(KEEL_[A-Z0-9_]+)", (ROOT / "deploy" / script).read_text()))
    assert read and read - DOCUMENTED == set(), "add these to docs/settings.md"
