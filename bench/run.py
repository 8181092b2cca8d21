"""The reproducible benchmark of issue 8 (pages, write path) and issue 6 (reminder sweep).

Not a test: `make test` never runs it. Run it from the project folder:

    .venv/bin/python bench/run.py                      # everything, ~15-20 minutes on 2 cores
    .venv/bin/python bench/run.py --sweep-rows 100000  # a quicker sweep part
    .venv/bin/python bench/run.py --skip-sweep --duration 5

What it does, in one run:

1. Creates a fresh PostgreSQL database (`--db-name`, default `bench_asean_ai_safe`;
   the name must start with `bench_`; it drops that database first and nothing
   else), migrates, runs `seed_demo --scale N` (timed) and `collectstatic`.
2. Web (`--skip-web` to leave out): starts the stack's gunicorn on loopback
   (sync workers, DEBUG=0, SECURE_SSL_REDIRECT=0, DEMO=1, Django's connection pool,
   a Redis cache database of its own), waits for /health/, signs in through the
   real allauth form as a delegate and as the secretariat, finds the ids of detail
   pages (the API, else the list page's links), checks every page once (a page
   that answers 404 does not exist yet: skipped with a note), then loads each page
   with wrk (`-c 50 -t 2 -d 10s`, a Lua script for p95 and for counting every
   non-200 answer as a failure), /health/ first and last, all in the same run.
   Afterwards, with gunicorn stopped, each page's SQL query count (Django's test
   client) to explain what is slow.
3. Write path (`--skip-write`): "mark done" of an action item through
   `workgroups.services.complete_action_item`, with and without history
   (bench/writepath.py).
4. Sweep (`--skip-sweep`): `--sweep-rows` action items with history, the steady
   state and catch-up sweeps against a bare count(*), SMTP connections and broker
   messages per sweep (bench/sweep.py).
5. Writes docs/performance.md (machine, command, table, ratios against the goals,
   misses with their diagnostics) and the raw figures to bench/out/last-run.json.

gunicorn, the SMTP server and the Celery worker are always stopped (try/finally).
Figures on a shared machine are noisy: the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
# The code under test: ROOT itself (--source worktree) or an export of a commit (set in main).
SRC = ROOT
HELPERS = ("djangoenv.py", "pages_profile.py", "writepath.py", "sweep.py")
VENV_BIN = Path(sys.executable).parent
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")
ROLES = {
    "delegate": "delegate.sgp@asean-ai-safe.example",
    "secretariat": "secretariat@asean-ai-safe.example",
}
# (label, path template, roles). {meeting} and {document} are filled with discovered ids.
PAGES = [
    ("home", "/", ("delegate", "secretariat")),
    ("meetings list", "/meetings/", ("delegate", "secretariat")),
    ("meeting detail", "/meetings/{meeting}/", ("delegate", "secretariat")),
    ("action items", "/action-items/", ("delegate", "secretariat")),
    ("documents list", "/documents/", ("delegate", "secretariat")),
    ("document detail", "/documents/{document}/", ("delegate", "secretariat")),
    ("audit log", "/audit/", ("secretariat",)),
]
# Query budgets of issue 8, shown beside the measured counts.
BUDGETS = {"home": 8, "meetings list": 8, "action items": 8, "documents list": 8, "audit log": 8}
DETAIL_BUDGET = 10
RPS_GOAL = 1 / 12
P95_GOAL = 8.0
WRITE_GOAL = 1.6
STEADY_GOAL = 0.05
CATCHUP_GOAL = 1.0


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- Machine --------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def prepare_source(source: str) -> tuple[Path, str]:
    """The folder whose code is measured, and its description.

    `worktree` measures the working tree as it is (with whatever others have not
    committed yet); a git revision (default HEAD) is exported with `git archive`
    into bench/out/src, so a run measures one commit, reproducibly. The bench's own
    helper scripts are copied in from this folder.
    """
    if source == "worktree":
        return ROOT, "the working tree"
    rev = subprocess.run(
        ["git", "rev-parse", "--short", f"{source}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = OUT / "src"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", "--format=tar", rev], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {rev} failed")
    (target / "bench").mkdir(exist_ok=True)
    for name in HELPERS:
        shutil.copy2(BENCH / name, target / "bench" / name)
    return target, f"commit `{rev}` (exported with git archive)"


def machine(admin_url: str) -> dict:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    info = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "ram_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "gunicorn": metadata.version("gunicorn"),
        "psycopg": metadata.version("psycopg"),
    }
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    info["wrk"] = (wrk.stdout or wrk.stderr).split("Copyright")[0].strip()
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    info["commit"] = git.stdout.strip()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = [line for line in status.splitlines() if not re.match(r"^.. (bench|docs)/", line)]
    info["uncommitted_paths"] = len(dirty)
    return info


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing Debian's package (apt-get install -y wrk)")
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "wrk"], check=True)


# --- Database and Django commands -----------------------------------------------------------------


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_env(args: argparse.Namespace, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    env.update(
        {
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "DEMO": "1",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-5f1c9a7e3b0d2468ace13579bdf0",
            "DATABASE_URL": db_url,
            "DATABASE_POOL": "1",
            "CACHE_URL": f"{args.redis}/{args.cache_db}",
            "CELERY_BROKER_URL": f"{args.redis}/{args.broker_db}",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def run(cmd: list[str], env: dict[str, str], *, capture: bool = False) -> tuple[float, str]:
    """Run a command in the project folder; returns (seconds, output). Fails loudly."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=SRC, env=env, text=True, capture_output=capture, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        if capture:
            sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}")
    return elapsed, (proc.stdout or "") if capture else ""


def manage(env: dict[str, str], *args: str, capture: bool = False) -> tuple[float, str]:
    return run([sys.executable, "manage.py", *args], env, capture=capture)


# --- HTTP -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    port: int, path: str, *, cookies: dict[str, str] | None = None, form: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": f"127.0.0.1:{port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = conn.getresponse()
        got: dict[str, list[str]] = {}
        for key, value in response.getheaders():
            got.setdefault(key.lower(), []).append(value)
        return response.status, got, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def set_cookies(headers: dict[str, list[str]]) -> dict[str, str]:
    # The cookies are Secure (production settings) over plain loopback HTTP: read them by hand.
    cookies = {}
    for line in headers.get("set-cookie", []):
        name, _, rest = line.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


def sign_in(port: int, email: str) -> str:
    """Sign in through allauth's form (CSRF cookie and token); returns the session id."""
    for _ in range(10):
        status, headers, page = request(port, "/accounts/login/")
        if status != 200:
            raise SystemExit(f"/accounts/login/ answered {status}")
        cookies = set_cookies(headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token or "csrftoken" not in cookies:
            raise SystemExit("No CSRF cookie or token on the login page.")
        status, headers, _ = request(
            port,
            "/accounts/login/",
            cookies=cookies,
            form={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        )
        if status != 429:
            break
        log("sign-in rate limit (30 a minute per address): waiting 10 s")
        time.sleep(10)
    session = set_cookies(headers).get("sessionid")
    if status != 302 or not session:
        raise SystemExit(f"Signing in as {email} failed: {status} {headers.get('location')}")
    status, headers, _ = request(port, "/", cookies={"sessionid": session})
    if status != 200:
        raise SystemExit(f"Signed in as {email}, but / answered {status} {headers.get('location')}")
    return session


def discover(port: int, session: str, kind: str) -> tuple[int | None, str]:
    """An id for /<kind>/<id>/ that this user may see: the API's first, else the list page's first link."""
    cookies = {"sessionid": session}
    status, _, body = request(port, f"/api/v1/{kind}/", cookies=cookies)
    if status == 200:
        with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
            data = json.loads(body)
            rows = data["results"] if isinstance(data, dict) else data
            return int(rows[0]["id"]), f"/api/v1/{kind}/"
    status, _, body = request(port, f"/{kind}/", cookies=cookies)
    if status == 200:
        found = re.search(rf'href="/{kind}/(\d+)/"', body)
        if found:
            return int(found.group(1)), f"/{kind}/ (first link)"
        return None, f"/{kind}/ lists no {kind} for this user"
    return None, f"/api/v1/{kind}/ and /{kind}/ answer {status}"


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int, port: int) -> Iterator[subprocess.Popen]:
    OUT.mkdir(exist_ok=True)
    logfile = (OUT / "gunicorn.log").open("w")
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "secretariat.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    log(f"starting {shlex.join(cmd[1:])}")
    proc = subprocess.Popen(cmd, cwd=SRC, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({proc.returncode}); see {OUT / 'gunicorn.log'}")
            with contextlib.suppress(OSError):
                if request(port, "/health/")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer /health/ within 90 s")
            time.sleep(0.5)
        yield proc
    finally:
        # gunicorn runs in a session of its own: stop its master and workers, and nothing else.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        logfile.close()
        log("gunicorn stopped")


def wait_idle(port: int, timeout: float = 180.0) -> float:
    """Wait until gunicorn has worked off the requests wrk left behind; returns the seconds waited.

    Sync workers still serve the connections wrk abandoned when it stopped; a /health/
    request queues behind them, so two quick answers in a row mean the queue is empty.
    """
    started = time.monotonic()
    quick = 0
    while quick < 2 and time.monotonic() - started < timeout:
        t = time.perf_counter()
        with contextlib.suppress(OSError):
            request(port, "/health/")
        quick = quick + 1 if time.perf_counter() - t < 0.1 else 0
        if quick < 2:
            time.sleep(0.1)
    return time.monotonic() - started


def wrk(port: int, path: str, sessions: list[str], args: argparse.Namespace) -> dict:
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s"]
    cmd += ["--timeout", "30s", "--latency", "-s", str(BENCH / "wrk_report.lua")]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    env = {**os.environ, "BENCH_SESSIONS": ",".join(sessions)}
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH-RESULT")), None)
    if proc.returncode != 0 or line is None:
        return {"error": (proc.stderr or proc.stdout)[-500:]}
    if "BENCH-RESULT requests=0 " in line:
        return {"error": "no request completed"}
    raw = dict(pair.split("=") for pair in line.split()[1:])
    values = {k: float(v) for k, v in raw.items()}
    rps = re.search(r"Requests/sec:\s*([\d.]+)", proc.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", proc.stdout)
    socket_errors = sum(values[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    return {
        "requests": int(values["requests"]),
        "rps": float(rps.group(1)) if rps else values["requests"] / (values["duration_us"] / 1e6),
        "p50_ms": values["p50_us"] / 1000,
        "p90_ms": values["p90_us"] / 1000,
        "p95_ms": values["p95_us"] / 1000,
        "p99_ms": values["p99_us"] / 1000,
        "max_ms": values["max_us"] / 1000,
        "not_200": int(values["not_200"]),
        "redirects": int(values["redirects"]),
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": int(socket_errors),
        "failures": int(values["not_200"] + socket_errors),
        "kb_per_request": round(values["bytes"] / max(values["requests"], 1) / 1024, 1),
    }


def web(args: argparse.Namespace, env: dict[str, str], sessions: dict[str, list[str]] | None = None) -> dict:
    """Every main page under wrk; `sessions` (from an earlier pass) saves signing in again."""
    port = free_port()
    result: dict = {"pages": [], "skipped": [], "notes": []}
    with gunicorn(env, args.workers, port) as proc:
        if sessions is None:
            sessions = {role: [sign_in(port, email) for _ in range(args.sessions)] for role, email in ROLES.items()}
            log(f"signed in {args.sessions} times each as " + ", ".join(ROLES.values()))
        result["sessions"] = sessions
        ids: dict[str, dict[str, int | None]] = {}
        for role, role_sessions in sessions.items():
            ids[role] = {}
            for kind, key in (("meetings", "meeting"), ("documents", "document")):
                ids[role][key], source = discover(port, role_sessions[0], kind)
                result["notes"].append(f"{role}: {key} id {ids[role][key]} from {source}")
        runs: list[tuple[str, str, str, list[str]]] = [("health", "/health/", "anonymous", [])]
        for label, template, roles in PAGES:
            for role in roles:
                try:
                    path = template.format(**ids[role])
                except KeyError:
                    path = template
                if "None" in path:
                    result["skipped"].append(
                        {"page": label, "role": role, "path": template, "why": "no id found (see notes)"}
                    )
                    continue
                status, headers, _ = request(port, path, cookies={"sessionid": sessions[role][0]})
                if status == 404:
                    result["skipped"].append(
                        {"page": label, "role": role, "path": path, "why": "404: the page does not exist yet"}
                    )
                    continue
                if status != 200:
                    where = headers.get("location", [""])[0]
                    result["pages"].append(
                        {"page": label, "role": role, "path": path, "error": f"answered {status} {where}".strip()}
                    )
                    continue
                for _ in range(3):  # warm every worker's caches a little
                    request(port, path, cookies={"sessionid": sessions[role][0]})
                runs.append((label, path, role, sessions[role]))
        # /health/ first, in the middle and last: the reference follows the machine's load.
        runs.insert(1 + len(runs) // 2, ("health", "/health/", "anonymous", []))
        runs.append(("health", "/health/", "anonymous", []))
        for n, (label, path, role, role_sessions) in enumerate(runs):
            log(f"wrk {path} as {role} ({args.connections} connections, {args.duration} s)")
            load = os.getloadavg()[0]
            figures = wrk(port, path, role_sessions, args)
            result["pages"].append({"page": label, "role": role, "path": path, "load_before": load, **figures})
            if proc.poll() is not None:
                raise SystemExit("gunicorn died during the run; see bench/out/gunicorn.log")
            waited = wait_idle(port)
            result["pages"][-1]["drain_s"] = round(waited, 1)
            if n < len(runs) - 1:
                time.sleep(args.pause)
    gunicorn_log = (OUT / "gunicorn.log").read_text(errors="replace")
    result["gunicorn_errors"] = len(re.findall(r"Traceback|WORKER TIMEOUT|\[ERROR\]", gunicorn_log))
    result["ids"] = ids
    return result


def profile_pages(env: dict[str, str], pages: list[dict]) -> dict:
    specs = [f"{p['role']}={ROLES[p['role']]}:{p['path']}" for p in pages if p["role"] in ROLES and "error" not in p]
    if not specs:
        return {}
    out = OUT / "pages_profile.json"
    run(
        [sys.executable, str(SRC / "bench" / "pages_profile.py"), "--out", str(out), *specs],
        {**env, "ALLOWED_HOSTS": "*"},
    )
    return json.loads(out.read_text())


# --- Report -----------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**MISS**"


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def goals_web(result: dict) -> tuple[list[dict], dict]:
    health = [p for p in result["pages"] if p["page"] == "health" and "rps" in p]
    ref = {
        "rps": statistics.fmean(p["rps"] for p in health) if health else 0.0,
        "p95_ms": statistics.fmean(p["p95_ms"] for p in health) if health else 0.0,
    }
    rows = []
    for p in result["pages"]:
        if p["page"] == "health" or "rps" not in p:
            continue
        rps_ratio = p["rps"] / ref["rps"] if ref["rps"] else 0.0
        p95_ratio = p["p95_ms"] / ref["p95_ms"] if ref["p95_ms"] else float("inf")
        rows.append({**p, "rps_ratio": rps_ratio, "p95_ratio": p95_ratio})
    return rows, ref


def render_cold(cold: dict, profile: dict) -> list[str]:
    """The pass with the page cache off: what each request costs when a write has just made it stale."""
    rows, ref = goals_web(cold)
    lines = [
        "",
        "### The same pages with the page cache off",
        "",
        "Above, the pages run as deployed: a person's second look at a page, while nothing has been written,"
        " is answered from the page cache (secretariat.pagecache), and wrk asks for the same page over and over."
        " Here the same run again with `PAGE_CACHE_SECONDS=0`, so every request is rendered by its view, as"
        " after any write: this is the cost the cache saves, and the cost a page has on a busy day. The goals"
        " are not judged on it. The last two columns: one request through Django's test client with the cache"
        " off (the view's own) and one the cache answers, each as ms / queries.",
        "",
        "| page | role | req/s | p95 | × health req/s | × health p95 | failures | rendered | from the cache |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        prof = profile.get(f"{r['role']} {r['path']}", {})
        rendered = f"{prof['ms']} / {prof['queries']}" if "queries" in prof else ""
        hit = prof.get("hit", {})
        cached = f"{hit['ms']} / {hit['queries']}" if "queries" in hit else ""
        lines.append(
            f"| {r['page']} | {r['role']} | {_fmt(r['rps'])} | {_fmt(r['p95_ms'])} | {r['rps_ratio']:.3f} |"
            f" {r['p95_ratio']:.1f} | {r['failures']} | {rendered} | {cached} |"
        )
    low = min(rows, key=lambda r: r["rps_ratio"], default=None)
    high = max(rows, key=lambda r: r["rps_ratio"], default=None)
    if low and high:
        lines += [
            "",
            f"Reference /health/ of this pass: {_fmt(ref['rps'])} req/s, p95 {_fmt(ref['p95_ms'])} ms. Without the"
            f" cache the pages serve {low['rps_ratio']:.3f}× ({low['page']}, {low['role']}) to"
            f" {high['rps_ratio']:.3f}× ({high['page']}, {high['role']}) of /health/'s requests per second.",
        ]
    return lines


# Earlier runs against later ones, written by hand as fixes land; the report includes it.
BEFORE_AFTER = ROOT / "bench" / "before_after.md"


def render(results: dict) -> str:
    a = results["args"]
    m = results["machine"]
    lines = [
        "# Performance",
        "",
        "Written by `bench/run.py` (see bench/README.md); do not edit by hand, run it again.",
        "Goals are ratios measured in one run, so the machine matters less than the shape.",
        "",
        f"Date: {results['date']}. Total run time: {results['total_min']:.1f} min.",
        "",
        "## Machine",
        "",
        f"- {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}",
        f"- Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, psycopg {m['psycopg']},"
        f" PostgreSQL {m['postgresql']}, {m['wrk']}",
        f"- Load average (1 min) at start {results['load_start']:.2f}, at end {results['load_end']:.2f};"
        " the table of pages gives it for each run. On a shared machine (other people's test suites) the raw"
        " figures are noisy; the ratios, measured in the same minutes, less so.",
        (
            f"- Code: the working tree at commit `{m['commit']}` with {m['uncommitted_paths']} uncommitted paths"
            " of work in progress."
            if results.get("source", "the working tree") == "the working tree"
            else f"- Code: {results['source']}."
        ),
        "",
        "## Command",
        "",
        "```sh",
        results["command"],
        "```",
        "",
        f"Database `{a['db_name']}` created fresh, migrated, seeded with `seed_demo --scale {a['scale']}`"
        f" in {results['setup'].get('seed_s', 0):.1f} s (migrate {results['setup'].get('migrate_s', 0):.1f} s,"
        f" collectstatic {results['setup'].get('static_s', 0):.1f} s).",
    ]
    if results["setup"].get("seed_output"):
        lines += ["", "```", results["setup"]["seed_output"].strip()[-1500:], "```"]
    counts = results["setup"].get("counts")
    if counts:
        lines += ["", "Rows after seeding: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + "."]
    misses: list[str] = []

    # --- Web
    if "web" in results:
        w = results["web"]
        rows, ref = goals_web(w)
        profile = results.get("profile", {})
        lines += [
            "",
            "## Pages",
            "",
            f"gunicorn `--workers {a['workers']} --worker-class sync` on 127.0.0.1 (DEBUG=0, Django's connection"
            f" pool); wrk `-t {a['threads']} -c {a['connections']} -d {a['duration']}s --timeout 30s`, one page"
            f" after the other, /health/ first, in the middle and last; signed-in requests take turns over"
            f" {a.get('sessions', 1)} sessions per role. Latencies in ms. Failures: every answer other than 200"
            " (a redirect to the login page counts) plus socket errors and timeouts. Queries: SQL queries of one"
            " request (Django test client, after the load run; budget of issue 8 in brackets). Load: the 1-minute"
            " load average when the page's run started. With sync workers and a closed loop of"
            f" {a['connections']} connections, latency ≈ {a['connections']} / req/s (Little's law), so the p95"
            " goal says about what the req/s goal says; a p95 near the run's length is marked ≥: wrk counts only"
            " the requests that finished within the run, so it is a lower bound.",
            "",
            "| page | role | path | req/s | p50 | p95 | p99 | failures | queries | × health req/s | × health p95 | load |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for p in w["pages"]:
            if "error" in p:
                lines.append(f"| {p['page']} | {p['role']} | `{p['path']}` | — | — | — | — | {p['error']} | | | | |")
                continue
            prof = profile.get(f"{p['role']} {p['path']}", {})
            budget = BUDGETS.get(p["page"], DETAIL_BUDGET if "detail" in p["page"] else None)
            queries = f"{prof['queries']} ({budget})" if "queries" in prof and budget else prof.get("queries", "")
            ratio = next((r for r in rows if r["path"] == p["path"] and r["role"] == p["role"]), None)
            rps_r = f"{ratio['rps_ratio']:.3f}" if ratio else ""
            p95_r = f"{ratio['p95_ratio']:.1f}" if ratio else ""
            # In a closed loop, latency ≈ connections / req/s: near the run's length wrk only saw the
            # requests that finished in time, so the percentile is a lower bound.
            bound = "≥ " if p["p95_ms"] >= 0.8 * a["duration"] * 1000 else ""
            lines.append(
                f"| {p['page']} | {p['role']} | `{p['path']}` | {_fmt(p['rps'])} | {_fmt(p['p50_ms'])} |"
                f" {bound}{_fmt(p['p95_ms'])} | {bound}{_fmt(p['p99_ms'])} | {p['failures']} | {queries} | {rps_r} |"
                f" {bound}{p95_r} |"
                f" {p.get('load_before', 0):.1f} |"
            )
        for s in w["skipped"]:
            lines.append(f"| {s['page']} | {s['role']} | `{s['path']}` | skipped: {s['why']} | | | | | | | | |")
        failures = sum(p.get("failures", 0) for p in w["pages"]) + sum(1 for p in w["pages"] if "error" in p)
        rps_ok = all(r["rps_ratio"] >= RPS_GOAL for r in rows)
        p95_ok = all(r["p95_ratio"] <= P95_GOAL for r in rows)
        lines += [
            "",
            f"Reference /health/: {_fmt(ref['rps'])} req/s, p95 {_fmt(ref['p95_ms'])} ms (mean of its runs:"
            + ", ".join(
                f" {_fmt(p['rps'])} req/s p95 {_fmt(p['p95_ms'])} ms" for p in w["pages"] if p["page"] == "health"
            )
            + ").",
            "",
            "| goal (issue 8) | measured | verdict |",
            "|---|---|---|",
            f"| every main page ≥ 1/12 (0.083) of /health/'s req/s | lowest {min((r['rps_ratio'] for r in rows), default=0):.3f}"
            f" ({min(rows, key=lambda r: r['rps_ratio'])['page'] if rows else '—'}) | {verdict(rps_ok and bool(rows))} |",
            f"| at {a['connections']} concurrent signed-in users, each page's p95 ≤ 8× /health/'s | highest"
            f" {max((r['p95_ratio'] for r in rows), default=0):.1f}× ({max(rows, key=lambda r: r['p95_ratio'])['page'] if rows else '—'})"
            f" | {verdict(p95_ok and bool(rows))} |",
            f"| no failed request | {failures} failed | {verdict(failures == 0)} |",
            f"| pages measured | {len(rows)} of {sum(len(r) for _, _, r in PAGES)} (skipped: {len(w['skipped'])}) |"
            f" {'PASS' if not w['skipped'] else 'incomplete'} |",
        ]
        if w.get("gunicorn_errors"):
            lines.append(f"\ngunicorn's log holds {w['gunicorn_errors']} errors (bench/out/gunicorn.log).")
        lines += ["", "Detail ids: " + "; ".join(w["notes"]) + "."]
        if "web_cold" in results:
            lines += render_cold(results["web_cold"], profile)
        for r in rows:
            if r["rps_ratio"] < RPS_GOAL or r["p95_ratio"] > P95_GOAL or r["failures"]:
                prof = profile.get(f"{r['role']} {r['path']}", {})
                text = (
                    f"- **{r['page']}** as {r['role']} (`{r['path']}`): {_fmt(r['rps'])} req/s = {r['rps_ratio']:.3f}×"
                    f" /health/ (goal ≥ 0.083), p95 {_fmt(r['p95_ms'])} ms = {r['p95_ratio']:.1f}× (goal ≤ 8),"
                    f" {r['failures']} failures."
                )
                if "queries" in prof:
                    text += (
                        f" One request: {prof['queries']} queries, {prof['sql_ms']} ms in SQL of {prof['ms']} ms"
                        f" (test client), {prof['bytes'] // 1024} KiB of HTML."
                    )
                    if prof.get("most_repeated") and prof["most_repeated"]["count"] > 2:
                        text += f" The same query runs {prof['most_repeated']['count']} times (N+1): `{prof['most_repeated']['sql'][:220]}`."
                    if prof.get("slowest"):
                        text += f" Slowest query {prof['slowest']['ms']} ms: `{prof['slowest']['sql'][:160]}…`."
                    text += f" Outside SQL: {prof['ms'] - prof['sql_ms']:.0f} ms of Python."
                    cpu = prof.get("cpu")
                    if cpu:
                        text += (
                            f" Under cProfile: {cpu['profiled_ms']} ms, of which {cpu['template_ms']} ms in template"
                            f" rendering (with the queries it triggers lazily; {cpu.get('includes', '?')} `{{% include %}}`"
                            f" renders, {cpu.get('nodes', '?')} template nodes); costliest own code below the view: "
                            + ", ".join(
                                f"`{f['function']}` {f['ms']} ms"
                                for f in [f for f in cpu["own_code"] if not f["function"].endswith("__call__")][:4]
                            )
                            + "."
                        )
                misses.append(text)
        for p in w["pages"]:
            if "error" in p:
                misses.append(f"- **{p['page']}** as {p['role']} (`{p['path']}`) {p['error']}.")
        for key, prof in profile.items():
            if "error" in prof:
                misses.append(f"- Profiling `{key}` raised {prof['error']}.")

    # --- Write path
    if "write" in results:
        wp = results["write"]
        md = wp["mark_done"]
        bs = wp["bare_save"]
        ok = md["ratio_median"] <= WRITE_GOAL
        lines += [
            "",
            "## Write path: history overhead",
            "",
            f"`{wp['service']}` acting as {wp['actor']} (a delegate of the owner state), {md['with']['calls']} calls"
            ' each way, alternating blocks of ten; "without" is the same call with `SIMPLE_HISTORY_ENABLED=False`'
            " (no historical rows, no audit seals).",
            "",
            "| operation | with history (median / mean / p90 ms) | without | queries with / without | ratio (median) | goal | verdict |",
            "|---|---|---|---|---:|---|---|",
            f"| mark done (service) | {md['with']['median_ms']} / {md['with']['mean_ms']} / {md['with']['p90_ms']} |"
            f" {md['without']['median_ms']} / {md['without']['mean_ms']} / {md['without']['p90_ms']} |"
            f" {md['queries']['with']} / {md['queries']['without']} | {md['ratio_median']:.2f}× | ≤ 1.6× | {verdict(ok)} |",
            f"| bare `save()` of one field (for scale) | {bs['with']['median_ms']} / {bs['with']['mean_ms']} / {bs['with']['p90_ms']} |"
            f" {bs['without']['median_ms']} / {bs['without']['mean_ms']} / {bs['without']['p90_ms']} |"
            f" {bs['queries']['with']} / {bs['queries']['without']} | {bs['ratio_median']:.2f}× | — | — |",
            "",
            "Queries history adds to a mark done: "
            + "; ".join(f"{n}× `{q[:110]}`" for q, n in md["queries"]["added_by_history"].items())
            + ".",
        ]
        if not ok:
            misses.append(
                f"- **Mark done with history** is {md['ratio_median']:.2f}× the same call without (goal ≤ 1.6×):"
                f" {md['queries']['with']} queries against {md['queries']['without']}."
            )

    # --- Sweep
    if "sweep" in results:
        s = results["sweep"]
        count_ms = s["count"]["ms"]
        steady, catch = s["steady"], s["catchup"]
        steady_ratio = steady["ms"] / count_ms
        catch_ratio = catch["ms"] / count_ms
        fg, send, cparts = catch["foreground"], catch["send"], catch["parts_ms"]
        seed = s["seed"]
        cel = s["celery"]
        initial = s["initial"]
        conn_ok = cel["smtp_connections"] <= cel["worker_concurrency"]
        broker_ok = all(b["tasks_published"] <= b["recipients"] for b in cel["beats"])
        fg_per_sweep = [fg["smtp_connections"], *catch["rest"]["smtp_connections_per_sweep"]]
        fg_messages = fg["smtp_messages"] + catch["rest"]["sent"]
        lines += [
            "",
            "## Reminder sweep (issue 6)",
            "",
            f"{s['count']['rows']:,} action items ({seed['open_total']:,} open, {seed['open_in_reminder_window']:,} of"
            " them due within the reminder window: 60 days overdue to 3 days ahead). Due dates spread over ten years"
            " back and one year ahead of the anchor day; old items mostly done, recent ones partly open.",
            f"Seeding: {seed['helper_rows']:,} rows through `secretariat.history.bulk_create_with_history`"
            f" (history rows and audit seals) in {seed['helper_s']} s = {seed['helper_rows_per_s']} rows/s, which"
            f" extrapolates to {seed['helper_projected_s_for_all'] / 60:.0f} min for all {s['rows_requested']:,} rows;"
            f" the other {seed['sql_rows']:,} rows by INSERT ... SELECT with their historical rows (no audit seals)"
            f" in {seed['sql_s']} s; VACUUM ANALYZE {seed['vacuum_analyze_s']} s.",
            f"Time is travelled (time-machine, ticking) to the anchor {s['anchor']} (a Tuesday, 03:00 UTC: working"
            " hours in every member state, no holiday on it or the next two days). SMTP: aiosmtpd on loopback,"
            " counting connections. Broker: Redis database of the bench's own.",
            "",
            "| measure | time (ms) | × count(*) | goal | verdict |",
            "|---|---:|---:|---|---|",
            f"| bare `SELECT count(*)` over the action items (median of 5, warm) | {_fmt(count_ms)} | 1 | | |",
            f"| steady-state sweep, nothing due (median of {steady['runs']}: {', '.join(_fmt(x) for x in steady['runs_ms'])})"
            f" | {_fmt(steady['ms'])} | {steady_ratio:.2f} | ≤ 0.05 | {verdict(steady_ratio <= STEADY_GOAL)} |",
            f"| catch-up sweep after a day without sweeps: the beat task `secretariat.tasks.sweep` as the stack"
            f" runs it (planned {catch['planned']} notifications, bundled them into {catch['bundled']} messages,"
            f" published {catch['tasks_published']} `send_messages` tasks; {catch['queries']} queries,"
            f" {catch['sql_ms']} ms in SQL) | {_fmt(catch['ms'])} | {catch_ratio:.1f} | ≤ 1 |"
            f" {verdict(catch_ratio <= CATCHUP_GOAL)} |",
            f"| … of which planning {cparts['plan']} ms, bundling {cparts['bundle']} ms (nothing rendered: the"
            f" workers write the e-mails they send), publishing and the rest {cparts['publish_and_rest']} ms | | | | |",
            *(
                [
                    f"| the floor under it: writing the same {floor['notifications']:,} notifications again by one"
                    f" plain INSERT ... SELECT ({_fmt(floor['insert_ms'])} ms) and moving the {floor['plans']:,}"
                    f" plans of the items reminded by one UPDATE ({_fmt(floor['update_ms'])} ms), nothing else"
                    f" (rolled back) | {_fmt(floor['ms'])} | {floor['ms'] / count_ms:.2f} | | |"
                ]
                if (floor := catch.get("floor"))
                else []
            ),
            f"| … then the workers' share, not part of the sweep: the {send['tasks']} `send_messages` tasks' bodies,"
            f" one after another here (rendering and storing the e-mails {send['write_ms']} ms, then sending"
            f" {send['sent']} over {send['smtp_connections']} SMTP connections; {send['queries']} queries: each"
            f" message is marked sent as soon as the server took it) | {_fmt(send['ms'])} |"
            f" {send['ms'] / count_ms:.1f} | | |",
            f"| for comparison, on the same backlog: the embedded driver's foreground sweep (`delivery.sweep()`"
            f" of `send_due_reminders`: plan, bundle and send in one process; planned {fg['planned']}, bundled"
            f" {fg['bundled']}, sent {fg['sent']}; {fg['queries']} queries) | {_fmt(fg['ms'])} |"
            f" {fg['ms'] / count_ms:.1f} | | |",
            f"| for scale: the first sweep ever over the seeded table (planned {initial['planned']:,} notifications,"
            f" {initial['queries']:,} queries"
            + (
                f"; its backlog then marked sent in SQL: {initial['marked_sent_by_sql']:,} rows)"
                if "marked_sent_by_sql" in initial
                else f"; sending its backlog took {initial['drain']['sweeps']} more sweeps, {initial['drain']['total_s']} s)"
            )
            + f" | {_fmt(initial['ms'])} | {initial['ms'] / count_ms:.1f} | | |",
            "",
            "The steady-state sweep is its pulse, `delivery.pulse`: one query reads every source's cursor and"
            " wake and asks whether action items, notifications or messages are due; with nothing due the sweep"
            f" stops there. The pulse alone: {steady['parts_ms']['pulse']} ms (median);"
            f" {len(steady['queries'])} queries per sweep."
            + (
                f" Sources the {steady['runs']} steady sweeps ran (the others slept on their cursor): "
                + "; ".join(
                    f"`{k}` {v['ran_in']}" + (f" ({v['ran_ms']} ms)" if v.get("ran_in") else "")
                    for k, v in steady["sources"].items()
                )
                + ". What each costs when it does run (woken, or its moment come; median ms, queries): "
                + "; ".join(f"`{k}` {v['ms']} ms, {v['queries']}" for k, v in steady["sources"].items())
                + "."
                if steady.get("sources") and "ran_in" in next(iter(steady["sources"].values()))
                else (
                    " Planning by source (median ms, queries): "
                    + "; ".join(f"`{k}` {v['ms']} ms, {v['queries']}" for k, v in steady["sources"].items())
                    + "."
                    if steady.get("sources")
                    else ""
                )
            )
            + (
                " Rows the derived sources read at the anchor (seeded by bench/sweep.py): "
                + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in seed["derived"].items() if k != "failed")
                + (f"; not seeded: {'; '.join(seed['derived']['failed'])}" if seed["derived"]["failed"] else "")
                + "."
                if seed.get("derived")
                else ""
            ),
            "",
            "| delivery | measured | goal | verdict |",
            "|---|---|---|---|",
            f"| SMTP connections per sweep, Celery (`secretariat.tasks.sweep` then a worker with {cel['worker_concurrency']}"
            f" threads) | {cel['smtp_connections']} for {cel['smtp_messages']} messages, {cel['tasks_run']} tasks |"
            f" ≤ one per worker ({cel['worker_concurrency']}) | {verdict(conn_ok)} |",
            f"| SMTP connections per sweep, foreground catch-up (`delivery.sweep()`, one process) |"
            f" {', '.join(str(c) for c in fg_per_sweep)} in its {len(fg_per_sweep)} sweeps, for {fg_messages}"
            f" messages | ≤ 1 per sweep | {verdict(max(fg_per_sweep) <= 1)} |",
            "| broker messages per sweep (Celery beats a minute apart) | "
            + "; ".join(
                f"beat {n + 1}: {b['tasks_published']} `send_messages` tasks ({b['broker_messages']} in the queue) for"
                f" {b['due_messages']} due messages to {b['recipients']} recipients, {b['ms']} ms"
                for n, b in enumerate(cel["beats"])
            )
            + f" | ≤ one per recipient | {verdict(broker_ok)} |",
            "",
            f"The pulse's look for due notifications uses the partial index `notification_pending_due`:"
            f" {'yes' if steady['due_query_uses_partial_index'] else '**no**'}.",
        ]
        if steady.get("due_query"):
            lines += ["", "```sql", steady["due_query"]["sql"], "```", "", "```", steady["due_query"]["plan"], "```"]
        if "items_query_uses_partial_index" in steady:
            lines += [
                "",
                "The pulse's look for action items whose stored plan (`workgroups.ReminderPlan`) has come uses the partial index"
                f" `reminder_plan_next`: {'yes' if steady['items_query_uses_partial_index'] else '**no**'}.",
            ]
            if steady.get("items_query"):
                lines += ["", "```", steady["items_query"].get("plan", "")[:4000], "```"]
        heavy = sorted(steady["queries"], key=lambda q: q["ms"], reverse=True)[:3]
        lines += ["", "The steady-state sweep's queries, slowest first:", ""]
        for q in sorted(steady["queries"], key=lambda q: q["ms"], reverse=True):
            lines.append(f"- {q['ms']} ms: `{q['sql'][:200]}`")
        if heavy and heavy[0].get("plan"):
            lines += ["", "EXPLAIN ANALYZE of the slowest:", "", "```", heavy[0]["plan"][:4000], "```"]
        if steady_ratio > STEADY_GOAL:
            items_query = next((q for q in steady["queries"] if '"workgroups_actionitem"' in q["sql"]), None)
            sql_ms = sum(q["ms"] for q in steady["queries"])
            text = (
                f"- **Steady-state sweep** {_fmt(steady['ms'])} ms = {steady_ratio:.2f}× count(*) (goal ≤ 0.05):"
                f" the pulse alone takes {steady['parts_ms']['pulse']} ms of it."
                f" All {len(steady['queries'])} queries of the sweep take {sql_ms:.0f} ms together; the rest is Python."
            )
            if items_query:
                text += f" The action items' query takes {items_query['ms']} ms: `{items_query['sql'][:160]}…`."
            misses.append(text)
        if catch_ratio > CATCHUP_GOAL:
            derived = {k: v for k, v in steady.get("sources", {}).items() if not k.endswith("plan_due_reminders")}
            derived_ms = sum(v["ms"] for v in derived.values())
            misses.append(
                f"- **Catch-up sweep** {_fmt(catch['ms'])} ms = {catch_ratio:.1f}× count(*) (goal ≤ 1×): the beat task"
                f" planned {catch['planned']} notifications and bundled {catch['bundled']} messages"
                f" ({catch['queries']} queries, {catch['sql_ms']} ms of them in SQL): planning {cparts['plan']} ms,"
                f" bundling {cparts['bundle']} ms. Rendering is no longer in it (the workers write what they send:"
                f" {send['write_ms']} ms for these messages)."
                + (
                    f" The {len(derived)} other sources, which a catch-up runs once whatever its backlog (their"
                    f" cursors are at most an hour ahead), cost {derived_ms:.1f} ms together when they run"
                    f" = {derived_ms / count_ms:.2f}× count(*) before a single action item is planned."
                    if derived
                    else ""
                )
            )
        if catch["planned"] and not catch["bundled"]:
            misses.append(
                "- Finding: rows a sweep plans are not bundled by the same sweep: `notify()` stamps `due_at` with the"
                " current time, a little after the `now` the sweep bundles with, so every new reminder waits"
                " for the next sweep (a minute with beat)."
            )
        if not conn_ok:
            misses.append(
                f"- **SMTP connections**: {cel['smtp_connections']} for {cel['worker_concurrency']} worker threads:"
                " the sweep task publishes one `send_messages` task per `DELIVERY_BATCH_SIZE` (40) messages and each task"
                " opens its own connection."
            )
        if max(fg_per_sweep) > 1:
            misses.append(
                f"- **SMTP connections (foreground)**: up to {max(fg_per_sweep)} in one sweep: `delivery.sweep()`"
                " opens one connection per batch of `DELIVERY_BATCH_SIZE` (40) messages."
            )
        if not broker_ok:
            misses.append("- **Broker messages** exceed the recipients of a sweep.")
        if not steady["due_query_uses_partial_index"]:
            misses.append("- The due-notification query does not use `notification_pending_due`.")
        if seed["helper_rows_per_s"]:
            misses.append(
                f"- Finding, **bulk helper rate**: `bulk_create_with_history` wrote {seed['helper_rows_per_s']} rows/s"
                f" ({seed['helper_projected_s_for_all'] / 60:.0f} min projected for {s['rows_requested']:,} rows),"
                " history rows and audit seals included."
            )
    lines += ["", "## Misses", ""]
    lines += misses or ["None in this run."]
    if BEFORE_AFTER.exists():
        # Kept by hand: the figures of earlier runs against this one, per fix.
        lines += ["", BEFORE_AFTER.read_text().strip()]
    lines += [
        "",
        "## Reproducing",
        "",
        "`.venv/bin/python bench/run.py --help` lists the flags (scale, duration, concurrency, workers, sweep rows,"
        " --skip-web, --skip-write, --skip-sweep). Raw figures of the last run: bench/out/last-run.json (not committed).",
        "",
    ]
    return "\n".join(lines)


# --- Main ---------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark of issue 8 (pages, write path) and issue 6 (reminder sweep); writes docs/performance.md."
    )
    parser.add_argument("--scale", type=int, default=10, help="seed_demo --scale (default 10)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page (default 10)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections = concurrent users (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--sessions",
        type=int,
        default=12,
        help="sessions signed in per role, used in turn (default 12; 30 sign-ins a minute at most)",
    )
    default_workers = min(4, max(2, len(os.sched_getaffinity(0)) + 1))
    parser.add_argument(
        "--workers", type=int, default=default_workers, help="gunicorn sync workers (default nproc+1, 2..4)"
    )
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between wrk runs (default 2)")
    parser.add_argument("--write-calls", type=int, default=200, help="mark-done calls per mode (default 200)")
    parser.add_argument(
        "--sweep-rows", type=int, default=1_000_000, help="action items for the sweep (default 1,000,000)"
    )
    parser.add_argument(
        "--helper-rows",
        type=int,
        default=10_000,
        help="of those, rows written through bulk_create_with_history (default 10,000; the rest by SQL)",
    )
    parser.add_argument(
        "--sweep-full-drain",
        action="store_true",
        help="send the first sweep's backlog (minutes) instead of marking it sent",
    )
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-cold", action="store_true", help="leave out the pass with the page cache off")
    parser.add_argument("--skip-write", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--db-name", default="bench_asean_ai_safe", help="must start with bench_; dropped first")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server URL")
    parser.add_argument("--cache-db", type=int, default=12, help="Redis database for the cache (default 12)")
    parser.add_argument("--broker-db", type=int, default=13, help="Redis database for the broker (default 13)")
    parser.add_argument(
        "--source",
        default="HEAD",
        help="code to measure: a git revision, exported with git archive (default HEAD), or 'worktree'",
    )
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument(
        "--render-only", metavar="JSON", help="only write the report again from a saved run (bench/out/last-run.json)"
    )
    args = parser.parse_args()
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.db_name):
        parser.error("--db-name must start with bench_ (it is dropped and re-created)")
    return args


def redis_cleanup(url: str) -> None:
    """Remove the broker keys this run created in its own Redis database."""
    import redis

    client = redis.Redis.from_url(url)
    for pattern in ("celery", "_kombu.binding.*", "unacked*"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)


def main() -> None:
    args = parse_args()
    os.chdir(ROOT)
    if args.render_only:
        Path(args.output).write_text(render(json.loads(Path(args.render_only).read_text())))
        log(f"wrote {args.output}")
        return
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    ensure_wrk()
    global SRC
    SRC, source = prepare_source(args.source)
    log(f"measuring {source} in {SRC}")
    admin_url = f"{args.pg}/postgres"
    db_url = f"{args.pg}/{args.db_name}"
    env = bench_env(args, db_url)
    results: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([".venv/bin/python bench/run.py", shlex.join(sys.argv[1:])]).strip(),
        "machine": machine(admin_url),
        "load_start": os.getloadavg()[0],
        "args": vars(args),
        "source": source,
    }
    log(f"machine: {json.dumps(results['machine'])}; load {results['load_start']:.2f}")

    log(f"creating database {args.db_name} (dropping the previous one)")
    recreate_database(admin_url, args.db_name)
    migrate_s, _ = manage(env, "migrate", "--noinput", "--verbosity", "0")
    log(f"migrated in {migrate_s:.1f} s; seeding --scale {args.scale}")
    seed_s, seed_output = manage(env, "seed_demo", "--scale", str(args.scale), capture=True)
    log(f"seed_demo --scale {args.scale} took {seed_s:.1f} s: {seed_output.strip().splitlines()[-1:]}")
    static_s, _ = manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    log(f"collectstatic took {static_s:.1f} s")
    results["setup"] = {"migrate_s": migrate_s, "seed_s": seed_s, "seed_output": seed_output, "static_s": static_s}
    with contextlib.suppress(Exception):
        results["setup"]["counts"] = table_counts(db_url)

    try:
        if not args.skip_web:
            results["web"] = web(args, env)
            if not args.skip_cold:
                log("the same pages again with the page cache off: every request rendered by its view")
                cold_env = env | {"PAGE_CACHE_SECONDS": "0"}
                results["web_cold"] = web(args, cold_env, sessions=results["web"]["sessions"])
            results["profile"] = profile_pages(env, results["web"]["pages"])
            for key in ("web", "web_cold"):
                results.get(key, {}).pop("sessions", None)
        if not args.skip_write:
            log(f"write path: {args.write_calls} mark-done calls with and without history")
            out = OUT / "writepath.json"
            run(
                [
                    sys.executable,
                    str(SRC / "bench" / "writepath.py"),
                    "--calls",
                    str(args.write_calls),
                    "--out",
                    str(out),
                ],
                env,
            )
            results["write"] = json.loads(out.read_text())
        if not args.skip_sweep:
            log(f"sweep: seeding {args.sweep_rows:,} action items, then sweeping")
            out = OUT / "sweep.json"
            cmd = [sys.executable, str(SRC / "bench" / "sweep.py"), "--rows", str(args.sweep_rows)]
            cmd += ["--helper-rows", str(args.helper_rows), "--out", str(out)]
            if args.sweep_full_drain:
                cmd.append("--full-drain")
            try:
                run(cmd, env)
            finally:
                redis_cleanup(env["CELERY_BROKER_URL"])
            results["sweep"] = json.loads(out.read_text())
    finally:
        results["load_end"] = os.getloadavg()[0]
        results["total_min"] = (time.perf_counter() - started) / 60
        (OUT / "last-run.json").write_text(json.dumps(results, indent=2, default=str))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(render(results))
    log(f"wrote {args.output} in {results['total_min']:.1f} min")


def table_counts(db_url: str) -> dict[str, int]:
    import psycopg

    tables = {
        "meetings": "meetings_meeting",
        "action items": "workgroups_actionitem",
        "documents": "secretariat_document",
        "bodies": "secretariat_body",
        "users": "secretariat_user",
    }
    counts = {}
    with psycopg.connect(db_url, autocommit=True) as conn:
        for label, table in tables.items():
            with contextlib.suppress(psycopg.Error):
                counts[label] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        history_tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%\\_historical%'"
        ).fetchall()
        counts["history rows"] = sum(
            conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for (name,) in history_tables
        )
    return counts


if __name__ == "__main__":
    main()
