"""Calendar files parsed back with icalendar, the personal feed, e-mails, and PDFs read with pypdf."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from meetings import services
from meetings.models import MeetingStatus, Rsvp
from meetings.pdf import AppOnlyFetcher, RefusedURL
from secretariat import delivery
from secretariat.models import Message, Notification, NotificationStatus

from .conftest import MINUTES, make_meeting


def _attachment(meeting, kind: str, address: str = "sgp@example.org") -> dict:
    notification = Notification.objects.get(kind=kind, object_id=meeting.pk, address=address)
    content = delivery.kinds()[kind].render(notification)
    (attachment,) = content.attachments
    return attachment


def _event(ics_text: str | bytes):
    calendar = Calendar.from_ical(ics_text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


# --- Invitations, updates, cancellations -------------------------------------------------


def test_the_invitation_carries_a_request_with_the_meetings_uid_and_its_zone(network, scheduled):
    attachment = _attachment(scheduled, "meeting_invitation")
    assert attachment["mimetype"] == "text/calendar; method=REQUEST"
    assert attachment["filename"] == "adgsom-1.ics"
    calendar, event = _event(attachment["content"])
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == scheduled.ical_uid
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == scheduled.start
    assert event["DTSTART"].params["TZID"] == "Asia/Kuala_Lumpur"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Kuala_Lumpur"]
    assert "sgp@example.org" in str(event["ATTENDEE"])


def test_a_postponement_sends_the_same_uid_with_a_higher_sequence(network, scheduled):
    first = _event(_attachment(scheduled, "meeting_invitation")["content"])[1]
    later = scheduled.start + dt.timedelta(days=7)
    services.postpone_meeting(
        scheduled, by=network.officer, start=later, end=later + dt.timedelta(hours=2), reason="Typhoon warning"
    )
    calendar, event = _event(_attachment(scheduled, "meeting_update")["content"])
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == first["UID"]
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == later
    assert "Typhoon warning" in str(event["DESCRIPTION"])


def test_a_cancellation_sends_cancel_for_the_same_uid(network, scheduled):
    uid = scheduled.ical_uid
    services.cancel_meeting(scheduled, by=network.officer, reason="Merged with the special session")
    attachment = _attachment(scheduled, "meeting_cancelled")
    assert attachment["mimetype"] == "text/calendar; method=CANCEL"
    calendar, event = _event(attachment["content"])
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == uid
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert calendar.walk("VTIMEZONE")


def test_the_invitation_e_mail_names_the_time_in_the_recipients_zone_and_the_venues(network, task_force_meeting):
    notification = Notification.objects.get(kind="meeting_invitation", address="mmr.head@example.org")
    content = delivery.kinds()["meeting_invitation"].render(notification)
    assert "08:30 (Yangon, UTC+6:30)" in content.text
    assert "10:00 (Kuala Lumpur, UTC+8)" in content.text
    assert content.subject.startswith("Invitation: 1st TF-SAFETY")


def test_the_invitation_is_sent_through_the_delivery_engine_with_its_attachment(network, scheduled, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery.sweep(timezone.now() + dt.timedelta(days=5))
    sent = {m.to[0]: m for m in mail.outbox}
    invitation = sent["sgp@example.org"]
    (name, content, mimetype) = invitation.attachments[0]
    assert name == "adgsom-1.ics"
    assert mimetype.startswith("text/calendar")
    assert "METHOD:REQUEST" in content
    assert Message.objects.filter(address="chair@example.org").exists()


def test_minutes_e_mails_go_to_the_chair_and_back_to_the_secretariat(network, submitted):
    submitted_note = Notification.objects.get(kind="minutes_submitted")
    content = delivery.kinds()["minutes_submitted"].render(submitted_note)
    assert "For your approval" in content.subject
    assert f"/meetings/{submitted.meeting_id}/minutes/" in content.text
    version = services.approve_minutes(submitted, by=network.chair)
    approved = delivery.kinds()["minutes_approved"].render(Notification.objects.get(kind="minutes_approved"))
    assert version.sha256 in approved.text


# --- Downloads and the feed ---------------------------------------------------------------


def test_the_meeting_page_offers_its_ics(client, network, scheduled):
    client.force_login(network.sgp)
    response = client.get(reverse("meetings:ics", args=[scheduled.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="adgsom-1.ics"'
    calendar, event = _event(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert str(event["UID"]) == scheduled.ical_uid


def test_the_personal_feed_lists_the_meetings_its_owner_may_see_and_nothing_else(client, network, scheduled):
    wgai = services.schedule_meeting(make_meeting(network.officer, network.wgai), by=network.officer)
    draft = make_meeting(network.officer, network.adgsom, days=60)
    feed = services.enable_calendar_feed(by=network.mmr)
    response = client.get(reverse("meetings:feed", args=[feed.token]))  # no session: the token suffices
    assert response.status_code == 200
    uids = {str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert uids == {wgai.ical_uid}
    assert scheduled.ical_uid not in uids
    assert draft.ical_uid not in uids


def test_a_revoked_or_replaced_feed_address_answers_404(client, network, scheduled):
    feed = services.enable_calendar_feed(by=network.sgp)
    old = feed.token
    client.force_login(network.sgp)
    client.post(reverse("meetings:calendar_enable"), {"replace": "1"})
    client.logout()
    assert client.get(reverse("meetings:feed", args=[old])).status_code == 404
    feed.refresh_from_db()
    assert client.get(reverse("meetings:feed", args=[feed.token])).status_code == 200
    services.revoke_calendar_feed(by=network.sgp)
    assert client.get(reverse("meetings:feed", args=[feed.token])).status_code == 404


def test_the_feed_token_stays_out_of_history(network):
    feed = services.enable_calendar_feed(by=network.sgp)
    assert not hasattr(feed.history.first(), "token")


def test_a_deactivated_persons_feed_answers_404(client, network, scheduled):
    feed = services.enable_calendar_feed(by=network.sgp)
    network.sgp.is_active = False
    network.sgp.save()
    assert client.get(reverse("meetings:feed", args=[feed.token])).status_code == 404


# --- PDFs -------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_of_approved_minutes_carries_stamp_date_chair_and_hash(client, network, submitted):
    version = services.approve_minutes(submitted, by=network.chair)
    client.force_login(network.sgp)
    response = client.get(reverse("meetings:minutes_pdf", args=[submitted.meeting_id, version.number]))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "APPROVED" in text
    assert "Chandra Chair" in text
    assert version.approved_at.astimezone(submitted.meeting.zone).strftime("%-d %b %Y") in text
    assert version.sha256 in text.replace("\n", "")
    assert "Delegations noted the progress report" in text


def test_minutes_not_yet_approved_have_no_pdf(client, network, submitted):
    client.force_login(network.officer)
    assert client.get(reverse("meetings:minutes_pdf", args=[submitted.meeting_id, 1])).status_code == 404


def test_the_list_of_participants_pdf_lists_delegations_head_first(client, network, wgai_meeting):
    singapore = wgai_meeting.delegations.get(member_state__code="SGP")
    services.answer_rsvp(
        singapore, by=network.sgp_delegate, answer=Rsvp.ATTENDING, people=[network.sgp_delegate, network.sgp]
    )
    client.force_login(network.mmr)
    page = client.get(reverse("meetings:participants", args=[wgai_meeting.pk])).content.decode()
    assert page.index("Siew Ling (SGP)") < page.index("Sanjay (SGP)")
    text = _pdf_text(client.get(reverse("meetings:participants_pdf", args=[wgai_meeting.pk])).content)
    assert "LIST OF PARTICIPANTS" in text
    assert text.index("SINGAPORE") < text.index("Siew Ling (SGP)") < text.index("Sanjay (SGP)")
    assert "MYANMAR" in text


def test_the_pdf_fetcher_loads_the_apps_static_files_and_refuses_everything_else():
    fetcher = AppOnlyFetcher()
    font = fetcher.fetch("https://app.internal/static/fonts/public-sans-latin-400-normal.woff2")
    assert font.read(4) == b"wOF2"
    for url in (
        "https://evil.example/x.css",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://app.internal/static/../secretariat/settings.py",
        "https://app.internal/media/secret.pdf",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_markdown_cannot_make_the_pdf_fetch_anything(client, network, held, monkeypatch):
    fetched: list[str] = []
    original = AppOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(AppOnlyFetcher, "fetch", spy)
    text = (
        MINUTES
        + '\n<img src="https://evil.example/pixel.png">\n\n![x](https://evil.example/y.png)\n\n<link rel="stylesheet" href="https://evil.example/z.css">\n'
    )
    services.create_minutes_version(held, by=network.officer, text=text)
    services.submit_minutes(held.minutes, by=network.officer)
    services.approve_minutes(held.minutes, by=network.chair)
    client.force_login(network.officer)
    assert client.get(reverse("meetings:minutes_pdf", args=[held.pk, 1])).status_code == 200
    assert fetched
    assert all(url.startswith("https://app.internal/static/") for url in fetched)


@pytest.fixture
def task_force_meeting(network):
    from secretariat.models import Role
    from tests.factories import BodyFactory, MembershipFactory, UserFactory, state

    body = BodyFactory(code="TF-SAFETY", name="Task Force on AI Safety Testing")
    for code in ("MYS", "MMR"):
        head = UserFactory(email=f"{code.lower()}.head@example.org", member_state=state(code))
        MembershipFactory(person=head, body=body, role=Role.HEAD)
    meeting = make_meeting(network.officer, body, hour=10)
    services.schedule_meeting(meeting, by=network.officer)
    assert meeting.status == MeetingStatus.SCHEDULED
    return meeting


@pytest.mark.parametrize("count", [1, 4])
def test_a_sender_writes_invitations_to_1_or_4_meetings_in_the_same_queries(network, count):
    """Each meeting e-mail reads its meeting's body (text and .ics): fetched once for the batch."""
    Notification.objects.update(status=NotificationStatus.RETIRED)  # the fixture's own
    # A Tuesday, 03:00 UTC: inside working hours everywhere, so the invitations are due at once.
    with time_machine.travel(dt.datetime(2026, 12, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        for n in range(count):
            meeting = make_meeting(network.officer, network.adgsom, days=20 + n)
            services.schedule_meeting(meeting, by=network.officer)
        delivery.prepare()
        claimed = delivery.claim(timezone.now(), limit=100)
        with CaptureQueriesContext(connection) as queries:
            written = delivery._write(claimed)
    assert len(written) == 2  # to the chair and to the delegate, each a digest when there are several
    assert [len(m.attachments) for m in written] == [count, count]  # each meeting's .ics
    # 1 the notifications with their recipients, 2 the meetings, 3 their bodies, 4 the content stored.
    assert len(queries) == 4, "\n".join(q["sql"][:120] for q in queries.captured_queries)
