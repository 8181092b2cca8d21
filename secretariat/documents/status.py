"""How circulations read on a page: tag tones and the secretariat's matrix of answers and openings."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Min

from secretariat.models import MemberState, User

from .models import Circulation, CirculationAnswer, CirculationRecipient, CirculationStatus, DocumentOpen, Position

TONES = {
    CirculationStatus.OPEN: "info",
    CirculationStatus.CLOSED: "muted",
    CirculationStatus.ADOPTED: "success",
    CirculationStatus.CONFIRMED: "success",
    CirculationStatus.SILENCE_BROKEN: "danger",
    CirculationStatus.NOT_ADOPTED: "danger",
    CirculationStatus.WITHDRAWN: "muted",
    Position.NO_OBJECTION: "success",
    Position.CONFIRMED: "success",
    Position.OBJECTION: "danger",
    Position.RESERVATION: "warning",
    Position.EXPLANATION: "info",
    Position.COMMENTS: "info",
    Position.NO_COMMENTS: "muted",
    "public": "ok",
    "restricted": "warning",
    "confidential": "danger",
}


def tone(value: str) -> str:
    return TONES.get(value, "muted")


@dataclasses.dataclass
class Opened:
    person: User
    at: dt.datetime


@dataclasses.dataclass
class StateRow:
    state: MemberState
    answer: CirculationAnswer | None
    opened: list[Opened]
    recipients: list[CirculationRecipient]

    @property
    def status(self) -> str:
        if self.answer is not None:
            return "answered"
        return "opened" if self.opened else "nothing"


@dataclasses.dataclass
class PersonRow:
    recipient: CirculationRecipient
    opened: Opened | None


@dataclasses.dataclass
class Matrix:
    states: list[StateRow]
    people: list[PersonRow]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"answered": 0, "opened": 0, "nothing": 0}
        for row in self.states:
            counts[row.status] += 1
        return counts


def circulation_matrix(circulation: Circulation, answers: list[CirculationAnswer]) -> Matrix:
    """Per state asked: its answer, who of its recipients opened the version, or nothing.

    Three queries whatever the size: recipients, first openings since the
    circulation per recipient, and the states asked.
    """
    recipients = list(circulation.recipients.select_related("person", "member_state"))
    first_open = dict(
        DocumentOpen.objects.filter(
            version_id=circulation.version_id,
            person_id__in=[r.person_id for r in recipients],
            opened_at__gte=circulation.created_at,
        )
        .values("person_id")
        .annotate(first=Min("opened_at"))
        .values_list("person_id", "first")
    )
    by_state = {a.member_state_id: a for a in answers}
    states = []
    if circulation.asks_states:
        for row in circulation.state_rows.select_related("member_state"):
            mine = [r for r in recipients if r.member_state_id == row.member_state_id]
            opened = [Opened(r.person, first_open[r.person_id]) for r in mine if r.person_id in first_open]
            states.append(StateRow(row.member_state, by_state.get(row.member_state_id), opened, mine))
    people = [
        PersonRow(r, Opened(r.person, first_open[r.person_id]) if r.person_id in first_open else None)
        for r in recipients
        if not circulation.asks_states or r.member_state_id is None
    ]
    return Matrix(states=states, people=people)
