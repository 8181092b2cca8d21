"""Meeting journeys in a real browser: schedule and adopt, answer for a state, approve minutes; axe-core clean."""

from __future__ import annotations

import datetime as dt
import re
import time
from types import SimpleNamespace

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.urls import reverse
from playwright.sync_api import Page, expect

from meetings import services
from meetings.models import AgendaStatus, Meeting, MeetingStatus, MinutesStatus, Purpose, Rsvp
from tests.browser.conftest import sign_in
from tests.browser.test_journeys import assert_accessible, assert_styled
from tests.meetings.conftest import MINUTES, at, make_meeting

pytestmark = pytest.mark.browser


def sign_in_with_code(page: Page, user: object) -> None:
    """Sign in as an officer or a chair: password, then the authenticator's current code."""
    sign_in(page, user.email)
    if "/2fa/authenticate/" in page.url:
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        secret = decrypt(authenticator.data["secret"])
        page.locator("input[name=code]").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/" not in url)


def test_the_secretariat_schedules_a_meeting_and_adopts_its_agenda(page: Page, network: SimpleNamespace) -> None:
    sign_in_with_code(page, network.officer)
    page.goto(reverse("meetings:create"))
    assert_styled(page)
    assert_accessible(page)

    start = at(12, 10)
    page.get_by_label("Body").select_option(label="ADGSOM")
    page.get_by_label("Starts (venue's local time)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends (venue's local time)").fill((start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("textbox", name="Venue (optional)").fill("Sasana Kijang, Kuala Lumpur")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1st ADGSOM")
    meeting = Meeting.objects.get()

    page.get_by_role("link", name="Edit the agenda").click()
    for title in ("Opening of the meeting", "Report of WG-AI", "Adoption of the agenda"):
        page.get_by_role("link", name="Add an item").click()
        page.get_by_label("Title").fill(title)
        page.get_by_role("button", name="Save the item").click()
        expect(page.get_by_role("table")).to_contain_text(title)
    assert_accessible(page)

    # Reorder with htmx: the editor is swapped in place, the page does not reload.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Up item 3").click()
    expect(page.locator("#agenda-editor tbody tr").nth(1)).to_contain_text("Adoption of the agenda")
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_role("button", name="Up item 2").click()
    expect(page.locator("#agenda-editor tbody tr").first).to_contain_text("Adoption of the agenda")

    page.get_by_role("link", name="Back to the meeting").click()
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_role("status").filter(has_text="invitations are on their way")).to_be_visible()
    page.get_by_role("button", name="Adopt the agenda").click()
    expect(page.get_by_text("Agenda: adopted")).to_be_visible()
    assert_accessible(page)

    meeting.refresh_from_db()
    assert (meeting.status, meeting.agenda_status) == (MeetingStatus.SCHEDULED, AgendaStatus.ADOPTED)
    assert meeting.agenda_items.order_by("position").first().title == "Adoption of the agenda"


def test_a_delegate_answers_for_its_state(page: Page, network: SimpleNamespace) -> None:
    meeting = services.schedule_meeting(make_meeting(network.officer, network.wgai), by=network.officer)
    sign_in(page, network.sgp.email)
    page.goto(meeting.get_absolute_url())
    assert_accessible(page)

    page.get_by_role("link", name="Answer for Singapore").click()
    assert_accessible(page)
    page.get_by_label("Attending", exact=True).check()
    page.get_by_label("Siew Ling (SGP)").check()
    page.get_by_label("Sanjay (SGP)").check()
    page.get_by_role("button", name="Send the answer").click()

    delegations = page.get_by_role("table", name="Invited delegations")
    row = delegations.get_by_role("row").filter(has_text="Singapore")
    expect(row).to_contain_text("Attending")
    expect(row).to_contain_text("Siew Ling (SGP)")
    expect(delegations.get_by_role("row").filter(has_text="Myanmar")).to_contain_text("No answer yet")
    assert meeting.delegations.get(member_state__code="SGP").rsvp == Rsvp.ATTENDING
    assert not page.get_by_role("link", name=re.compile("Answer for Myanmar")).count()


def test_the_chair_approves_the_minutes(page: Page, network: SimpleNamespace) -> None:
    meeting = make_meeting(network.officer, network.adgsom, days=-3, status=MeetingStatus.HELD)
    services.add_agenda_item(meeting, by=network.officer, title="Opening", purpose=Purpose.NOTING)
    services.create_minutes_version(meeting, by=network.officer, text=MINUTES)
    services.submit_minutes(meeting.minutes, by=network.officer)

    sign_in_with_code(page, network.chair)
    page.get_by_role("link", name="Report of the 1st ADGSOM").click()
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())  # "Approve and freeze these minutes?"
    page.get_by_role("button", name="Approve Rev.1").click()

    expect(page.get_by_role("status").filter(has_text="approved and sealed")).to_be_visible()
    meeting.minutes.refresh_from_db()
    version = meeting.minutes.versions.get()
    assert meeting.minutes.status == MinutesStatus.APPROVED
    expect(page.locator(".seal")).to_contain_text(version.sha256)
    expect(page.get_by_role("button", name="Approve Rev.1")).to_have_count(0)
    assert_accessible(page)
    pdf = page.request.get(reverse("meetings:minutes_pdf", args=[meeting.pk, 1]))
    assert pdf.headers["content-type"] == "application/pdf"
