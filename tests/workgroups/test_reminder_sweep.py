"""Issue 6: the action items' reminder plan is stored, so the sweep reads an index, not every open item.

Each item has its plan in a narrow table, `ReminderPlan` (partial index
`reminder_plan_next`): the services set it, the sweep's source reads the plans
whose time has come and moves them on. These tests hold the sweep to its cost (queries that do not grow
with the open items, nor with the reminders a catch-up plans) and to its meaning
(a moved due date reminds for the new date only; a closed item is not chased).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from secretariat import delivery
from secretariat.history import acting_as, bulk_create_with_history
from secretariat.models import Message, Notification, NotificationStatus
from tests.factories import state
from workgroups import reminders, services
from workgroups.models import ActionItem, OwnerKind, ReminderPlan, start_of

from .conftest import days, make_item

# A Tuesday, 03:00 UTC: inside working hours in every member state, no holiday near it.
TUESDAY = dt.datetime(2026, 12, 15, 3, 0, tzinfo=dt.UTC)


def _plan(item: ActionItem) -> dt.datetime | None:
    return ReminderPlan.objects.filter(action_item=item).values_list("next_at", flat=True).first()


def _plans(items: list[ActionItem]) -> set[dt.datetime | None]:
    return set(ReminderPlan.objects.filter(action_item__in=items).values_list("next_at", flat=True))


def _many_items(work, count: int, *, due: dt.date, state_code: str = "SGP") -> list[ActionItem]:
    """`count` open items of WG-AI owned by a state's delegation, written in bulk as the demo does
    (the bulk helper plans them as ActionItem.save does)."""
    items = [
        ActionItem(
            body=work.wgai,
            title=f"Bulk item {n}",
            owner_kind=OwnerKind.STATE,
            owner_state=state(state_code),
            due_date=due,
            created_by=work.officer,
        )
        for n in range(count)
    ]
    with acting_as(work.officer):
        return bulk_create_with_history(items, reason="Test volume")


def _source_queries(now: dt.datetime) -> tuple[int, int]:
    """(planned, queries) of the action items' source alone."""
    with CaptureQueriesContext(connection) as queries:
        planned = reminders.plan_due_reminders(now)
    return planned, len(queries)


@pytest.mark.parametrize("open_items", [10, 1000])
def test_a_sweep_with_nothing_due_reads_one_index_whatever_the_open_items(work, open_items):
    with time_machine.travel(TUESDAY, tick=False):
        today = timezone.localdate()
        # Half in the reminder window (already reminded by an earlier sweep), half weeks away.
        _many_items(work, open_items // 2, due=today + dt.timedelta(days=2))
        _many_items(work, open_items // 2, due=today + dt.timedelta(days=40))
        first = delivery.sweep()
        assert first.planned >= open_items  # two owners (SGP's head and delegate) per item in the window
        while delivery.sweep().bundled:  # a thousand notifications at most are bundled per sweep
            pass

        with CaptureQueriesContext(connection) as whole:
            again = delivery.sweep()
        planned, source = _source_queries(timezone.now())

    assert (again.planned, again.bundled, again.sent, planned) == (0, 0, 0, 0)
    # The source run on its own: one look for plans whose moment has come (none).
    assert source == 1
    # The whole sweep, every source and step, the same for 10 and for 1,000 items: the pulse, one
    # query (the sources' cursors: circulations, meetings, minutes and hand-overs sleep until their
    # next moment; action items whose plan has come; notifications due; messages due).
    assert len(whole) == 1, "\n".join(q["sql"][:150] for q in whole.captured_queries)
    assert 'FROM "workgroups_reminderplan"' in whole.captured_queries[0]["sql"]


def test_the_pulse_finds_an_item_whose_plan_has_come_to_the_second(work, mailoutbox):
    """The steady sweep's one query is also the one that notices an item coming due."""
    with time_machine.travel(TUESDAY, tick=False):
        item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=10)
        Notification.objects.update(status=NotificationStatus.RETIRED)  # the fixture's announcements
        while delivery.sweep().bundled:
            pass
    moment = _plan(item)
    with time_machine.travel(moment - dt.timedelta(seconds=1), tick=False):
        assert delivery.sweep().planned == 0  # the derived sources' hourly look, days later
        assert delivery.pulse(timezone.now()).idle(timezone.now())
    with time_machine.travel(moment, tick=False):
        state_now = delivery.pulse(timezone.now())
        assert delivery.source_name(reminders.plan_due_reminders) in state_now.due_sources
        assert not state_now.idle(timezone.now())
        assert delivery.sweep().planned == 1
        assert delivery.pulse(timezone.now()).due_sources == frozenset()
    planned = Notification.objects.get(kind="action_item_due", object_id=item.pk)
    # Planned at midnight in Kuala Lumpur: it waits for working hours in Yangon, and the pulse sees it then.
    with time_machine.travel(planned.due_at - dt.timedelta(seconds=1), tick=False):
        assert not delivery.pulse(timezone.now()).notifications_due
        assert delivery.sweep().sent == 0
    with time_machine.travel(planned.due_at, tick=False):
        assert delivery.pulse(timezone.now()).notifications_due
        assert delivery.sweep().sent == 1
    assert [m.to for m in mailoutbox] == [[work.mmr.email]]


def _explain_the_pulse(run) -> str:
    """EXPLAIN of the one query `run` sends: the pulse."""
    with CaptureQueriesContext(connection) as queries:
        run()
    [pulse] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + pulse["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_pulse_reads_the_partial_indexes(work):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN output is PostgreSQL's")
    with time_machine.travel(TUESDAY, tick=False):
        _many_items(work, 2000, due=timezone.localdate() + dt.timedelta(days=40))
        while delivery.sweep().bundled:
            pass
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE workgroups_reminderplan")
            cursor.execute("ANALYZE secretariat_notification")
        plan = _explain_the_pulse(delivery.sweep)
    assert "reminder_plan_next" in plan, plan
    assert "Seq Scan on workgroups_reminderplan" not in plan, plan
    # The "anything due?" looks are computed once for the query, not once per cursor row (the
    # notifications' and messages' tables are too small here for their indexes: bench/sweep.py
    # shows notification_pending_due at scale): three, and the first plan's moment inside the last.
    assert plan.count("InitPlan") == 4, plan


def test_the_pulse_reads_the_index_even_when_the_statistics_are_stale(work):
    """Plans move forward at every sweep; the table's statistics, from the last ANALYZE, still
    count them as due. The pulse asks for the first plan, which the index answers whatever they say."""
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN output is PostgreSQL's")
    with time_machine.travel(TUESDAY, tick=False):
        items = _many_items(work, 3000, due=timezone.localdate() + dt.timedelta(days=40))
        plans = ReminderPlan.objects.filter(action_item__in=items)
        while delivery.sweep().bundled:
            pass
        plans.update(next_at=TUESDAY - dt.timedelta(days=1))  # all due when the table was analyzed ...
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE workgroups_reminderplan")
        plans.update(next_at=TUESDAY + dt.timedelta(days=30))  # ... then all moved on, with no ANALYZE since
        plan = _explain_the_pulse(lambda: delivery.pulse(timezone.now()))
    assert "reminder_plan_next" in plan, plan
    assert "Seq Scan on workgroups_reminderplan" not in plan, plan


def test_the_sweep_finds_due_items_through_the_partial_index(work):
    """The source's own read of the due items (locked) goes through the plans' index, then the
    items' primary key: no scan of either table. With many due (a catch-up), still no scan of
    the plans: asked as a join on them, PostgreSQL scanned the whole plans table."""
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN output is PostgreSQL's")

    def explain_the_locking_read() -> str:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE workgroups_reminderplan")
            cursor.execute("ANALYZE workgroups_actionitem")
        with CaptureQueriesContext(connection) as queries:
            assert reminders.plan_due_reminders(timezone.now()) > 0
        [select] = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + select)
            return "\n".join(row[0] for row in cursor.fetchall())

    with time_machine.travel(TUESDAY, tick=False):
        today = timezone.localdate()
        _many_items(work, 20, due=today + dt.timedelta(days=2))  # their first reminder is due
        _many_items(work, 2000, due=today + dt.timedelta(days=40))
        # Closed long ago: nothing left to remind (as most of a real table).
        old = _many_items(work, 2000, due=today - dt.timedelta(days=400))
        ReminderPlan.move(dict.fromkeys([i.pk for i in old]))
        few = explain_the_locking_read()
        _many_items(work, 400, due=today + dt.timedelta(days=2))
        many = explain_the_locking_read()
    assert "reminder_plan_next" in few, few
    assert "Seq Scan" not in few, few
    # A tenth of this small table due: PostgreSQL may read the items whole (at scale it takes
    # their primary key, bench/sweep.py), but the plans through their index.
    assert "reminder_plan_next" in many, many
    assert "Seq Scan on workgroups_reminderplan" not in many, many


@pytest.mark.parametrize("count", [5, 60])
def test_a_catch_up_plans_its_reminders_in_a_bounded_number_of_queries(work, count):
    with time_machine.travel(TUESDAY, tick=False):
        today = timezone.localdate()
        due_soon = _many_items(work, count, due=today + dt.timedelta(days=1))
        # 16 days overdue: the third weekly reminder, escalated.
        overdue = _many_items(work, count, due=today - dt.timedelta(days=16), state_code="MMR")
        planned, queries = _source_queries(timezone.now())

    # Due soon: SGP's head and delegate. Overdue: MMR's delegate, the officer (MMR has no head in WG-AI).
    assert planned == 2 * count + 2 * count
    # 1 any plan due?, 2 savepoint, 3 the due plans and their items locked, 4 assignments, 5 delegations,
    # 6 the people they name (each once, with its member state), 7 officers, 8 the insert, skipping rows
    # already there (one per thousand rows), 9 the plans moved on (one statement whatever their moments),
    # 10 release.
    assert queries == 10
    assert Notification.objects.filter(kind="action_item_due").count() == 2 * count
    assert _plans(overdue) == {start_of(today + dt.timedelta(days=6))}
    assert _plans(due_soon) == {start_of(today + dt.timedelta(days=1))}


@pytest.mark.parametrize("count", [5, 60])
def test_bundling_a_catch_up_costs_the_same_queries_for_5_or_60_items(work, count):
    with time_machine.travel(TUESDAY, tick=False):
        Notification.objects.update(status=NotificationStatus.RETIRED)  # the fixture's announcements
        today = timezone.localdate()
        _many_items(work, count, due=today + dt.timedelta(days=1))
        _many_items(work, count, due=today - dt.timedelta(days=16), state_code="MMR")  # escalated
        delivery.plan(timezone.now())
        with CaptureQueriesContext(connection) as queries:
            bundled = delivery.bundle(timezone.now())
    # One digest per address: SGP's head and delegate, MMR's delegate, the officer.
    assert bundled == 4
    # any due?, savepoint, due rows, their items' ids (can they still be told?), the messages' INSERT, their
    # rows marked queued (one UPDATE for all), release. Nothing is rendered: the senders write the messages.
    assert len(queries) == 7, "\n".join(q["sql"][:90] for q in queries.captured_queries)
    by_message = dict(Message.objects.annotate(rows=Count("notifications")).values_list("address", "rows"))
    assert list(by_message.values()) == [count] * 4  # each address's rows in its own message
    assert not Notification.objects.filter(message__isnull=False).exclude(address=F("message__address")).exists()


def test_reminders_a_sweep_plans_go_out_in_that_same_sweep(work, mailoutbox):
    with time_machine.travel(TUESDAY, tick=True):
        item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=2)
        Notification.objects.exclude(kind="action_item_due").update(status=NotificationStatus.RETIRED)
        result = delivery.sweep()
    assert result.planned == 1
    assert result.sent == 1
    assert Notification.objects.get(kind="action_item_due", object_id=item.pk).status == NotificationStatus.SENT


def test_a_due_date_moved_after_planning_sends_nothing_for_the_old_date(work, mailoutbox):
    with time_machine.travel(TUESDAY, tick=False):
        item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=2)
        old = item.due_date
        Notification.objects.exclude(kind="action_item_due").update(status=NotificationStatus.RETIRED)
        # Planned for a moment outside Myanmar's working hours: pending when the date moves.
        with time_machine.travel(TUESDAY + dt.timedelta(hours=10), tick=False):
            assert delivery.plan(timezone.now()) == 1
        services.update_action_item(item, by=work.officer, due_date=days(20))
        result = delivery.sweep()
    assert result.sent == 0
    assert mailoutbox == []
    stale = Notification.objects.get(kind="action_item_due", object_id=item.pk)
    assert (stale.occurrence, stale.status) == (f"due-3d-{old.isoformat()}", NotificationStatus.RETIRED)
    item.refresh_from_db()
    assert _plan(item) == start_of(item.due_date - dt.timedelta(days=3))
    # From three days before the new date, the owners hear of it, once.
    with time_machine.travel(start_of(item.due_date - dt.timedelta(days=3)) + dt.timedelta(hours=3), tick=False):
        delivery.plan(timezone.now())
    fresh = Notification.objects.get(kind="action_item_due", object_id=item.pk, status=NotificationStatus.PENDING)
    assert fresh.occurrence == f"due-3d-{item.due_date.isoformat()}"
    with time_machine.travel(fresh.due_at, tick=False):
        delivery.sweep()
        delivery.sweep()
    sent = Notification.objects.filter(kind="action_item_due", object_id=item.pk, status=NotificationStatus.SENT)
    assert list(sent.values_list("address", "occurrence")) == [(work.mmr.email, fresh.occurrence)]


def test_a_closed_item_is_not_chased(work):
    item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=2)
    assert _plan(item) is not None
    services.complete_action_item(item, by=work.officer, note="Translated")
    assert _plan(item) is None
    assert delivery.plan(timezone.now()) == 0
    assert not Notification.objects.filter(kind__in=reminders.REMINDER_KINDS, object_id=item.pk).exists()


def test_the_plan_is_not_part_of_the_items_history(work):
    item = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=2)
    before = item.history.count()
    with time_machine.travel(TUESDAY, tick=False):
        assert delivery.plan(timezone.now()) > 0
    assert _plan(item) > TUESDAY  # moved on
    assert item.history.count() == before


def test_every_path_that_creates_an_item_plans_it(work):
    """The service, a plain save() and the bulk helpers each give a new open item its first look;
    a closed one gets none."""
    first = start_of(days(30) - dt.timedelta(days=3))
    by_service = make_item(work.officer, work.wgai, owner_state=state("MMR"), due=30)
    saved = ActionItem(body=work.wgai, title="Saved", owner_kind=OwnerKind.SECRETARIAT, due_date=days(30))
    saved.created_by = work.officer
    with acting_as(work.officer):
        saved.save()
    bulk = _many_items(work, 3, due=days(30))
    closed = ActionItem(
        body=work.wgai,
        title="Done on arrival",
        owner_kind=OwnerKind.SECRETARIAT,
        due_date=days(30),
        status="done",
        completion_note="Delivered before it was recorded.",
        closed_at=timezone.now(),
        created_by=work.officer,
    )
    with acting_as(work.officer):
        bulk_create_with_history([closed], reason="Import")
    planned = [by_service, saved, *bulk, closed]
    rows = dict(ReminderPlan.objects.filter(action_item__in=planned).values_list("action_item_id", "next_at"))
    assert rows == {**{item.pk: first for item in planned[:-1]}, closed.pk: None}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("restore_migration_data")
def test_the_migration_moves_the_plans_to_their_table_and_back(network):
    """0004 copies each item's plan from its column into ReminderPlan (and its reverse copies them back)."""
    from django.db.migrations.executor import MigrationExecutor

    with time_machine.travel(TUESDAY, tick=False):
        soon = make_item(network.officer, network.wgai, owner_state=state("MMR"), due=2)
        later = make_item(network.officer, network.wgai, owner_state=state("SGP"), due=40)
        done = make_item(network.officer, network.wgai, owner_state=state("SGP"), due=5)
        services.complete_action_item(done, by=network.officer, note="Done")
    expected = {soon.pk: _plan(soon), later.pk: _plan(later)}
    executor = MigrationExecutor(connection)
    before, after = [("workgroups", "0003_drop_redundant_fk_indexes")], executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, next_reminder_at FROM workgroups_actionitem WHERE next_reminder_at IS NOT NULL")
            assert dict(cursor.fetchall()) == expected
            # Moved by a sweep before the upgrade: the copy carries the moment as it stands.
            cursor.execute(
                "UPDATE workgroups_actionitem SET next_reminder_at = %s WHERE id = %s",
                [TUESDAY + dt.timedelta(days=6), soon.pk],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    assert dict(ReminderPlan.objects.filter(next_at__isnull=False).values_list("action_item_id", "next_at")) == {
        soon.pk: TUESDAY + dt.timedelta(days=6),
        later.pk: expected[later.pk],
    }
