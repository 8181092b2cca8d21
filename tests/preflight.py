"""Before the suite: say which service is unreachable and how to start it.

PostgreSQL is required. Outside CI, a missing Redis or Chromium skips the tests
that need them (with a reason); with CI=true every one of them is required.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from urllib.parse import urlparse

START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    "Chromium": "apt-get install -y chromium",
}


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named by DATABASE_URL if it is missing."""
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created the PostgreSQL database {name}.", file=sys.stderr)


def main() -> int:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    missing = []
    if not reachable(os.environ.get("DATABASE_URL", "postgres://127.0.0.1:5432"), 5432):
        missing.append(("PostgreSQL", True))
    if not reachable(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379"), 6379):
        missing.append(("Redis", ci))
    if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        missing.append(("Chromium", ci))
    if not any(name == "PostgreSQL" for name, _ in missing):
        ensure_database(os.environ.get("DATABASE_URL", ""))
    fatal = False
    for name, required in missing:
        verdict = "required" if required else "the tests that need it will be skipped"
        print(f"{name} is unreachable ({verdict}). Start it with: {START[name]}", file=sys.stderr)
        fatal = fatal or required
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
