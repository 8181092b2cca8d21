"""Action item: open → in progress → done (with a note) or dropped (with a reason).

Every transition valid and invalid, who may make it, what the record keeps,
and bad input refused with a clear message and nothing half-saved.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from secretariat.models import Notification
from tests.factories import state
from workgroups import services
from workgroups.models import ActionItem, ActionItemStatus, OwnerKind, ProgressUpdate, UpdateKind

from .conftest import days, make_item

# --- Valid transitions ----------------------------------------------------------------


def test_a_new_item_is_open_and_its_owner_hears_of_it(work):
    assert work.sgp_item.status == ActionItemStatus.OPEN
    addresses = set(
        Notification.objects.filter(kind="action_item_assigned", object_id=work.sgp_item.pk).values_list(
            "address", flat=True
        )
    )
    assert addresses == {work.sgp.email, work.sgp_delegate.email}


def test_singapores_delegate_starts_and_completes_its_states_item_with_a_note(work):
    item = services.start_action_item(work.sgp_item, by=work.sgp_delegate)
    assert item.status == ActionItemStatus.IN_PROGRESS
    assert item.started_at is not None
    item = services.complete_action_item(item, by=work.sgp_delegate, note="Published as WG-AI/2026/DOC.7")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert item.completion_note == "Published as WG-AI/2026/DOC.7"
    assert item.closed_at is not None
    thread = list(item.updates.values_list("kind", "status", "member_state__code"))
    assert thread == [(UpdateKind.STATUS, "in_progress", "SGP"), (UpdateKind.STATUS, "done", "SGP")]


def test_an_open_item_can_be_completed_without_being_started_first(work):
    item = services.complete_action_item(work.sgp_item, by=work.sgp, note="Done at the meeting")
    assert item.status == ActionItemStatus.DONE
    assert item.started_at == item.closed_at


def test_the_chair_or_the_secretariat_drops_an_item_with_a_reason(work):
    item = services.drop_action_item(work.adgsom_item, by=work.chair, reason="Overtaken by the ministers' decision")
    assert item.status == ActionItemStatus.DROPPED
    assert item.drop_reason == "Overtaken by the ministers' decision"
    item = services.drop_action_item(work.mmr_item, by=work.officer, reason="Merged into another item")
    assert item.status == ActionItemStatus.DROPPED


def test_each_transition_is_recorded_with_its_actor_and_reason(work):
    services.start_action_item(work.sgp_item, by=work.sgp)
    services.complete_action_item(work.sgp_item, by=work.sgp, note="Report circulated")
    records = list(ActionItem.history.filter(id=work.sgp_item.pk).order_by("history_date"))
    assert [r.status for r in records] == ["open", "in_progress", "done"]
    assert [r.history_user for r in records] == [work.officer, work.sgp, work.sgp]
    assert records[-1].history_change_reason == "Done: Report circulated"


def test_a_status_change_tells_the_owner_and_the_secretariat_but_not_the_actor(work):
    Notification.objects.all().delete()
    services.start_action_item(work.sgp_item, by=work.sgp)
    addresses = set(
        Notification.objects.filter(kind="action_item_status", object_id=work.sgp_item.pk).values_list(
            "address", flat=True
        )
    )
    assert addresses == {work.sgp_delegate.email, work.officer.email}


def test_a_progress_update_joins_the_thread_for_the_owners_state(work):
    update = services.post_progress_update(work.mmr_item, by=work.mmr, text="Draft translation at 60%")
    assert update.member_state == state("MMR")
    assert list(work.mmr_item.updates.values_list("text", flat=True)) == ["Draft translation at 60%"]


# --- Invalid transitions ---------------------------------------------------------------


@pytest.mark.parametrize("verb", ["start", "complete", "drop", "update", "edit", "reassign"])
@pytest.mark.parametrize("closed", ["done", "dropped"])
def test_a_closed_item_cannot_move_again(work, verb, closed):
    item = work.sgp_item
    if closed == "done":
        services.complete_action_item(item, by=work.officer, note="Delivered")
    else:
        services.drop_action_item(item, by=work.officer, reason="No longer needed")
    calls = {
        "start": lambda: services.start_action_item(item, by=work.officer),
        "complete": lambda: services.complete_action_item(item, by=work.officer, note="Again"),
        "drop": lambda: services.drop_action_item(item, by=work.officer, reason="Again"),
        "update": lambda: services.post_progress_update(item, by=work.officer, text="More"),
        "edit": lambda: services.update_action_item(item, by=work.officer, title="Renamed"),
        "reassign": lambda: services.reassign(item, by=work.officer, owner_kind=OwnerKind.SECRETARIAT),
    }
    with pytest.raises(ValidationError, match=f"This item is {closed}"):
        calls[verb]()
    item.refresh_from_db()
    assert item.status == closed


def test_an_item_in_progress_cannot_be_started_again(work):
    services.start_action_item(work.sgp_item, by=work.sgp)
    with pytest.raises(ValidationError, match="in progress: it cannot be started"):
        services.start_action_item(work.sgp_item, by=work.sgp)


def test_a_stale_copy_cannot_reopen_what_another_person_closed(work):
    stale = ActionItem.objects.get(pk=work.sgp_item.pk)
    services.complete_action_item(work.sgp_item, by=work.sgp, note="Delivered")
    with pytest.raises(ValidationError):
        services.start_action_item(stale, by=work.sgp_delegate)
    assert ActionItem.objects.get(pk=stale.pk).status == ActionItemStatus.DONE


# --- Who may act --------------------------------------------------------------------------


def test_myanmars_delegate_cannot_touch_singapores_item(work):
    with pytest.raises(PermissionDenied):
        services.start_action_item(work.sgp_item, by=work.mmr)
    with pytest.raises(PermissionDenied):
        services.complete_action_item(work.sgp_item, by=work.mmr, note="Not mine")
    with pytest.raises(PermissionDenied):
        services.post_progress_update(work.sgp_item, by=work.mmr, text="Not mine")
    assert ActionItem.objects.get(pk=work.sgp_item.pk).status == ActionItemStatus.OPEN
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("who", ["sgp", "sgp_delegate", "mmr", "observer", "outsider"])
def test_delegates_and_others_cannot_drop_edit_or_reassign(work, who):
    person = getattr(work, who)
    with pytest.raises(PermissionDenied):
        services.drop_action_item(work.sgp_item, by=person, reason="Done elsewhere")
    with pytest.raises(PermissionDenied):
        services.update_action_item(work.sgp_item, by=person, title="Renamed")
    with pytest.raises(PermissionDenied):
        services.reassign(work.sgp_item, by=person, owner_kind=OwnerKind.SECRETARIAT)


def test_the_chair_of_adgsom_acts_on_adgsom_items_but_not_on_wg_ai_items(work):
    services.start_action_item(work.adgsom_item, by=work.chair)
    with pytest.raises(PermissionDenied):
        services.start_action_item(work.sgp_item, by=work.chair)


def test_a_person_assigned_by_name_updates_the_item(work):
    item = make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.mmr])
    services.post_progress_update(item, by=work.mmr, text="On it")
    with pytest.raises(PermissionDenied):
        services.post_progress_update(item, by=work.sgp, text="Not assigned")


def test_only_the_secretariat_or_the_bodys_chair_creates_items(work):
    for person in (work.sgp, work.mmr, work.observer, work.outsider):
        with pytest.raises(PermissionDenied):
            make_item(person, work.wgai, owner_state=state("SGP"))
    with pytest.raises(PermissionDenied):
        make_item(work.chair, work.wgai, owner_state=state("SGP"))
    assert make_item(work.chair, work.adgsom, owner_state=state("SGP")).body == work.adgsom


# --- Bad input -------------------------------------------------------------------------------


def test_done_without_a_note_is_refused_and_nothing_changes(work):
    with pytest.raises(ValidationError) as caught:
        services.complete_action_item(work.sgp_item, by=work.sgp, note="   ")
    assert caught.value.message_dict == {"note": ["Enter the completion note."]}
    item = ActionItem.objects.get(pk=work.sgp_item.pk)
    assert (item.status, item.completion_note, item.closed_at) == ("open", "", None)
    assert not item.updates.exists()


def test_dropped_without_a_reason_is_refused_and_nothing_changes(work):
    with pytest.raises(ValidationError) as caught:
        services.drop_action_item(work.sgp_item, by=work.officer, reason="")
    assert caught.value.message_dict == {"reason": ["Enter the reason."]}
    assert ActionItem.objects.get(pk=work.sgp_item.pk).status == ActionItemStatus.OPEN


def test_the_database_itself_refuses_done_without_a_note(work):
    from django.db import IntegrityError, transaction

    item = ActionItem.objects.get(pk=work.sgp_item.pk)
    item.status = ActionItemStatus.DONE
    item.closed_at = item.created_at
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


def test_an_owner_state_without_a_delegation_in_the_body_is_refused(work):
    before = ActionItem.objects.count()
    with pytest.raises(ValidationError) as caught:
        make_item(work.officer, work.wgai, owner_state=state("THA"))
    assert caught.value.message_dict["owner_state"] == [
        "Thailand has no delegation in WG-AI: an item can only be owned by a member of the body."
    ]
    assert ActionItem.objects.count() == before


def test_a_person_outside_the_body_cannot_be_assigned(work):
    with pytest.raises(ValidationError, match="Otto Outsider is not a member of WG-AI"):
        make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS, assignees=[work.outsider])


def test_named_persons_as_owner_need_at_least_one_person(work):
    with pytest.raises(ValidationError, match="Name at least one person"):
        make_item(work.officer, work.wgai, owner_kind=OwnerKind.PERSONS)


def test_a_due_date_before_a_standalone_items_recording_is_refused(work):
    with pytest.raises(ValidationError) as caught:
        make_item(work.officer, work.wgai, owner_state=state("SGP"), due=-1)
    assert "The due date cannot be before the day it is recorded" in caught.value.message_dict["due_date"][0]


def test_a_due_date_before_the_start_of_its_task_is_refused(work):
    task = work.task
    with pytest.raises(ValidationError, match="before the start of its task"):
        services.create_action_item(
            by=work.officer,
            body=work.wgai,
            title="Too early",
            due_date=task.start - dt.timedelta(days=1),
            owner_kind=OwnerKind.SECRETARIAT,
            task=task,
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "x" * 201, "The title is too long: 201 characters; at most 200."),
        ("title", "  ", "Enter the title."),
        ("description", "x" * 5001, "The description is too long: 5001 characters; at most 5000."),
    ],
)
def test_text_over_sane_limits_is_refused_with_a_clear_message(work, field, value, message):
    before = ActionItem.objects.count()
    kwargs = {"title": "A fine title", field: value}
    with pytest.raises(ValidationError) as caught:
        services.create_action_item(
            by=work.officer, body=work.wgai, due_date=days(10), owner_kind=OwnerKind.SECRETARIAT, **kwargs
        )
    assert caught.value.message_dict[field] == [message]
    assert ActionItem.objects.count() == before


def test_a_completion_note_over_the_limit_is_refused(work):
    with pytest.raises(ValidationError, match="at most 2000"):
        services.complete_action_item(work.sgp_item, by=work.sgp, note="x" * 2001)
    assert ActionItem.objects.get(pk=work.sgp_item.pk).status == ActionItemStatus.OPEN


# --- Overdue is derived ------------------------------------------------------------------------


def test_overdue_is_derived_from_the_due_date_and_never_stored(work):
    item = make_item(work.officer, work.wgai, owner_state=state("SGP"), due=2)
    assert not item.is_overdue
    assert not ActionItem.objects.overdue().filter(pk=item.pk).exists()
    with time_machine.travel(days(5)):
        assert item.is_overdue
        assert ActionItem.objects.overdue().filter(pk=item.pk).exists()
        services.complete_action_item(item, by=work.sgp, note="Late but done")
        assert not item.is_overdue
        assert not ActionItem.objects.overdue().filter(pk=item.pk).exists()
    assert "overdue" not in {f.name for f in ActionItem._meta.get_fields()}


# --- Reassigning -----------------------------------------------------------------------------------


def test_reassigning_to_another_state_tells_its_delegation_and_records_it_in_the_thread(work):
    Notification.objects.all().delete()
    services.reassign(work.sgp_item, by=work.officer, owner_kind=OwnerKind.STATE, owner_state=state("MMR"))
    item = ActionItem.objects.get(pk=work.sgp_item.pk)
    assert item.owner_state == state("MMR")
    assert item.updates.get().text == "Reassigned from Singapore to Myanmar."
    assert set(Notification.objects.filter(kind="action_item_assigned").values_list("address", flat=True)) == {
        work.mmr.email
    }


def test_reassigning_to_a_state_without_a_delegation_changes_nothing(work):
    with pytest.raises(ValidationError, match="no delegation in WG-AI"):
        services.reassign(work.sgp_item, by=work.officer, owner_kind=OwnerKind.STATE, owner_state=state("THA"))
    assert ActionItem.objects.get(pk=work.sgp_item.pk).owner_state == state("SGP")
    assert not work.sgp_item.updates.exists()
