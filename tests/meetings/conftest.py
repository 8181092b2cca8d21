"""Meetings of the named network: a draft, a scheduled and a held ADGSOM meeting.

ADGSOM's only delegation in the `network` fixture is Singapore's (sgp heads it);
its chair is `chair`. WG-AI has Singapore (sgp, sgp_delegate) and Myanmar (mmr),
and `observer` as an observer.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, MeetingStatus
from secretariat.history import save_with_reason

KL = zoneinfo.ZoneInfo("Asia/Kuala_Lumpur")
# A Tuesday, 03:00 UTC: inside working hours in every member state, no holiday near it.
TUESDAY = dt.datetime(2026, 12, 15, 3, 0, tzinfo=dt.UTC)


def at(days: int, hour: int = 10, minute: int = 0, zone: zoneinfo.ZoneInfo = KL) -> dt.datetime:
    """A moment `days` from today at hour:minute in `zone`."""
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def make_meeting(
    by, body, *, days: int = 10, hour: int = 10, hours: int = 3, status: str | None = None, **kwargs
) -> Meeting:
    """A meeting through the service; `status` forces a later status for test set-up."""
    zone = kwargs.pop("time_zone", "Asia/Kuala_Lumpur")
    start = at(days, hour, zone=zoneinfo.ZoneInfo(zone))
    kwargs.setdefault("venue", "Kuala Lumpur Convention Centre")
    meeting = services.create_meeting(
        by=by, body=body, start=start, end=start + dt.timedelta(hours=hours), time_zone=zone, **kwargs
    )
    if status is not None:
        meeting.status = status
        save_with_reason(meeting, f"Test set-up: {status}")
    return meeting


@pytest.fixture
def draft(network: SimpleNamespace) -> Meeting:
    return make_meeting(network.officer, network.adgsom)


@pytest.fixture
def scheduled(network: SimpleNamespace) -> Meeting:
    meeting = make_meeting(network.officer, network.adgsom)
    return services.schedule_meeting(meeting, by=network.officer)


@pytest.fixture
def held(network: SimpleNamespace) -> Meeting:
    return make_meeting(network.officer, network.adgsom, days=-3, status=MeetingStatus.HELD)


@pytest.fixture
def wgai_meeting(network: SimpleNamespace) -> Meeting:
    meeting = make_meeting(network.officer, network.wgai)
    return services.schedule_meeting(meeting, by=network.officer)


MINUTES = """# Report of the 1st ADGSOM

The meeting was opened by the Chair.

Delegations noted the progress report of WG-AI.

## Agenda item 3

The meeting endorsed the work plan.
"""


@pytest.fixture
def submitted(network: SimpleNamespace, held: Meeting):
    """Minutes Rev.1 of the held meeting, submitted to the chair."""
    services.create_minutes_version(held, by=network.officer, text=MINUTES)
    return services.submit_minutes(held.minutes, by=network.officer)


def request_overhead(client, *, api: bool = False) -> int:
    """Queries every signed-in request makes (session, user, zone, group; a page's header adds its own).

    Pages: measured on the calendar settings page, which adds exactly one query (the feed).
    API: measured on a meeting that does not exist, which adds exactly one (the lookup).
    Query-count tests add the page's own queries on top, so they name only those.
    """
    url = reverse("meeting-detail", args=[0]) if api else reverse("meetings:calendar")
    client.get(url)  # the first request of a session may record it; later ones do not
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    return len(context) - 1


@pytest.fixture
def tuesday():
    """The clock stopped at TUESDAY (move it with `.move_to`)."""
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def files_in_tmp(settings, tmp_path):
    """Documents written to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
