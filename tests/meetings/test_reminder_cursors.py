"""Issue 6: the sweep's derived sources keep a stored plan (`SourceCursor`), as the action items do.

The meetings, minutes and circulations sources say when they could next plan
something; the sweep reads every cursor in one query and skips them until then,
unless a change to a model they watch wakes them in the writer's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import services
from meetings.models import Meeting
from meetings.reminder_sources import _next_meeting_moment, plan_meeting_reminders, plan_minutes_reminders
from secretariat import delivery
from secretariat.documents import services as documents
from secretariat.documents.models import CirculationMode
from secretariat.documents.reminders import plan_circulations
from secretariat.history import acting_as, bulk_create_with_history, update_with_history
from secretariat.models import Notification, SourceCursor, SourceWake
from tests.documents.conftest import make_document
from tests.factories import state
from workgroups.models import ActionItem, OwnerKind

from .conftest import MINUTES, TUESDAY, make_meeting

MEETINGS = delivery.source_name(plan_meeting_reminders)
MINUTES_SOURCE = delivery.source_name(plan_minutes_reminders)
CIRCULATIONS = delivery.source_name(plan_circulations)
pytestmark = pytest.mark.usefixtures("files_in_tmp")
DERIVED_TABLES = ("meetings_meeting", "meetings_minutes", "meetings_delegation", "secretariat_circulation")


def _cursor(name: str) -> dt.datetime | None:
    return SourceCursor.objects.get(name=name).next_run_at


def _woken(name: str) -> bool:
    return SourceWake.objects.filter(name=name).exists()


def _scheduled(network, days: int) -> Meeting:
    return services.schedule_meeting(make_meeting(network.officer, network.adgsom, days=days), by=network.officer)


def _busy_network(network) -> None:
    """Upcoming meetings, minutes waiting for the chair and in comments, an open circulation,
    1,000 open action items: everything the derived sources read."""
    for days in (5, 12, 20, 40):
        _scheduled(network, days)
    waiting = make_meeting(network.officer, network.adgsom, days=-10, status="held")
    services.create_minutes_version(waiting, by=network.officer, text=MINUTES)
    services.submit_minutes(waiting.minutes, by=network.officer)
    commented = make_meeting(network.officer, network.wgai, days=-5, status="held")
    services.create_minutes_version(commented, by=network.officer, text=MINUTES)
    services.circulate_minutes(commented.minutes, by=network.officer, deadline=timezone.now() + dt.timedelta(days=6))
    document = make_document(network.officer, network.wgai)
    documents.circulate_document(
        document.versions.get(),
        by=network.officer,
        mode=CirculationMode.SILENCE,
        deadline=timezone.now() + dt.timedelta(days=4),
        bodies=[network.wgai],
    )
    due = timezone.localdate() + dt.timedelta(days=40)
    items = [
        ActionItem(
            body=network.wgai,
            title=f"Bulk item {n}",
            owner_kind=OwnerKind.STATE,
            owner_state=state("SGP"),
            due_date=due,
            created_by=network.officer,
        )
        for n in range(1000)
    ]
    with acting_as(network.officer):
        bulk_create_with_history(items, reason="Test volume")


def _steady() -> None:
    """Sweep until nothing is left to bundle: what is due now has been told."""
    while delivery.sweep().bundled:
        pass


def test_a_steady_sweep_reads_the_cursors_and_runs_no_derived_source(network, tuesday):
    _busy_network(network)
    _steady()
    with CaptureQueriesContext(connection) as whole:
        again = delivery.sweep()
    assert (again.planned, again.bundled, again.sent) == (0, 0, 0)
    sql = [q["sql"] for q in whole.captured_queries]
    # One query, the pulse: every source's cursor, and whether action items' reminder plans,
    # notifications or messages are due. Meetings, minutes and circulations sleep until their
    # next moment: none of their tables is read.
    assert len(sql) == 1, "\n".join(q[:150] for q in sql)
    assert 'FROM "secretariat_sourcecursor"' in sql[0]
    assert not [q for q in sql if any(f'"{table}"' in q for table in DERIVED_TABLES)]
    # Each sleeps until its next moment, an hour at most (the net under unseen changes).
    for name in (MEETINGS, MINUTES_SOURCE, CIRCULATIONS):
        assert TUESDAY < _cursor(name) <= TUESDAY + delivery.RESWEEP_AFTER


def test_moving_a_meeting_wakes_the_meetings_source_and_nothing_goes_for_the_old_date(network, tuesday):
    meeting = _scheduled(network, 9)  # within ten days: the RSVP reminder is due
    _steady()
    reminded = Notification.objects.filter(kind="rsvp_pending", object_id=meeting.pk)
    assert reminded.exists()
    assert _cursor(MEETINGS) is not None
    assert not _woken(MEETINGS)
    later = meeting.start + dt.timedelta(days=30)
    services.postpone_meeting(
        meeting, by=network.officer, start=later, end=later + dt.timedelta(hours=3), reason="Venue unavailable"
    )
    assert _woken(MEETINGS)
    with CaptureQueriesContext(connection) as whole:
        delivery.sweep()
    assert [q for q in whole.captured_queries if '"meetings_meeting"' in q["sql"]]
    assert not reminded.filter(status="pending").exists()
    assert not Notification.objects.filter(kind="rsvp_pending", occurrence__startswith=later.isoformat()).exists()
    # Its next moment is now the new date's ten-day mark (within the hour's cap).
    assert _cursor(MEETINGS) == TUESDAY + delivery.RESWEEP_AFTER
    assert not _woken(MEETINGS)


def test_the_meetings_source_runs_at_its_moment_to_the_second(network, tuesday):
    meeting = _scheduled(network, 20)
    seven_days_before = meeting.start - dt.timedelta(days=7)
    upcoming = Notification.objects.filter(kind="meeting_upcoming", occurrence__endswith=":7d")
    tuesday.move_to(seven_days_before - dt.timedelta(seconds=1))
    delivery.sweep()
    assert not upcoming.exists()
    assert _cursor(MEETINGS) == seven_days_before
    tuesday.move_to(seven_days_before - dt.timedelta(milliseconds=1))
    with CaptureQueriesContext(connection) as whole:
        delivery.plan(timezone.now())
    assert not [q for q in whole.captured_queries if '"meetings_meeting"' in q["sql"]]
    tuesday.move_to(seven_days_before)
    delivery.plan(timezone.now())
    assert upcoming.exists()
    assert {n.occurrence for n in upcoming} == {f"{meeting.start.isoformat()}:7d"}


def test_the_meetings_source_follows_the_settings_table(network, tuesday, settings):
    settings.REMINDERS = {**settings.REMINDERS, "meeting_upcoming": {"before": [dt.timedelta(days=14)]}}
    meeting = _scheduled(network, 20)
    fourteen_days_before = meeting.start - dt.timedelta(days=14)
    delivery.sweep()
    assert _cursor(MEETINGS) == TUESDAY + delivery.RESWEEP_AFTER  # capped: the moment is days away

    assert _next_meeting_moment(timezone.now()) == min(fourteen_days_before, meeting.start - dt.timedelta(days=10))
    tuesday.move_to(fourteen_days_before)
    plan_meeting_reminders(timezone.now())
    upcoming = Notification.objects.filter(kind="meeting_upcoming", object_id=meeting.pk)
    assert {n.occurrence for n in upcoming} == {f"{meeting.start.isoformat()}:14d"}


def test_the_minutes_source_reminds_the_chair_at_three_days_to_the_second(network, tuesday):
    held = make_meeting(network.officer, network.adgsom, days=-3, status="held")
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    minutes = services.submit_minutes(held.minutes, by=network.officer)
    due = minutes.submitted_at + dt.timedelta(days=3)
    waiting = Notification.objects.filter(kind="minutes_awaiting_chair")
    tuesday.move_to(due - dt.timedelta(seconds=1))
    delivery.plan(timezone.now())
    assert not waiting.exists()
    assert _cursor(MINUTES_SOURCE) == due
    tuesday.move_to(due)
    delivery.plan(timezone.now())
    assert waiting.count() == 1
    assert _cursor(MINUTES_SOURCE) == due + delivery.RESWEEP_AFTER  # the weekly one is further


@transaction.atomic
def _save_then_fail(meeting: Meeting, seen: list) -> None:
    """A service that writes a meeting, then fails: its transaction rolls back."""
    meeting.venue = "Elsewhere"
    meeting.save()
    seen.append(_woken(MEETINGS))
    raise RuntimeError("the service failed after writing")


def test_a_failed_transaction_rolls_the_wake_back_with_it(network, tuesday):
    meeting = _scheduled(network, 20)
    delivery.plan(timezone.now())
    stored = _cursor(MEETINGS)
    assert stored is not None
    seen = []
    with pytest.raises(RuntimeError):
        _save_then_fail(meeting, seen)
    assert seen == [True]  # woken inside the transaction...
    assert not _woken(MEETINGS)  # ... and not after it
    assert _cursor(MEETINGS) == stored


def test_a_transaction_wakes_a_source_once_unless_a_savepoint_took_its_wake_back(network, tuesday):
    meeting = _scheduled(network, 20)
    delivery.plan(timezone.now())

    def wakes(queries: CaptureQueriesContext) -> int:
        return sum('INSERT INTO "secretariat_sourcewake"' in q["sql"] for q in queries.captured_queries)

    with transaction.atomic():
        with CaptureQueriesContext(connection) as twice:
            meeting.save()
            meeting.save()
        assert wakes(twice) == 1
    delivery.plan(timezone.now())
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            _save_then_fail(meeting, [])
        assert not _woken(MEETINGS)  # the savepoint's wake went with it
        with CaptureQueriesContext(connection) as after:
            meeting.save()
        assert wakes(after) == 1
        assert _woken(MEETINGS)


def test_the_bulk_helpers_wake_the_sources_that_watch_their_model(network, tuesday):
    meeting = _scheduled(network, 20)
    delivery.plan(timezone.now())
    with acting_as(network.officer):
        update_with_history(Meeting.objects.filter(pk=meeting.pk), venue="Elsewhere", reason="Test")
    assert _woken(MEETINGS)
    assert _woken(MINUTES_SOURCE)
    assert not _woken(CIRCULATIONS)


def test_a_wake_while_the_source_runs_is_not_overwritten_by_its_plan(network, tuesday, monkeypatch):
    _scheduled(network, 20)

    def woken_meanwhile(source: delivery.Source) -> delivery.Source:
        def run(now: dt.datetime):
            result = source.plan(now)
            # Another transaction's wake (delivery.wake), committed while this source ran.
            SourceWake.objects.create(name=source.name)
            return result

        return dataclasses.replace(source, plan=run)

    sources = [woken_meanwhile(s) if s.name == MEETINGS else s for s in delivery._sources]
    monkeypatch.setattr(delivery, "_sources", sources)
    delivery.plan(timezone.now())
    assert _woken(MEETINGS)  # kept for the next sweep
    assert not _woken(MINUTES_SOURCE)
    with CaptureQueriesContext(connection) as next_sweep:
        delivery.plan(timezone.now())
    assert [q for q in next_sweep.captured_queries if '"meetings_meeting"' in q["sql"]]  # it ran again


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("restore_migration_data")
def test_two_writers_of_watched_rows_do_not_wait_for_each_other(network):
    """A wake is an INSERT: a second writer commits while the first one's transaction is still open."""
    first = make_meeting(network.officer, network.adgsom, days=20)
    second = make_meeting(network.officer, network.adgsom, days=25)
    delivery.plan(timezone.now())
    committed = threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                meeting = Meeting.objects.get(pk=second.pk)
                meeting.venue = "Bangkok"
                meeting.save()
            committed.set()
        finally:
            connection.close()

    with transaction.atomic():
        first.venue = "Jakarta"
        first.save()  # this transaction's wake is written and stays uncommitted...
        writer = threading.Thread(target=other_writer)
        writer.start()
        assert committed.wait(timeout=10), "the second writer waited for the first one's transaction"
    writer.join()
    assert SourceWake.objects.filter(name=MEETINGS).count() == 2
    delivery.plan(timezone.now())
    assert not _woken(MEETINGS)
