"""Backup and restore, as the README documents them: a dump of a seeded database
restores into a fresh one where the audit chain still verifies; a tampered copy
fails verification."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tests.factories import ensure_reference_data

ROOT = Path(__file__).resolve().parents[2]


def _conninfo(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={name}"


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _verify(database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(database), "DATABASE_POOL": "0"}
    env.pop("TEST_DATABASE_NAME", None)
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def restored_copy(transactional_db, tmp_path):
    """Seed, dump with pg_dump, restore into a new database; drop it afterwards."""
    ensure_reference_data()
    call_command("seed_demo", verbosity=0)
    source = connection.settings_dict["NAME"]
    copy = f"restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "backup.dump"
    db = settings.DATABASES["default"]
    base = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    subprocess.run(["pg_dump", *base, "--format=custom", "--file", str(dump), source], check=True, timeout=120)
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{copy}"')
    try:
        subprocess.run(["pg_restore", *base, "--no-owner", "--dbname", copy, str(dump)], check=True, timeout=120)
        yield copy
    finally:
        with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def test_a_restored_backup_verifies_and_a_tampered_copy_fails_naming_the_row(restored_copy):
    result = _verify(restored_copy)
    assert result.returncode == 0, result.stderr
    assert "Audit chain intact" in result.stdout

    with psycopg.connect(_conninfo(restored_copy), autocommit=True) as conn:
        history_id = conn.execute(
            "SELECT history_id FROM secretariat_historicalbody ORDER BY history_id LIMIT 1"
        ).fetchone()[0]
        conn.execute("UPDATE secretariat_historicalbody SET name = 'Forged' WHERE history_id = %s", [history_id])
    result = _verify(restored_copy)
    assert result.returncode != 0
    assert f"history row {history_id}" in result.stderr
