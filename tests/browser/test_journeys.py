"""User journeys in a real browser: sign-in, what a delegate sees, accessibility, small screens."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# axe-core rule sets for WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
}
BLOCKING_IMPACTS = {"serious", "critical"}


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it stands."""
    results = Axe().run(page, options=AXE_OPTIONS)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in blocking
    )
    assert not blocking, f"axe-core violations on {page.url}:\n{report}"


def assert_styled(page: Page) -> None:
    """The design system loaded (an unstyled page would pass layout checks by accident)."""
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Public Sans" in font


def test_delegate_signs_in_and_sees_the_bodies_it_sits_in(
    page: Page, live_server: object, network: SimpleNamespace
) -> None:
    sign_in(page, network.sgp.email)

    expect(page).to_have_url(f"{live_server}/")
    bodies = page.get_by_role("region", name="My bodies and roles")
    expect(bodies.get_by_role("link", name="WG-AI", exact=True)).to_be_visible()
    expect(bodies.get_by_role("link", name="ADGSOM", exact=True)).to_be_visible()
    expect(bodies).not_to_contain_text("ADGMIN")
    adgmin_url = reverse("workgroups:body", args=[network.adgmin.pk])
    expect(page.locator(f'main a[href="{adgmin_url}"]')).to_have_count(0)


def test_login_page_has_no_serious_accessibility_violation(page: Page, network: SimpleNamespace) -> None:
    page.goto("/accounts/login/")
    assert_styled(page)
    assert_accessible(page)


def test_login_page_with_errors_has_no_serious_accessibility_violation(page: Page, network: SimpleNamespace) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(network.sgp.email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    assert_accessible(page)


def test_home_has_no_serious_accessibility_violation(page: Page, network: SimpleNamespace) -> None:
    sign_in(page, network.sgp.email)
    page.goto("/")
    assert_styled(page)
    assert_accessible(page)


@pytest.mark.parametrize("page_name", ["body", "profile", "notification_preferences"])
def test_body_and_profile_pages_have_no_serious_accessibility_violation(
    page: Page, network: SimpleNamespace, page_name: str
) -> None:
    url = {
        "body": reverse("workgroups:body", args=[network.wgai.pk]),
        "profile": reverse("profile"),
        "notification_preferences": reverse("notification_preferences"),
    }[page_name]
    sign_in(page, network.sgp.email)

    response = page.goto(url)

    assert response is not None
    assert response.status == 200
    assert_accessible(page)


def test_home_is_usable_on_a_small_phone(browser: Browser, live_server: object, network: SimpleNamespace) -> None:
    context = browser.new_context(base_url=str(live_server), viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        sign_in(page, network.sgp.email)
        page.goto("/")
        assert_styled(page)

        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, f"the page scrolls sideways ({scroll_width}px wide)"
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My work")).to_be_visible()
        expect(page.get_by_role("link", name="WG-AI", exact=True).first).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()


def test_a_delegate_reads_when_reminders_come_and_switches_one_off_on_a_phone(
    browser: Browser, live_server: object, network: SimpleNamespace
) -> None:
    context = browser.new_context(base_url=str(live_server), viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        sign_in(page, network.sgp.email)
        page.goto(reverse("notification_preferences"))
        schedule = page.get_by_role("table")
        overdue = schedule.get_by_role("row").filter(has_text="An action item is overdue")
        expect(overdue).to_contain_text("The day after the due date, then every 7 days")
        expect(overdue.get_by_role("cell").last).to_have_text("No")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, f"the page scrolls sideways ({scroll_width}px wide)"

        page.get_by_label("A meeting you are invited to is coming up").uncheck()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Your notification preferences were saved.")).to_be_visible()
        expect(page.get_by_label("A meeting you are invited to is coming up")).not_to_be_checked()
        network.sgp.refresh_from_db()
        assert "meeting_upcoming" in network.sgp.muted_kinds
        assert_accessible(page)
    finally:
        context.close()
