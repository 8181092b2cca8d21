"""Reminders wait for the recipient's working hours, zone, weekend and holidays."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import OperationalError
from django.db.models import QuerySet

from secretariat import celery as celery_app
from secretariat import delivery, working_hours
from secretariat.models import MemberState
from secretariat.working_hours import is_working_day, next_working_moment


def _at(text: str, zone: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def _local(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M")


def test_inside_working_hours_a_reminder_goes_at_once():
    moment = _at("2026-12-02 10:15", "Asia/Yangon")  # a Wednesday
    assert next_working_moment(moment, zone_name="Asia/Yangon", country="MM") == moment


def test_before_nine_a_reminder_waits_for_nine_local():
    moment = _at("2026-12-02 07:59", "Asia/Yangon")
    assert (
        _local(next_working_moment(moment, zone_name="Asia/Yangon", country="MM"), "Asia/Yangon")
        == "Wed 2026-12-02 09:00"
    )


def test_after_six_a_reminder_waits_for_the_next_working_morning():
    moment = _at("2026-12-02 18:00", "Asia/Dili")
    assert (
        _local(next_working_moment(moment, zone_name="Asia/Dili", country="TL"), "Asia/Dili") == "Thu 2026-12-03 09:00"
    )


def test_brunei_rests_on_friday_and_sunday_and_works_on_saturday():
    friday = _at("2026-12-04 10:00", "Asia/Brunei")
    assert not is_working_day(friday.date(), "BN")
    assert is_working_day(dt.date(2026, 12, 5), "BN")
    assert (
        _local(next_working_moment(friday, zone_name="Asia/Brunei", country="BN"), "Asia/Brunei")
        == "Sat 2026-12-05 09:00"
    )


def test_singapore_rests_on_the_weekend():
    saturday = _at("2026-12-05 10:00", "Asia/Singapore")
    assert (
        _local(next_working_moment(saturday, zone_name="Asia/Singapore", country="SG"), "Asia/Singapore")
        == "Mon 2026-12-07 09:00"
    )


@pytest.mark.parametrize(
    ("country", "zone", "holiday"), [("SG", "Asia/Singapore", "2026-12-25"), ("VN", "Asia/Ho_Chi_Minh", "2026-09-02")]
)
def test_public_holidays_are_skipped(country, zone, holiday):
    moment = _at(f"{holiday} 10:00", zone)
    result = next_working_moment(moment, zone_name=zone, country=country)
    assert result.astimezone(zoneinfo.ZoneInfo(zone)).date() > moment.date()
    assert _local(result, zone).endswith("09:00")


def test_a_partner_zone_with_daylight_saving_time_is_handled():
    moment = _at("2026-03-08 01:00", "America/New_York")  # the night the clocks go forward
    result = next_working_moment(moment, zone_name="America/New_York", country="MY")
    assert _local(result, "America/New_York") == "Mon 2026-03-09 09:00"


def register_test_kind() -> None:
    """A plain optional reminder kind about a body, for the engine's tests."""
    from secretariat import delivery

    def render(notification):
        return delivery.EmailContent(
            subject=f"Reminder about {notification.subject}", text=f"Due in {notification.subject}.\n"
        )

    delivery.register_kind("test-reminder", label="Test reminder", render=render, mandatory=False)


def test_a_planned_reminder_stores_its_send_time_inside_the_recipients_hours(network):
    import time_machine

    from secretariat import delivery

    register_test_kind()
    with time_machine.travel(_at("2026-12-02 20:00", "Asia/Yangon"), tick=False):
        row = delivery.notify("test-reminder", network.wgai, recipient=network.mmr)
        assert _local(row.due_at, "Asia/Yangon") == "Thu 2026-12-03 09:00"
        assert delivery.sweep().sent == 0
    with time_machine.travel(_at("2026-12-03 08:59:59", "Asia/Yangon"), tick=False):
        assert delivery.sweep().sent == 0
    with time_machine.travel(_at("2026-12-03 09:00:01", "Asia/Yangon"), tick=False):
        assert delivery.sweep().sent == 1


def test_several_reminders_due_together_go_as_one_digest(network, mailoutbox):
    from secretariat import delivery

    register_test_kind()
    delivery.notify("test-reminder", network.wgai, recipient=network.officer, due_at=_at("2026-01-01 00:00", "UTC"))
    delivery.notify("test-reminder", network.adgsom, recipient=network.officer, due_at=_at("2026-01-01 00:00", "UTC"))
    delivery.notify("test-reminder", network.adgsom, recipient=network.mmr, due_at=_at("2026-01-01 00:00", "UTC"))
    result = delivery.sweep()
    assert result.sent == 2
    digest = next(m for m in mailoutbox if m.to == ["officer@example.org"])
    assert digest.subject == "2 updates from ASEAN AI Safe"
    assert "WG-AI" in digest.body
    assert "ADGSOM" in digest.body


@pytest.mark.django_db
def test_a_worker_builds_every_states_calendars_as_it_starts(network):
    working_hours._calendar.cache_clear()
    with time_machine.travel(dt.datetime(2026, 12, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        celery_app.warm()  # the worker_init receiver
    built = working_hours._calendar.cache_info().currsize
    codes = set(MemberState.objects.values_list("holidays_code", flat=True)) | {"MY"}
    assert built == 2 * len(codes)  # this year and next
    assert working_hours.is_working_day(dt.date(2027, 1, 5), "BN")
    assert working_hours._calendar.cache_info().misses == built  # the sweep finds them built


def test_a_worker_starts_cold_without_the_database(monkeypatch):
    working_hours._calendar.cache_clear()
    warnings: list[str] = []

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(QuerySet, "values_list", unreachable)
    # Not caplog: a Celery worker started by an earlier test may have taken the loggers over.
    monkeypatch.setattr(delivery.log, "warning", lambda message, *args, **kwargs: warnings.append(message))
    delivery.warm()
    assert working_hours._calendar.cache_info().currsize == 0
    assert warnings == ["The delivery engine starts cold: the database cannot be read."]


# Outside a test transaction (warm() leaves those open); serialized rollback keeps the
# migrations' rows (member states) for the tests after it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("restore_migration_data")
def test_a_worker_leaves_no_connection_or_pool_for_its_forked_children():
    from django.db import connection

    assert connection.settings_dict["OPTIONS"].get("pool")  # the stack's setting, as here
    delivery.warm()
    assert connection.connection is None
    assert connection.alias not in connection._connection_pools
    MemberState.objects.exists()  # the next query opens a connection, from a new pool
    assert connection.connection is not None
    assert connection.alias in connection._connection_pools
