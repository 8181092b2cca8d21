"""Agenda: ordered, numbered items with sub-items; draft → adopted; changes after adoption recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from meetings import services
from meetings.models import AgendaItem, AgendaStatus, Purpose, numbered_agenda


def _numbers(meeting) -> list[tuple[str, str]]:
    return [(n.number, n.item.title) for n in numbered_agenda(meeting.agenda_items.all())]


def _add(meeting, by, title, parent=None):
    return services.add_agenda_item(meeting, by=by, title=title, purpose=Purpose.NOTING, parent=parent)


@pytest.fixture
def agenda(network, scheduled):
    officer = network.officer
    items = {title: _add(scheduled, officer, title) for title in ("Opening", "Reports", "Other matters")}
    items["WG-AI report"] = _add(scheduled, officer, "WG-AI report", items["Reports"])
    items["Task force report"] = _add(scheduled, officer, "Task force report", items["Reports"])
    return items


def test_items_are_numbered_in_order_with_sub_items(scheduled, agenda):
    assert _numbers(scheduled) == [
        ("1", "Opening"),
        ("2", "Reports"),
        ("2.1", "WG-AI report"),
        ("2.2", "Task force report"),
        ("3", "Other matters"),
    ]


def test_moving_an_item_up_swaps_it_with_its_neighbour(network, scheduled, agenda):
    services.move_agenda_item(agenda["Other matters"], by=network.officer, direction="up")
    services.move_agenda_item(agenda["Task force report"], by=network.officer, direction="up")
    assert _numbers(scheduled) == [
        ("1", "Opening"),
        ("2", "Other matters"),
        ("3", "Reports"),
        ("3.1", "Task force report"),
        ("3.2", "WG-AI report"),
    ]


def test_the_first_item_cannot_move_up_nor_the_last_down(network, agenda):
    with pytest.raises(ValidationError, match="“Opening” is already first"):
        services.move_agenda_item(agenda["Opening"], by=network.officer, direction="up")
    with pytest.raises(ValidationError, match="already last"):
        services.move_agenda_item(agenda["Task force report"], by=network.officer, direction="down")


def test_sub_items_go_one_level_deep(network, scheduled, agenda):
    with pytest.raises(ValidationError, match="one level deep"):
        _add(scheduled, network.officer, "Too deep", agenda["WG-AI report"])


def test_a_delegate_cannot_change_the_agenda(network, scheduled, agenda):
    with pytest.raises(PermissionDenied):
        _add(scheduled, network.sgp, "Our item")
    with pytest.raises(PermissionDenied):
        services.move_agenda_item(agenda["Reports"], by=network.sgp, direction="up")


@pytest.mark.parametrize("who", ["officer", "chair"])
def test_the_chair_or_the_secretariat_adopts_the_agenda(network, scheduled, agenda, who):
    services.adopt_agenda(scheduled, by=getattr(network, who))
    scheduled.refresh_from_db()
    assert scheduled.agenda_status == AgendaStatus.ADOPTED
    assert scheduled.agenda_adopted_by == getattr(network, who)


@pytest.mark.parametrize("who", ["sgp", "mmr", "observer"])
def test_nobody_else_adopts_the_agenda(network, scheduled, agenda, who):
    with pytest.raises(PermissionDenied):
        services.adopt_agenda(scheduled, by=getattr(network, who))


def test_an_empty_agenda_cannot_be_adopted(network, scheduled):
    with pytest.raises(ValidationError, match="no item"):
        services.adopt_agenda(scheduled, by=network.chair)


def test_an_adopted_agenda_cannot_be_adopted_again(network, scheduled, agenda):
    services.adopt_agenda(scheduled, by=network.chair)
    with pytest.raises(ValidationError, match="adopted already"):
        services.adopt_agenda(scheduled, by=network.officer)


def test_changes_after_adoption_are_recorded_as_such(network, scheduled, agenda):
    services.adopt_agenda(scheduled, by=network.chair)
    item = services.update_agenda_item(agenda["Other matters"], by=network.officer, title="Any other business")
    assert item.history.first().history_change_reason == "Item changed after the agenda was adopted"
    added = _add(scheduled, network.officer, "Date of the next meeting")
    assert added.history.first().history_change_reason == "Item added after the agenda was adopted"


def test_an_item_with_decisions_stays_on_the_agenda(network, scheduled, agenda):
    with time_machine.travel(scheduled.start + dt.timedelta(minutes=30)):
        services.record_decision(
            scheduled, by=network.officer, agenda_item=agenda["WG-AI report"], kind="noted", text="Noted the report."
        )
        with pytest.raises(ValidationError, match="stays on the agenda"):
            services.delete_agenda_item(agenda["Reports"], by=network.officer)


def test_removing_an_item_removes_its_sub_items(network, scheduled, agenda):
    services.delete_agenda_item(agenda["Reports"], by=network.officer)
    assert _numbers(scheduled) == [("1", "Opening"), ("2", "Other matters")]
    assert not AgendaItem.objects.filter(title="WG-AI report").exists()


def test_the_agenda_of_a_cancelled_meeting_is_closed(network, scheduled, agenda):
    services.cancel_meeting(scheduled, by=network.officer, reason="x")
    with pytest.raises(ValidationError, match="cancelled meeting cannot change"):
        _add(scheduled, network.officer, "Late item")


def test_matters_arising_is_empty_until_action_items_exist(scheduled):
    assert scheduled.matters_arising() == []
