"""'My work' at /: my and my state's open items, overdue first, and the charts; the body page's work plan."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from secretariat import pagecache
from tests.factories import state
from workgroups import services
from workgroups.charts import gantt, stacked_bars
from workgroups.models import OwnerKind, TaskStatus
from workgroups.plan_views import my_work

from .conftest import days, make_item, make_task
from .test_action_item_pages import bulk_items

# Query counts are the views' own: the page cache would answer the second request.
pytestmark = pytest.mark.usefixtures("cold_pages")

# --- My work -----------------------------------------------------------------------------


def test_home_lists_my_states_open_items_overdue_first(client, work):
    bulk_items(3, body=work.wgai, by=work.officer, owner_state=state("SGP"), due_from=-5)
    services.complete_action_item(work.sgp_item, by=work.sgp, note="Done")
    client.force_login(work.sgp_delegate)
    response = client.get("/")
    items = response.context["my_items"]
    assert [i.title for i in items] == ["Synthetic item 0", "Synthetic item 1", "Synthetic item 2"]
    assert [i.is_overdue for i in items] == [True, True, True]
    page = response.content.decode()
    assert "3 of them are overdue." in page
    assert work.mmr_item.title not in page.split('id="my-action-items"')[1].split("</section>")[0]


def test_home_lists_items_assigned_to_me_by_name(client, work):
    item = make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.mmr])
    client.force_login(work.mmr)
    titles = {i.title for i in client.get("/").context["my_items"]}
    assert titles == {work.mmr_item.title, item.title}


def test_home_shows_a_chart_of_my_bodies_items_by_state_and_status_with_a_table(client, work):
    services.start_action_item(work.sgp_item, by=work.sgp)
    client.force_login(work.mmr)
    page = client.get("/").content.decode()
    assert "Action items of WG-AI by owner and status" in page
    svg = re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="(chart-\d+-title) (chart-\d+-desc)"', page)
    assert svg
    desc = re.search(rf'<desc id="{svg.group(2)}">(.*?)</desc>', page, re.S).group(1)
    assert "Singapore: 1 (1 in progress)" in desc
    assert "Myanmar: 1 (1 open)" in desc
    assert "Action items of ADGSOM" not in page  # Myanmar's delegate does not sit in ADGSOM


@pytest.mark.parametrize("size", [200, 2000])
def test_the_home_page_needs_the_same_queries_for_200_or_2000_items(client, work, django_assert_num_queries, size):
    """Measured against the home page with a handful of items, whatever the other apps add to it."""
    client.force_login(work.sgp)
    client.get("/")
    # Both requests right after a write, as the bulk writes below leave the second:
    # the charts are drawn again from their GROUP BY each time.
    pagecache.bump()
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    half = size // 2
    bulk_items(half, body=work.wgai, by=work.officer, owner_state=state("SGP"))
    bulk_items(size - half, body=work.wgai, by=work.officer, owner_state=state("MMR"))
    with django_assert_num_queries(len(few)):
        response = client.get("/")
    assert len(response.context["my_items"]) == 15
    assert response.context["my_items_total"] == half + 2  # and Singapore's items in WG-AI and ADGSOM


def test_my_work_makes_four_queries_of_its_own(work, django_assert_num_queries):
    """My delegations; my open items with their total and overdue count; their assignments;
    the charts' one GROUP BY (then kept in the cache: none the next time)."""
    user = type(work.sgp).objects.get(pk=work.sgp.pk)
    assert not user.is_secretariat  # asked by the request's middleware already
    memberships = list(user.current_memberships().select_related("body"))
    with django_assert_num_queries(4):
        my_work(user, memberships)
    with django_assert_num_queries(2):  # the delegations are kept on the user, the charts in the cache
        my_work(user, memberships)


def test_the_charts_are_drawn_again_after_a_bulk_write(work):
    """The charts' cache follows the data generation: bulk writes send no post_save, and still count."""
    user = type(work.sgp).objects.get(pk=work.sgp.pk)
    memberships = list(user.current_memberships().select_related("body"))

    def charts() -> tuple[object, int]:
        with CaptureQueriesContext(connection) as queries:
            drawn = my_work(user, memberships)["item_charts"]
        return drawn, len(queries)

    before, drawing = charts()
    again, reusing = charts()
    assert again == before
    assert reusing < drawing  # the charts came from the cache, not from their queries
    bulk_items(40, body=work.wgai, by=work.officer, owner_state=state("SGP"))
    after, redrawing = charts()
    assert after != before
    assert redrawing > reusing  # drawn again from their queries


# --- The body page's work plan -------------------------------------------------------------


def test_the_body_page_shows_the_work_plan_as_an_accessible_timeline_and_a_table(client, work):
    make_task(work.officer, work.wgai, title="Generative AI guide: national uptake survey", status=TaskStatus.ACTIVE)
    client.force_login(work.mmr)
    page = client.get(reverse("workgroups:body", args=[work.wgai.pk])).content.decode()
    svg = re.search(r'<svg class="gantt"[^>]*role="img" aria-labelledby="gantt-title gantt-desc"', page)
    assert svg
    assert '<title id="gantt-title">Timeline of the work plan of WG-AI</title>' in page
    assert "2 tasks, each shown as a bar from its start to its end" in page
    assert "The work plan in words" in page
    assert f'href="{work.task.get_absolute_url()}">Regional AI safety testing guidelines</a>' in page


def test_the_work_plan_shows_progress_derived_from_the_tasks_action_items(client, work):
    make_item(work.officer, work.wgai, owner_state=state("MMR"), task=work.task)
    services.complete_action_item(work.sgp_item, by=work.sgp, note="Mapped")
    client.force_login(work.officer)
    response = client.get(reverse("workgroups:body", args=[work.wgai.pk]))
    assert [t.progress for t in response.context["tasks"]] == [50]


def test_an_observer_sees_only_the_tasks_shared_with_observers(client, work):
    make_task(work.officer, work.wgai, title="Dialogue partner briefing", shared_with_observers=True)
    client.force_login(work.observer)
    response = client.get(reverse("workgroups:body", args=[work.wgai.pk]))
    assert [t.title for t in response.context["tasks"]] == ["Dialogue partner briefing"]


def test_the_body_page_needs_the_same_queries_for_a_small_or_large_plan(client, work, django_assert_num_queries):
    client.force_login(work.sgp)
    url = reverse("workgroups:body", args=[work.wgai.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    expected = len(small)  # now: the log is reset by the next request
    for n in range(12):
        task = make_task(work.officer, work.wgai, title=f"Task {n}", lead_states=[state("SGP"), state("MMR")])
        make_item(work.officer, work.wgai, owner_state=state("SGP"), task=task)
    client.get(url)  # the new items' notifications cleared the bell's cached count
    with django_assert_num_queries(expected):
        client.get(url)


def test_the_chair_of_a_body_adds_a_task_and_bad_dates_are_refused(client, work):
    client.force_login(work.chair)
    url = reverse("workgroups:task_create", args=[work.adgsom.pk])
    data = {
        "title": "Endorse the regional AI safety evaluation framework",
        "framework": "roadmap_2025_2030",
        "start": days(10).isoformat(),
        "end": days(5).isoformat(),
        "status": "planned",
        "lead_states": [state("SGP").pk],
    }
    response = client.post(url, data)
    assert "The task cannot end before it starts." in response.content.decode()
    data["end"] = days(200).isoformat()
    response = client.post(url, data)
    task = work.adgsom.tasks.get()
    assert response["Location"] == task.get_absolute_url()
    assert list(task.lead_states.values_list("code", flat=True)) == ["SGP"]


# --- The charts' geometry ---------------------------------------------------------------------


def test_the_gantt_spans_whole_months_and_marks_today(work):
    chart = gantt([work.task], days(0))
    assert chart.first.day == 1
    assert chart.last.day == 1
    assert chart.first <= work.task.start < work.task.end < chart.last
    assert chart.label_width < chart.today_x < chart.width
    row = chart.rows[0]
    assert row.bar_x < chart.today_x < row.bar_x + row.bar_width


def test_the_bar_chart_stacks_statuses_in_order_and_scales_to_the_biggest_owner():
    chart = stacked_bars(
        [("SGP", "Singapore", "done", 2, 0), ("SGP", "Singapore", "open", 2, 1), ("MMR", "Myanmar", "open", 1, 0)]
    )
    sgp = next(r for r in chart.rows if r.key == "SGP")
    assert [s.status for s in sgp.segments] == ["open", "done"]
    assert sgp.total == 4
    assert sgp.overdue == 1
    mmr = next(r for r in chart.rows if r.key == "MMR")
    assert mmr.segments[0].width == pytest.approx(sgp.segments[0].width / 2, abs=0.2)
    assert stacked_bars([]) is None
