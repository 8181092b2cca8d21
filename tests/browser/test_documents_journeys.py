"""The document register in a real browser: a text adopted by silence procedure, and silence broken.

The secretariat circulates a WG-AI text under silence procedure through the
form; Myanmar's delegate finds it on "my work" and objects with a reason; the
chair of WG-AI opens the circulation and sees silence broken. axe-core finds no
serious or critical violation on the pages on the way.

Officers and chairs sign in with a second factor; here their session is made
by the test client and handed to the browser (the sign-in form itself is
covered by the other journeys). Myanmar's delegate signs in through the form.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from secretariat.documents.models import Circulation, CirculationStatus
from secretariat.models import Notification, Role
from tests.browser.conftest import sign_in
from tests.browser.test_journeys import assert_accessible, assert_styled
from tests.documents.conftest import make_document
from tests.factories import MembershipFactory, state

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "files"


def _context_signed_in_as(browser: Browser, live_server: object, user: object) -> BrowserContext:
    """A browser context carrying a session of `user` made by the test client."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=str(live_server), viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": str(live_server)}])
    return context


def test_a_delegate_breaks_silence_and_the_chair_sees_it(
    browser: Browser, page: Page, live_server: object, network: SimpleNamespace
) -> None:
    MembershipFactory(person=network.chair, body=network.wgai, role=Role.CHAIR, member_state=state("MYS"))
    document = make_document(network.officer, network.wgai, title="Draft ASEAN guidelines on AI safety testing")
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=4), network.officer.zone)

    # 1. The secretariat circulates the text under silence procedure.
    officer = _context_signed_in_as(browser, live_server, network.officer)
    try:
        desk = officer.new_page()
        desk.goto(reverse("documents:detail", args=[document.pk]))
        assert_styled(desk)
        expect(desk.get_by_role("note")).to_contain_text("Opening a file is recorded")
        assert_accessible(desk)
        desk.get_by_role("link", name="Circulate").first.click()
        desk.get_by_label("Adoption by silence procedure").check()
        desk.get_by_label("Deadline").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
        desk.get_by_role("group", name="Bodies").get_by_label("WG-AI").check()
        desk.get_by_label("Covering note").fill("Delegations are invited to adopt the guidelines by silence procedure.")
        assert_accessible(desk)
        desk.get_by_role("button", name="Circulate").click()
        expect(desk.get_by_role("heading", level=1)).to_contain_text("Adoption by silence procedure")
        expect(desk.get_by_role("status").filter(has_text="was circulated")).to_be_visible()
        assert_accessible(desk)
    finally:
        officer.close()
    circulation = Circulation.objects.get()
    assert circulation.status == CirculationStatus.OPEN

    # 2. Myanmar's delegate finds it on "my work" and objects with a reason.
    sign_in(page, network.mmr.email)
    awaiting = page.get_by_role("region", name="Circulations awaiting your answer")
    expect(awaiting).to_contain_text("Myanmar")
    expect(awaiting).to_contain_text("Yangon, UTC+6:30")
    assert_accessible(page)
    awaiting.get_by_role("link", name=f"{document.symbol}/Rev.1").click()
    page.get_by_label("Objection", exact=True).check()
    page.get_by_label("Reason, comments or explanation").fill(
        "Myanmar needs time to consult its ministries on section 4."
    )
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("status").filter(has_text="Silence broken.")).to_be_visible()
    assert_accessible(page)

    # 3. The chair of WG-AI was alerted, and sees silence broken with the reason.
    assert Notification.objects.filter(kind="circulation_objection", recipient=network.chair).exists()
    chair = _context_signed_in_as(browser, live_server, network.chair)
    try:
        seat = chair.new_page()
        seat.goto(circulation.get_absolute_url())
        banner = seat.get_by_role("status").filter(has_text="Silence broken.")
        expect(banner).to_contain_text("Myanmar")
        expect(banner).to_contain_text("consult its ministries")
        answers = seat.get_by_role("region", name="Answers of the member states")
        expect(answers.get_by_role("row", name="MMR Myanmar")).to_contain_text("Objection")
        assert_accessible(seat)
    finally:
        chair.close()
    circulation.refresh_from_db()
    assert circulation.status == CirculationStatus.SILENCE_BROKEN


def test_the_register_and_the_search_have_no_serious_accessibility_violation(
    page: Page, network: SimpleNamespace
) -> None:
    make_document(network.officer, network.wgai, title="Terms of reference of the AI safety task force")
    sign_in(page, network.sgp.email)
    page.goto(reverse("documents:list") + "?q=task+force")
    expect(page.get_by_role("cell", name="Terms of reference of the AI safety task force")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("searchbox", name="Search meetings, decisions, action items and documents").fill("task force")
    page.get_by_role("searchbox", name="Search meetings, decisions, action items and documents").press("Enter")
    expect(page.get_by_role("link", name="Terms of reference of the AI safety task force", exact=False)).to_be_visible()
    assert_accessible(page)
