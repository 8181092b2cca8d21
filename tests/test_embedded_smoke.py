"""The embedded default boots: SQLite, demo data, the development server, a demo sign-in.

This is what `make run` does, end to end, in a throwaway folder: migrate,
createcachetable, seed_demo, runserver; then a person signs in through the
real login form (CSRF cookie and all) and reaches the home page.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
DEMO_EMAIL = "delegate.sgp@asean-ai-safe.example"
DEMO_PASSWORD = "demo12345"
# Settings of the production stack that the test run exports; the embedded
# default must not lean on them (no PostgreSQL, no Redis, no broker).
STACK_VARIABLES = {"DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY", "DEMO_PASSWORD"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _embedded_env(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in STACK_VARIABLES}
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        DEBUG="1",
        DEMO="1",
        EMAIL_URL="consolemail://",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        cwd=MANAGE.parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"runserver exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


def test_embedded_default_boots_on_sqlite_and_a_demo_delegate_signs_in(tmp_path: Path) -> None:
    env = _embedded_env(tmp_path)
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    _manage(env, "createcachetable")
    _manage(env, "seed_demo")
    # The reminder loop's sweep on SQLite: the sources write their rows in plain SQL (INSERT ...
    # ON CONFLICT ... RETURNING, the plans' upsert), then bundle and "send" to the console.
    sweeps = [_manage(env, "send_due_reminders") for _ in range(2)]
    first, again = (re.search(r"Sweep: planned (\d+), bundled (\d+), sent (\d+)", out) for out in sweeps)
    assert first, sweeps
    assert again, sweeps
    assert int(first[1]) > 0, sweeps
    assert int(first[3]) > 0, sweeps
    assert again[1] == "0", sweeps  # planned once

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "runserver.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=MANAGE.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"{base}/health/", server, log)

        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with browser.open(f"{base}/accounts/login/", timeout=10) as response:
            assert response.status == 200
        csrf_token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")

        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf_token, "login": DEMO_EMAIL, "password": DEMO_PASSWORD}
        ).encode()
        login = urllib.request.Request(  # noqa: S310 (our own http URL)
            f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
        )
        with browser.open(login, timeout=10) as response:
            assert response.status == 200  # after the redirect that follows a successful sign-in
            assert not response.url.startswith(f"{base}/accounts/login/"), "the sign-in was refused"

        with browser.open(f"{base}/", timeout=10) as response:
            assert response.status == 200
            assert response.url == f"{base}/"
            assert "WG-AI" in response.read().decode()

        # A meeting's history is one SQL query over eight historical tables, rows as JSON:
        # it must run on SQLite too, with its changes and times in the viewer's zone.
        with browser.open(f"{base}/meetings/", timeout=10) as response:
            meeting = re.search(r'href="/meetings/(\d+)/"', response.read().decode())
        assert meeting, "the meetings list links no meeting"
        with browser.open(f"{base}/meetings/{meeting.group(1)}/history/", timeout=10) as response:
            assert response.status == 200
            page = response.read().decode()
        assert "History of" in page
        assert re.search(r"\d{2}:\d{2} \(Singapore, UTC\+8\)", page), "no moment in the delegate's zone"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_a_fresh_checkout_checks_its_migrations_without_a_key_but_serves_nothing_without_one(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in STACK_VARIABLES | {"DEBUG"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    check = subprocess.run(
        [sys.executable, str(MANAGE), "makemigrations", "--check", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    serve = subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "--plan"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert serve.returncode != 0
    assert "Set SECRET_KEY" in serve.stderr
