"""Action items in a real browser: Singapore's delegate closes its own item and cannot touch Myanmar's;
axe-core finds no serious or critical violation on the list, the item page and the forms."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.test_journeys import assert_accessible, assert_styled
from tests.factories import state
from tests.workgroups.conftest import make_item, make_task
from workgroups import services
from workgroups.models import ActionItem, ActionItemStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def items(network: SimpleNamespace) -> SimpleNamespace:
    task = make_task(network.officer, network.wgai, lead_states=[state("SGP")])
    network.sgp_item = make_item(
        network.officer, network.wgai, title="Map national AI safety institutes", owner_state=state("SGP"), task=task
    )
    network.mmr_item = make_item(
        network.officer, network.wgai, title="Translate the guide into Burmese", owner_state=state("MMR")
    )
    services.post_progress_update(network.mmr_item, by=network.mmr, text="Glossary agreed with the ministry")
    return network


def test_singapores_delegate_moves_its_item_to_done_with_a_note_and_cannot_edit_myanmars(
    page: Page, items: SimpleNamespace
) -> None:
    sign_in(page, items.sgp_delegate.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Action items").click()
    page.get_by_role("link", name="Map national AI safety institutes").click()

    page.get_by_role("button", name="Start work").click()
    expect(page.get_by_role("status").filter(has_text="The item is now in progress.")).to_be_visible()
    page.get_by_role("link", name="Mark as done").click()

    # No note: the error summary says what is missing and links to the field.
    page.get_by_role("button", name="Mark as done").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    summary.get_by_role("link", name="Enter a completion note").click()
    expect(page.get_by_label("Completion note")).to_be_focused()
    assert ActionItem.objects.get(pk=items.sgp_item.pk).status == ActionItemStatus.IN_PROGRESS

    page.get_by_label("Completion note").fill("All eleven institutes mapped; see WG-AI/2026/DOC.4")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_role("status").filter(has_text="Marked as done.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("All eleven institutes mapped; see WG-AI/2026/DOC.4")
    item = ActionItem.objects.get(pk=items.sgp_item.pk)
    assert (item.status, item.completion_note) == (
        ActionItemStatus.DONE,
        "All eleven institutes mapped; see WG-AI/2026/DOC.4",
    )

    # Myanmar's item: readable, with its thread, but nothing to change it with, and the verbs refuse.
    page.goto(items.mmr_item.get_absolute_url())
    expect(page.locator("main")).to_contain_text("Glossary agreed with the ministry")
    expect(page.get_by_role("button", name="Start work")).to_have_count(0)
    expect(page.get_by_role("link", name="Mark as done")).to_have_count(0)
    expect(page.get_by_label("Progress update")).to_have_count(0)
    response = page.goto(reverse("workgroups:action_item_complete", args=[items.mmr_item.pk]))
    assert response is not None
    assert response.status == 403
    assert ActionItem.objects.get(pk=items.mmr_item.pk).status == ActionItemStatus.OPEN


@pytest.mark.parametrize("where", ["list", "filtered list", "item", "done form with errors", "body"])
def test_action_item_pages_have_no_serious_accessibility_violation(
    page: Page, items: SimpleNamespace, where: str
) -> None:
    sign_in(page, items.sgp.email)
    if where == "list":
        page.goto(reverse("workgroups:action_items"))
    elif where == "filtered list":
        page.goto(reverse("workgroups:action_items") + "?state=SGP&due_from=2030-01-01&due_to=2020-01-01")
        expect(page.get_by_role("alert")).to_contain_text("The end of the due window comes before its start.")
    elif where == "item":
        page.goto(items.sgp_item.get_absolute_url())
    elif where == "done form with errors":
        page.goto(reverse("workgroups:action_item_complete", args=[items.sgp_item.pk]))
        page.get_by_role("button", name="Mark as done").click()
        expect(page.get_by_role("alert")).to_be_visible()
    else:
        page.goto(reverse("workgroups:body", args=[items.wgai.pk]))
        expect(page.get_by_role("img", name="Timeline of the work plan of WG-AI")).to_be_visible()
    assert_styled(page)
    assert_accessible(page)
