"""'My work' at /: my upcoming meetings in my zone, and minutes awaiting my approval as chair."""

from __future__ import annotations

from meetings import services

from .conftest import make_meeting


def test_home_lists_my_upcoming_meetings_in_my_zone(client, network, scheduled, draft):
    wgai = services.schedule_meeting(make_meeting(network.officer, network.wgai, days=5), by=network.officer)
    network.mmr.time_zone = "Asia/Yangon"
    network.mmr.save()
    client.force_login(network.mmr)
    response = client.get("/")
    assert list(response.context["upcoming_meetings"]) == [wgai]
    section = response.content.decode().split('id="my-meetings"')[1].split("</section>")[0]
    assert "08:30 (Yangon, UTC+6:30)" in section
    assert scheduled.title not in section  # ADGSOM: Myanmar's delegate does not sit in it
    assert draft.title not in section


def test_home_lists_minutes_awaiting_the_chairs_approval_and_nobody_elses(client, network, submitted):
    client.force_login(network.chair)
    page = client.get("/").content.decode()
    assert "Minutes awaiting my approval" in page
    assert f"/meetings/{submitted.meeting_id}/minutes/" in page
    client.force_login(network.sgp)
    assert "Minutes awaiting my approval" not in client.get("/").content.decode()
    services.approve_minutes(submitted, by=network.chair)
    client.force_login(network.chair)
    assert "Minutes awaiting my approval" not in client.get("/").content.decode()
