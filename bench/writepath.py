"""History overhead on the write path, for bench/run.py (run in the bench environment; not a test).

Times a "mark done" of an action item through the service the pages call
(`workgroups.services.complete_action_item`, acting as a delegate of the owner
state) with history on, against the very same call with django-simple-history
switched off (`SIMPLE_HISTORY_ENABLED=False`: no historical rows, hence no audit
seals either). Calls alternate in blocks (with, without, without, with, ...) so
that the background load of a shared machine hits both sides alike. Each call
gets a freshly loaded user, as a request would (loaded outside the timer). Also
times a bare `save()` of one field with and without history, and lists the
queries that history adds.

    python bench/writepath.py --calls 200 --out FILE
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from djangoenv import shape

# isort: split
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from secretariat.history import acting_as, bulk_create_with_history, save_with_reason
from secretariat.models import Body, MemberState, User

BLOCK = 10
WARM = 20
DELEGATE = "delegate.sgp@asean-ai-safe.example"
SECRETARIAT = "secretariat@asean-ai-safe.example"
NOTE = "Delivered: the report is on the portal."


def _items(count: int, creator: User) -> list:
    from workgroups.models import ActionItem

    body = Body.objects.get(code="WG-AI")
    state = MemberState.objects.get(code="SGP")
    due = timezone.localdate() + dt.timedelta(days=30)
    tag = f"Benchmark write path {time.time_ns()}"
    objs = [
        ActionItem(
            body=body, title=f"{tag} #{n}", owner_kind="state", owner_state=state, due_date=due, created_by=creator
        )
        for n in range(count)
    ]
    with acting_as(creator):
        bulk_create_with_history(objs, reason="Benchmark: write path")
    return list(ActionItem.objects.filter(title__startswith=tag).order_by("pk"))


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "calls": len(times),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "p90_ms": round(ordered[max(int(len(ordered) * 0.9) - 1, 0)] * 1000, 2),
    }


def _alternate(calls: int, items: list, action: Callable[[object], None]) -> dict[str, list[float]]:
    """Run `action` on `calls` items per mode, alternating blocks with and without history."""
    times: dict[str, list[float]] = {"with": [], "without": []}
    pool = iter(items)
    for block in range(calls // BLOCK):
        order = ("with", "without") if block % 2 == 0 else ("without", "with")
        for mode in order:
            with override_settings(SIMPLE_HISTORY_ENABLED=(mode == "with")):
                for _ in range(BLOCK):
                    item = next(pool)
                    started = time.perf_counter()
                    action(item)
                    times[mode].append(time.perf_counter() - started)
    return times


def _queries(item_with: object, item_without: object, action: Callable[[object], None]) -> dict:
    counts, shapes = {}, {}
    for mode, item in (("with", item_with), ("without", item_without)):
        with override_settings(SIMPLE_HISTORY_ENABLED=(mode == "with")), CaptureQueriesContext(connection) as q:
            action(item)
        counts[mode] = len(q.captured_queries)
        shapes[mode] = Counter(shape(x["sql"])[:160] for x in q.captured_queries)
    extra = shapes["with"] - shapes["without"]
    return {"with": counts["with"], "without": counts["without"], "added_by_history": dict(extra.most_common())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per mode (with / without history)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    calls = max(args.calls // BLOCK, 2) * BLOCK

    from workgroups import services

    secretariat = User.objects.get(email=SECRETARIAT)
    delegate_pk = User.objects.get(email=DELEGATE).pk
    per_kind = 2 * WARM + 2 * calls + 2
    items = _items(2 * per_kind, secretariat)
    done_items, save_items = items[:per_kind], items[per_kind:]
    users = [User.objects.get(pk=delegate_pk) for _ in range(per_kind)]

    def mark_done(item: object) -> None:
        services.complete_action_item(item, by=users.pop(), note=NOTE)

    def bare_save(item: object) -> None:
        item.description = "Benchmark: one field changed."
        with acting_as(secretariat):
            save_with_reason(item, "Edited")

    # Warm both paths (connection, caches, first-use imports), then measure.
    _alternate(WARM, done_items[: 2 * WARM], mark_done)
    _alternate(WARM, save_items[: 2 * WARM], bare_save)
    started = time.perf_counter()
    done_times = _alternate(calls, done_items[2 * WARM : -2], mark_done)
    save_times = _alternate(calls, save_items[2 * WARM : -2], bare_save)
    elapsed = time.perf_counter() - started
    result = {
        "service": "workgroups.services.complete_action_item",
        "actor": DELEGATE,
        "elapsed_s": round(elapsed, 1),
        "mark_done": {
            "with": _summary(done_times["with"]),
            "without": _summary(done_times["without"]),
            "queries": _queries(done_items[-2], done_items[-1], mark_done),
        },
        "bare_save": {
            "with": _summary(save_times["with"]),
            "without": _summary(save_times["without"]),
            "queries": _queries(save_items[-2], save_items[-1], bare_save),
        },
    }
    for part in ("mark_done", "bare_save"):
        r = result[part]
        r["ratio_median"] = round(r["with"]["median_ms"] / r["without"]["median_ms"], 2)
        r["ratio_mean"] = round(r["with"]["mean_ms"] / r["without"]["mean_ms"], 2)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k].get("ratio_median") for k in ("mark_done", "bare_save")}))


if __name__ == "__main__":
    main()
