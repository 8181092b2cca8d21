"""When a reminder may reach a person: inside working hours, in the person's own
zone, on a working day of the person's member state and not on its public holidays.

The `holidays` library knows the weekends and public holidays of all eleven
member states (Brunei rests on Friday and Sunday). People without a member state
(secretariat officers, observers) follow the secretariat's seat, Malaysia.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable

import holidays
from django.conf import settings


@functools.lru_cache(maxsize=256)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def warm(countries: Iterable[str], years: Iterable[int]) -> None:
    """Build these calendars now: a sender process does it at its start, not in its first sweep
    (the first calendar also imports every country's rules, about a tenth of a second)."""
    for country in countries:
        for year in years:
            _calendar(country, year)


def is_working_day(day: dt.date, country: str) -> bool:
    calendar = _calendar(country, day.year)
    return day.weekday() not in calendar.weekend and day not in calendar


def next_working_moment(
    moment: dt.datetime,
    *,
    zone_name: str,
    country: str,
    start: int | None = None,
    end: int | None = None,
) -> dt.datetime:
    """The first moment at or after `moment` inside working hours (returned in UTC)."""
    start = settings.DELIVERY_WORKDAY_START if start is None else start
    end = settings.DELIVERY_WORKDAY_END if end is None else end
    zone = zoneinfo.ZoneInfo(zone_name)
    local = moment.astimezone(zone)
    for _ in range(400):  # a year and a bit: always enough to find a working day
        day = local.date()
        if is_working_day(day, country):
            opens = dt.datetime.combine(day, dt.time(start), zone)
            closes = dt.datetime.combine(day, dt.time(end), zone)
            if local < opens:
                return opens.astimezone(dt.UTC)
            if local < closes:
                return local.astimezone(dt.UTC)
        local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return moment


def for_person(moment: dt.datetime, person: object) -> dt.datetime:
    """`next_working_moment` for a user: its zone, its member state's calendar."""
    state = getattr(person, "member_state", None)
    country = state.holidays_code if state is not None else settings.DELIVERY_DEFAULT_COUNTRY
    return next_working_moment(moment, zone_name=person.zone_name, country=country)


def digest_slot(moment: dt.datetime, person: object) -> dt.datetime:
    """The next daily-digest time for a person: 09:00 on its next working day."""
    slot = for_person(moment, person)
    zone = zoneinfo.ZoneInfo(person.zone_name)
    local = slot.astimezone(zone)
    if local.time() == dt.time(settings.DELIVERY_WORKDAY_START):
        return slot
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), zone)
    return for_person(tomorrow, person)
