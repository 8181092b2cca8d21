"""The permission matrix of meeting pages, files and API (pretix's test_permissions).

Every URL × every named role, with the status it must answer: 404 for what the
role may not see (page, file, .ics, PDF or API alike), 403 for what it may see
but not change, 302 to the sign-in page for an anonymous visitor (the API
refuses with 403). POSTs that succeed or are refused with a message redirect (302).

Roles run in one test per row, from the least to the most privileged, so a
successful POST by the secretariat cannot change what an earlier role saw.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import DecisionKind, MeetingStatus, Purpose

from .conftest import MINUTES, make_meeting

ROLES = ["anonymous", "outsider", "observer", "mmr", "sgp", "chair", "officer"]
LOGIN = 302


def adgsom(officer: int, chair: int, sgp: int, others: int = 404, anonymous: int = LOGIN) -> dict[str, int]:
    """An ADGSOM record: the secretariat, ADGSOM's chair and Singapore's head (sgp) see it."""
    return {
        "officer": officer,
        "chair": chair,
        "sgp": sgp,
        "mmr": others,
        "observer": others,
        "outsider": others,
        "anonymous": anonymous,
    }


def everyone(status: int, anonymous: int = LOGIN) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, status), "anonymous": anonymous}


def secretariat_only(status: int) -> dict[str, int]:
    return {**everyone(404), "officer": status}


def secretariat_writes(status: int) -> dict[str, int]:
    """An ADGSOM record the chair and sgp may see but not change."""
    return adgsom(status, 403, 403)


def wgai(officer: int, sgp: int, mmr: int, observer: int, chair: int = 404) -> dict[str, int]:
    return {
        "officer": officer,
        "chair": chair,
        "sgp": sgp,
        "mmr": mmr,
        "observer": observer,
        "outsider": 404,
        "anonymous": LOGIN,
    }


def api(expected: dict[str, int]) -> dict[str, int]:
    """The API answers 403 to an anonymous caller instead of redirecting."""
    return {**expected, "anonymous": 403}


# (url name, args from the fixture, method, expected status by role[, POST data])
MATRIX = [
    ("meetings:list", lambda n: [], "get", everyone(200)),
    ("meetings:create", lambda n: [], "get", secretariat_only(200)),
    ("meetings:decisions", lambda n: [], "get", everyone(200)),
    ("meetings:calendar", lambda n: [], "get", everyone(200)),
    ("meetings:calendar_enable", lambda n: [], "post", everyone(302)),
    ("meetings:calendar_revoke", lambda n: [], "post", everyone(302)),
    ("meetings:feed", lambda n: [n.feed.token], "get", everyone(200, anonymous=200)),
    ("meetings:detail", lambda n: [n.held.pk], "get", adgsom(200, 200, 200)),
    ("meetings:detail", lambda n: [n.draft.pk], "get", adgsom(200, 200, 404)),
    ("meetings:detail", lambda n: [n.wgai.pk], "get", wgai(200, 200, 200, 200)),
    ("meetings:edit", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:history", lambda n: [n.held.pk], "get", adgsom(200, 200, 200)),
    ("meetings:schedule", lambda n: [n.draft.pk], "post", adgsom(302, 403, 404)),
    ("meetings:postpone", lambda n: [n.upcoming.pk], "get", secretariat_writes(200)),
    ("meetings:cancel", lambda n: [n.upcoming.pk], "get", secretariat_writes(200)),
    ("meetings:held", lambda n: [n.upcoming.pk], "post", secretariat_writes(302)),
    ("meetings:close", lambda n: [n.held.pk], "post", secretariat_writes(302)),
    ("meetings:ics", lambda n: [n.upcoming.pk], "get", adgsom(200, 200, 200)),
    ("meetings:ics", lambda n: [n.wgai.pk], "get", wgai(200, 200, 200, 200)),
    ("meetings:guest_invite", lambda n: [n.upcoming.pk], "get", secretariat_writes(200)),
    (
        "meetings:guest_invite",
        lambda n: [n.upcoming.pk],
        "post",
        secretariat_writes(302),
        lambda n: {"person": n.mmr.pk},
    ),
    ("meetings:guest_remove", lambda n: [n.wgai.pk, n.guest.pk], "post", wgai(302, 403, 403, 403)),
    ("meetings:rsvp", lambda n: [n.upcoming.pk], "get", adgsom(403, 403, 200)),
    ("meetings:guest_rsvp", lambda n: [n.wgai.pk], "post", wgai(403, 403, 403, 302), lambda n: {"answer": "attending"}),
    ("meetings:attendance", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:participants", lambda n: [n.held.pk], "get", adgsom(200, 200, 200)),
    ("meetings:participants_pdf", lambda n: [n.held.pk], "get", adgsom(200, 200, 200)),
    ("meetings:agenda", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:agenda_add", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:agenda_adopt", lambda n: [n.upcoming.pk], "post", adgsom(302, 302, 403)),
    ("meetings:agenda_edit", lambda n: [n.held.pk, n.item.pk], "get", secretariat_writes(200)),
    ("meetings:agenda_delete", lambda n: [n.upcoming.pk, n.opening.pk], "post", secretariat_writes(302)),
    (
        "meetings:agenda_move",
        lambda n: [n.held.pk, n.item.pk],
        "post",
        secretariat_writes(302),
        lambda n: {"direction": "down"},
    ),
    ("meetings:decision_add", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:decision_edit", lambda n: [n.held.pk, n.decision.pk], "get", secretariat_writes(200)),
    ("meetings:minutes", lambda n: [n.held.pk], "get", adgsom(200, 200, 200)),
    ("meetings:minutes_edit", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:minutes_circulate", lambda n: [n.held.pk], "get", secretariat_writes(200)),
    ("meetings:minutes_comment", lambda n: [n.held.pk], "post", adgsom(403, 403, 302), lambda n: {"text": "x"}),
    ("meetings:minutes_submit", lambda n: [n.held.pk], "post", secretariat_writes(302)),
    ("meetings:minutes_approve", lambda n: [n.held.pk], "post", adgsom(403, 302, 403)),
    ("meetings:minutes_return", lambda n: [n.held.pk], "get", adgsom(403, 200, 403)),
    ("meetings:minutes_comments", lambda n: [n.held.pk], "get", adgsom(200, 200, 404)),
    ("meetings:minutes_comments_csv", lambda n: [n.held.pk], "get", adgsom(200, 200, 404)),
    ("meetings:minutes_diff", lambda n: [n.held.pk], "get", adgsom(200, 200, 404)),
    ("meetings:minutes_version", lambda n: [n.held.pk, 1], "get", adgsom(200, 200, 200)),
    ("meetings:minutes_version", lambda n: [n.held.pk, 2], "get", adgsom(200, 200, 404)),
    ("meetings:minutes_pdf", lambda n: [n.closed.pk, 1], "get", adgsom(200, 200, 200)),
    ("meetings:minutes_pdf", lambda n: [n.held.pk, 1], "get", adgsom(404, 404, 404)),
    ("meeting-list", lambda n: [], "get", api(everyone(200))),
    ("meeting-detail", lambda n: [n.held.pk], "get", api(adgsom(200, 200, 200))),
    ("meeting-detail", lambda n: [n.draft.pk], "get", api(adgsom(200, 200, 404))),
    ("meeting-detail", lambda n: [n.wgai.pk], "get", api(wgai(200, 200, 200, 200))),
]


@pytest.fixture
def n(network):
    """Meetings in every state the matrix needs."""
    officer, chair, sgp = network.officer, network.chair, network.sgp
    # A held ADGSOM meeting: an item, a decision, Rev.1 circulated and commented, Rev.2 with the chair.
    network.held = make_meeting(officer, network.adgsom, days=-3, status=MeetingStatus.HELD)
    network.item = services.add_agenda_item(network.held, by=officer, title="Work plan", purpose=Purpose.APPROVAL)
    services.add_agenda_item(network.held, by=officer, title="Other matters", purpose=Purpose.NOTING)
    network.decision = services.record_decision(
        network.held, by=officer, agenda_item=network.item, kind=DecisionKind.APPROVED, text="Approved."
    )
    services.create_minutes_version(network.held, by=officer, text=MINUTES)
    services.circulate_minutes(network.held.minutes, by=officer, deadline=timezone.now() + dt.timedelta(days=5))
    services.comment_on_minutes(network.held.minutes, by=sgp, member_state=sgp.member_state, paragraph=1, text="Ok")
    services.create_minutes_version(network.held, by=officer, text=MINUTES + "\nRevised.")
    services.submit_minutes(network.held.minutes, by=officer)
    # A closed ADGSOM meeting with approved minutes.
    network.closed = make_meeting(officer, network.adgsom, days=-40, status=MeetingStatus.HELD)
    services.create_minutes_version(network.closed, by=officer, text=MINUTES)
    services.submit_minutes(network.closed.minutes, by=officer)
    services.approve_minutes(network.closed.minutes, by=chair)
    services.close_meeting(network.closed, by=officer)
    # An upcoming ADGSOM meeting, a draft, and a WG-AI meeting with the observer invited by name.
    network.upcoming = services.schedule_meeting(make_meeting(officer, network.adgsom), by=officer)
    network.opening = services.add_agenda_item(network.upcoming, by=officer, title="Opening", purpose=Purpose.NOTING)
    network.draft = make_meeting(officer, network.adgsom, days=40)
    network.wgai = services.schedule_meeting(make_meeting(officer, network.wgai), by=officer)
    network.guest = services.invite_guest(network.wgai, by=officer, person=network.observer)
    network.feed = services.enable_calendar_feed(by=sgp)
    return network


@pytest.mark.parametrize("row", MATRIX, ids=[f"{row[0]}-{i}" for i, row in enumerate(MATRIX)])
def test_permission_matrix(client, n, people, row):
    name, args, method, expected = row[:4]
    data = row[4](n) if len(row) > 4 else {}
    url = reverse(name, args=args(n))
    wrong = []
    for role in ROLES:
        client.logout()
        if people[role] is not None:
            client.force_login(people[role])
        response = getattr(client, method)(url, data)
        if response.status_code != expected[role]:
            wrong.append(f"{role}: {response.status_code} (expected {expected[role]})")
        elif response.status_code == LOGIN and role == "anonymous" and not url.startswith("/api/"):
            assert response["Location"].startswith("/accounts/login/")
    assert not wrong, f"{method.upper()} {url}: " + "; ".join(wrong)
