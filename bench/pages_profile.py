"""Per-page query profile for bench/run.py (run in the bench environment; not a test).

For each (role, path) given on the command line, signs the role's user in with
Django's test client, requests the page twice (the first warms caches) and
records, for the second request: status, wall time, SQL query count, total SQL
time, the most repeated query shape (an N+1 shows up here) and the slowest query.
These figures are the view's own: the page cache (secretariat.pagecache) is off
for them. Then, with the cache on, the same for a request the cache answers.

    python bench/pages_profile.py --out FILE ROLE=EMAIL:PATH [ROLE=EMAIL:PATH ...]

Writes a JSON object {"ROLE PATH": {...}} to FILE.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from collections import Counter
from pathlib import Path

from djangoenv import ROOT, shape

# isort: split
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext


def profile(client: Client, path: str) -> dict:
    client.get(path)  # warm: template loading, first-use caches
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    captured = queries.captured_queries
    shapes = Counter(shape(q["sql"]) for q in captured)
    repeated, repeats = shapes.most_common(1)[0] if shapes else ("", 0)
    slowest = max(captured, key=lambda q: float(q["time"]), default=None)
    return {
        "status": response.status_code,
        "ms": round(elapsed * 1000, 1),
        "queries": len(captured),
        "sql_ms": round(sum(float(q["time"]) for q in captured) * 1000, 1),
        "bytes": len(response.content) if hasattr(response, "content") else 0,
        "most_repeated": {"count": repeats, "sql": repeated} if repeats > 1 else None,
        "slowest": {"ms": round(float(slowest["time"]) * 1000, 1), "sql": slowest["sql"][:400]} if slowest else None,
    }


def cpu(client: Client, path: str) -> dict:
    """One more request under cProfile: template work and the project's own costliest functions.

    Template time includes the queries that querysets passed to the template run lazily.
    Functions that span nearly the whole request (middleware, the view itself) are left out
    of the list, so that it names what inside the view costs.
    """
    from django.template import base, loader_tags

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    total = max((v[3] for v in stats.values()), default=0.0)

    def entry(function: object) -> tuple:
        code = function.__code__
        return stats.get((code.co_filename, code.co_firstlineno, code.co_name), (0, 0, 0.0, 0.0, {}))

    templates = max(
        (
            v[3]
            for (f, _, name), v in stats.items()
            if f.endswith("django/template/backends/django.py") and name == "render"
        ),
        default=0.0,
    )
    own = sorted(
        (
            (v[3], f"{Path(f).relative_to(ROOT)}:{line} {name}")
            for (f, line, name), v in stats.items()
            if f.startswith(f"{ROOT}/")
            and not f.startswith(f"{ROOT}/bench/")
            and "/.venv/" not in f
            and v[3] < 0.8 * total
            and name != "__call__"
        ),
        reverse=True,
    )[:6]
    return {
        "profiled_ms": round(total * 1000, 1),
        "template_ms": round(templates * 1000, 1),
        "includes": entry(loader_tags.IncludeNode.render)[1],
        "nodes": entry(base.Node.render_annotated)[1],
        "own_code": [{"ms": round(t * 1000, 1), "function": name} for t, name in own],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("pages", nargs="+", help="ROLE=EMAIL:PATH")
    args = parser.parse_args()
    users = get_user_model().objects
    clients: dict[str, Client] = {}
    results: dict[str, dict] = {}
    for spec in args.pages:
        role, rest = spec.split("=", 1)
        email, path = rest.split(":", 1)
        if role not in clients:
            client = Client()
            client.force_login(users.get(email=email))  # the first of AUTHENTICATION_BACKENDS
            clients[role] = client
        try:
            with override_settings(PAGE_CACHE_SECONDS=0):
                cold = profile(clients[role], path) | {"cpu": cpu(clients[role], path)}
            hit = profile(clients[role], path)
            results[f"{role} {path}"] = cold | {"hit": {k: hit[k] for k in ("status", "ms", "queries", "sql_ms")}}
        except Exception as exc:  # a broken page is a finding, not a reason to stop
            results[f"{role} {path}"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
