"""The action item pages: the filtered list and its CSV, an item with its thread and history, the forms."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from secretariat.history import acting_as, bulk_create_with_history
from tests.factories import state
from tests.meetings.conftest import request_overhead
from workgroups import services
from workgroups.models import ActionItem, ActionItemStatus, OwnerKind, Priority

from .conftest import days, make_item

# Query counts are the views' own: the page cache would answer the second request.
pytestmark = pytest.mark.usefixtures("cold_pages")


def bulk_items(count: int, *, body, by, owner_state=None, due_from: int = -20, **extra) -> None:
    """`count` open items through the bulk helper (history included), due dates spread over 60 days."""
    items = [
        ActionItem(
            body=body,
            title=f"Synthetic item {n}",
            owner_kind=OwnerKind.STATE if owner_state else OwnerKind.SECRETARIAT,
            owner_state=owner_state,
            due_date=days(due_from + n % 60),
            created_by=by,
            created_at=timezone.now() - dt.timedelta(days=30),
            **extra,
        )
        for n in range(count)
    ]
    with acting_as(by):
        bulk_create_with_history(items, reason="Test volume")


def _titles(response) -> list[str]:
    return [item.title for item in response.context["page"]]


def _csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- The list and its filters -------------------------------------------------------------


def test_a_delegate_lists_its_bodies_items_and_not_others(client, work):
    client.force_login(work.mmr)
    titles = _titles(client.get(reverse("workgroups:action_items")))
    assert sorted(titles) == sorted([work.sgp_item.title, work.mmr_item.title, work.shared_item.title])


def test_an_observer_lists_only_what_is_shared_with_it(client, work):
    client.force_login(work.observer)
    assert _titles(client.get(reverse("workgroups:action_items"))) == [work.shared_item.title]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"body": "adgsom"}, ["adgsom_item"]),
        ({"state": "SGP"}, ["sgp_item", "adgsom_item"]),
        ({"state": "MMR"}, ["mmr_item"]),
        ({"owner": "secretariat"}, ["shared_item", "adgmin_item"]),
        ({"owner": "state", "body": "wgai"}, ["sgp_item", "mmr_item"]),
        ({"status": "in_progress"}, ["sgp_item"]),
        ({"status": "live", "body": "wgai"}, ["sgp_item", "mmr_item", "shared_item"]),
        ({"status": "done"}, ["adgmin_item"]),
        ({"within": "7"}, ["mmr_item"]),
        ({"due_from": 40, "due_to": 60}, ["shared_item"]),
        ({"overdue": "on"}, ["adgsom_item"]),
    ],
)
def test_the_list_filters_by_body_state_owner_status_due_window_and_overdue(client, work, params, expected):
    _spread_due_dates(work)
    query = {}
    for key, value in params.items():
        if key == "body":
            value = getattr(work, value).pk
        if key in ("due_from", "due_to"):
            value = days(value).isoformat()
        query[key] = value
    client.force_login(work.officer)
    titles = _titles(client.get(reverse("workgroups:action_items"), query))
    assert sorted(titles) == sorted(getattr(work, name).title for name in expected)


def _spread_due_dates(work):
    """sgp_item in progress due in 30 days; mmr_item due in 5; shared_item in 50; adgsom_item overdue; adgmin done."""
    services.start_action_item(work.sgp_item, by=work.officer)
    services.update_action_item(work.mmr_item, by=work.officer, due_date=days(5))
    services.update_action_item(work.shared_item, by=work.officer, due_date=days(50))
    services.complete_action_item(work.adgmin_item, by=work.officer, note="Statement adopted")
    ActionItem.objects.filter(pk=work.adgsom_item.pk)  # overdue: moved back in time below
    item = ActionItem.objects.get(pk=work.adgsom_item.pk)
    item.created_at = timezone.now() - dt.timedelta(days=40)
    item.due_date = days(-3)
    item.save()


def test_me_or_my_state_lists_my_delegations_items_and_those_assigned_to_me(client, work):
    mine = make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.sgp_delegate])
    client.force_login(work.sgp_delegate)
    titles = _titles(client.get(reverse("workgroups:action_items"), {"owner": "me"}))
    assert sorted(titles) == sorted([work.sgp_item.title, mine.title])


def test_the_list_sorts_by_due_date_priority_and_newest(client, work):
    services.update_action_item(work.mmr_item, by=work.officer, due_date=days(3), priority=Priority.LOW)
    services.update_action_item(work.shared_item, by=work.officer, due_date=days(90), priority=Priority.HIGH)
    client.force_login(work.mmr)
    url = reverse("workgroups:action_items")
    assert _titles(client.get(url))[0] == work.mmr_item.title
    assert _titles(client.get(url, {"sort": "-due"}))[0] == work.shared_item.title
    assert _titles(client.get(url, {"sort": "priority"}))[0] == work.shared_item.title
    newest = make_item(work.officer, work.wgai, title="Newest")
    assert _titles(client.get(url, {"sort": "-created"}))[0] == newest.title


def test_a_bad_filter_is_shown_and_the_rest_still_applies(client, work):
    client.force_login(work.officer)
    response = client.get(
        reverse("workgroups:action_items"),
        {"state": "SGP", "due_from": days(10).isoformat(), "due_to": days(1).isoformat()},
    )
    assert "The end of the due window comes before its start." in response.content.decode()
    assert sorted(_titles(response)) == sorted([work.sgp_item.title, work.adgsom_item.title])


def test_the_list_is_paginated_and_keeps_its_filters_across_pages(client, work):
    bulk_items(60, body=work.wgai, by=work.officer, owner_state=state("MMR"), due_from=1)
    client.force_login(work.officer)
    response = client.get(reverse("workgroups:action_items"), {"state": "MMR"})
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.count == 61
    page = response.content.decode()
    assert re.search(r'href="\?state=MMR&amp;page=2" rel="next"', page)
    second = client.get(reverse("workgroups:action_items"), {"state": "MMR", "page": 2})
    assert len(second.context["page"]) == 11


# --- CSV -------------------------------------------------------------------------------------


def test_the_csv_export_holds_the_filtered_list_on_every_page_and_parses_back(client, work):
    bulk_items(70, body=work.wgai, by=work.officer, owner_state=state("SGP"), due_from=1)
    services.complete_action_item(work.sgp_item, by=work.sgp, note="Mapped, see WG-AI/2026/DOC.4")
    client.force_login(work.sgp)
    rows = _csv(client.get(reverse("workgroups:action_items_csv"), {"state": "SGP", "body": work.wgai.pk}))
    assert len(rows) == 71
    done = next(r for r in rows if r["id"] == str(work.sgp_item.pk))
    assert done["title"] == "Map national AI safety institutes"
    assert (done["body"], done["member state"], done["status"], done["overdue"]) == ("WG-AI", "SGP", "done", "no")
    assert done["url"].endswith(f"/action-items/{work.sgp_item.pk}/")
    assert {r["member state"] for r in rows} == {"SGP"}
    assert [r["due date"] for r in rows] == sorted(r["due date"] for r in rows)


def test_the_csv_export_holds_only_what_the_user_may_see(client, work):
    client.force_login(work.observer)
    rows = _csv(client.get(reverse("workgroups:action_items_csv")))
    assert [r["title"] for r in rows] == [work.shared_item.title]


def test_the_csv_export_keeps_commas_quotes_and_line_breaks(client, work):
    make_item(work.officer, work.wgai, title='Review "AI Safety", testing & evaluation')
    client.force_login(work.officer)
    rows = _csv(client.get(reverse("workgroups:action_items_csv"), {"owner": "secretariat"}))
    assert 'Review "AI Safety", testing & evaluation' in [r["title"] for r in rows]


# --- The item page ----------------------------------------------------------------------------


def test_the_item_page_shows_the_thread_and_the_history(client, work):
    services.start_action_item(work.sgp_item, by=work.sgp_delegate)
    services.post_progress_update(work.sgp_item, by=work.sgp, text="Seven of eleven institutes mapped")
    client.force_login(work.mmr)
    page = client.get(reverse("workgroups:action_item", args=[work.sgp_item.pk])).content.decode()
    assert "Seven of eleven institutes mapped" in page
    assert "Work started" in page  # the change reason, in the history
    assert "Siew Ling (SGP)" in page
    # Myanmar's delegate reads Singapore's item but is offered nothing to change it with.
    assert reverse("workgroups:action_item_complete", args=[work.sgp_item.pk]) not in page
    assert 'name="text"' not in page


def test_singapores_delegate_marks_its_item_done_through_the_form(client, work):
    client.force_login(work.sgp_delegate)
    url = reverse("workgroups:action_item_complete", args=[work.sgp_item.pk])
    response = client.post(url, {"note": "Mapping published as WG-AI/2026/DOC.4"})
    assert response.status_code == 302
    assert ActionItem.objects.get(pk=work.sgp_item.pk).status == ActionItemStatus.DONE


def test_done_without_a_note_shows_a_clear_message_and_saves_nothing(client, work):
    client.force_login(work.sgp)
    response = client.post(reverse("workgroups:action_item_complete", args=[work.sgp_item.pk]), {"note": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter a completion note: say what was delivered." in page
    assert ActionItem.objects.get(pk=work.sgp_item.pk).status == ActionItemStatus.OPEN


def test_dropped_without_a_reason_shows_a_clear_message_and_saves_nothing(client, work):
    client.force_login(work.officer)
    response = client.post(reverse("workgroups:action_item_drop", args=[work.sgp_item.pk]), {"reason": " "})
    assert "Enter the reason for dropping the item." in response.content.decode()
    assert ActionItem.objects.get(pk=work.sgp_item.pk).status == ActionItemStatus.OPEN


def test_an_empty_progress_update_is_refused_on_the_item_page(client, work):
    client.force_login(work.sgp)
    response = client.post(reverse("workgroups:action_item_post_update", args=[work.sgp_item.pk]), {"text": ""})
    assert response.status_code == 400
    assert "Write the update before posting it." in response.content.decode()
    assert not work.sgp_item.updates.exists()


def _create(client, work, **fields):
    data = {
        "body": work.wgai.pk,
        "title": "Compile national AI risk registers",
        "owner_kind": "state",
        "owner_state": state("SGP").pk,
        "due_date": days(30).isoformat(),
        "priority": 2,
        **fields,
    }
    return client.post(reverse("workgroups:action_item_create") + f"?body={work.wgai.pk}", data)


def test_the_secretariat_records_an_item_through_the_form(client, work):
    client.force_login(work.officer)
    response = _create(client, work)
    item = ActionItem.objects.get(title="Compile national AI risk registers")
    assert response["Location"] == item.get_absolute_url()
    assert (item.body, item.owner_state, item.created_by) == (work.wgai, state("SGP"), work.officer)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"owner_state": None}, "Choose the member state whose delegation owns the item."),
        ({"owner_kind": "persons"}, "Name at least one person to own the item."),
        ({"due_date": "not a date"}, "Enter a valid date."),
        ({"title": "x" * 201}, "Ensure this value has at most 200 characters (it has 201)."),
        ({"description": "y" * 5001}, "Ensure this value has at most 5000 characters (it has 5001)."),
    ],
)
def test_bad_input_on_the_create_form_is_explained_and_nothing_is_saved(client, work, fields, message):
    client.force_login(work.officer)
    before = ActionItem.objects.count()
    data = {k: v for k, v in fields.items() if v is not None}
    if fields.get("owner_state", 0) is None:
        data["owner_state"] = ""
    response = _create(client, work, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ActionItem.objects.count() == before


def test_an_owner_state_not_in_the_body_is_refused_on_the_form(client, work):
    client.force_login(work.officer)
    response = _create(client, work, owner_state=state("THA").pk)
    assert "Thailand has no delegation in WG-AI" in response.content.decode()
    assert not ActionItem.objects.filter(title="Compile national AI risk registers").exists()


def test_a_due_date_before_the_items_origin_is_refused_on_the_form(client, work):
    client.force_login(work.officer)
    response = client.post(
        reverse("workgroups:action_item_create") + f"?task={work.task.pk}",
        {
            "body": work.wgai.pk,
            "task": work.task.pk,
            "title": "Too early",
            "owner_kind": "secretariat",
            "due_date": (work.task.start - dt.timedelta(days=1)).isoformat(),
            "priority": 2,
        },
    )
    assert "The due date cannot be before the start of its task" in response.content.decode()
    assert not ActionItem.objects.filter(title="Too early").exists()


# --- Query counts -------------------------------------------------------------------------------


def _count_queries(client, url, django_assert_num_queries, own: int) -> None:
    """The page makes the queries every signed-in request makes, plus `own`."""
    overhead = request_overhead(client)
    client.get(url)
    with django_assert_num_queries(overhead + own):
        assert client.get(url).status_code == 200


# The list's own: my delegations (owner=me), the count, the filter's bodies and member states,
# the page, its assignments with their persons.
LIST_QUERIES = 6


@pytest.mark.parametrize("size", [100, 1000])
def test_the_list_needs_the_same_queries_for_100_or_1000_items(client, work, django_assert_num_queries, size):
    bulk_items(size, body=work.wgai, by=work.officer, owner_state=state("SGP"))
    client.force_login(work.sgp)
    _count_queries(client, reverse("workgroups:action_items") + "?owner=me", django_assert_num_queries, LIST_QUERIES)


# The item with its body, origin and owner; its assignments and their persons; my roles (may I update?);
# referrals; the history of the item, its assignments and referrals (3); the thread.
DETAIL_QUERIES = 8


@pytest.mark.parametrize("updates", [2, 40])
def test_the_item_page_needs_the_same_queries_for_a_short_or_long_thread(
    client, work, django_assert_num_queries, updates
):
    for n in range(updates):
        services.post_progress_update(work.sgp_item, by=work.sgp, text=f"Update {n}")
    client.force_login(work.sgp)
    _count_queries(
        client, reverse("workgroups:action_item", args=[work.sgp_item.pk]), django_assert_num_queries, DETAIL_QUERIES
    )
