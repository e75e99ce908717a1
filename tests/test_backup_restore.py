"""The backup service's scripts, run for real against PostgreSQL (the restore procedure of the
README): backup.sh writes a dump and a media archive and applies the retention; after the data
changed, restore.sh brings back the database and the media exactly as they were."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.postgres


@pytest.fixture
def scratch_database():
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"keel_backup_{secrets.token_hex(4)}"
    maintenance = url._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url._replace(path=f"/{name}").geturl(), name
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq_env(url: str, name: str, tmp_path: Path) -> dict:
    parts = urlsplit(url)
    return {
        "PATH": os.environ["PATH"],
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGPASSWORD": parts.password or "",
        "PGDATABASE": name,
        "KEEL_BACKUP_DIR": str(tmp_path / "backups"),
        "KEEL_MEDIA_DIR": str(tmp_path / "media"),
        "KEEL_BACKUP_KEEP_DAYS": "14",
    }


def _script(name: str, env: dict, *args: str) -> str:
    result = subprocess.run(
        ["sh", str(ROOT / "deploy" / name), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore")
def test_backup_then_restore_brings_back_database_and_media(scratch_database, tmp_path):
    import psycopg

    url, name = scratch_database
    env = _libpq_env(url, name, tmp_path)
    media = tmp_path / "media"
    (media / "deliverables").mkdir(parents=True)
    (media / "deliverables" / "payment-records.pdf").write_bytes(b"%PDF-1.4 records")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE crisis (id int primary key, title text)")
        conn.execute("INSERT INTO crisis VALUES (1, '催收人员到场 / Collectors on site')")
    backups = tmp_path / "backups"
    backups.mkdir()
    # An old backup pair beyond the retention goes; the fresh one stays.
    old = [backups / "keel-20200101T000000Z.dump", backups / "media-20200101T000000Z.tar.gz"]
    for path in old:
        path.write_bytes(b"old")
        past = time.time() - 30 * 86400
        os.utime(path, (past, past))

    _script("backup.sh", env | {"KEEL_BACKUP_ONCE": "1"})
    dumps = sorted(backups.glob("keel-*.dump"))
    assert len(dumps) == 1 and not any(p.exists() for p in old)
    assert len(list(backups.glob("media-*.tar.gz"))) == 1
    assert not list(backups.glob(".*part"))

    # Things go wrong after the backup: a row lost, a row added, a file deleted.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM crisis WHERE id = 1")
        conn.execute("INSERT INTO crisis VALUES (2, 'after the backup')")
    (media / "deliverables" / "payment-records.pdf").unlink()
    (media / "stray.txt").write_text("written after the backup")

    out = _script("restore.sh", env, "latest")
    assert "restored" in out
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, title FROM crisis ORDER BY id").fetchall()
    assert rows == [(1, "催收人员到场 / Collectors on site")]
    assert (media / "deliverables" / "payment-records.pdf").read_bytes() == b"%PDF-1.4 records"
    assert not (media / "stray.txt").exists()


def test_restore_of_an_unknown_backup_fails_and_changes_nothing(tmp_path):
    env = {"PATH": os.environ["PATH"], "KEEL_BACKUP_DIR": str(tmp_path), "PGDATABASE": "x"}
    result = subprocess.run(
        ["sh", str(ROOT / "deploy" / "restore.sh"), "20990101T000000Z"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "no such backup" in result.stderr
