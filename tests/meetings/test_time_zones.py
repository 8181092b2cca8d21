"""Times across the region: 10:00 Kuala Lumpur = 09:00 Bangkok = 08:30 Yangon = 11:00 Dili."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from meetings.models import outside_working_hours
from secretariat.models import Role
from tests.factories import BodyFactory, MembershipFactory, UserFactory, state

from .conftest import make_meeting

KL = zoneinfo.ZoneInfo("Asia/Kuala_Lumpur")


@pytest.fixture
def task_force(network):
    """A body with delegations from Malaysia, Thailand, Myanmar and Timor-Leste."""
    body = BodyFactory(code="TF-SAFETY", name="Task Force on AI Safety Testing", parent=network.wgai)
    for code in ("MYS", "THA", "MMR", "TLS"):
        head = UserFactory(member_state=state(code), display_name=f"Head {code}")
        MembershipFactory(person=head, body=body, role=Role.HEAD)
    return body


def test_the_slot_is_shown_in_every_invited_state(network, task_force):
    meeting = make_meeting(network.officer, task_force, hour=10)
    times = {
        t.state.code: (t.start.strftime("%H:%M"), t.label)
        for t in meeting.local_times(d.member_state for d in meeting.delegations.select_related("member_state"))
    }
    assert times == {
        "MYS": ("10:00", "Kuala Lumpur, UTC+8"),
        "THA": ("09:00", "Bangkok, UTC+7"),
        "MMR": ("08:30", "Yangon, UTC+6:30"),
        "TLS": ("11:00", "Dili, UTC+9"),
    }


def test_a_slot_outside_working_hours_is_flagged_for_the_states_concerned(network, task_force):
    meeting = make_meeting(network.officer, task_force, hour=8)  # 08:00 KL = 06:30 Yangon, 07:00 Bangkok
    flagged = {
        t.state.code for t in meeting.local_times(d.member_state for d in meeting.delegations.all()) if t.out_of_hours
    }
    assert flagged == {"MMR", "THA"}


@pytest.mark.parametrize(
    ("start", "end", "zone", "outside"),
    [
        ((8, 0), (18, 0), "Asia/Kuala_Lumpur", False),
        ((7, 59), (12, 0), "Asia/Kuala_Lumpur", True),
        ((14, 0), (18, 30), "Asia/Kuala_Lumpur", True),
        ((10, 0), (12, 0), "Asia/Yangon", False),  # 08:30 to 10:30 in Yangon
        ((9, 0), (12, 0), "Asia/Yangon", True),  # 07:30 in Yangon
        ((17, 0), (18, 0), "Asia/Dili", True),  # until 19:00 in Dili
    ],
)
def test_working_hours_are_08_to_18_local(start, end, zone, outside):
    day = dt.date(2026, 3, 3)
    slot = [dt.datetime.combine(day, dt.time(*t), tzinfo=KL) for t in (start, end)]
    assert outside_working_hours(*slot, zone) is outside
