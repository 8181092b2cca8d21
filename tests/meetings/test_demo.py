"""The demo meetings: every state the issue asks for, idempotent, and scalable."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from meetings import demo as meetings_demo
from meetings.models import Delegation, Meeting, MeetingStatus, MinutesStatus, MinutesVersion, Rsvp
from secretariat import demo
from secretariat.history import acting_as
from secretariat.services import system_user
from tests.factories import ensure_reference_data


def _seed(scale: int = 1) -> None:
    ensure_reference_data()
    with acting_as(system_user()):
        meetings_demo.seed_meetings(demo.seed_network(), scale=scale, log=lambda line: None)


def test_the_demo_has_meetings_in_every_state_the_secretariat_meets(db):
    _seed()
    now = timezone.now()
    approved = Meeting.objects.filter(minutes__status=MinutesStatus.APPROVED, end__lt=now)
    assert set(approved.values_list("body__code", flat=True)) == {"ADGMIN", "ADGSOM", "WG-AI"}
    assert Meeting.objects.filter(minutes__status=MinutesStatus.SUBMITTED).count() == 1
    assert Meeting.objects.filter(minutes__status=MinutesStatus.CIRCULATED).count() == 1
    upcoming = Meeting.objects.filter(status=MeetingStatus.SCHEDULED, start__gt=now)
    assert upcoming.filter(start__lte=now + dt.timedelta(days=7)).exists()
    assert upcoming.filter(start__gt=now + dt.timedelta(days=7)).exists()
    answers = set(Delegation.objects.filter(meeting__in=upcoming).values_list("rsvp", flat=True))
    assert answers == {Rsvp.PENDING, Rsvp.ATTENDING, Rsvp.NOT_ATTENDING}
    assert Meeting.objects.exclude(host_state=None).values("host_state").distinct().count() >= 5
    for version in MinutesVersion.objects.filter(approved_at__isnull=False):
        assert version.sha256 == version.computed_sha256()


def test_seeding_twice_changes_nothing_and_scale_adds_synthetic_meetings_once(db):
    _seed()
    counts = (Meeting.objects.count(), Delegation.objects.count(), MinutesVersion.objects.count())
    _seed()
    assert (Meeting.objects.count(), Delegation.objects.count(), MinutesVersion.objects.count()) == counts
    _seed(scale=2)
    assert Meeting.objects.count() == counts[0] + meetings_demo.SYNTHETIC_PER_SCALE
    _seed(scale=2)
    assert Meeting.objects.count() == counts[0] + meetings_demo.SYNTHETIC_PER_SCALE
