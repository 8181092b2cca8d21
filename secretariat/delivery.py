"""The delivery engine: every e-mail the app sends goes through it.

Rows, not broker messages, are the truth. A request that has something to say
writes a `Notification` row (unique per kind, object, address and occurrence) and
returns; it never talks to the broker. The sweep then:

0. takes its pulse: ONE query says whether anything at all is to be done (each
   source's cursor and wakes, each indexed source's "rows due?", notifications
   due, messages to send); a sweep with nothing to do stops there (see `pulse`);
1. plans: asks every registered source what has come due and writes the rows
   (a unique key makes planning twice a no-op). A source that derives its
   reminders from other rows says when it could next plan something; its
   `SourceCursor` keeps that moment, and the sweep skips it until then or until a
   change to a model it watches wakes it (see `plan`). A source that stores its
   plan in an indexed table (action items: `workgroups.ReminderPlan`) gives the
   rows that make it due instead, and runs only when the pulse finds some;
2. bundles: turns due notifications into `Message` rows, one per address, in a
   transaction that locks the rows it takes (skip-locked on PostgreSQL, an
   immediate transaction on SQLite), so two sweeps never bundle one twice. It
   renders nothing: with Celery the sweep is beat's task, and the e-mails are
   written by the workers that send them;
3. claims messages with a conditional UPDATE (queued and due, or sending with an
   expired lease) that stamps a claim token and a lease: only one sender wins;
4. renders the claimed messages not yet written and stores their content under
   the claim before sending any (a resend sends the very same text), then sends
   them over one SMTP connection and marks each sent, or backs it off, and after
   `DELIVERY_MAX_ATTEMPTS` marks it failed with the error.

A sender that dies between sending and marking leaves its message "sending";
once the lease expires the next sweep claims it again: at most one resend, which
is the best SMTP allows. Apps contribute kinds (how to render) and sources (what
is due) through the registry below, so this module knows no app above it.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, F, OuterRef, Q, Subquery, prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape

from . import working_hours
from .context_processors import forget_bells
from .history import bulk_written
from .models import Message, MessageStatus, Notification, NotificationStatus, SourceCursor, SourceWake, User
from .sqlrows import json_rows

log = logging.getLogger(__name__)


@dataclasses.dataclass
class EmailContent:
    subject: str
    text: str
    html: str = ""
    attachments: list[dict[str, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Kind:
    """A kind of notification: how to render it and how it may be delivered."""

    name: str
    label: str
    render: Callable[[Notification], EmailContent]
    # Mandatory kinds cannot be switched off by the recipient.
    mandatory: bool = True
    # Urgent kinds go at once, whatever the recipient's working hours.
    urgent: bool = False
    # Relations of the subject its e-mail reads (prefetch_related lookups), fetched for
    # all the rows a sweep bundles at once rather than once per e-mail.
    prefetch: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Planning:
    """What a source with a stored plan returns: how many notifications it planned, and
    the earliest moment after `now` at which its derivation could plan something new
    given the rows as they stand (None: nothing foreseeable, sleep until woken)."""

    planned: int
    next_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Source:
    plan: Callable[[dt.datetime], int | Planning]
    name: str
    # The rows whose presence means the source has something to plan at `now` (a
    # source with a stored plan: its rows whose next moment has come). The pulse asks
    # whether any exist; the source runs only when some do, and needs no cursor.
    due: Callable[[dt.datetime], models.QuerySet] | None = None


_kinds: dict[str, Kind] = {}
_sources: list[Source] = []
# Which sources a write to a model wakes (register_source's `watch`).
_watchers: dict[type[models.Model], list[str]] = {}
# A sleeping source runs again at least this often whatever it said: the net under
# changes no hook sees (SQL by hand, a membership that begins or ends with the
# calendar rather than with a write). An hourly run costs a few milliseconds.
RESWEEP_AFTER = dt.timedelta(hours=1)
# The `now` of the sweep that is planning: what a source plans "now" is stamped
# with it, not with the wall clock a few milliseconds later, so the same sweep
# bundles it (due_at <= now) instead of leaving it for the next one.
_planning_now: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("planning_now", default=None)


def register_kind(
    name: str,
    *,
    label: str,
    render: Callable[[Notification], EmailContent],
    mandatory: bool = True,
    urgent: bool = False,
    prefetch: tuple[str, ...] = (),
) -> Kind:
    kind = Kind(name=name, label=label, render=render, mandatory=mandatory, urgent=urgent, prefetch=prefetch)
    _kinds[name] = kind
    return kind


def source_name(source: Callable) -> str:
    return f"{source.__module__}.{source.__qualname__}"


def register_source(
    source: Callable[[dt.datetime], int | Planning],
    *,
    watch: Iterable[type[models.Model]] = (),
    due: Callable[[dt.datetime], models.QuerySet] | None = None,
) -> Callable[[dt.datetime], int | Planning]:
    """Register a function that plans the notifications due at `now`.

    It returns how many it wrote (an int: it runs at every sweep), or a `Planning`
    that also says when it could next plan something: the sweep then skips it
    until that moment, or until a row of a `watch`ed model is saved, deleted or
    written by the bulk helpers of secretariat.history.

    With `due` (a function of `now` giving a queryset: the rows that make the source
    due, read through an index), the sweep's pulse asks whether any such row exists
    and runs the source only then, whatever it returns.
    """
    name = source_name(source)
    if any(known.name == name for known in _sources):
        return source
    _sources.append(Source(source, name, due))
    for model in watch:
        _watchers.setdefault(model, []).append(name)
        uid = f"delivery.wake:{model._meta.label}"
        post_save.connect(_wake_on_write, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_wake_on_write, sender=model, dispatch_uid=uid, weak=False)
    return source


def kinds() -> dict[str, Kind]:
    return dict(_kinds)


def render_email(template: str, context: dict, *, recipient: User | None = None) -> EmailContent:
    """Render templates/emails/<template>.subject.txt, .txt and .html.

    Times in the templates render in the recipient's zone.
    """
    zone = recipient.zone if recipient else timezone.get_default_timezone()
    context = {"site_url": settings.SITE_URL, "recipient": recipient, **context}
    with timezone.override(zone), translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return EmailContent(subject=" ".join(subject.split()), text=text, html=html)


# --- Planning -------------------------------------------------------------


def notify(
    kind: str,
    subject: models.Model,
    *,
    recipient: User | None = None,
    address: str | None = None,
    occurrence: str = "once",
    due_at: dt.datetime | None = None,
) -> Notification | None:
    """Plan one notification; planning the same one twice returns None and changes nothing.

    Call it inside the service's transaction: the row commits with the change
    that caused it, or not at all.
    """
    if kind not in _kinds:
        raise KeyError(f"Unknown notification kind {kind!r}; register it first.")
    address = (address or (recipient.email if recipient else "")).lower()
    if not address:
        raise ValueError("A notification needs a recipient or an address.")
    due_at = _send_time(_kinds[kind], recipient, due_at or _planning_now.get() or timezone.now())
    row = Notification(
        kind=kind,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        recipient=recipient,
        address=address,
        occurrence=occurrence,
        due_at=due_at,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return None
    return row


def _send_time(kind: Kind, recipient: User | None, due_at: dt.datetime) -> dt.datetime:
    """When a notification may go: inside the recipient's working hours (or at its daily digest).

    The plan is stored: the row says when it may go. Urgent kinds and bare
    addresses go at once.
    """
    if recipient is None or kind.urgent:
        return due_at
    if recipient.digest_mode == "daily" and not kind.mandatory:
        return working_hours.digest_slot(due_at, recipient)
    return working_hours.for_person(due_at, recipient)


@dataclasses.dataclass(frozen=True)
class Planned:
    """One notification to plan with `notify_many`: the arguments of one `notify()`."""

    kind: str
    subject: models.Model
    recipient: User
    occurrence: str = "once"
    due_at: dt.datetime | None = None


def notify_many(plans: Iterable[Planned], *, now: dt.datetime | None = None) -> int:
    """Plan many notifications at once; returns how many were new.

    `notify()` for a sweep's catch-up, in one statement whatever the count (on
    SQLite, one per batch its parameter limit allows):

    1. the rows are built as plain tuples, each send time computed once per (kind's
       rule, calendar, zone, moment) rather than per recipient: recipients should
       come with their member state (select_related) so that costs no query either;
    2. INSERT ... ON CONFLICT (the unique key) DO NOTHING: a row already there
       (planned by an earlier sweep, a service, or a concurrent sweep that won) is
       left as it is, and RETURNING names the rows that are new, so the count is of
       those only.

    Notification is exempt from the history (settings.AUDIT_EXEMPT_MODELS), so a
    bulk insert loses nothing.
    """
    now = now or _planning_now.get() or timezone.now()
    send_times: dict[tuple, dt.datetime] = {}
    rows: dict[tuple, tuple] = {}
    for plan in plans:
        kind = _kinds.get(plan.kind)
        if kind is None:
            raise KeyError(f"Unknown notification kind {plan.kind!r}; register it first.")
        recipient = plan.recipient
        address = recipient.email.lower()
        if not address:
            continue
        # get_for_model answers from ContentType's own cache after the first lookup.
        key = (plan.kind, ContentType.objects.get_for_model(plan.subject).pk, plan.subject.pk, address, plan.occurrence)
        if key in rows:
            continue
        due_at = plan.due_at or now
        state = recipient.member_state
        rule = (kind.urgent, kind.mandatory, recipient.digest_mode, state.holidays_code if state else None)
        slot = (*rule, recipient.zone_name, due_at)
        if slot not in send_times:
            send_times[slot] = _send_time(kind, recipient, due_at)
        rows[key] = (*key[:3], recipient.pk, address, plan.occurrence, send_times[slot])
    new = _insert_notifications(list(rows.values()), now)
    # An INSERT sends no post_save: the bells of these people forget their count here, as
    # secretariat.signals does for a single notification.
    forget_bells(new)
    return len(new)


# The columns notify_many writes (in the order of its tuples, then status and created_at), each
# with the SQL type PostgreSQL reads it as from the JSON rows (`secretariat.sqlrows`).
_PLANNED_COLUMNS = {
    "kind": "varchar",
    "content_type_id": "integer",
    "object_id": "bigint",
    "recipient_id": "bigint",
    "address": "varchar",
    "occurrence": "varchar",
    "due_at": "timestamptz",
    "status": "varchar",
    "created_at": "timestamptz",
}


def _insert_notifications(rows: list[tuple], now: dt.datetime) -> list[int]:
    """Insert pending rows (`_PLANNED_COLUMNS` up to due_at), leaving those whose unique key (notification_once)
    exists; returns the recipients of the rows written, one per row.

    Plain SQL (ON CONFLICT, RETURNING: PostgreSQL, SQLite 3.35 or later): Django's bulk_create
    builds a model object per row and prepares every value through its field, which cost a
    catch-up more than writing the rows; here each distinct moment is prepared once. On
    PostgreSQL the rows go as one JSON parameter (`secretariat.sqlrows`): a statement with
    thousands of placeholders, or one array per column, costs the driver more to prepare than
    the server to run. SQLite takes them as rows, as many a statement as its parameter limit
    allows.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(Notification)]
    moment = Notification._meta.get_field("due_at")
    prepared: dict[dt.datetime, object] = {}

    def prep(value: dt.datetime) -> object:
        if value not in prepared:
            prepared[value] = moment.get_db_prep_save(value, connection)
        return prepared[value]

    quote = connection.ops.quote_name
    names = tuple(_PLANNED_COLUMNS)
    key = next(c for c in Notification._meta.constraints if c.name == "notification_once")
    target = ", ".join(quote(Notification._meta.get_field(name).column) for name in key.fields)
    insert = f"INSERT INTO {quote(Notification._meta.db_table)} ({', '.join(quote(name) for name in names)})"
    tail = f"ON CONFLICT ({target}) DO NOTHING RETURNING {quote('recipient_id')}"
    created, pending = prep(now), NotificationStatus.PENDING.value
    new: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only quoted names and SQL types are formatted in; the rows are one parameter.
            select, document = json_rows(((*row, pending, created) for row in rows), _PLANNED_COLUMNS.values())
            cursor.execute(f"{insert} {select} {tail}", [document])
            return [recipient for (recipient,) in cursor.fetchall()]
        row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
        batch_size = max(1, (connection.features.max_query_params or 9000) // len(names))
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(
                f"{insert} VALUES {', '.join([row_sql] * len(batch))} {tail}",
                [value for row in batch for value in (*row[:-1], prep(row[-1]), pending, created)],
            )
            new += [recipient for (recipient,) in cursor.fetchall()]
    return new


def retire(kind: str, subject: models.Model, *, occurrence: str | None = None) -> int:
    """Retire what is still pending for an object (a moved date, a revoked invitation)."""
    rows = Notification.objects.filter(
        kind=kind,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        status=NotificationStatus.PENDING,
    )
    if occurrence is not None:
        rows = rows.filter(occurrence=occurrence)
    return rows.update(status=NotificationStatus.RETIRED)


@dataclasses.dataclass(frozen=True)
class Pulse:
    """What the sweep's first query found: whether there is anything to do at `now`.

    `cursors` maps a source's name to (next_run_at, woken); `due_sources` names the
    sources with a `due` queryset that found rows. `complete` is False when a source
    has no cursor row yet (the first sweep, a new source): then every source runs
    and nothing is skipped.
    """

    cursors: dict[str, tuple[dt.datetime | None, bool]]
    due_sources: frozenset[str]
    notifications_due: bool
    messages_due: bool
    complete: bool

    def woken(self, name: str) -> bool:
        """Whether a write woke the source (a source without a cursor row counts as woken)."""
        return self.cursors.get(name, (None, True))[1]

    def runs(self, source: Source, now: dt.datetime) -> bool:
        """Whether the sweep at `now` runs this source (`plan`, step 2)."""
        next_run_at, woken = self.cursors.get(source.name, (None, True))
        if woken or not self.complete:
            return True
        if source.due is not None:
            return source.name in self.due_sources
        return next_run_at is None or not now < next_run_at <= now + RESWEEP_AFTER

    def idle(self, now: dt.datetime) -> bool:
        """Nothing to plan, bundle or send at `now`: the sweep can stop here."""
        return not (self.notifications_due or self.messages_due or any(self.runs(s, now) for s in _sources))


def pulse(now: dt.datetime) -> Pulse:
    """One query: every source's cursor and wake, and whether anything is due at `now`.

    The cursor rows, each with whether a `SourceWake` waits for it, and on every row
    the same uncorrelated EXISTS (PostgreSQL and SQLite compute each once): for each
    source registered with `due`, its due rows (its own partial index); pending
    notifications due (`notification_pending_due`); messages to claim
    (`message_queued_due`, `message_sending_lease`). A steady sweep is this query
    and nothing else. Building it through the ORM costs ten times what PostgreSQL
    takes to answer it, so it is compiled once per set of sources (`_PulseQuery`).
    """
    probes = {f"due_{n}": source for n, source in enumerate(_sources) if source.due is not None}
    key = (DEFAULT_DB_ALIAS, tuple((name, source.name, source.due) for name, source in probes.items()))
    query = _pulse_queries.get(key)
    if query is None:
        query = _pulse_queries[key] = _PulseQuery(probes)
    rows = query.run(now)
    cursors = {row["name"]: (row["next_run_at"], bool(row["woken"])) for row in rows}
    if not rows:  # no cursor at all yet: nothing is known, everything is looked at
        return Pulse(cursors, frozenset(s.name for s in probes.values()), True, True, False)
    first = rows[0]
    return Pulse(
        cursors,
        frozenset(source.name for name, source in probes.items() if first[name]),
        bool(first["notifications_due"]),
        bool(first["messages_due"]),
        all(source.name in cursors for source in _sources),
    )


class _PulseQuery:
    """The pulse's SQL, compiled once by the ORM; each sweep runs it with its own `now`.

    The queryset is compiled for two different moments: the parameters that differ
    are the moment's (every "<= now" of the query), the others are constants. Running
    it puts the sweep's `now`, adapted as the ORM adapts it, in those places and reads
    the rows with the ORM's own converters (SQLite's strings become datetimes).
    """

    _A = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    _B = dt.datetime(2002, 2, 2, tzinfo=dt.UTC)

    def __init__(self, probes: dict[str, Source]) -> None:
        compiled = []
        for moment in (self._A, self._B):
            queryset = SourceCursor.objects.annotate(
                woken=Exists(SourceWake.objects.filter(name=OuterRef("name"))),
                notifications_due=Exists(Notification.objects.due(moment)),
                messages_due=Exists(Message.objects.filter(_claimable(moment))),
                **{name: Exists(source.due(moment)) for name, source in probes.items()},
            ).values("name", "next_run_at", "woken", "notifications_due", "messages_due", *probes)
            compiler = queryset.query.get_compiler(DEFAULT_DB_ALIAS)
            compiled.append((compiler, *compiler.as_sql()))
        (self.compiler, self.sql, params), (_c, sql_b, params_b) = compiled
        ops = self.compiler.connection.ops
        if sql_b != self.sql or len(params) != len(params_b):
            raise RuntimeError("The pulse query's SQL depends on its moment; it cannot be compiled once.")
        self.params = list(params)
        self.slots = [n for n, (a, b) in enumerate(zip(params, params_b, strict=True)) if a != b]
        if any(params[n] != ops.adapt_datetimefield_value(self._A) for n in self.slots):
            raise RuntimeError("The pulse query has a parameter other than its moment that varies.")
        self.names = [alias for _expression, _sql, alias in self.compiler.select]
        self.converters = self.compiler.get_converters([entry[0] for entry in self.compiler.select])

    def run(self, now: dt.datetime) -> list[dict]:
        # This thread's connection: the compiler's belongs to the thread that compiled it.
        connection = connections[DEFAULT_DB_ALIAS]
        params = list(self.params)
        moment = connection.ops.adapt_datetimefield_value(now)
        for n in self.slots:
            params[n] = moment
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for position, (converters, expression) in self.converters.items():
            for row in rows:
                for converter in converters:
                    row[position] = converter(row[position], expression, connection)
        return [dict(zip(self.names, row, strict=True)) for row in rows]


_pulse_queries: dict[tuple, _PulseQuery] = {}


def plan(now: dt.datetime, *, state: Pulse | None = None) -> int:
    """Ask the sources whose time has come what is due at `now`; returns how many were planned.

    1. the pulse (`state`, or one query taken here) has every source's cursor
       (`SourceCursor`, a row per source), whether a `SourceWake` waits for it, and
       which sources with a `due` queryset have rows due;
    2. a source with `due` runs when its rows are due (or when the pulse is not
       complete); any other source runs when it is woken, its cursor is missing or
       NULL (a source that returns a bare count) or its `next_run_at` has come; a
       cursor further ahead than any sweep could have set it means the clock went
       back: it runs too;
    3. a woken source's wakes are deleted just before it runs (what was committed
       before the delete, the run sees; a wake committed after it stays for the
       next sweep);
    4. a source that returns a `Planning` gets its cursor moved to its `next_at`
       (at most `RESWEEP_AFTER` ahead).

    What the sources plan for "now" is stamped `now`.
    """
    sources = list(_sources)
    if not sources:
        return 0
    state = state or pulse(now)
    cursors = state.cursors
    if not state.complete:
        missing = [SourceCursor(name=source.name) for source in sources if source.name not in cursors]
        SourceCursor.objects.bulk_create(missing, ignore_conflicts=True)
    planned = 0
    token = _planning_now.set(now)
    try:
        for source in sources:
            if not state.runs(source, now):
                continue
            if state.woken(source.name):
                SourceWake.objects.filter(name=source.name).delete()
                _forget_wake(source.name)
            result = source.plan(now)
            if not isinstance(result, Planning):
                planned += result
                continue
            planned += result.planned
            later = now + RESWEEP_AFTER
            next_run = later if result.next_at is None else min(result.next_at, later)
            SourceCursor.objects.filter(name=source.name).update(next_run_at=next_run)
        return planned
    finally:
        _planning_now.reset(token)


# --- Waking sources -------------------------------------------------------


class _Woken:
    """An on-commit marker: the current transaction woke these sources.

    Django keeps it in `connection.run_on_commit` while the transaction (or the
    savepoint it was set in) lives, and drops it on rollback or commit: its
    presence is exactly "this transaction's wake rows still stand".
    """

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def __call__(self) -> None:
        pass


def _markers(using: str = DEFAULT_DB_ALIAS) -> list[_Woken]:
    return [entry[1] for entry in transaction.get_connection(using).run_on_commit if isinstance(entry[1], _Woken)]


def _forget_wake(name: str) -> None:
    """A sweep run inside the waking transaction (tests, a shell) deleted its wake:
    a later write of that transaction must wake the source again."""
    for marker in _markers():
        marker.names.discard(name)


def wake(names: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Have the next sweep run these sources: one `SourceWake` row each.

    One INSERT in the writer's transaction, so it commits or rolls back with the
    change that caused it; done once per transaction and source. Inserting takes
    no lock that another writer or the sweep waits for.
    """
    todo = set(names).difference(*(marker.names for marker in _markers(using)))
    if not todo:
        return
    SourceWake.objects.using(using).bulk_create([SourceWake(name=name) for name in sorted(todo)])
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(_Woken(todo), using=using)


def _wake_on_write(sender: type[models.Model], using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    if kwargs.get("raw"):  # loaddata: fixtures, not changes
        return
    names = _watchers.get(sender)
    if names:
        wake(names, using=using)


bulk_written.connect(_wake_on_write, dispatch_uid="delivery.wake:bulk", weak=False)


# --- Bundling -------------------------------------------------------------


def bundle(now: dt.datetime, *, limit: int = 1000, due: bool | None = None) -> int:
    """Turn due notifications into messages; returns how many messages were built.

    Several notifications due for one address in one sweep become one message
    (a digest listing them); a single one is sent as it is. `due` is what the
    sweep's pulse already knows (None: look).
    """
    if due is None:
        due = Notification.objects.due(now).exists()
    if not due:
        # Most sweeps: one look at notification_pending_due (the pulse's), no locking
        # transaction (on SQLite an immediate one, which would take the write lock for nothing).
        return 0
    with transaction.atomic():
        rows = list(
            Notification.objects.due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("due_at", "pk")[:limit]
        )
        # The recipients of optional kinds, for the kinds they switched off, each read once (a
        # catch-up bundles hundreds of rows for a few dozen people; mandatory kinds need none);
        # nothing else: bundling renders nothing.
        optional = {n.recipient_id for n in rows if n.recipient_id is not None and _optional(n.kind)}
        recipients = User.objects.in_bulk(optional) if optional else {}
        # Whether each can still be told needs whether the object it is about still exists:
        # one query of ids per kind of object, rather than one per row or the whole objects.
        alive = _existing_subjects(rows)
        by_address: dict[str, list[Notification]] = {}
        untold: dict[str, list[Notification]] = {}
        for notification in rows:
            if notification.recipient_id in recipients:
                notification.recipient = recipients[notification.recipient_id]
            exists = (notification.content_type_id, notification.object_id) in alive
            status = _untold(notification, subject_exists=exists)
            if status is None:
                by_address.setdefault(notification.address, []).append(notification)
            else:
                untold.setdefault(status, []).append(notification)
        _close(untold)
        _build_messages(list(by_address.values()), now)
    return len(by_address)


def _prefetch_for_kinds(rows: list[Notification]) -> None:
    """What each kind's e-mail reads of its subjects, in one query per relation for the batch."""
    subjects: dict[tuple[type, tuple[str, ...]], dict[int, models.Model]] = {}
    for row in rows:
        kind = _kinds.get(row.kind)
        if kind is not None and kind.prefetch and row.subject is not None:
            # Kinds about the same model reading the same relations share the queries.
            subjects.setdefault((type(row.subject), kind.prefetch), {})[id(row.subject)] = row.subject
    for (_model, lookups), objs in subjects.items():
        prefetch_related_objects(list(objs.values()), *lookups)


def _optional(kind_name: str) -> bool:
    kind = _kinds.get(kind_name)
    return kind is not None and not kind.mandatory


def _existing_subjects(rows: Sequence[Notification]) -> set[tuple[int, int]]:
    """The (content type, object id) pairs of these notifications whose object still exists:
    one query of primary keys per content type, no object built."""
    wanted: dict[int, set[int]] = {}
    for row in rows:
        wanted.setdefault(row.content_type_id, set()).add(row.object_id)
    alive = set()
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:  # the model is gone from the code: nothing about it can be told
            continue
        found = model._base_manager.filter(pk__in=sorted(ids)).values_list("pk", flat=True)
        alive.update((content_type_id, pk) for pk in found)
    return alive


def _untold(notification: Notification, *, subject_exists: bool | None = None) -> str | None:
    """None if the notification can still be e-mailed; else the status its row takes.

    An optional kind the recipient switched off is not e-mailed; it stays in the app
    (sent). A kind gone from the code or an object deleted leaves nothing to say
    (retired). `subject_exists`, when the caller knows it (bundling), spares reading
    the object.
    """
    kind = _kinds.get(notification.kind)
    # The recipient is read only for an optional kind (bundling fetched those in one query).
    if (
        kind is not None
        and not kind.mandatory
        and notification.recipient_id is not None
        and kind.name in notification.recipient.muted_kinds
    ):
        return NotificationStatus.SENT
    if subject_exists is None:
        subject_exists = notification.subject is not None
    if kind is None or not subject_exists:
        return NotificationStatus.RETIRED
    return None


def _close(untold: dict[str, list[Notification]]) -> None:
    """Rows that will not be e-mailed leave their message with the status saying why:
    one UPDATE per status for the batch, not a save per row; their bells forget."""
    for status, rows in untold.items():
        Notification.objects.filter(pk__in=[n.pk for n in rows]).update(status=status, message=None)
    forget_bells(n.recipient_id for rows in untold.values() for n in rows)


def _render(notification: Notification, untold: dict[str, list[Notification]]) -> EmailContent | None:
    """The notification's content, or None, the row then listed in `untold` under the status it takes."""
    status = _untold(notification)
    if status is None:
        kind, recipient = _kinds[notification.kind], notification.recipient
        try:
            content = kind.render(notification)
        except Exception:
            log.exception("Cannot render notification %s", notification.pk)
            status = NotificationStatus.FAILED
        else:
            if not kind.mandatory and recipient is not None:
                _add_unsubscribe(content, recipient, kind)
            return content
    untold.setdefault(status, []).append(notification)
    return None


def _add_unsubscribe(content: EmailContent, recipient: User, kind: Kind) -> None:
    """Every optional e-mail carries a signed link that switches its kind off."""
    from .tokens import unsubscribe_token

    link = f"{settings.SITE_URL}/notifications/unsubscribe/{unsubscribe_token(recipient, kind.name)}/"
    note = translation.gettext("Stop these e-mails (%(kind)s):") % {"kind": kind.label}
    content.text = f"{content.text.rstrip()}\n\n{note} {link}\n"
    if content.html:
        footer = (
            f'<p style="font-size:12px;color:#5a6270">{escape(note)} <a href="{escape(link)}">{escape(link)}</a></p>'
        )
        content.html = (
            content.html.replace("</body>", footer + "</body>") if "</body>" in content.html else content.html + footer
        )


def _build_messages(groups: list[list[Notification]], now: dt.datetime) -> list[Message]:
    """One message per group (an address's notifications), written in two queries whatever their number:
    one INSERT of the messages (their ids come back), one UPDATE putting each notification in its own.

    The messages are not written yet (`rendered` False): their sender renders them. Until then
    the subject line names the kind, or the count of a digest, for the deliveries page.
    """
    messages = []
    for parts in groups:
        first = parts[0]
        with translation.override(settings.LANGUAGE_CODE):
            if len(parts) == 1:
                label = str(_kinds[first.kind].label)
            else:
                label = translation.gettext("%(count)s updates") % {"count": len(parts)}
        messages.append(
            Message(
                recipient_id=first.recipient_id,
                address=first.address,
                subject_line=label[:250],
                body_text="",
                rendered=False,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if not messages:
        return []
    Message.objects.bulk_create(messages)
    _queue_in(messages, groups)
    return messages


def _queue_in(messages: list[Message], groups: list[list[Notification]]) -> None:
    """Queue each group's notifications in its message (one group per address): one statement.

    On PostgreSQL an UPDATE ... FROM the (notification, message) pairs, one JSON parameter: a
    join on the primary key. Elsewhere each row finds the new message of its address through
    a subquery, which PostgreSQL ran once per row over the messages table (90 ms for a
    catch-up's thousand rows on bench/sweep.py's table, against about 20 ms)."""
    connection = connections[router.db_for_write(Notification)]
    queued = NotificationStatus.QUEUED.value
    if connection.vendor == "postgresql":
        pairs = [(n.pk, message.pk) for message, parts in zip(messages, groups, strict=True) for n in parts]
        select, document = json_rows(pairs, ("bigint", "bigint"))
        quote, field = connection.ops.quote_name, Notification._meta.get_field
        pk, status, message = (quote(field(name).column) for name in ("id", "status", "message"))
        # Names from the model's own metadata, values as parameters.
        update = (
            f"UPDATE {quote(Notification._meta.db_table)} AS n SET {status} = %s, {message} = pair.message"  # noqa: S608
            f" FROM ({select}) AS pair(id, message) WHERE n.{pk} = pair.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(update, [queued, document])
        return
    Notification.objects.filter(pk__in=[n.pk for parts in groups for n in parts]).update(
        status=queued,
        message_id=Subquery(
            Message.objects.filter(pk__in=[m.pk for m in messages], address=OuterRef("address")).values("pk")[:1]
        ),
    )


def _write(messages: Sequence[Message]) -> list[Message]:
    """Render the claimed messages not yet written and store their content before any is sent.

    1. their notifications, with recipients and the objects they are about, and what each
       kind's e-mail reads of those, in a few queries for the batch;
    2. each rendered from its object as it now stands; one that can no longer be told (object
       deleted, kind switched off since, rendering failed) says why on its row and leaves its
       message; several for one message become a digest listing them;
    3. the content stored on the messages under this sender's claim (one UPDATE for the batch),
       so a resend after a crash (the lease expired, another sender claims it) sends the very
       same text; a message left with nothing to say is deleted, as bundling would not have
       built it.

    Returns the messages to send, in their order.
    """
    todo = {m.pk: m for m in messages if not m.rendered}
    if not todo:
        return list(messages)
    rows = list(
        Notification.objects.filter(message__in=list(todo), status=NotificationStatus.QUEUED)
        .select_related("recipient", "recipient__member_state", "content_type")
        .order_by("due_at", "pk")
    )
    prefetch_related_objects(rows, "subject")
    _prefetch_for_kinds(rows)
    parts: dict[int, list[tuple[Notification, EmailContent]]] = {}
    untold: dict[str, list[Notification]] = {}
    for row in rows:
        message_id = row.message_id
        content = _render(row, untold)
        if content is not None:
            parts.setdefault(message_id, []).append((row, content))
    _close(untold)  # before a message left empty is deleted: its rows no longer point at it
    written, empty = [], []
    for message in todo.values():
        if message.pk not in parts:
            empty.append(message.pk)
            continue
        content = _content(parts[message.pk])
        message.subject_line = content.subject[:250]
        message.body_text, message.body_html, message.attachments = content.text, content.html, content.attachments
        message.rendered = True
        written.append(message)
    # Under this sender's claim (one token for the batch): a message whose lease ran out and
    # that another sender claimed since is neither written nor sent by this one.
    mine = Message.objects.filter(claim=messages[0].claim, status=MessageStatus.SENDING)
    if empty:
        mine.filter(pk__in=empty).delete()
    stored = mine.bulk_update(written, ["subject_line", "body_text", "body_html", "attachments", "rendered"])
    lost = set()
    if stored != len(written):
        lost = {m.pk for m in written} - set(mine.filter(pk__in=[m.pk for m in written]).values_list("pk", flat=True))
    return [m for m in messages if m.pk not in empty and m.pk not in lost]


def _content(parts: list[tuple[Notification, EmailContent]]) -> EmailContent:
    """One notification's content as it is; several, a digest listing them."""
    if len(parts) == 1:
        return parts[0][1]
    content = render_email("digest", {"items": [c for _n, c in parts]}, recipient=parts[0][0].recipient)
    # One file per name: an invitation and a reminder of the same meeting in one digest
    # carry its calendar entry once (the first, in the digest's order).
    attachments: dict[str, dict[str, str]] = {}
    for _n, part in parts:
        for attachment in part.attachments:
            attachments.setdefault(attachment["filename"], attachment)
    content.attachments = list(attachments.values())
    return content


# --- Claiming and sending ---------------------------------------------------


def _claimable(now: dt.datetime) -> Q:
    return Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, lease_expires_at__lte=now
    )


def due_message_ids(now: dt.datetime, *, limit: int | None = None) -> list[int]:
    ids = Message.objects.filter(_claimable(now)).order_by("next_attempt_at").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def claim(now: dt.datetime, *, ids: Iterable[int] | None = None, limit: int | None = None) -> list[Message]:
    """Claim due messages for this sender with one conditional UPDATE.

    On PostgreSQL a concurrent UPDATE of the same row waits for the first to commit
    and then re-checks the WHERE clause, which no longer holds: one winner per row.
    """
    limit = limit or settings.DELIVERY_BATCH_SIZE
    token = secrets.token_hex(16)
    candidates = list(ids) if ids is not None else due_message_ids(now, limit=limit)
    if not candidates:
        return []
    Message.objects.filter(_claimable(now), pk__in=candidates[:limit]).update(
        status=MessageStatus.SENDING,
        claim=token,
        lease_expires_at=now + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return list(Message.objects.filter(claim=token, status=MessageStatus.SENDING).order_by("pk"))


def _email(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject_line,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        # A stable Message-ID lets mail clients fold the rare resend into one.
        headers={"Message-ID": f"<message-{message.pk}@{_mail_domain()}>"},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    return email


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"


def _mark_sent(message: Message, now: dt.datetime) -> None:
    updated = Message.objects.filter(pk=message.pk, claim=message.claim).update(
        status=MessageStatus.SENT, sent_at=now, lease_expires_at=None, last_error=""
    )
    if updated:
        Notification.objects.filter(message=message).update(status=NotificationStatus.SENT)


def _record_failure(message: Message, now: dt.datetime, error: BaseException) -> None:
    text = f"{type(error).__name__}: {error}"[:2000]
    log.warning("Delivery of message %s failed (attempt %s): %s", message.pk, message.attempts, text)
    if message.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        Message.objects.filter(pk=message.pk, claim=message.claim).update(
            status=MessageStatus.FAILED, lease_expires_at=None, last_error=text
        )
        Notification.objects.filter(message=message).update(status=NotificationStatus.FAILED)
        return
    delay = settings.DELIVERY_BACKOFF_SECONDS * 2 ** max(message.attempts - 1, 0)
    Message.objects.filter(pk=message.pk, claim=message.claim).update(
        status=MessageStatus.QUEUED,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        lease_expires_at=None,
        last_error=text,
    )


class _Connection:
    """One SMTP connection, opened at the first message and kept for every batch after it."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.opened = False

    def open(self) -> None:
        if not self.opened:
            self.backend.open()
            self.opened = True

    def alive(self) -> bool:
        """Whether the server still answers on this connection (a NOOP): an idle connection
        may have been dropped by the server since it was last used."""
        smtp = getattr(self.backend, "connection", None)
        if not self.opened or smtp is None:  # not open, or a backend without a socket (console)
            return self.opened
        try:
            return smtp.noop()[0] == 250
        except Exception:
            return False

    def close(self) -> None:
        if not self.opened:
            return
        self.opened = False
        try:
            self.backend.close()
        except Exception:  # closing a broken connection must not lose the marks already made
            log.warning("Closing the SMTP connection failed", exc_info=True)


def send_claimed(messages: Sequence[Message], *, connection: _Connection | None = None) -> int:
    """Send claimed messages over one SMTP connection; returns how many were sent.

    Given a connection (the foreground sweep's), it sends over it and leaves it
    open for the next batch; otherwise it opens one and closes it at the end.
    """
    messages = _write(messages)
    if not messages:
        return 0
    own = connection is None
    connection = connection or _Connection()
    try:
        connection.open()
    except Exception as exc:  # the server is down or refuses us: every message backs off
        now = timezone.now()
        for message in messages:
            _record_failure(message, now, exc)
        return 0
    sent = 0
    try:
        for message in messages:
            try:
                connection.backend.send_messages([_email(message)])
            except Exception as exc:
                _record_failure(message, timezone.now(), exc)
                continue
            _mark_sent(message, timezone.now())
            sent += 1
    finally:
        if own:
            connection.close()
    return sent


@dataclasses.dataclass
class SweepResult:
    planned: int = 0
    bundled: int = 0
    sent: int = 0
    # Whether messages may be waiting to be claimed (the pulse found some, or this sweep
    # bundled some): when not, the sweep does not look for them.
    sendable: bool = dataclasses.field(default=True, repr=False, compare=False)

    def __str__(self) -> str:
        return f"planned {self.planned}, bundled {self.bundled}, sent {self.sent}"


def prepare(now: dt.datetime | None = None, *, state: Pulse | None = None) -> SweepResult:
    """Steps 0 to 2 of the sweep: take the pulse (unless given), plan what is due and bundle it.

    With nothing due anywhere this is the pulse's one query.
    """
    now = now or timezone.now()
    state = state or pulse(now)
    planned = plan(now, state=state)
    # What the sources just planned may be due already (stamped `now`): look for it.
    bundled = bundle(now, due=True if planned else state.notifications_due)
    return SweepResult(planned=planned, bundled=bundled, sendable=bool(bundled) or state.messages_due)


def warm(now: dt.datetime | None = None) -> None:
    """What a sender process loads once, done at its start rather than in its first sweep: the
    working-hours calendars of the member states and of the secretariat's seat, this year and
    next. Its database connection (and pool) is closed afterwards: a prefork pool forks after this.
    Without the database it leaves the calendars to the first sweep."""
    from .models import MemberState

    year = (now or timezone.now()).year
    try:
        countries = set(MemberState.objects.values_list("holidays_code", flat=True))
    except DatabaseError:
        log.warning("The delivery engine starts cold: the database cannot be read.", exc_info=True)
        return
    finally:
        _close_before_fork(transaction.get_connection())
    working_hours.warm(countries | {settings.DELIVERY_DEFAULT_COUNTRY}, (year, year + 1))


def _close_before_fork(connection: BaseDatabaseWrapper) -> None:
    """Leave nothing open for a prefork pool's children to inherit: the connection and, with
    Django's connection pool, the pool itself (closing a pooled connection only returns it).
    Inside a transaction (a test's), nothing is closed."""
    if connection.in_atomic_block:
        return
    connection.close()
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and hasattr(connection, "close_pool"):
        connection.close_pool()


class _Held(threading.local):
    """A sender thread's SMTP connection, kept between the batches it sends (`send_batch(hold=True)`)."""

    connection: _Connection | None = None
    last_used: float = 0.0


_held = _Held()
# A sender thread reuses its SMTP connection for a batch that follows the last one within
# this many seconds: the batches of one sweep that a worker thread takes share one
# connection, and a connection idle longer is closed rather than trusted.
HOLD_SECONDS = 30


def _held_connection() -> _Connection:
    """This thread's connection for its next batch: the last one if recent and still answering,
    else a new one (opened at the first message to send, as always)."""
    held = _held.connection
    if held is not None and not (time.monotonic() - _held.last_used < HOLD_SECONDS and held.alive()):
        held.close()
        held = None
    if held is None:
        held = _held.connection = _Connection()
    return held


def send_batch(ids: Iterable[int] | None = None, *, now: dt.datetime | None = None, hold: bool = False) -> int:
    """Steps 3 and 4: claim (these ids, or whatever is due) and send.

    With `hold` (a Celery worker's task), the thread's SMTP connection stays open for its next
    batch: a worker opens one connection for the batches of a sweep, not one per batch.
    """
    connection = _held_connection() if hold else None
    try:
        return send_claimed(claim(now or timezone.now(), ids=ids), connection=connection)
    finally:
        if hold:
            _held.last_used = time.monotonic()


def sweep(now: dt.datetime | None = None) -> SweepResult:
    """One whole sweep in the foreground: plan, bundle, then send batch after batch.

    Every batch goes over one SMTP connection, opened at the first message: a
    sweep with 100 messages logs in to the server once, not once per batch.
    """
    now = now or timezone.now()
    result = prepare(now)
    if not result.sendable:
        return result
    connection = _Connection()
    try:
        while True:
            # Each batch is claimed at the current time: a lease counted from the start
            # of a long sweep could already have expired, and another sender would
            # claim the batch while this one is still sending it.
            batch = claim(max(now, timezone.now()))
            if not batch:
                break
            result.sent += send_claimed(batch, connection=connection)
            if not connection.opened:
                break  # the server refused us: the batch backed off; the rest waits too
    finally:
        connection.close()
    return result


def requeue_failed(messages: Iterable[Message] | None = None) -> int:
    """Give failed messages a fresh set of attempts (after SMTP is mended)."""
    rows = Message.objects.filter(status=MessageStatus.FAILED)
    if messages is not None:
        rows = rows.filter(pk__in=[m.pk for m in messages])
    ids = list(rows.values_list("pk", flat=True))
    now = timezone.now()
    Message.objects.filter(pk__in=ids, status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED, attempts=0, next_attempt_at=now, claim=""
    )
    Notification.objects.filter(message_id__in=ids).update(status=NotificationStatus.QUEUED)
    return len(ids)
