"""The API: /api/v1/action-items/ with the list page's filters, /api/v1/tasks/, in the OpenAPI schema."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import state
from workgroups import services

from .test_action_item_pages import bulk_items


def test_an_action_item_carries_its_id_title_due_date_and_derived_overdue(client, work):
    client.force_login(work.sgp)
    data = client.get(reverse("action-item-detail", args=[work.sgp_item.pk])).json()
    assert data["id"] == work.sgp_item.pk
    assert data["title"] == "Map national AI safety institutes"
    assert data["due_date"] == work.sgp_item.due_date.isoformat()
    assert (data["body"], data["owner_state"], data["status"], data["is_overdue"]) == ("WG-AI", "SGP", "open", False)
    assert data["url"] == f"/action-items/{work.sgp_item.pk}/"


def test_the_api_filters_like_the_list_page(client, work):
    services.start_action_item(work.sgp_item, by=work.sgp)
    client.force_login(work.officer)
    url = reverse("action-item-list")
    assert {r["id"] for r in client.get(url, {"state": "SGP"}).json()["results"]} == {
        work.sgp_item.pk,
        work.adgsom_item.pk,
    }
    assert [r["id"] for r in client.get(url, {"status": "in_progress"}).json()["results"]] == [work.sgp_item.pk]
    assert [r["id"] for r in client.get(url, {"body": work.adgmin.pk}).json()["results"]] == [work.adgmin_item.pk]
    assert client.get(url, {"overdue": "true"}).json()["count"] == 0


def test_the_api_lists_only_what_the_user_may_see(client, work):
    client.force_login(work.observer)
    assert [r["id"] for r in client.get(reverse("action-item-list")).json()["results"]] == [work.shared_item.pk]
    assert client.get(reverse("task-list")).json()["count"] == 0


def test_tasks_carry_their_lead_states_and_progress(client, work):
    services.complete_action_item(work.sgp_item, by=work.sgp, note="Mapped")
    client.force_login(work.mmr)
    (task,) = client.get(reverse("task-list")).json()["results"]
    assert (task["id"], task["lead_states"], task["progress"], task["framework"]) == (
        work.task.pk,
        ["SGP"],
        100,
        "roadmap_2025_2030",
    )


def test_the_api_list_needs_the_same_queries_for_10_or_300_items(client, work, django_assert_num_queries):
    """The member state of the filter, the count, the page, its assignments with their persons: no query per row."""
    client.force_login(work.mmr)
    url = reverse("action-item-list") + "?state=MMR"
    bulk_items(10, body=work.wgai, by=work.officer, owner_state=state("MMR"))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    bulk_items(290, body=work.wgai, by=work.officer, owner_state=state("MMR"))
    with django_assert_num_queries(len(few)):
        assert len(client.get(url).json()["results"]) == 50


def test_the_schema_documents_both_endpoints_and_the_filters(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/action-items/" in schema["paths"]
    assert "/api/v1/tasks/{id}/" in schema["paths"]
    names = {p["name"] for p in schema["paths"]["/api/v1/action-items/"]["get"]["parameters"]}
    assert {"body", "state", "owner", "status", "within", "due_from", "due_to", "overdue", "sort", "page"} <= names
