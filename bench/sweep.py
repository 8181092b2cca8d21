"""Reminder sweep figures of issue 6, for bench/run.py (run in the bench environment; not a test).

    python bench/sweep.py --rows 1000000 --helper-rows 10000 --out FILE

1. Seeds `--rows` action items with history over ten years (due dates from ten
   years back to one year ahead of the anchor day; old items mostly done, recent
   ones partly open, future ones open). The first `--helper-rows` go through the
   bulk helper `secretariat.history.bulk_create_with_history` (history rows and
   audit seals), whose rate is measured and extrapolated to `--rows`; the rest
   are written by one INSERT ... SELECT per 100,000 rows plus their historical rows
   ('+' records attributed to the system user), without audit seals (the sweep
   never reads seals; `verify_audit` would report those rows unsealed). Pass
   `--helper-rows` equal to `--rows` for the helper all the way.
2. Measures a bare `SELECT count(*)` over the action items table (warm, median).
3. Travels in time (time-machine) to the anchor: a Tuesday 03:00 UTC, inside the
   working hours of every member state (09:30 in Yangon, 12:00 in Dili) on a day
   that is a working day in all of them, and runs the first sweep over the whole
   table (timed). Years of minutely sweeps would have sent its backlog long ago, so
   the notifications it planned are marked sent in SQL (`--full-drain` sends them
   instead, which takes minutes), then sweeps run until one has nothing to do.
4. Steady state: one minute later, sweeps that find nothing to do; the median
   against the count, the pulse alone (the sweep's one query, `delivery.pulse`),
   the sweep's queries with their times and EXPLAIN ANALYZE of each; the pulse must
   find due notifications through the partial index `notification_pending_due`
   and due action items through `reminder_plan_next` (the stored plan,
   `workgroups.ReminderPlan`, which the seeding fills as the services would).
5. Catch-up: one day later (a day without sweeps), what the stack's beat task
   `secretariat.tasks.sweep` does (plan, bundle into messages, publish one
   `send_messages` task per batch), against the count, with its parts; then what
   the workers do with what it published (`send_messages` bodies: render and store
   the e-mails, send, mark; one after the other here; SMTP connections counted by
   an aiosmtpd server on loopback). For comparison, on the same backlog in a
   transaction rolled back first: the embedded driver's foreground sweep
   (`delivery.sweep()`: plan, bundle and send in one process).
6. Celery: one more day later, the beat task `secretariat.tasks.sweep` publishes
   `send_messages` tasks to a Redis broker database of the bench's own: the
   broker messages per sweep against the recipients; then a real Celery worker
   (two threads) sends them: SMTP connections against the workers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SMTP_PORT = _free_port()
os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{SMTP_PORT}"
os.environ.setdefault("EMAIL_TIMEOUT", "10")
# The worker would run Django's system checks on start; they are not what we measure.
os.environ["CELERY_SKIP_CHECKS"] = "1"

from djangoenv import shape

# isort: split
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from secretariat import delivery, working_hours
from secretariat.history import acting_as, bulk_create_with_history
from secretariat.models import Body, MemberState, Message, MessageStatus, Notification
from secretariat.services import system_user

SQL_CHUNK = 100_000
HELPER_CHUNK = 5_000
TITLE = "Sweep benchmark item"


def log(text: str) -> None:
    print(f"[sweep] {text}", flush=True)


_LONG_LIST = re.compile(r"(\{|\()((?:'?[\w.-]+'?, ?){8,}'?[\w.-]+'?)(\}|\))")


def shorten(text: str) -> str:
    """Long literal lists of ids in SQL and plans, cut to their first few items and a count."""

    def cut(match: re.Match) -> str:
        items = match.group(2).split(",")
        return f"{match.group(1)}{','.join(items[:4])}, … {len(items)} items{match.group(3)}"

    return _LONG_LIST.sub(cut, text)


# --- SMTP server on loopback that counts connections ---------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.messages = 0

    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        with self.lock:
            self.messages += 1
        return "250 Message accepted for delivery"

    def take(self) -> tuple[int, int]:
        """Connections and messages since the last call."""
        with self.lock:
            counts = (self.connections, self.messages)
            self.connections = self.messages = 0
        return counts


def start_smtp() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()

    class CountingController(Controller):
        def factory(self) -> SMTP:
            # asyncio calls the factory once per accepted connection.
            with mailbox.lock:
                mailbox.connections += 1
            return super().factory()

    controller = CountingController(mailbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    mailbox.take()  # start() opens one connection to check that the server is up
    return controller, mailbox


# --- Seeding ------------------------------------------------------------------------------------


def anchor_moment() -> dt.datetime:
    """A Tuesday 03:00 UTC at least two days ahead, with it and the next two days working days everywhere."""
    countries = set(MemberState.objects.values_list("holidays_code", flat=True)) | {"MY"}
    day = timezone.now().date() + dt.timedelta(days=2)
    for _ in range(400):
        days = [day + dt.timedelta(days=n) for n in range(3)]
        if day.weekday() == 1 and all(working_hours.is_working_day(d, c) for d in days for c in countries):
            return dt.datetime.combine(day, dt.time(3, 0), dt.UTC)
        day += dt.timedelta(days=1)
    raise RuntimeError("No Tuesday with three working days in all member states within a year.")


def status_for(offset: int, r: float) -> str:
    """The status of an item due `offset` days from the anchor (mirrored in SQL below)."""
    if offset < -60:
        return "open" if r < 0.02 else "done" if r < 0.94 else "dropped"
    if offset < 0:
        return "open" if r < 0.15 else "in_progress" if r < 0.30 else "done" if r < 0.95 else "dropped"
    return "open" if r < 0.7 else "in_progress"


STATUS_SQL = """
CASE WHEN d < -60 THEN (CASE WHEN r < 0.02 THEN 'open' WHEN r < 0.94 THEN 'done' ELSE 'dropped' END)
     WHEN d < 0 THEN (CASE WHEN r < 0.15 THEN 'open' WHEN r < 0.30 THEN 'in_progress'
                           WHEN r < 0.95 THEN 'done' ELSE 'dropped' END)
     ELSE (CASE WHEN r < 0.7 THEN 'open' ELSE 'in_progress' END) END
"""


def seed_with_helper(count: int, anchor: dt.datetime, bodies: list[int], states: list[int], user: object) -> float:
    from workgroups.models import ActionItem

    rng = random.Random(42)
    anchor_day = anchor.date()
    started = time.perf_counter()
    done = 0
    with acting_as(user):
        while done < count:
            objs = []
            for g in range(done, min(done + HELPER_CHUNK, count)):
                d, r = rng.randint(-3650, 365), rng.random()
                status = status_for(d, r)
                due = anchor_day + dt.timedelta(days=d)
                created = dt.datetime.combine(due - dt.timedelta(days=45), dt.time(2), dt.UTC)
                closed = None
                if status in ("done", "dropped"):
                    closed = min(dt.datetime.combine(due + dt.timedelta(days=2), dt.time(2), dt.UTC), anchor)
                objs.append(
                    ActionItem(
                        body_id=bodies[g % len(bodies)],
                        title=f"{TITLE} {g}",
                        owner_kind="state",
                        owner_state_id=states[(g // len(bodies)) % len(states)],
                        due_date=due,
                        status=status,
                        completion_note="Done." if status == "done" else "",
                        drop_reason="Superseded." if status == "dropped" else "",
                        created_at=created,
                        started_at=created + dt.timedelta(days=1) if status == "in_progress" else None,
                        closed_at=closed,
                        created_by=user,
                    )
                )
            # The helper plans the new items' reminders as ActionItem.save would (workgroups.receivers).
            bulk_create_with_history(objs, reason="Benchmark volume")
            done += len(objs)
            rate = done / (time.perf_counter() - started)
            log(f"helper: {done:,}/{count:,} rows ({rate:,.0f} rows/s)")
    return time.perf_counter() - started


def _insert_columns(model: type, values: dict[str, str]) -> tuple[list[str], list[str], list[object]]:
    """Columns and SQL expressions for every concrete column of `model` (others: default or NULL)."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in ("id", "history_id"):
            continue
        columns.append(f'"{field.column}"')
        if field.column in values:
            expressions.append(values[field.column])
        elif field.has_default():
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expressions.append("NULL")
        else:
            raise RuntimeError(f"bench/sweep.py does not know how to fill {model._meta.db_table}.{field.column}")
    return columns, expressions, params


def seed_with_sql(first: int, last: int, anchor: dt.datetime, bodies: list[int], states: list[int], user_id: int):
    """Rows first..last-1 by INSERT ... SELECT, then their historical rows."""
    from secretariat import reminder_policy
    from workgroups.models import ActionItem, ReminderPlan

    lead_days = reminder_policy.before("action_item_due")[0].days
    table = ActionItem._meta.db_table
    plan_table = ReminderPlan._meta.db_table
    history_table = ActionItem.history.model._meta.db_table
    day = anchor.date().isoformat()
    moment = anchor.isoformat()
    values = {
        "body_id": f"(ARRAY{bodies}::bigint[])[1 + mod(g, {len(bodies)})]",
        "title": f"'{TITLE} ' || g",
        "description": "''",
        "owner_kind": "'state'",
        "owner_state_id": f"(ARRAY{states}::bigint[])[1 + mod(g / {len(bodies)}, {len(states)})]",
        "due_date": f"DATE '{day}' + d",
        "priority": "2",
        "status": "status",
        "shared_with_observers": "false",
        "completion_note": "CASE WHEN status = 'done' THEN 'Done.' ELSE '' END",
        "drop_reason": "CASE WHEN status = 'dropped' THEN 'Superseded.' ELSE '' END",
        "created_at": f"((DATE '{day}' + d - 45)::timestamp + interval '2 hours') AT TIME ZONE 'UTC'",
        "created_by_id": str(user_id),
        "started_at": f"CASE WHEN status = 'in_progress' THEN ((DATE '{day}' + d - 44)::timestamp"
        " + interval '2 hours') AT TIME ZONE 'UTC' END",
        "closed_at": f"CASE WHEN status IN ('done', 'dropped') THEN LEAST(((DATE '{day}' + d + 2)::timestamp"
        f" + interval '2 hours') AT TIME ZONE 'UTC', TIMESTAMPTZ '{moment}') END",
        "meeting_id": "NULL",
        "agenda_item_id": "NULL",
        "decision_id": "NULL",
        "task_id": "NULL",
    }
    columns, expressions, params = _insert_columns(ActionItem, values)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')
        max_before = cursor.fetchone()[0]
        cursor.execute("SELECT setseed(0.42)")
        for low in range(first, last, SQL_CHUNK):
            high = min(low + SQL_CHUNK, last) - 1
            cursor.execute(
                f'INSERT INTO "{table}" ({", ".join(columns)}) '
                f"SELECT {', '.join(expressions)} FROM ("
                f"  SELECT g, d, r, {STATUS_SQL} AS status FROM ("
                "    SELECT g, floor(random() * 4016)::int - 3650 AS d, random() AS r"
                f"    FROM generate_series({low}, {high}) AS g) AS raw) AS s",
                params,
            )
            log(f"SQL: {high + 1:,}/{last:,} rows ({(high + 1 - first) / (time.perf_counter() - started):,.0f} rows/s)")
        history_values = {f.column: f'"{f.column}"' for f in ActionItem._meta.concrete_fields if f.column != "id"}
        history_values |= {
            "id": '"id"',
            "history_date": '"created_at"',
            "history_change_reason": "'Benchmark volume'",
            "history_type": "'+'",
            "history_user_id": str(user_id),
        }
        h_columns, h_expressions, h_params = _insert_columns(ActionItem.history.model, history_values)
        h_columns.insert(0, '"id"')
        h_expressions.insert(0, '"id"')
        cursor.execute(
            f'INSERT INTO "{history_table}" ({", ".join(h_columns)}) '
            f'SELECT {", ".join(h_expressions)} FROM "{table}" WHERE id > %s',
            [*h_params, max_before],
        )
        log(f"SQL: history rows written ({time.perf_counter() - started:.0f} s so far)")
        # The plan a new item gets (workgroups.models.first_reminder_at): midnight, in the
        # project's zone, on the day of the first "due" reminder (settings.REMINDERS), for
        # open items only. As if every item had been created through the services and never
        # swept: the first sweep below moves the plans of the whole table on.
        cursor.execute(
            f'INSERT INTO "{plan_table}" (action_item_id, next_at) '
            f"SELECT id, (due_date - {lead_days})::timestamp AT TIME ZONE %s "
            f"FROM \"{table}\" WHERE id > %s AND status IN ('open', 'in_progress')",
            [settings.TIME_ZONE, max_before],
        )
        log(f"SQL: reminder plans written ({time.perf_counter() - started:.0f} s so far)")
    return time.perf_counter() - started


def vacuum() -> float:
    from workgroups.models import ActionItem, ReminderPlan

    started = time.perf_counter()
    tables = [
        ActionItem._meta.db_table,
        ActionItem.history.model._meta.db_table,
        ReminderPlan._meta.db_table,
        "secretariat_auditseal",
        Notification._meta.db_table,
        Message._meta.db_table,
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM ANALYZE "{table}"')
    return time.perf_counter() - started


# --- Measuring -----------------------------------------------------------------------------------


def bare_count(runs: int = 5) -> dict:
    from workgroups.models import ActionItem

    table = ActionItem._meta.db_table
    times = []
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # warm
        rows = cursor.fetchone()[0]
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            cursor.fetchone()
            times.append(time.perf_counter() - started)
        cursor.execute(f'EXPLAIN SELECT count(*) FROM "{table}"')
        plan = "\n".join(r[0] for r in cursor.fetchall())
    return {"rows": rows, "ms": round(statistics.median(times) * 1000, 1), "runs_ms": _ms(times), "plan": plan}


def _ms(times: list[float]) -> list[float]:
    return [round(t * 1000, 1) for t in times]


class QueryCounter:
    """Counts the queries of this process's connection and their time (cheaper than capturing them)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def timed_sweep() -> tuple[float, delivery.SweepResult, QueryCounter]:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = delivery.sweep(timezone.now())
        elapsed = time.perf_counter() - started
    return elapsed, result, counter


class Parts:
    """Times of the steps of a sweep, by wrapping the functions the sweep calls (module globals)."""

    # plan and bundle: the sweep's steps; write: a sender rendering the messages it claimed
    # and storing their content (digests included) before it sends them.
    STEPS = {"plan": "plan", "bundle": "bundle", "write": "_write"}

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.STEPS, 0.0)

    def __enter__(self) -> Parts:
        self.saved = {name: getattr(delivery, attr) for name, attr in self.STEPS.items()}
        for name, attr in self.STEPS.items():
            setattr(delivery, attr, self._timed(name, self.saved[name]))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, attr in self.STEPS.items():
            setattr(delivery, attr, self.saved[name])

    def _timed(self, name: str, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return run

    def ms(self) -> dict[str, float]:
        return {name: round(seconds * 1000, 1) for name, seconds in self.seconds.items()}


def catch_up(mailbox: Mailbox) -> dict:
    """A day of backlog, measured three ways on the same rows.

    1. the embedded driver (`send_due_reminders`: one `delivery.sweep()` plans, bundles
       and sends in one process), in a transaction rolled back afterwards;
    2. the stack's beat task, `secretariat.tasks.sweep`, as it runs in production: plan,
       bundle into messages (one per address, not yet written), publish one
       `send_messages` task per batch to the broker. This is "the catch-up sweep" held
       to the goal;
    3. the workers' share: each published batch sent by the task's body (`send_messages`:
       claim, render and store the e-mails, send, mark), here one after the other in
       this process.
    """
    import redis
    from secretariat import tasks
    from secretariat.celery import app

    now = timezone.now()
    out: dict = {"pending_due_before": Notification.objects.filter(status="pending", due_at__lte=now).count()}
    with transaction.atomic():
        elapsed, result, counter = timed_sweep()
        connections, messages = mailbox.take()
        out["foreground"] = {
            "ms": round(elapsed * 1000, 1),
            **vars(result),
            "queries": counter.count,
            "sql_ms": round(counter.seconds * 1000, 1),
            "smtp_connections": connections,
            "smtp_messages": messages,
        }
        transaction.set_rollback(True)
    client = redis.Redis.from_url(os.environ.get("CELERY_BROKER_URL", ""))
    app.control.purge()
    counter = QueryCounter()
    with Parts() as parts, connection.execute_wrapper(counter):
        queued_before = client.llen("celery")
        started = time.perf_counter()
        due = tasks.sweep()
        elapsed = time.perf_counter() - started
    planned = Notification.objects.filter(created_at__gte=now).count()
    bundled = Message.objects.filter(created_at__gte=now).count()
    out |= {
        "ms": round(elapsed * 1000, 1),
        "planned": planned,
        "bundled": bundled,
        "queries": counter.count,
        "sql_ms": round(counter.seconds * 1000, 1),
        "due_messages": due,
        "tasks_published": client.llen("celery") - queued_before,
        "parts_ms": parts.ms(),
    }
    out["parts_ms"]["publish_and_rest"] = round(out["ms"] - out["parts_ms"]["plan"] - out["parts_ms"]["bundle"], 1)
    out["floor"] = floor(now)
    app.control.purge()
    ids = delivery.due_message_ids(timezone.now())
    size = settings.DELIVERY_BATCH_SIZE
    counter = QueryCounter()
    with Parts() as parts, connection.execute_wrapper(counter):
        started = time.perf_counter()
        sent = sum(tasks.send_messages(ids[n : n + size]) for n in range(0, len(ids), size))
        elapsed = time.perf_counter() - started
    connections, messages = mailbox.take()
    out["send"] = {
        "ms": round(elapsed * 1000, 1),
        "tasks": -(-len(ids) // size),
        "sent": sent,
        "queries": counter.count,
        "sql_ms": round(counter.seconds * 1000, 1),
        "smtp_connections": connections,
        "smtp_messages": messages,
        "write_ms": parts.ms()["write"],
    }
    out["rest"] = drain(mailbox)
    return out


def floor(since: dt.datetime) -> dict:
    """What writing the catch-up's rows costs with nothing else around it, in a transaction rolled back:

    - its notifications written again by one plain INSERT ... SELECT (each with another occurrence,
      so nothing conflicts): no rule, no Python, no conflict check, no bundling;
    - the plans of the action items it reminded moved by one UPDATE.

    The sweep cannot cost less than these: they are the rows a day's catch-up must write.
    """
    from workgroups.models import ReminderPlan

    table, plans = Notification._meta.db_table, ReminderPlan._meta.db_table
    columns = "kind, content_type_id, object_id, recipient_id, address, occurrence, due_at, status, created_at"
    out = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE floor_rows AS SELECT {columns} FROM {table} WHERE created_at >= %s", [since])
        cursor.execute("SELECT count(*) FROM floor_rows")
        out["notifications"] = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT kind, content_type_id, object_id, recipient_id, address,"
            " occurrence || '-floor', due_at, status, created_at FROM floor_rows"
        )
        out["insert_ms"] = round((time.perf_counter() - started) * 1000, 1)
        started = time.perf_counter()
        cursor.execute(
            f"UPDATE {plans} SET next_at = next_at + interval '1 second' WHERE action_item_id IN"
            " (SELECT object_id FROM floor_rows WHERE kind LIKE 'action_item_%%')"
        )
        out["plans"] = cursor.rowcount
        out["update_ms"] = round((time.perf_counter() - started) * 1000, 1)
        transaction.set_rollback(True)
    out["ms"] = round(out["insert_ms"] + out["update_ms"], 1)
    return out


def drain(mailbox: Mailbox, limit: int = 500) -> dict:
    """Sweep until a sweep does nothing; returns counts, times and SMTP connections per sweep."""
    times, totals, first, connections = [], delivery.SweepResult(), None, []
    for _ in range(limit):
        elapsed, result, counter = timed_sweep()
        times.append(elapsed)
        connections.append(mailbox.take()[0])
        if first is None:
            first = {"ms": round(elapsed * 1000, 1), **vars(result), "queries": counter.count}
        totals.planned += result.planned
        totals.bundled += result.bundled
        totals.sent += result.sent
        if not (result.planned or result.bundled or result.sent):
            break
    return {
        "sweeps": len(times),
        "total_s": round(sum(times), 1),
        "first_sweep": first,
        **vars(totals),
        "smtp_connections_per_sweep": connections,
        "smtp_connections": sum(connections),
    }


def explain(sql: str) -> str:
    """EXPLAIN ANALYZE of a captured SELECT, in a transaction that is rolled back (it may lock rows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(r[0] for r in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def seed_derived(anchor: dt.datetime) -> dict:
    """What the derived sources read, around the anchor: upcoming meetings (some inside their
    reminder windows), minutes waiting for the chair and in comments, open circulations.

    The demo's own meetings and circulations sit around the day it was seeded, not the
    anchor; without these the steady state would measure sources with nothing to read.
    Written through the services a day before the anchor, as the secretariat would.
    """
    from meetings import services as meetings
    from meetings.models import Meeting, Minutes, MinutesStatus
    from secretariat.documents import services as documents
    from secretariat.documents.models import CirculationMode, Classification, Document
    from secretariat.models import SECRETARIAT_GROUP, User

    officer = User.objects.filter(groups__name=SECRETARIAT_GROUP, is_active=True).order_by("pk").first()
    bodies = list(Body.objects.order_by("pk"))
    failed: list[str] = []

    def three_hours_in_jakarta(n: int, start: dt.datetime) -> Meeting:
        return meetings.create_meeting(
            by=officer,
            body=bodies[n % len(bodies)],
            start=start,
            end=start + dt.timedelta(hours=3),
            time_zone="Asia/Jakarta",
            venue="ASEAN Secretariat, Jakarta",
        )

    with time_machine.travel(anchor - dt.timedelta(days=1), tick=False), acting_as(officer):
        for n, days in enumerate((2, 5, 8, 9, 12, 16, 20, 25, 30, 40, 50, 60)):
            start = anchor + dt.timedelta(days=days, hours=n % 5)
            try:
                meetings.schedule_meeting(three_hours_in_jakarta(n, start), by=officer)
            except Exception as exc:  # a body without delegations, a clash: the bench goes on
                failed.append(f"meeting {days}d: {str(exc)[:120]}")
        for n, (days, submit) in enumerate(((-6, True), (-9, True), (-4, False))):
            start = anchor + dt.timedelta(days=days)
            try:
                # Created and scheduled before it began, then marked held through the service.
                with time_machine.travel(start - dt.timedelta(days=2), tick=False):
                    held = meetings.schedule_meeting(three_hours_in_jakarta(n, start), by=officer)
                held = meetings.mark_held(held, by=officer)
                meetings.create_minutes_version(held, by=officer, text="# Minutes\n\nThe meeting was held.")
                if submit:
                    meetings.submit_minutes(held.minutes, by=officer)
                else:
                    meetings.circulate_minutes(held.minutes, by=officer, deadline=anchor + dt.timedelta(days=5))
            except Exception as exc:
                failed.append(f"minutes {days}d: {str(exc)[:120]}")
        modes = ((CirculationMode.COMMENTS, 20), (CirculationMode.SILENCE, 96), (CirculationMode.AD_REFERENDUM, 200))
        # Documents never circulated, whose readers need no naming (not confidential).
        docs = (
            Document.objects.exclude(versions__circulations__isnull=False)
            .exclude(classification=Classification.CONFIDENTIAL)
            .order_by("pk")[: len(modes)]
        )
        for document, (mode, hours) in zip(docs, modes, strict=False):
            try:
                documents.circulate_document(
                    document.versions.order_by("-pk").first(),
                    by=officer,
                    mode=mode,
                    deadline=anchor + dt.timedelta(hours=hours),
                    bodies=[document.body],
                )
            except Exception as exc:
                failed.append(f"circulation {mode}: {str(exc)[:120]}")
    from secretariat.documents.models import Circulation

    return {
        "meetings_going_ahead_after_anchor": Meeting.objects.filter(status="scheduled", start__gt=anchor).count(),
        "meetings_within_ten_days": Meeting.objects.filter(
            status="scheduled", start__gt=anchor, start__lte=anchor + dt.timedelta(days=10)
        ).count(),
        "minutes_submitted": Minutes.objects.filter(status=MinutesStatus.SUBMITTED).count(),
        "minutes_circulated": Minutes.objects.filter(status=MinutesStatus.CIRCULATED).count(),
        "circulations_open_with_deadline": Circulation.objects.open().filter(deadline__gt=anchor).count(),
        "failed": failed,
    }


def _timed_sources(ran: dict[str, list[float]]) -> list[delivery.Source]:
    """The registered sources, each wrapped to record how long it ran when the sweep ran it."""

    def timed(source: delivery.Source) -> delivery.Source:
        def run(now: dt.datetime):
            started = time.perf_counter()
            try:
                return source.plan(now)
            finally:
                ran[source.name].append(time.perf_counter() - started)

        return dataclasses.replace(source, plan=run)

    return [timed(source) for source in delivery._sources]


def steady_state(runs: int) -> dict:
    times, results = [], []
    # Which sources the steady sweeps run (their cursor's moment has come, or a write woke them).
    ran: dict[str, list[float]] = {source.name: [] for source in delivery._sources}
    registered = delivery._sources
    delivery._sources = _timed_sources(ran)
    try:
        for _ in range(runs):
            elapsed, result, _ = timed_sweep()
            times.append(elapsed)
            results.append(vars(result))
    finally:
        delivery._sources = registered
    # The steady sweep is its pulse (one query: cursors, wakes, anything due?) and nothing else.
    parts: dict[str, list[float]] = {"pulse": []}
    for _ in range(runs):
        started = time.perf_counter()
        delivery.pulse(timezone.now())
        parts["pulse"].append(time.perf_counter() - started)
    # Each source run directly: what a sweep pays when it does run it (woken, or its moment come).
    by_source: dict[str, list[float]] = {}
    source_queries: dict[str, int] = {}
    for _ in range(runs):
        now = timezone.now()
        for source in list(delivery._sources):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                source.plan(now)
                by_source.setdefault(source.name, []).append(time.perf_counter() - started)
            source_queries[source.name] = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        delivery.sweep(timezone.now())
    queries = []
    for q in captured.captured_queries:
        entry = {"ms": round(float(q["time"]) * 1000, 2), "sql": shorten(q["sql"])}
        if q["sql"].lstrip().upper().startswith("SELECT"):
            entry["plan"] = shorten(explain(q["sql"]))
        queries.append(entry)
    # The looks for due notifications and for action items whose plan has come: both in the
    # pulse (EXISTS subqueries), whose plan shows which index each reads.
    due_query = next(
        (q for q in queries if 'FROM "secretariat_notification"' in q["sql"] and '"due_at" <=' in q["sql"]), None
    )
    items_query = next((q for q in queries if 'FROM "workgroups_reminderplan"' in q["sql"]), None)
    return {
        "items_query": items_query,
        "items_query_uses_partial_index": bool(items_query and "reminder_plan_next" in items_query.get("plan", "")),
        "runs": runs,
        "ms": round(statistics.median(times) * 1000, 1),
        "runs_ms": _ms(times),
        "results": results,
        "parts_ms": {k: round(statistics.median(v) * 1000, 1) for k, v in parts.items()},
        "sources": {
            k: {
                "ran_in": len(ran.get(k, [])),
                "ran_ms": round(statistics.median(ran[k]) * 1000, 2) if ran.get(k) else 0.0,
                "ms": round(statistics.median(v) * 1000, 2),
                "queries": source_queries[k],
            }
            for k, v in by_source.items()
        },
        "queries": queries,
        "query_shapes": len({shape(q["sql"]) for q in queries}),
        "due_query": due_query,
        "due_query_uses_partial_index": bool(due_query and "notification_pending_due" in due_query.get("plan", "")),
    }


def due_recipients(now: dt.datetime) -> int:
    ids = delivery.due_message_ids(now)
    return Message.objects.filter(pk__in=ids).values("address").distinct().count()


def celery_sweep(mailbox: Mailbox, broker_url: str, concurrency: int, start: dt.datetime) -> dict:
    """Two beats of `secretariat.tasks.sweep` a minute apart (rows planned by one sweep are
    bundled by the next), then a real worker (threads) sends what they published."""
    import redis
    from celery import signals
    from celery.contrib.testing.worker import start_worker
    from secretariat import tasks
    from secretariat.celery import app

    published: list[str] = []
    finished: list[str] = []

    def on_publish(sender: str | None = None, **kwargs: object) -> None:
        published.append(sender or "")

    def on_postrun(task_id: str | None = None, **kwargs: object) -> None:
        finished.append(task_id or "")

    client = redis.Redis.from_url(broker_url)
    app.control.purge()
    signals.after_task_publish.connect(on_publish, weak=False)
    signals.task_postrun.connect(on_postrun, weak=False)
    beats = []
    try:
        for n in range(2):
            with time_machine.travel(start + dt.timedelta(seconds=61 * n), tick=True):
                before = len(published)
                queued_before = client.llen("celery")
                recipients = None
                started = time.perf_counter()
                due = tasks.sweep()  # the beat task's body, run here; it publishes send_messages tasks
                elapsed = time.perf_counter() - started
                recipients = Message.objects.filter(status=MessageStatus.QUEUED).values("address").distinct().count()
                beats.append(
                    {
                        "ms": round(elapsed * 1000, 1),
                        "due_messages": due,
                        "tasks_published": len(published) - before,
                        "broker_messages": client.llen("celery") - queued_before,
                        "recipients": recipients,
                    }
                )
        mailbox.take()
        with time_machine.travel(start + dt.timedelta(seconds=200), tick=True):
            started = time.perf_counter()
            with start_worker(
                app, pool="threads", concurrency=concurrency, perform_ping_check=False, shutdown_timeout=30
            ):
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline and len(finished) < len(published):
                    time.sleep(0.1)
            send_s = time.perf_counter() - started
        connections, messages = mailbox.take()
    finally:
        signals.after_task_publish.disconnect(on_publish)
        signals.task_postrun.disconnect(on_postrun)
        app.control.purge()
    return {
        "beats": beats,
        "tasks_published": len(published),
        "tasks_run": len(finished),
        "worker_concurrency": concurrency,
        "smtp_connections": connections,
        "smtp_messages": messages,
        "send_s": round(send_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--helper-rows", type=int, default=10_000)
    parser.add_argument("--steady-runs", type=int, default=5)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--full-drain", action="store_true", help="send the first sweep's backlog instead of marking it sent"
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out: dict = {"rows_requested": args.rows, "smtp": f"aiosmtpd on 127.0.0.1:{SMTP_PORT}"}
    user = system_user()
    bodies = list(Body.objects.order_by("pk").values_list("pk", flat=True))
    states = list(MemberState.objects.order_by("pk").values_list("pk", flat=True))
    anchor = anchor_moment()
    out["anchor"] = anchor.isoformat()
    log(f"anchor {anchor.isoformat()} ({anchor:%A}); {len(bodies)} bodies, {len(states)} member states")

    # 1. Seed.
    helper_rows = min(args.helper_rows, args.rows)
    helper_s = seed_with_helper(helper_rows, anchor, bodies, states, user)
    sql_s = seed_with_sql(helper_rows, args.rows, anchor, bodies, states, user.pk) if args.rows > helper_rows else 0
    derived = seed_derived(anchor)
    log(f"derived sources' rows: {json.dumps(derived)}")
    vacuum_s = vacuum()
    from workgroups.models import ActionItem

    out["seed"] = {
        "helper_rows": helper_rows,
        "helper_s": round(helper_s, 1),
        "helper_rows_per_s": round(helper_rows / helper_s, 1) if helper_s else None,
        "helper_projected_s_for_all": round(args.rows * helper_s / helper_rows) if helper_rows else None,
        "sql_rows": max(args.rows - helper_rows, 0),
        "sql_s": round(sql_s, 1),
        "vacuum_analyze_s": round(vacuum_s, 1),
        "derived": derived,
        "open_in_reminder_window": ActionItem.objects.open()
        .filter(due_date__gte=anchor.date() - dt.timedelta(days=60), due_date__lte=anchor.date() + dt.timedelta(days=3))
        .count(),
        "open_total": ActionItem.objects.open().count(),
    }
    log(f"seeded: {json.dumps(out['seed'])}")

    # 2. The bare count.
    out["count"] = bare_count()
    log(f"count(*) over {out['count']['rows']:,} rows: {out['count']['ms']} ms")

    controller, mailbox = start_smtp()
    try:
        with acting_as(user):
            # 3. First sweep over the whole table, then drain.
            with time_machine.travel(anchor, tick=True):
                log("the first sweep over the whole table ...")
                elapsed, result, counter = timed_sweep()
                out["initial"] = {"ms": round(elapsed * 1000, 1), **vars(result), "queries": counter.count}
                out["initial"]["smtp_connections"], out["initial"]["smtp_messages"] = mailbox.take()
                log(f"first sweep: {json.dumps(out['initial'])}")
                if not args.full_drain:
                    # Years of minutely sweeps would have sent these long ago: mark them sent
                    # rather than spend minutes sending them (--full-drain sends them).
                    backlog = Notification.objects.filter(
                        status="pending", due_at__lte=timezone.now() + dt.timedelta(minutes=1)
                    )
                    out["initial"]["marked_sent_by_sql"] = backlog.update(status="sent")
                out["initial"]["drain"] = drain(mailbox)
                log(f"drained: {json.dumps(out['initial']['drain'])}")
            vacuum()
            # 4. Steady state: a minute later, nothing is due.
            with time_machine.travel(anchor + dt.timedelta(minutes=5), tick=True):
                out["steady"] = steady_state(args.steady_runs)
                out["steady"]["smtp_connections"], _ = mailbox.take()
                log(f"steady: {out['steady']['ms']} ms (runs {out['steady']['runs_ms']})")
            # 5. Catch-up after a day without sweeps: the beat task (and, for comparison, the foreground driver).
            with time_machine.travel(anchor + dt.timedelta(days=1), tick=True):
                out["catchup"] = catch_up(mailbox)
                log(f"catch-up: {json.dumps(out['catchup'])}")
            # 6. The Celery path, one more day later.
            broker = os.environ.get("CELERY_BROKER_URL", "")
            start = anchor + dt.timedelta(days=2)
            out["celery"] = celery_sweep(mailbox, broker, args.worker_concurrency, start)
            log(f"celery: {json.dumps(out['celery'])}")
    finally:
        controller.stop()
    out["notifications"] = Notification.objects.count()
    out["messages"] = Message.objects.count()
    Path(args.out).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
